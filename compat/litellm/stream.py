"""litellm streaming: chunks join (and `stream_chunk_builder` rebuilds) to the non-streamed reply at the same seed."""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

messages = [{"role": "user", "content": "Write two sentences about autumn leaves."}]
options = {"model": "gpt-4o-mini", "messages": messages, "seed": 8, "timeout": 30, "num_retries": 0}

whole = litellm.completion(**options)
chunks = list(litellm.completion(**options, stream=True, stream_options={"include_usage": True}))

pieces = [chunk.choices[0].delta.content for chunk in chunks if chunk.choices and chunk.choices[0].delta.content]
assert len(pieces) > 1, f"not streamed: {len(pieces)} pieces"
expected = whole.choices[0].message.content
assert "".join(pieces) == expected, f"stream joined to {''.join(pieces)!r}, completion said {expected!r}"
rebuilt = litellm.stream_chunk_builder(chunks, messages=messages)
assert rebuilt.choices[0].message.content == expected, rebuilt.choices[0].message.content
assert rebuilt.choices[0].finish_reason == whole.choices[0].finish_reason, rebuilt.choices[0].finish_reason
for field in ("prompt_tokens", "completion_tokens", "total_tokens"):
    assert getattr(rebuilt.usage, field) == getattr(whole.usage, field), (field, rebuilt.usage, whole.usage)

print(f"{len(pieces)} deltas join to the reply; stream_chunk_builder's usage equals the non-streamed usage")
