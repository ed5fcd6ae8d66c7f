"""Who may call: the OpenAI Bearer key on `/v1`, the optional admin token on `/_mockai`."""

from __future__ import annotations

import hmac
from typing import Literal

from starlette.requests import Request
from starlette.types import Scope

from mockai import errors
from mockai.api.services import services

DEFAULT_ORGANIZATION = "user-mockai"
#: The cookie the journal page sets once a browser has shown the admin token (`/_mockai/ui?token=...`).
ADMIN_COOKIE = "mockai_admin_token"
# The cookie stands in for the Bearer header on reads only: a page on another site can make a browser send
# cookies, so nothing that changes the server (rules, faults, reset) is ever allowed on a cookie alone.
_COOKIE_METHODS = frozenset({"GET", "HEAD"})


def authenticate(request: Request, kind: Literal["openai", "admin", "none"]) -> None:
    """Raise the real API's 401 unless the request carries an acceptable key."""
    if kind == "none":
        return
    settings = services(request).settings
    key = bearer_token(request)
    if kind == "admin":
        if not admin_allowed(request):
            raise errors.invalid_admin_token()
        return
    if not key:
        raise errors.missing_api_key()
    if settings.api_keys and key not in settings.api_keys:
        raise errors.invalid_api_key(key)


def admin_allowed(request: Request) -> bool:
    """Whether `request` may use the admin API: no --admin-token, its Bearer header, or (to read) the page cookie."""
    expected = services(request).settings.admin_token
    if expected is None:
        return True
    if is_admin_token(expected, bearer_token(request)):
        return True
    return request.method in _COOKIE_METHODS and is_admin_token(expected, request.cookies.get(ADMIN_COOKIE))


def is_admin_token(expected: str, given: str | None) -> bool:
    """Compare in constant time: the admin token is a password."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; None when absent or malformed."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def organization(request: Request) -> str:
    """The organization that owns what this request creates or reads: the one `RequestMiddleware` found and stamped
    on the response (`organization_in`), found again for a request built around it."""
    found: str | None = request.scope.get("state", {}).get("organization")
    return found if found is not None else organization_in(request.scope)


def organization_in(scope: Scope) -> str:
    """The first non-empty `OpenAI-Organization` header of a request's ASGI scope, or the default organization."""
    for name, value in scope.get("headers", ()):
        if name == b"openai-organization" and value:
            return str(value.decode("latin-1"))
    return DEFAULT_ORGANIZATION
