"""An OAuth request as Authlib's grants read it, built by the HTTP layer from plain values.

Authlib's integrations each turn their framework's request into an ``OAuth2Request``; here
the HTTP layer (``api/oauth``) reads the body and passes plain pairs, so nothing below it
knows the web framework. ``source`` (the caller's address) and ``request_id`` travel with
the request to the audit trail and the throttle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

__all__ = ["OAuthRequest"]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        lists: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            lists[key].append(value)
        self._lists = lists
        self._first = {key: values[0] for key, values in lists.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._first

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._lists


class OAuthRequest(OAuth2Request):  # type: ignore[misc]
    """One request to an OAuth endpoint.

    Args:
        method: ``GET`` or ``POST``.
        uri: the URL as the issuer names it (https, or http on loopback).
        headers: the request's headers (a case-insensitive mapping).
        parameters: the OAuth parameters (the query of ``/oauth/authorize``, the form body
            of the other endpoints), repeated names kept.
        source: the caller's address.
        request_id: the request id of the logs and the audit trail.
    """

    def __init__(self, method: str, uri: str, headers: Mapping[str, str],
                 parameters: Sequence[tuple[str, str]], *, source: str,
                 request_id: str = "") -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Payload(parameters)
        self.source = source
        self.request_id = request_id

    @property
    def args(self) -> dict[str, str]:
        return dict(self.payload.data)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.payload.data)
