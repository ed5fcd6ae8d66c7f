"""Run the contract checks against any OpenAI-compatible server over HTTP and collect a `ContractReport`.

Only HTTP: this module never imports `mockai.api`, so it checks a proxy or a self-hosted server exactly as it checks
mockai. Operations that store or cancel things (files, fine-tunes) run only against mockai (detected through
`GET /_mockai/health`) or with `allow_writes`. Each operation gets hypothesis-generated valid requests (2xx, body
and every SSE chunk validate, stream invariants hold) and invalid ones (400 envelope naming the parameter).
A failure is recorded once per (check, title), keeping the smallest request that showed it, so hypothesis's
shrinking only ever improves the example.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from mockai.contract import checks, event_checks, forms, samples, strategies
from mockai.contract.checks import Exchange, Failure, RecordedRequest, RecordedResponse
from mockai.contract.operations import Operation, select
from mockai.contract.prompt_tokens import expected_prompt_tokens
from mockai.contract.registry import SchemaRegistry, default_registry
from mockai.contract.report import ContractReport, OperationResult

_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_MISSING_ID = "mockai-contract-missing-0000"
_UPLOAD_PART = b"contract upload part"
# A fresh fine-tuning job runs within seconds of world time on mockai; step the clock until it does.
_CLOCK_STEP_SECONDS = 5.0
_MAX_CLOCK_STEPS = 12
_WRITE_REFUSAL = "writes to a server that is not mockai (pass --allow-writes)"


def run_contract(
    base_url: str,
    *,
    api_key: str = "sk-mockai-contract",
    endpoints: str | None = None,
    max_examples: int = 25,
    seed: int = 0,
    allow_writes: bool = False,
    registry: SchemaRegistry | None = None,
    transport: httpx.BaseTransport | None = None,
) -> ContractReport:
    """Check the server at `base_url` (ending in `/v1`) against the documented contract.

    >>> report = run_contract("http://127.0.0.1:8000/v1", endpoints="models")  # doctest: +SKIP
    >>> report.ok  # doctest: +SKIP
    True
    """
    if max_examples < 1:
        raise ValueError(f"{max_examples=} must be positive")
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"{base_url=} must be an http(s) URL such as http://127.0.0.1:8000/v1")
    operations = select(endpoints)
    headers = {"Authorization": f"Bearer {api_key}"}
    base = base_url.rstrip("/")
    with httpx.Client(base_url=base, headers=headers, timeout=_TIMEOUT, transport=transport) as http:
        is_mock = _is_mockai(http, base)
        report = ContractReport(base, target="mockai" if is_mock else "other", seed=seed)
        report.warnings.extend(_base_url_warnings(http, base))
        session = _Session(http, registry or default_registry(), max_examples, seed, is_mock, allow_writes or is_mock)
        for operation in operations:
            report.results.append(session.run(operation))
    return report


def _root(base: str) -> str:
    return base.rstrip("/").removesuffix("/v1")


def _is_mockai(http: httpx.Client, base: str) -> bool:
    try:
        answer = http.get(f"{_root(base)}/_mockai/health")
        return answer.status_code == 200 and answer.json().get("mockai") is True
    except httpx.ConnectError:
        raise  # nobody listens there: no point checking thirty operations one refusal at a time
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def _base_url_warnings(http: httpx.Client, base: str) -> list[str]:
    """A base URL without `/v1` whose models listing is a 404 is almost always a typo: every check would skip."""
    if base.endswith("/v1"):
        return []
    try:
        status = http.get(f"{base}/models").status_code
    except httpx.HTTPError:
        return []
    if status != 404:
        return []
    return [f"{base} does not end in /v1 and GET {base}/models answered 404; did you mean --base-url {base}/v1?"]


class _NotImplementedHere(Exception):
    """The server has no route for the operation (404 `Invalid URL`, or a 404 that is not an OpenAI envelope)."""


class _Violation(Exception):
    """Raised inside a hypothesis example that broke the contract, so hypothesis shrinks it."""


class _Tally:
    """Counts checks for one operation and keeps the smallest example of each distinct failure."""

    def __init__(self, result: OperationResult) -> None:
        self.result = result
        self._failures: dict[tuple[str, str], Failure] = {}

    def record(self, found: list[Failure]) -> bool:
        self.result.checks_run += 1
        self.result.checks_passed += not found
        for failure in found:
            known = self._failures.get(failure.key)
            if known is None or _size(failure) < _size(known):
                self._failures[failure.key] = failure
        return bool(found)

    def finish(self) -> OperationResult:
        self.result.failures = list(self._failures.values())
        return self.result


def _size(failure: Failure) -> int:
    return failure.request.size() if failure.request is not None else 0


class _Session:
    """One run's shared state: the client, settings, and resources made or found along the way."""

    def __init__(
        self,
        http: httpx.Client,
        registry: SchemaRegistry,
        max_examples: int,
        seed: int,
        is_mock: bool,
        writes: bool,
    ) -> None:
        self.http, self.registry, self.max_examples, self.seed = http, registry, max_examples, seed
        self.is_mock, self.writes = is_mock, writes
        self._resources: dict[str, str | None] = {}

    def run(self, operation: Operation) -> OperationResult:
        tally = _Tally(OperationResult(operation.operation_id, operation.family))
        if operation.writes and not self.writes:
            tally.result.skipped = _WRITE_REFUSAL
            return tally.finish()
        try:
            if operation.request_schema is None:
                self._check_fixed(operation, tally)
            elif (path := self._filled_path(operation, tally)) is not None:
                self._probe(operation, path)
                self._explore_valid(operation, path, tally)
                self._explore_invalid(operation, path, tally)
        except _NotImplementedHere as reason:
            tally.result.skipped = str(reason)
        return tally.finish()

    # -- generated requests ------------------------------------------------------------------------------------

    def _probe(self, operation: Operation, path: str) -> None:
        _raise_if_unrouted(self._send(operation, path, {}))

    def _explore_valid(self, operation: Operation, path: str, tally: _Tally) -> None:
        for probe in samples.usage_probes(operation.operation_id):
            plain = self._send(operation, path, probe)
            self._check_success(operation, plain, tally)
            if operation.events:
                self._check_typed_stream(operation, path, probe, plain, tally)
        bodies = strategies.requests(operation.operation_id, registry=self.registry)

        def example(drawn: tuple[dict[str, Any], bool]) -> bool:
            body, include_usage = drawn
            # An example that writes into a resource gets a fresh one, so examples never see each other's items.
            target = (
                (self._filled_path(operation, tally) or path) if operation.writes and "{" in operation.path else path
            )
            target, body = self._prepared(operation, target, body)
            plain = self._send(operation, target, body)
            broke = self._check_success(operation, plain, tally)
            if operation.streams:
                if operation.events:
                    broke |= self._check_typed_stream(operation, target, body, plain, tally)
                else:
                    broke |= self._check_stream(operation, target, body, include_usage, plain, tally)
            return broke

        self._explore(st.tuples(bodies, st.booleans()), example)

    def _explore_invalid(self, operation: Operation, path: str, tally: _Tally) -> None:
        broken = strategies.invalid_requests(operation.operation_id, registry=self.registry)

        def example(invalid: strategies.InvalidRequest) -> bool:
            # The training-file placeholder stays: the schema violation must be refused before any file lookup.
            exchange = self._send(operation, path, invalid.body)
            broke = tally.record(checks.status_code_conformance(exchange, expected=400))
            found = checks.error_envelope_conformance(exchange, self.registry, expected_param=invalid.param)
            return tally.record(found) or broke

        self._explore(broken, example)

    def _explore(self, strategy: st.SearchStrategy[Any], example: Callable[[Any], bool]) -> None:
        @settings(
            max_examples=self.max_examples,
            deadline=None,
            database=None,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            print_blob=False,
        )
        @hypothesis_seed(self.seed)
        @given(strategy)
        def contract_holds(value: Any) -> None:
            if example(value):
                raise _Violation

        # Every failure is already in the tally, with its smallest example; hypothesis's own report adds nothing.
        with contextlib.suppress(_Violation, Flaky):
            contract_holds()

    def _check_success(self, operation: Operation, exchange: Exchange, tally: _Tally) -> bool:
        broke = tally.record(checks.status_code_conformance(exchange, expected="2xx"))
        if exchange.response.status >= 400:
            return tally.record(checks.error_envelope_conformance(exchange, self.registry)) or broke
        schema = operation.response_schema
        if schema is None:
            return broke  # raw bytes (a file's content, audio): nothing to validate but the status
        broke |= tally.record(checks.response_schema_conformance(exchange, self.registry, schema))
        return self._check_usage(exchange, tally) or broke

    def _check_usage(self, exchange: Exchange, tally: _Tally) -> bool:
        """Usage arithmetic and, for a model tiktoken knows, the prompt count: only where a usage was sent."""
        if checks.usage_of(exchange) is None:
            return False
        broke = tally.record(checks.usage_arithmetic(exchange))
        return tally.record(checks.prompt_token_count(exchange, expected=expected_prompt_tokens)) or broke

    def _check_stream(
        self,
        operation: Operation,
        path: str,
        body: dict[str, Any],
        include_usage: bool,
        plain: Exchange,
        tally: _Tally,
    ) -> bool:
        streamed_body = {**body, "stream": True}
        if include_usage:
            streamed_body["stream_options"] = {"include_usage": True}
        streamed = self._send(operation, path, streamed_body, stream=True)
        broke = tally.record(checks.status_code_conformance(streamed, expected="2xx"))
        if streamed.response.status >= 400:
            return broke
        broke |= tally.record(checks.sse_framing(streamed))
        broke |= tally.record(checks.chunk_schema_conformance(streamed, self.registry, operation.chunk_schema or ""))
        broke |= tally.record(checks.stream_invariants(streamed))
        broke |= tally.record(checks.stream_usage(streamed, include_usage=include_usage))
        broke |= self._check_usage(streamed, tally)
        if self.is_mock and plain.response.status < 300:
            # Only mockai promises the same answer at the same seed; a real model is free to differ.
            broke |= tally.record(checks.stream_matches_response(streamed, plain, text_of=_choice_text))
        return broke

    def _check_typed_stream(
        self, operation: Operation, path: str, body: dict[str, Any], plain: Exchange, tally: _Tally
    ) -> bool:
        """The Responses stream of `body`: framing, every event against the event schema, sequence numbers, event
        order, the deltas joining to the final text, usage, and (mockai only) the same text as the plain answer."""
        streamed = self._send(operation, path, {**body, "stream": True}, stream=True)
        broke = tally.record(checks.status_code_conformance(streamed, expected="2xx"))
        if streamed.response.status >= 400:
            return broke
        broke |= tally.record(event_checks.typed_event_framing(streamed))
        broke |= tally.record(checks.chunk_schema_conformance(streamed, self.registry, operation.chunk_schema or ""))
        broke |= tally.record(event_checks.sequence_numbers(streamed))
        broke |= tally.record(event_checks.event_order(streamed))
        broke |= tally.record(event_checks.streamed_text_joins(streamed))
        broke |= self._check_usage(streamed, tally)
        if self.is_mock and plain.response.status < 300:
            broke |= tally.record(event_checks.stream_matches_response(streamed, plain))
        return broke

    # -- fixed requests (no body) ------------------------------------------------------------------------------

    def _check_fixed(self, operation: Operation, tally: _Tally) -> None:
        names = _path_names(operation.path)
        if names:
            self._check_missing_resource(operation, names, tally)
        if operation.operation_id == "deleteModel":
            return  # deleting a real model is destructive: only the refusal for a missing one is checked
        values = self._path_values(operation, tally)
        if values is None or not self._ready(operation, values, tally):
            return
        exchange = self._send(operation, operation.path.format(**values), None)
        _raise_if_unrouted(exchange)
        self._check_success(operation, exchange, tally)
        if operation.streams and self.writes:
            self._check_event_stream(operation, tally)

    def _check_event_stream(self, operation: Operation, tally: _Tally) -> None:
        """`?stream=true` on a cancelled job: its events as SSE, ending at once with `[DONE]` (the job is over)."""
        job = self._resource("fine_tune_id", fresh=True)
        if job is None:
            return
        self.http.post(f"/fine-tunes/{job}/cancel")
        streamed = self._send(operation, operation.path.format(fine_tune_id=job) + "?stream=true", None, stream=True)
        if tally.record(checks.status_code_conformance(streamed, expected="2xx")):
            return
        tally.record(checks.sse_framing(streamed))
        tally.record(checks.chunk_schema_conformance(streamed, self.registry, operation.chunk_schema or ""))

    def _check_missing_resource(self, operation: Operation, names: list[str], tally: _Tally) -> None:
        path = operation.path.format(**{name: _MISSING_ID for name in names})
        exchange = self._send(operation, path, None)
        _raise_if_unrouted(exchange)
        tally.record(checks.status_code_conformance(exchange, expected=404))
        tally.record(checks.error_envelope_conformance(exchange, self.registry))

    def _filled_path(self, operation: Operation, tally: _Tally) -> str | None:
        """The operation's path with real ids in it; None (and the operation skipped) when there are none to use."""
        values = self._path_values(operation, tally)
        return None if values is None else operation.path.format(**values)

    def _path_values(self, operation: Operation, tally: _Tally) -> dict[str, str] | None:
        """Real ids for the operation's path parameters; None (and the operation skipped) when there are none."""
        names = _path_names(operation.path)
        if "item_id" in names:
            # An item is only found through its own conversation, so the two ids are made (or found) together.
            pair = self._conversation_item(fresh=operation.writes)
            values = dict(zip(("conversation_id", "item_id"), pair or (None, None), strict=True))
        else:
            values = {name: self._resource(name, fresh=operation.writes) for name in names}
        absent = [name for name, value in values.items() if value is None]
        if absent:
            tally.result.skipped = f"no {absent[0]} to use (none listed{'' if self.writes else '; writes are off'})"
            return None
        return {name: str(value) for name, value in values.items()}

    def _ready(self, operation: Operation, values: dict[str, str], tally: _Tally) -> bool:
        """Bring a fresh fine-tuning job to the state pausing (running) or resuming (paused) needs. Only mockai's
        clock can be moved; a real job takes minutes to start, and the kit never waits on wall time."""
        if operation.operation_id not in ("pauseFineTuningJob", "resumeFineTuningJob"):
            return True
        job = values["fine_tuning_job_id"]
        if not self.is_mock:
            tally.result.skipped = "needs a running fine-tuning job, which only mockai's clock can start at once"
            return False
        for _ in range(_MAX_CLOCK_STEPS):
            if self.http.get(f"/fine_tuning/jobs/{job}").json().get("status") == "running":
                break
            self._advance(_CLOCK_STEP_SECONDS)
        if operation.operation_id == "resumeFineTuningJob":
            self.http.post(f"/fine_tuning/jobs/{job}/pause")
        return True

    def _advance(self, seconds: float) -> None:
        self.http.post(f"{_root(str(self.http.base_url))}/_mockai/clock/advance", json={"seconds": seconds})

    def _conversation_item(self, *, fresh: bool) -> tuple[str, str] | None:
        """A conversation holding one item, and that item's id (made: conversations cannot be listed)."""
        conversation = self._resource("conversation_id", fresh=fresh)
        if conversation is None:
            return None
        answer = self.http.get(f"/conversations/{conversation}/items")
        try:
            first = answer.json()["data"][0]["id"] if answer.status_code < 300 else None
        except (ValueError, KeyError, TypeError, IndexError):
            first = None
        return (conversation, str(first)) if first is not None else None

    def _resource(self, name: str, *, fresh: bool) -> str | None:
        """An id for path parameter `name`: made for the purpose when writing is allowed, else the first listed."""
        if fresh:
            return self._make(name)
        if name not in self._resources:
            self._resources[name] = self._make(name) if self.writes else self._first_listed(name)
        return self._resources[name]

    def _make(self, name: str) -> str | None:
        if name in ("model", "engine_id"):
            return self._first_listed(name)
        if name == "file_id":
            return self._upload(chat=True)
        if name == "fine_tune_id":
            return self._created("/fine-tunes", {"training_file": self._upload(chat=False), "model": "curie"})
        if name == "fine_tuning_job_id":
            job = {"training_file": self._upload(chat=True), "model": "gpt-3.5-turbo"}
            return self._created("/fine_tuning/jobs", job)
        if name == "completion_id":
            chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "store": True}
            return self._created("/chat/completions", {**chat, "max_tokens": 5})
        if name == "upload_id":
            return self._new_upload(size=len(_UPLOAD_PART))
        if name == "batch_id":
            return self._created("/batches", self._batch_request())
        if name == "response_id":
            # In the background, so the one made for `cancelResponse` can be cancelled (a stored response either way).
            return self._created("/responses", {"model": "gpt-4o-mini", "input": "Hello", "background": True})
        if name == "conversation_id":
            return self._created("/conversations", {"items": [{"role": "user", "content": "Hello"}]})
        return None

    def _first_listed(self, name: str) -> str | None:
        listing = {
            "model": "/models",
            "engine_id": "/engines",
            "file_id": "/files",
            "fine_tune_id": "/fine-tunes",
            "fine_tuning_job_id": "/fine_tuning/jobs",
            "completion_id": "/chat/completions",
            "batch_id": "/batches",
        }.get(name)
        if listing is None:
            return None  # conversations and uploads have no list operation: only a run that may write checks them
        answer = self.http.get(listing)
        try:
            data = answer.json()["data"]
            return str(data[0]["id"]) if data else None
        except (ValueError, KeyError, TypeError, IndexError):
            return None

    def _upload(self, *, chat: bool, batch: bool = False) -> str | None:
        content = samples.batch_jsonl() if batch else samples.training_jsonl(chat=chat)
        files = {"file": ("contract.jsonl", content, "application/jsonl")}
        file_id = self._created("/files", None, data={"purpose": "batch" if batch else "fine-tune"}, files=files)
        if file_id is not None and self.is_mock:
            # mockai processes uploads on its world clock, which tests freeze; move it on so the file is usable.
            self._advance(60)
        return file_id

    def _batch_request(self) -> dict[str, Any]:
        file_id = self._upload(chat=True, batch=True) or "file-upload-failed"
        return {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}

    def _new_upload(self, *, size: int) -> str | None:
        upload = {"filename": "contract.txt", "purpose": "assistants", "bytes": size, "mime_type": "text/plain"}
        return self._created("/uploads", upload)

    def _upload_with_part(self) -> tuple[str, str]:
        """A fresh upload holding one part of exactly its size: ready to complete."""
        upload = self._new_upload(size=len(_UPLOAD_PART)) or "upload-failed"
        files = {"data": ("part.bin", _UPLOAD_PART, "application/octet-stream")}
        return upload, self._created(f"/uploads/{upload}/parts", None, files=files) or "part-failed"

    def _created(self, path: str, body: dict[str, Any] | None, **form: Any) -> str | None:
        answer = self.http.post(path, json=body) if body is not None else self.http.post(path, **form)
        try:
            return str(answer.json()["id"]) if answer.status_code < 300 else None
        except (ValueError, KeyError, TypeError):
            return None

    def _prepared(self, operation: Operation, path: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The path and body to send: placeholders the schema cannot know swapped for real values (an uploaded
        training or batch file, an upload's part, items a conversation can store)."""
        if operation.operation_id in ("createFineTune", "createFineTuningJob"):
            legacy = operation.operation_id == "createFineTune"
            return path, {**body, "training_file": self._upload(chat=not legacy) or "file-upload-failed"}
        if operation.operation_id == "createBatch":
            return path, {**body, "input_file_id": self._batch_request()["input_file_id"]}
        if operation.operation_id == "completeUpload":
            upload, part = self._upload_with_part()
            return operation.path.format(upload_id=upload), {**body, "part_ids": [part]}
        if operation.family == "conversations" and isinstance(body.get("items"), list):
            return path, {**body, "items": self._storable_items(body["items"])}
        return path, body

    def _storable_items(self, items: list[Any]) -> list[Any]:
        """Items a conversation can store, which the schema cannot say: ids unique within the request, and item
        references naming an item that exists (one reference per request, to one item this run made)."""
        storable: list[Any] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            if isinstance(item, dict) and _is_item_reference(item):
                known = self._conversation_item(fresh=False)
                if known is not None and known[1] in seen:
                    continue
                item = {**item, "id": known[1]} if known is not None else item
            given = item.get("id") if isinstance(item, dict) else None
            if isinstance(given, str) and given:
                if given in seen:
                    item = {**item, "id": f"{given}-{index}"}
                seen.add(str(item["id"]))
            storable.append(item)
        return storable

    # -- HTTP --------------------------------------------------------------------------------------------------

    def _send(self, operation: Operation, path: str, body: Any, *, stream: bool = False) -> Exchange:
        url = str(self.http.base_url).rstrip("/") + path
        recorded_body = forms.summary(operation, body) if operation.body == "multipart" else body
        request = RecordedRequest(operation.method, url, recorded_body)
        try:
            with self._request(operation, path, body) as answer:
                text = answer.read().decode("utf-8", errors="replace")
            response = RecordedResponse(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, text)
        except httpx.TransportError as exc:
            # A dropped connection or a timeout is one example's failure (status 0), not the end of the run.
            response = RecordedResponse(0, {}, f"{type(exc).__name__}: {exc}")
            text = ""
        events = checks.parse_sse(text)[0] if stream else []
        return Exchange(operation.operation_id, request, response, events)

    @contextlib.contextmanager
    def _request(self, operation: Operation, path: str, body: Any) -> Iterator[httpx.Response]:
        options: dict[str, Any] = {}
        if operation.body == "json" and body is not None:
            options["json"] = body
        elif operation.body == "multipart" and body is not None:
            options["content"], content_type = forms.encode(operation, body)
            options["headers"] = {"Content-Type": content_type}
        with self.http.stream(operation.method, path, **options) as answer:
            yield answer


def _raise_if_unrouted(exchange: Exchange) -> None:
    if exchange.response.status != 404:
        return
    body = exchange.response.json()
    message = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
    if not isinstance(message, str) or not message or message.startswith("Invalid URL"):
        raise _NotImplementedHere("not implemented: 404")


def _is_item_reference(item: dict[str, Any]) -> bool:
    # `{"id": "msg_..."}` is a reference too: its `type` may be left out, and only a message has a `role`.
    return item.get("type") == "item_reference" or (item.get("type") is None and "role" not in item)


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _choice_text(choice: dict[str, Any]) -> str | None:
    holder = choice.get("message") or choice.get("delta")
    if isinstance(holder, dict):
        content = holder.get("content")
        return content if isinstance(content, str) else None
    text = choice.get("text")
    return text if isinstance(text, str) else None
