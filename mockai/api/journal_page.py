"""`GET /_mockai/ui`: the request journal in a browser, served from files shipped in the package (no CDN, offline).

The page is static HTML, CSS and vanilla JavaScript (`mockai/api/static/`); its script polls
`/_mockai/requests?redact=true&after=N` and builds every row from text nodes, so a hostile body is shown, never run
(a strict Content-Security-Policy forbids inline script besides). With `--admin-token`, a browser shows the token
once, as `/_mockai/ui?token=...` or through the sign-in form: the server answers with an HttpOnly, SameSite=Strict
cookie and a redirect to the bare address, and the cookie then stands in for the Bearer header on admin reads.
"""

from __future__ import annotations

import functools
from importlib import resources

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mockai import errors
from mockai.api.auth import ADMIN_COOKIE, admin_allowed, is_admin_token
from mockai.api.services import services

# Served by this route, the favicon included: a browser asking /favicon.ico would land in the journal as a 404.
ASSETS = {"journal.js": "text/javascript", "journal.css": "text/css", "favicon.svg": "image/svg+xml"}
# Scripts and styles from this server only, fetches to it only: nothing inline, nothing from elsewhere.
_PAGE_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
_WRONG_TOKEN = '<p class="notice" role="alert">That is not the admin token of this server.</p>'


async def show_journal(request: Request, _: None) -> Response:
    """The journal page; the sign-in form instead while --admin-token is set and not yet shown."""
    expected = services(request).settings.admin_token
    given = request.query_params.get("token")
    if expected is not None and given is not None:
        if not is_admin_token(expected, given):
            return _page("signin.html", status=401, notice=_WRONG_TOKEN)
        # Relative to /_mockai/ui: the bare page, so the token leaves the address bar.
        signed_in = RedirectResponse("ui", status_code=303, headers=_PAGE_HEADERS)
        signed_in.set_cookie(ADMIN_COOKIE, given, path="/_mockai", httponly=True, samesite="strict")
        return signed_in
    if not admin_allowed(request):
        return _page("signin.html", status=401)
    return _page("journal.html")


async def journal_asset(request: Request, _: None) -> Response:
    """The page's script, style sheet and icon (public: they hold no data)."""
    name = request.path_params["asset"]
    if name not in ASSETS:
        raise errors.invalid_url(request.method, request.url.path)
    headers = {"x-content-type-options": "nosniff", "cache-control": "no-cache"}
    return Response(_static(name), media_type=ASSETS[name], headers=headers)


def _page(name: str, *, status: int = 200, notice: str = "") -> Response:
    html = _static(name).replace("<!-- notice -->", notice)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


@functools.cache
def _static(name: str) -> str:
    return (resources.files("mockai.api") / "static" / name).read_text(encoding="utf-8")
