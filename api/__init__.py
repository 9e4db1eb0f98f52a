"""The HTTP API: a Starlette application serving GraphQL, built by :func:`create_app`."""

from api.app import create_app

__all__ = ["create_app"]
