"""`POST /v1/edits`: the input, corrected; instructions beyond corrections also get model-written text."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai.api.responses import json_response
from mockai.api.scripting import scripted_content
from mockai.api.text_generation import check_context, collect, created_at, resolve_model, text_job, usage
from mockai.engine.edit import CORRECTION_ONLY, corpus_vocabulary


async def create_edit(request: Request, body: dict[str, Any]) -> Response:
    model = resolve_model(request, body["model"], "edits", "v1/edits")
    job = text_job(request, body, model, top_logprobs=0)
    source, instruction = body.get("input") or "", body["instruction"]
    corrected = corpus_vocabulary().correct_text(source)
    prompt_ids = job.encoding.encode(f"{instruction}\n\n{source}\n\n", disallowed_special=())
    prompt_tokens = len(job.encoding.encode(instruction, disallowed_special=())) + len(
        job.encoding.encode(source, disallowed_special=())
    )
    budget = check_context(model, prompt_tokens, None, chat=False)
    scripted = scripted_content(request)
    texts = []
    for index in range(body.get("n") or 1):
        text = corrected
        if scripted is not None and scripted.content is not None:
            text = scripted.content
        elif not CORRECTION_ONLY.search(instruction) or not source:
            addition = collect(job.run(prompt_ids, index=index, max_tokens=min(budget, 64))).run.text.strip()
            text = f"{corrected.rstrip()}\n{addition}".strip() if addition else corrected
        texts.append(text)
    choices = [{"text": text, "index": index, "finish_reason": "stop"} for index, text in enumerate(texts)]
    completion_tokens = sum(len(job.encoding.encode(text, disallowed_special=())) for text in texts)
    edit = {"object": "edit", "created": created_at(request), "choices": choices}
    return json_response({**edit, "usage": usage(prompt_tokens, completion_tokens)}, model=model.id)
