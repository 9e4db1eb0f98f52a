"""The thin Starlette adapter over the framework-free authorization server: a Starlette
request becomes an :class:`auth.oauth_request.OAuthRequest`, an
:class:`auth.authorization_server.OAuthResponse` becomes a Starlette response.

The role Authlib's Flask integration (``authlib.integrations.flask_oauth2``) plays for
Flask: everything else is Authlib's generic server and Loanwatch's stores.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.authorization_server import OAuthResponse
from auth.oauth_request import OAuthRequest

__all__ = ["MAX_FORM_BYTES", "FormTooLarge", "oauth_request", "read_form", "source_of",
           "to_response"]

#: Largest form body an OAuth endpoint reads.
MAX_FORM_BYTES: Final = 16 * 1024
_FORM_TYPE: Final = "application/x-www-form-urlencoded"


class FormTooLarge(Exception):
    """The body is larger than :data:`MAX_FORM_BYTES`."""


def source_of(request: Request) -> str:
    """The caller's address (as the server saw it; behind a proxy, run uvicorn with
    ``--proxy-headers`` and ``--forwarded-allow-ips``)."""
    return request.client.host if request.client is not None else "unknown"


async def read_form(request: Request) -> list[tuple[str, str]] | None:
    """The pairs of a form body, or ``None`` when the body is not a form.

    Raises:
        FormTooLarge: the body is larger than :data:`MAX_FORM_BYTES`.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def oauth_request(request: Request, issuer: str,
                  parameters: list[tuple[str, str]]) -> OAuthRequest:
    """``request`` for Authlib, its URL re-based on ``issuer`` (the address clients know,
    TLS ended or not in front of this process)."""
    uri = issuer + request.url.path
    if request.url.query:
        uri += "?" + request.url.query
    return OAuthRequest(request.method, uri, request.headers, parameters,
                        source=source_of(request),
                        request_id=request.headers.get("x-request-id", "")[:128])


def to_response(result: OAuthResponse) -> Response:
    """The Starlette response of an Authlib result."""
    headers = {key: value for key, value in result.headers
               if key.lower() != "content-type"}
    if isinstance(result.body, str):
        return Response(result.body, status_code=result.status, headers=headers)
    return JSONResponse(dict(result.body), status_code=result.status, headers=headers)
