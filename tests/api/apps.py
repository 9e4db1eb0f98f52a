"""The API as tests build it: static tokens (``tests.principals``) instead of signed JWTs."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Engine
from starlette.applications import Starlette

from api import create_app
from auth.principal import Role
from graph.store import GraphStore
from loanwatch.settings import Settings
from tests.principals import StaticTokens, token_of

__all__ = ["ANALYST_AUTH", "api_app", "auth_header"]


def auth_header(role: Role) -> dict[str, str]:
    """The ``Authorization`` header of ``role``'s static token."""
    return {"authorization": f"Bearer {token_of(role)}"}


#: What requests send unless a test says otherwise.
ANALYST_AUTH: Final = auth_header(Role.ANALYST)


def api_app(settings: Settings, graph: GraphStore, engine: Engine, **options: Any
            ) -> Starlette:
    """:func:`api.create_app` with a :class:`tests.principals.StaticTokens` verifier
    (unless ``options`` name another)."""
    options.setdefault("verifier", StaticTokens())
    return create_app(settings, graph, engine, **options)
