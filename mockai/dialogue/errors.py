"""The context dialogue's error codes, in one table, and the exception that carries them to the reply envelope.

The dialogue speaks its own envelope (`{"code", "msg", "data"}`), not OpenAI's, so its errors live here rather than
in `mockai/errors.py`. The README's "Context dialogue" section documents this table; a test holds them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Code(IntEnum):
    """Every `code` the dialogue replies with; 1xxx: the request, 2xxx: the chat backend."""

    OK = 0
    INVALID_BODY = 1001  # the body is not a JSON object
    UNSUPPORTED_VERSION = 1002  # `version` missing or not one this server speaks
    INVALID_FIELD = 1003  # a field missing, empty, of the wrong type, too long, or unknown
    QUESTION_TOO_LONG = 1004  # the question alone does not fit the model's context window
    QUESTION_ID_CONFLICT = 1005  # a question_id already answered, reused for a different question
    BODY_TOO_LARGE = 1006  # the body is larger than the server accepts
    METHOD_NOT_ALLOWED = 1007  # an /app/v1 path asked with a method it does not serve
    UPSTREAM_UNREACHABLE = 2001  # the chat backend could not be reached or timed out
    UPSTREAM_ERROR = 2002  # the chat backend answered with an error
    UPSTREAM_RATE_LIMITED = 2003  # the chat backend answered 429
    UPSTREAM_BAD_REPLY = 2004  # the chat backend's reply could not be understood or was cut off
    MODEL_UNAVAILABLE = 2005  # the dialogue model is unknown, not a chat model, or too small for the reply budget


HTTP_STATUS: dict[Code, int] = {
    Code.OK: 200,
    Code.INVALID_BODY: 400,
    Code.UNSUPPORTED_VERSION: 400,
    Code.INVALID_FIELD: 400,
    Code.QUESTION_TOO_LONG: 400,
    Code.QUESTION_ID_CONFLICT: 409,
    Code.BODY_TOO_LARGE: 413,
    Code.METHOD_NOT_ALLOWED: 405,
    Code.UPSTREAM_UNREACHABLE: 502,
    Code.UPSTREAM_ERROR: 502,
    Code.UPSTREAM_RATE_LIMITED: 429,
    Code.UPSTREAM_BAD_REPLY: 502,
    Code.MODEL_UNAVAILABLE: 503,
}

SUPPORTED_VERSIONS = ("1.0.0",)


@dataclass
class DialogueError(Exception):
    """A failed dialogue request: its code, a message for people, and headers to pass on (`retry-after`).

    >>> err = unsupported_version("2.0")
    >>> err.status, err.envelope()["code"]
    (400, 1002)
    """

    code: Code
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]

    def envelope(self) -> dict[str, Any]:
        return {"code": int(self.code), "msg": self.message, "data": None}


def method_not_allowed(method: str, path: str, allowed: list[str]) -> DialogueError:
    return DialogueError(
        Code.METHOD_NOT_ALLOWED,
        f"{method} is not served at {path}; use {' or '.join(allowed)}.",
        {"allow": ", ".join(allowed)},
    )


def invalid_body(detail: str) -> DialogueError:
    return DialogueError(Code.INVALID_BODY, f"The request body must be a JSON object: {detail}.")


def body_too_large(limit: int) -> DialogueError:
    return DialogueError(Code.BODY_TOO_LARGE, f"The request body is larger than {limit} bytes.")


def unsupported_version(got: object) -> DialogueError:
    supported = ", ".join(repr(version) for version in SUPPORTED_VERSIONS)
    return DialogueError(Code.UNSUPPORTED_VERSION, f"Unsupported version {got!r}; this server speaks {supported}.")


def invalid_field(name: str, detail: str) -> DialogueError:
    return DialogueError(Code.INVALID_FIELD, f"Invalid field '{name}': {detail}.")


def question_too_long(question_tokens: int, available: int, context_window: int, reply_tokens: int) -> DialogueError:
    return DialogueError(
        Code.QUESTION_TOO_LONG,
        f"The question needs {question_tokens} prompt tokens, but only {available} fit: the model's context window "
        f"is {context_window} tokens and {reply_tokens} are kept for the answer. Please shorten the question.",
    )


def question_id_conflict(question_id: str) -> DialogueError:
    return DialogueError(
        Code.QUESTION_ID_CONFLICT,
        f"question_id {question_id!r} was already answered for a different question; use a new question_id.",
    )


def upstream_unreachable(detail: str) -> DialogueError:
    return DialogueError(Code.UPSTREAM_UNREACHABLE, f"The chat backend could not be reached: {detail}.")


def upstream_error(status: int, detail: str) -> DialogueError:
    return DialogueError(Code.UPSTREAM_ERROR, f"The chat backend answered HTTP {status}: {detail}")


def upstream_rate_limited(detail: str, retry_after: str | None) -> DialogueError:
    headers = {"retry-after": retry_after} if retry_after else {}
    return DialogueError(Code.UPSTREAM_RATE_LIMITED, f"The chat backend is rate limiting us: {detail}", headers)


def upstream_bad_reply(detail: str) -> DialogueError:
    return DialogueError(Code.UPSTREAM_BAD_REPLY, f"The chat backend's reply could not be used: {detail}.")


def model_unavailable(model: str, reason: str) -> DialogueError:
    return DialogueError(Code.MODEL_UNAVAILABLE, f"The dialogue model {model!r} cannot be used: {reason}.")
