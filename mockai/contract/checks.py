"""Named contract checks: each looks at one recorded exchange and returns `Failure` values (none when it holds).

Checks are data in, data out: no HTTP here, so they are tested on hand-made exchanges. A failure's identity is
(check, title); titles never carry example-specific values, so the same defect found by many examples (and by
hypothesis while shrinking) is reported once, with its smallest example.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockai.contract.registry import SchemaRegistry

ERROR_SCHEMA = "openai/error"


@dataclass(frozen=True)
class RecordedRequest:
    """What was sent: the JSON body, or the form fields with uploaded files shown by name."""

    method: str
    url: str
    body: Any = None

    def size(self) -> int:
        """How big the example is, for keeping the smallest one of each failure."""
        return len(json.dumps(self.body, sort_keys=True, default=str))


@dataclass(frozen=True)
class RecordedResponse:
    """What came back: status, headers (lower-case names) and the raw body text."""

    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        """The body parsed as JSON, or `None` when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None


@dataclass(frozen=True)
class Exchange:
    """One request and its response; `events` holds the SSE `data:` payloads when the response streamed."""

    operation_id: str
    request: RecordedRequest
    response: RecordedResponse
    events: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    """A broken expectation: `check` and `title` identify it, `message` explains this example.

    >>> Failure("status_code_conformance", "expected 2xx, got 500", "…").key
    ('status_code_conformance', 'expected 2xx, got 500')
    """

    check: str
    title: str
    message: str
    request: RecordedRequest | None = None
    response: RecordedResponse | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.check, self.title)


def status_code_conformance(exchange: Exchange, *, expected: int | str) -> list[Failure]:
    """The status is the expected one: an exact code, or a class such as "2xx"."""
    status = exchange.response.status
    ok = str(status).startswith(expected[0]) if isinstance(expected, str) else status == expected
    if ok:
        return []
    detail = f"{exchange.request.method} {exchange.request.url} answered {status}: {exchange.response.text[:300]}"
    return [_failure(exchange, "status_code_conformance", f"expected {expected}, got {status}", detail)]


def response_schema_conformance(exchange: Exchange, registry: SchemaRegistry, schema: str) -> list[Failure]:
    """The body is JSON and validates against `schema` (every violation, one failure per schema location)."""
    body = exchange.response.json()
    if body is None:
        preview = exchange.response.text[:200]
        return [_failure(exchange, "response_schema_conformance", "response body is not JSON", repr(preview))]
    return _schema_failures(exchange, "response_schema_conformance", registry, schema, body, "response")


def error_envelope_conformance(
    exchange: Exchange, registry: SchemaRegistry, *, expected_param: str | None = None
) -> list[Failure]:
    """An error answer is the OpenAI envelope; with `expected_param`, its `param` names that parameter."""
    body = exchange.response.json()
    if body is None:
        preview = exchange.response.text[:200]
        return [_failure(exchange, "error_envelope_conformance", "error body is not JSON", repr(preview))]
    found = _schema_failures(exchange, "error_envelope_conformance", registry, ERROR_SCHEMA, body, "error")
    if found or expected_param is None:
        return found
    if body["error"]["type"] != "invalid_request_error":
        title = "a refused parameter is not an invalid_request_error"
        return [_failure(exchange, "error_envelope_conformance", title, f"type {body['error']['type']!r}")]
    param = body["error"]["param"]
    if param != expected_param:
        title = "error param does not name the invalid parameter"
        message = f"expected param {expected_param!r}, got {param!r}: {body['error']['message']}"
        return [_failure(exchange, "error_envelope_conformance", title, message)]
    return []


def sse_framing(exchange: Exchange) -> list[Failure]:
    """A stream is `text/event-stream` of `data: <json>` events separated by blank lines, ending in `[DONE]`."""
    found: list[Failure] = []
    content_type = exchange.response.headers.get("content-type", "")
    if not content_type.startswith("text/event-stream"):
        found.append(_failure(exchange, "sse_framing", "stream is not text/event-stream", repr(content_type)))
    events, problems = parse_sse(exchange.response.text)
    found.extend(_failure(exchange, "sse_framing", title, detail) for title, detail in problems)
    if not events or events[-1] != "[DONE]":
        last = events[-1][:120] if events else "no events"
        found.append(_failure(exchange, "sse_framing", "stream does not end with data: [DONE]", repr(last)))
    if "[DONE]" in events[:-1]:
        found.append(_failure(exchange, "sse_framing", "events follow data: [DONE]", "[DONE] is not the last event"))
    for payload in events:
        if payload != "[DONE]" and _json_or_none(payload) is None:
            found.append(_failure(exchange, "sse_framing", "event data is not JSON", repr(payload[:120])))
            break
    return found


def chunk_schema_conformance(exchange: Exchange, registry: SchemaRegistry, schema: str) -> list[Failure]:
    """Every streamed JSON chunk validates against the chunk schema."""
    found: list[Failure] = []
    for chunk in _chunks(exchange):
        found.extend(_schema_failures(exchange, "chunk_schema_conformance", registry, schema, chunk, "chunk"))
    return _unique(found)


def stream_invariants(exchange: Exchange) -> list[Failure]:
    """One `id` for the whole stream; each choice has exactly one `finish_reason`; chat role deltas come first."""
    chunks = [chunk for chunk in _chunks(exchange) if isinstance(chunk, dict)]
    found: list[Failure] = []
    ids = {chunk.get("id") for chunk in chunks}
    if len(ids) > 1:
        found.append(_failure(exchange, "stream_invariants", "chunks carry different ids", f"{len(ids)} ids"))
    finishes: dict[int, int] = {}
    seen: set[int] = set()
    for chunk in chunks:
        for choice in chunk.get("choices") or []:
            index = choice.get("index", 0)
            delta = choice.get("delta")
            if isinstance(delta, dict) and index not in seen and delta.get("role") != "assistant":
                found.append(_failure(exchange, "stream_invariants", "first delta of a choice has no role", ""))
            seen.add(index)
            if choice.get("finish_reason") is not None:
                finishes[index] = finishes.get(index, 0) + 1
    for index in sorted(seen):
        if finishes.get(index, 0) != 1:
            title = "a choice does not have exactly one finish_reason"
            found.append(_failure(exchange, "stream_invariants", title, f"choice {index}: {finishes.get(index, 0)}"))
    return _unique(found)


def stream_usage(exchange: Exchange, *, include_usage: bool) -> list[Failure]:
    """Usage is null in every chunk, except one last chunk with no choices when `include_usage` asked for it."""
    chunks = [chunk for chunk in _chunks(exchange) if isinstance(chunk, dict)]
    with_usage = [index for index, chunk in enumerate(chunks) if chunk.get("usage") is not None]
    if not include_usage:
        if with_usage:
            title = "usage sent without stream_options.include_usage"
            return [_failure(exchange, "stream_usage", title, f"{len(with_usage)} chunk(s) carry usage")]
        return []
    if with_usage != [len(chunks) - 1] or chunks[-1].get("choices"):
        title = "include_usage did not give one final usage chunk without choices"
        return [_failure(exchange, "stream_usage", title, f"usage in chunks {with_usage} of {len(chunks)}")]
    return []


def stream_matches_response(
    streamed: Exchange, plain: Exchange, *, text_of: Callable[[dict[str, Any]], str | None]
) -> list[Failure]:
    """Concatenating each choice's streamed text gives the non-streamed answer to the same request and seed."""
    plain_body = plain.response.json()
    if not isinstance(plain_body, dict):
        return []
    expected = {choice.get("index", 0): text_of(choice) or "" for choice in plain_body.get("choices", [])}
    joined: dict[int, str] = {}
    for chunk in _chunks(streamed):
        for choice in chunk.get("choices") or [] if isinstance(chunk, dict) else []:
            index = choice.get("index", 0)
            joined[index] = joined.get(index, "") + (text_of(choice) or "")
    if joined == expected:
        return []
    title = "streamed text differs from the non-streamed answer"
    return [_failure(streamed, "stream_matches_response", title, f"stream {joined!r} vs plain {expected!r}")]


def usage_arithmetic(exchange: Exchange) -> list[Failure]:
    """`total_tokens` is prompt plus completion tokens, and the completion fits `max_tokens` for every choice asked
    for (`n`, or `best_of` when completions generate more than they return, for each prompt of a batch)."""
    usage = usage_of(exchange)
    if usage is None:
        return []
    if "input_tokens" in usage:
        return _response_usage_arithmetic(exchange, usage)
    prompt, total = _count(usage.get("prompt_tokens")), _count(usage.get("total_tokens"))
    completion = _count(usage.get("completion_tokens", 0))  # embeddings have no completion
    found: list[Failure] = []
    if prompt is not None and total is not None and completion is not None and total != prompt + completion:
        title = "total_tokens is not prompt_tokens + completion_tokens"
        found.append(_failure(exchange, "usage_arithmetic", title, f"{prompt} + {completion} != {total}"))
    budget = _completion_budget(exchange.request.body)
    if budget is not None and completion is not None and completion > budget[0] * budget[1]:
        title = "completion_tokens exceed max_tokens times the choices asked for"
        detail = f"{completion} completion tokens for max_tokens {budget[0]} × {budget[1]} choice(s)"
        found.append(_failure(exchange, "usage_arithmetic", title, detail))
    return found


def prompt_token_count(exchange: Exchange, *, expected: Callable[[str, Any, str], int | None]) -> list[Failure]:
    """When the answer names a model the `expected` oracle knows, `prompt_tokens` is what its encoding counts."""
    usage, answer = usage_of(exchange), exchange.response.json()
    model = answer.get("model") if isinstance(answer, dict) else _stream_model(exchange)
    if usage is None or not isinstance(model, str):
        return []
    wanted = expected(exchange.operation_id, exchange.request.body, model)
    got = usage.get("prompt_tokens")
    if wanted is None or got == wanted:
        return []
    title = "prompt_tokens differ from the count in the model's encoding"
    return [_failure(exchange, "prompt_token_count", title, f"{model}: expected {wanted}, got {got}")]


def _response_usage_arithmetic(exchange: Exchange, usage: dict[str, Any]) -> list[Failure]:
    """The Responses API's usage: total = input + output, cached tokens within the input, reasoning tokens within the
    output, and the output within `max_output_tokens`."""
    found: list[Failure] = []
    given, output, total = (
        _count(usage.get("input_tokens")),
        _count(usage.get("output_tokens")),
        usage.get("total_tokens"),
    )
    if given is None or output is None or total != given + output:
        title = "total_tokens is not input_tokens + output_tokens"
        found.append(_failure(exchange, "usage_arithmetic", title, f"{given} + {output} != {total}"))
        return found
    for details, counted, whole, name in (
        ("input_tokens_details", "cached_tokens", given, "input_tokens"),
        ("output_tokens_details", "reasoning_tokens", output, "output_tokens"),
    ):
        part = _count((usage.get(details) or {}).get(counted))
        if part is None or not 0 <= part <= whole:
            title = f"{details}.{counted} is not a count within {name}"
            found.append(_failure(exchange, "usage_arithmetic", title, f"{part} of {whole}"))
    body = exchange.request.body
    limit = _count(body.get("max_output_tokens")) if isinstance(body, dict) else None
    if limit is not None and output > limit:
        title = "output_tokens exceed max_output_tokens"
        found.append(_failure(exchange, "usage_arithmetic", title, f"{output} output tokens for max {limit}"))
    return found


def usage_of(exchange: Exchange) -> dict[str, Any] | None:
    """The usage of a plain answer, or of the final chunk of a stream that asked for it (for a typed event stream,
    the usage of the response its terminal event carries)."""
    answer = exchange.response.json()
    if exchange.events:
        found = [usage for chunk in _chunks(exchange) if isinstance(chunk, dict) and (usage := _chunk_usage(chunk))]
        answer = {"usage": found[-1]} if found else None
    usage = answer.get("usage") if isinstance(answer, dict) else None
    return usage if isinstance(usage, dict) else None


def _chunk_usage(chunk: dict[str, Any]) -> Any:
    response = chunk.get("response")
    return chunk.get("usage") or (response.get("usage") if isinstance(response, dict) else None)


def _stream_model(exchange: Exchange) -> Any:
    models = [chunk.get("model") for chunk in _chunks(exchange) if isinstance(chunk, dict)]
    return models[-1] if models else None


def _completion_budget(body: Any) -> tuple[int, int] | None:
    """(max_tokens, choices) of a request that sets a limit, choices counting every prompt of a batch."""
    if not isinstance(body, dict):
        return None
    limit = _count(body.get("max_completion_tokens"))
    limit = _count(body.get("max_tokens")) if limit is None else limit
    choices = _count(body.get("best_of")) or _count(body.get("n")) or 1
    return None if limit is None else (limit, choices * _prompt_count(body.get("prompt")))


def _prompt_count(prompt: Any) -> int:
    """Completions answer each prompt of a batch (an array of strings or of token arrays) with its own choices."""
    if isinstance(prompt, list) and prompt and all(isinstance(item, str | list) for item in prompt):
        return len(prompt)
    return 1


def _count(value: Any) -> int | None:
    """A token count as JSON gives it (an integer, never a boolean), or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_sse(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Split an event stream into its `data` payloads, with framing problems as (title, detail) pairs."""
    problems: list[tuple[str, str]] = []
    normalised = text.replace("\r\n", "\n")
    if normalised and not normalised.endswith("\n\n"):
        problems.append(("stream does not end with a blank line", repr(normalised[-40:])))
    events: list[str] = []
    for block in normalised.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        data = [line[5:].removeprefix(" ") for line in lines if line.startswith("data:")]
        if len(data) != len(lines) and not all(_is_sse_field(line) for line in lines):
            problems.append(("event has a line that is not an SSE field", repr(block[:120])))
        if data:
            events.append("\n".join(data))
    return events, _unique_pairs(problems)


def _is_sse_field(line: str) -> bool:
    return line.split(":", 1)[0] in ("data", "event", "id", "retry")


def _chunks(exchange: Exchange) -> list[Any]:
    return [chunk for chunk in (_json_or_none(event) for event in exchange.events if event != "[DONE]") if chunk]


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _schema_failures(
    exchange: Exchange, check: str, registry: SchemaRegistry, schema: str, body: Any, what: str
) -> list[Failure]:
    found = []
    for error in registry.iter_errors(schema, body):
        where = _location(error.absolute_path) or "(root)"
        title = f"{what} violates {schema.split('/')[-1]} at {where}: {error.validator}"
        found.append(_failure(exchange, check, title, error.message[:300]))
    return _unique(found)


def _location(path: Any) -> str:
    # List indices become [*] so one defect in every item is one failure, whichever item an example has.
    return "".join("[*]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _failure(exchange: Exchange, check: str, title: str, message: str) -> Failure:
    return Failure(check, title, message, exchange.request, exchange.response)


def _unique(found: list[Failure]) -> list[Failure]:
    return list({failure.key: failure for failure in found}.values())


def _unique_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list({title: (title, detail) for title, detail in pairs}.values())
