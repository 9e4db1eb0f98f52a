"""The OAuth 2.0 authorization server's HTTP endpoints (see :mod:`api.oauth.routes`)."""

from api.oauth.routes import oauth_routes

__all__ = ["oauth_routes"]
