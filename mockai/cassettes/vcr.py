"""Import cassettes written by vcrpy (and pytest-recording): YAML in, mockai cassettes out, no re-recording needed.

vcrpy keeps each body as the client received it: gzip or br bytes (`!!binary`), whole SSE streams as one string,
and credentials in the clear. The import decodes bodies, splits streams into events (vcrpy kept no timings, so every
event is at 0 ms), and redacts exactly as recording does. vcrpy kept no recording time either: `recorded_at` is the
YAML file's modification time, the closest fact there is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from mockai import __version__, errors
from mockai.cassettes.model import Cassette, Interaction, MatchRule, utc_timestamp
from mockai.cassettes.recorder import InteractionRecorder, capture_request
from mockai.cassettes.redaction import Redactor
from mockai.cassettes.storage import CassetteError

RECORDED_WITH = f"vcrpy (imported by mockai {__version__})"


def import_vcr(path: Path, *, redact: Iterable[str] = (), base_url: str | None = None) -> Cassette:
    """The mockai cassette of the vcrpy cassette at `path`.

    `base_url`: the API base the cassette was recorded against, when it was not `https://<host>/v1` (an Azure
    deployment, a proxy); its path is replaced by `/v1`, where clients of mockai send their requests.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CassetteError(errors.vcr_cassette_invalid(str(path), str(exc))) from None
    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        raise CassetteError(errors.vcr_cassette_invalid(str(path), "no 'interactions' list"))
    patterns = tuple(redact)
    recorded_at = utc_timestamp(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    interactions = []
    for index, raw in enumerate(document["interactions"]):
        try:
            interactions.append(_interaction(raw, patterns, base_url, recorded_at))
        except (KeyError, TypeError, ValueError, httpx.DecodingError) as exc:
            detail = f"interaction {index}: {type(exc).__name__}: {exc}"
            raise CassetteError(errors.vcr_cassette_invalid(str(path), detail)) from None
    return Cassette(interactions, patterns)


def _interaction(raw: Mapping[str, Any], patterns: tuple[str, ...], base_url: str | None, at: str) -> Interaction:
    request, response = raw["request"], raw["response"]
    url = urlsplit(str(request["uri"]))
    headers = _headers(request.get("headers"))
    redactor = Redactor.for_request(headers, patterns=patterns)
    captured = capture_request(
        str(request["method"]),
        _path(url.path, base_url),
        url.query,
        headers,
        _bytes(request.get("body")),
        redactor,
        MatchRule(),
    )
    recorder = InteractionRecorder(captured, redactor, recorded_at=at, recorded_with=RECORDED_WITH, clock=lambda: 0.0)
    response_headers = _headers(response.get("headers"))
    recorder.begin(int(response["status"]["code"]), response_headers)
    recorder.add(_decoded(_bytes(response.get("body")), response_headers))
    return recorder.finish()


def _path(path: str, base_url: str | None) -> str:
    if base_url is None:
        return path
    prefix = urlsplit(base_url).path.rstrip("/")
    return "/v1" + path[len(prefix) :] if prefix and path.startswith(prefix) else path


def _headers(raw: Any) -> dict[str, str]:
    """vcrpy keeps each header as a list of values."""
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(name): ", ".join(str(value) for value in values) if isinstance(values, list) else str(values)
        for name, values in raw.items()
    }


def _bytes(body: Any) -> bytes:
    """A vcrpy body: a string, bytes (`!!binary`), `{"string": ...}` (responses), or nothing."""
    if isinstance(body, Mapping):
        body = body.get("string")
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode("utf-8")


def _decoded(content: bytes, headers: Mapping[str, str]) -> bytes:
    """The body without its Content-Encoding (gzip, deflate, br), decoded by httpx's own decoders."""
    encoding = next((value for name, value in headers.items() if name.lower() == "content-encoding"), "")
    if not content or not encoding or encoding.strip().lower() == "identity":
        return content
    return httpx.Response(200, headers={"content-encoding": encoding}, content=content).content
