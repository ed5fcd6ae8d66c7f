"""`POST /v1/edits`: the input, corrected; instructions beyond corrections also get model-written text.

The edit is the generation core's `Revision` of the input: the handler counts the prompt (instruction and input) and
renders each choice's text.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai.api.responses import json_response
from mockai.api.text_generation import (
    answer,
    check_context,
    created_at,
    generation_model,
    resolve_model,
    sampling,
    usage,
)
from mockai.engine.conversation import RawPrompt
from mockai.engine.reply import ChoicePlan, ReplyRequest, Revision


async def create_edit(request: Request, body: dict[str, Any]) -> Response:
    info = resolve_model(request, body["model"], "edits", "v1/edits")
    model = generation_model(request, info)
    source, instruction = body.get("input") or "", body["instruction"]
    prompt_text = f"{instruction}\n\n{source}\n\n"
    prompt = RawPrompt(tuple(model.encoding.encode(prompt_text, disallowed_special=())), prompt_text)
    prompt_tokens = len(model.encoding.encode(instruction, disallowed_special=())) + len(
        model.encoding.encode(source, disallowed_special=())
    )
    budget = check_context(info, prompt_tokens, None, chat=False)
    drawn = sampling(request, body, model, max_output_tokens=budget, top_logprobs=0, choices=body.get("n") or 1)
    revision = Revision(source, instruction)
    reply = answer(request, ReplyRequest(prompt, model, drawn, prompt_tokens, revision=revision, text_only=True))
    choices = [_choice(index, plan.finished()) for index, plan in enumerate(reply.choices)]
    edit = {"object": "edit", "created": created_at(request), "choices": choices}
    return json_response({**edit, "usage": usage(reply.usage)}, model=model.id)


def _choice(index: int, plan: ChoicePlan) -> dict[str, Any]:
    return {
        "text": plan.content.text if plan.content is not None else "",
        "index": index,
        "finish_reason": plan.finish_reason,
    }
