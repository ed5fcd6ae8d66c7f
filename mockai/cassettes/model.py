"""The cassette document: interactions of a request and its response, as `schemas/mockai/cassette.json` describes.

Keys are written in one fixed order (the order of `to_json`), headers sorted by name, and bodies in their own key
order, so re-recording the same traffic gives the same file and a review diff shows only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mockai.cassettes.bodies import StoredBody, decode_body
from mockai.cassettes.events import StoredEvent, render_stream

FORMAT_VERSION = 1
#: Matched on by default: the method, the path, the query and the normalised body.
MATCH_ON = ("method", "path", "query", "body")
#: Body fields that vary between runs without changing the answer, ignored by default when matching.
DEFAULT_IGNORED = ("metadata", "prompt_cache_key", "safety_identifier", "stream_options", "user")


def utc_timestamp(moment: datetime) -> str:
    """`recorded_at`: ISO 8601 in UTC, to the second.

    >>> utc_timestamp(datetime(2026, 11, 29, 12, 30, tzinfo=UTC))
    '2026-11-29T12:30:00Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class MatchRule:
    """What a recorded request is matched on, and which body fields (paths like `messages[0].name`) are ignored."""

    on: tuple[str, ...] = MATCH_ON
    ignore: tuple[str, ...] = DEFAULT_IGNORED

    def to_json(self) -> dict[str, Any]:
        return {"on": list(self.on), "ignore": list(self.ignore)}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> MatchRule:
        if raw is None:
            return cls()
        return cls(tuple(raw.get("on", MATCH_ON)), tuple(raw.get("ignore", DEFAULT_IGNORED)))


@dataclass(frozen=True)
class CassetteRequest:
    """A request as recorded (already redacted)."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: StoredBody | None = None
    match: MatchRule = field(default_factory=MatchRule)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "match": self.match.to_json(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CassetteRequest:
        return cls(
            raw["method"],
            raw["path"],
            raw.get("query", ""),
            dict(raw.get("headers", {})),
            raw.get("body"),
            MatchRule.from_json(raw.get("match")),
        )


@dataclass(frozen=True)
class CassetteResponse:
    """A response as recorded: a whole `body`, or the `events` of a stream (with their times)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: StoredBody | None = None
    events: tuple[StoredEvent, ...] | None = None
    latency_ms: float = 0.0  # from the request to the response headers

    @property
    def streamed(self) -> bool:
        return self.events is not None

    def content(self) -> bytes:
        """The body bytes exactly as recorded (a stream's events rendered back to back)."""
        return render_stream(self.events) if self.events is not None else decode_body(self.body)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "headers": self.headers, "latency_ms": self.latency_ms}
        if self.events is not None:
            out["events"] = list(self.events)
        else:
            out["body"] = self.body
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CassetteResponse:
        events = raw.get("events")
        return cls(
            int(raw["status"]),
            dict(raw.get("headers", {})),
            raw.get("body"),
            tuple(events) if events is not None else None,
            float(raw.get("latency_ms", 0.0)),
        )


@dataclass(frozen=True)
class Interaction:
    """One request and the response it got, with when and by what it was recorded."""

    request: CassetteRequest
    response: CassetteResponse
    recorded_at: str  # ISO 8601, UTC, wall time: a fact about the recording, not world time
    recorded_with: str  # "mockai 0.1.0", or "vcrpy (imported by mockai 0.1.0)"

    def to_json(self) -> dict[str, Any]:
        return {
            "recorded_at": self.recorded_at,
            "recorded_with": self.recorded_with,
            "request": self.request.to_json(),
            "response": self.response.to_json(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Interaction:
        return cls(
            CassetteRequest.from_json(raw["request"]),
            CassetteResponse.from_json(raw["response"]),
            str(raw["recorded_at"]),
            str(raw["recorded_with"]),
        )


@dataclass
class Cassette:
    """A list of interactions, and the body patterns they were redacted with (replayed requests are redacted alike,
    so they still match)."""

    interactions: list[Interaction] = field(default_factory=list)
    redact: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "mockai_cassette": FORMAT_VERSION,
            "redact": list(self.redact),
            "interactions": [interaction.to_json() for interaction in self.interactions],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Cassette:
        return cls([Interaction.from_json(item) for item in raw["interactions"]], tuple(raw.get("redact", ())))
