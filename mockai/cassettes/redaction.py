"""What never reaches a cassette: credentials in headers and query strings, the keys themselves wherever they appear,
and whatever body patterns a user adds.

Header values are replaced with `REDACTED` (the header stays, so a reader sees it was sent). The literal values of
those credentials (the API key of `Authorization: Bearer sk-...`, an `api-key`, a cookie) are then scrubbed from
every stored string as well, so a key echoed back in an error message or a URL is gone too.

>>> redactor = Redactor.for_request({"Authorization": "Bearer sk-live-1234567890"}, patterns=[r"\\d{3}-\\d{4}"])
>>> redactor.headers({"Authorization": "Bearer sk-live-1234567890", "X-Trace": "t-1"})
{'authorization': 'REDACTED', 'x-trace': 't-1'}
>>> redactor.text("key sk-live-1234567890, call 555-0100")
'key REDACTED, call REDACTED'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

REDACTED = "REDACTED"
#: Request headers that carry credentials or identify an account.
SECRET_REQUEST_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie"}
)
#: Response headers that do.
SECRET_RESPONSE_HEADERS = frozenset({"set-cookie", "openai-organization", "openai-project"})
#: Query parameters that carry keys (Azure-style and generic).
SECRET_QUERY_PARAMETERS = frozenset({"api-key", "api_key", "apikey", "key", "access_token", "token"})
_MIN_SECRET_LENGTH = 8  # shorter values ("Bearer", "1") would scrub ordinary words


def is_secret_header(name: str, *, response: bool = False) -> bool:
    lowered = name.lower()
    named = SECRET_RESPONSE_HEADERS if response else SECRET_REQUEST_HEADERS
    return lowered in named or "api-key" in lowered or "api_key" in lowered


@dataclass(frozen=True)
class Redactor:
    """Redaction for one request and its response: the secret values it carried, and the body patterns in force."""

    secrets: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def for_request(
        cls, headers: Mapping[str, str], *, patterns: Iterable[str] = (), extra_secrets: Iterable[str | None] = ()
    ) -> Redactor:
        """`extra_secrets`: values sent upstream that the client never saw (a recording key)."""
        values: set[str] = {value for value in extra_secrets if value}
        for name, value in headers.items():
            if is_secret_header(name):
                values.add(value)
                values.update(value.replace(";", " ").replace("=", " ").split())  # "Bearer sk-..." and cookies
        kept = sorted((value for value in values if len(value) >= _MIN_SECRET_LENGTH), key=len, reverse=True)
        return cls(tuple(kept), compile_patterns(patterns))

    def headers(self, headers: Mapping[str, str], *, response: bool = False) -> dict[str, str]:
        """Lower-cased, sorted headers with credentials replaced and secret values scrubbed."""
        return {
            name.lower(): REDACTED if is_secret_header(name, response=response) else self.text(value)
            for name, value in sorted(headers.items(), key=lambda item: item[0].lower())
        }

    def query(self, query: str) -> str:
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(name.lower() in SECRET_QUERY_PARAMETERS for name, _ in pairs):
            return self.text(query)
        kept = [(name, REDACTED if name.lower() in SECRET_QUERY_PARAMETERS else value) for name, value in pairs]
        return self.text(urlencode(kept))

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in self.patterns:
            text = pattern.sub(REDACTED, text)
        return text

    def value(self, value: Any) -> Any:
        """Every string inside a JSON value (keys included) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        return value

    @property
    def active(self) -> bool:
        return bool(self.secrets or self.patterns)


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """Compile body patterns, refusing a bad one with its own error (`ValueError`, naming the pattern)."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ValueError(f"invalid redaction pattern {pattern!r}: {exc}") from None
    return tuple(compiled)
