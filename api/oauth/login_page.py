"""The plain login page of ``/oauth/authorize``: a form, no script, CSRF-protected.

CSRF protection is a double submit: the page sets a random token in a cookie
(``SameSite=Strict``, ``HttpOnly``, path ``/oauth/authorize``) and in a hidden field; a
POST whose field does not match its cookie is refused. A page of another site can neither
read the cookie nor make the browser send it. The page cannot be framed.
"""

from __future__ import annotations

import hmac
import secrets
from html import escape
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "code_page", "csrf_ok", "error_page", "login_page",
           "new_csrf"]

CSRF_COOKIE: Final = "lw_csrf"
CSRF_FIELD: Final = "csrf_token"
_COOKIE_PATH: Final = "/oauth/authorize"
_SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}"
    "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;"
    "box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1.2rem}"
    ".problem{color:#a00}"
)


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether the form's token matches the cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted) and hmac.compare_digest(str(cookie), str(submitted))


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width'><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


def login_page(*, client_name: str, scope: str, csrf: str, secure: bool,
               problem: str | None = None, login: str = "", status: int = 200) -> HTMLResponse:
    """The form; the OAuth parameters stay in the URL the form posts back to."""
    notice = f"<p class=problem role=alert>{escape(problem)}</p>" if problem else ""
    body = (
        f"<h1>Sign in to Loanwatch</h1><p>{escape(client_name)} asks for: "
        f"<code>{escape(scope)}</code></p>{notice}"
        f"<form method=post autocomplete=on>"
        f"<input type=hidden name={CSRF_FIELD} value='{escape(csrf, quote=True)}'>"
        f"<label for=login>Login</label><input id=login name=login required "
        f"autocomplete=username value='{escape(login, quote=True)}'>"
        f"<label for=password>Password</label><input id=password name=password "
        f"type=password required autocomplete=current-password>"
        f"<button type=submit>Sign in</button></form>"
    )
    response = _page("Sign in to Loanwatch", body, status)
    response.set_cookie(CSRF_COOKIE, csrf, path=_COOKIE_PATH, httponly=True, secure=secure,
                        samesite="strict")
    return response


def error_page(message: str, status: int, *, headers: dict[str, str] | None = None
               ) -> HTMLResponse:
    """A page that says what is wrong with the request (never where it came from)."""
    response = _page("Loanwatch: cannot sign in",
                     f"<h1>Cannot sign in</h1><p class=problem>{escape(message)}</p>", status)
    response.headers.update(headers or {})
    return response


def code_page(code: str, *, token_url: str, redirect_uri: str) -> HTMLResponse:
    """The page a sign-in lands on when its client has no front end of its own (the demo's
    client): the code, and the curl line that exchanges it for tokens."""
    exchange = (f"curl -s -u \"$CLIENT_ID:$CLIENT_SECRET\" -d grant_type=authorization_code "
                f"-d code={code} -d redirect_uri={redirect_uri} {token_url}")
    body = (
        "<h1>Signed in</h1><p>The sign-in code works once, within minutes. Exchange it for "
        "an access token and a refresh token with the client's id and secret (the ones "
        "<code>make demo</code> printed):</p>"
        f"<pre style='white-space:pre-wrap'>{escape(exchange)}</pre>"
        "<p>Then send <code>Authorization: Bearer &lt;access_token&gt;</code> with every "
        "GraphQL request (in GraphiQL: the Headers pane).</p>"
    )
    return _page("Loanwatch: signed in", body, 200)
