"""Who may call: the OpenAI Bearer key on `/v1`, the optional admin token on `/_mockai`."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

from mockai import errors
from mockai.api.services import services

DEFAULT_ORGANIZATION = "user-mockai"


def authenticate(request: Request, kind: Literal["openai", "admin", "none"]) -> None:
    """Raise the real API's 401 unless the request carries an acceptable key."""
    if kind == "none":
        return
    settings = services(request).settings
    key = bearer_token(request)
    if kind == "admin":
        if settings.admin_token is not None and key != settings.admin_token:
            raise errors.invalid_admin_token()
        return
    if not key:
        raise errors.missing_api_key()
    if settings.api_keys and key not in settings.api_keys:
        raise errors.invalid_api_key(key)


def bearer_token(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; None when absent or malformed."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def organization(request: Request) -> str:
    """The organization that owns what this request creates or reads (`OpenAI-Organization`, or a default)."""
    return request.headers.get("openai-organization") or DEFAULT_ORGANIZATION
