"""instructor's retry round in TOOLS mode: an invalid first answer is sent back as a `tool` message with `name`
(issue 12), and the second answer validates. mockai's rules script the invalid first answer."""

import json
import os
import uuid

import httpx
import instructor
from openai import OpenAI
from pydantic import BaseModel, Field

admin = httpx.Client(base_url=os.environ["OPENAI_BASE_URL"].removesuffix("/v1"), timeout=10)


class UserDetail(BaseModel):
    name: str = Field(min_length=1)
    age: int = Field(ge=0, le=150)


marker = f"check-{uuid.uuid4().hex[:8]}"  # keeps this check's requests apart from any other's
question = f"Extract the user ({marker}): Jason is 25 years old."
invalid = {
    "id": "call_scripted",
    "type": "function",
    "function": {"name": "UserDetail", "arguments": '{"name": "Jason", "age": -25}'},
}
rule = admin.post(
    "/_mockai/rules",
    json={
        "times": 1,
        "match": {"path": "/v1/chat/completions", "last_user": {"op": "contains", "value": marker}},
        "reply": {"kind": "content", "content": None, "tool_calls": [invalid], "finish_reason": "tool_calls"},
    },
)
rule.raise_for_status()

client = instructor.from_openai(OpenAI(timeout=30, max_retries=0))
user = client.chat.completions.create(
    model="gpt-4o-mini",
    response_model=UserDetail,
    messages=[{"role": "user", "content": question}],
    max_retries=2,
)

assert isinstance(user, UserDetail) and user.age >= 0, user
journal = admin.get("/_mockai/requests", params={"path": "/v1/chat/completions"}).json()["data"]
ours = [entry for entry in journal if marker in json.dumps(entry["json"])]
assert len(ours) == 2, f"expected the scripted answer and one retry, saw {len(ours)} requests"
first, retry = sorted(ours, key=lambda entry: entry["id"])
assert first["rule_id"] == rule.json()["id"] and retry["rule_id"] is None, (first["rule_id"], retry["rule_id"])
tool_message = retry["json"]["messages"][-1]
assert tool_message["role"] == "tool" and tool_message["name"] == "UserDetail", tool_message
assert tool_message["tool_call_id"] == "call_scripted", tool_message
assert retry["status"] == 200, retry["status"]

print(f"scripted age -25 was refused, the retry (tool message with name) answered {user!r}")
