"""Where the test servers are, and how a test that cannot reach one behaves.

On a developer's machine such a test is skipped with the reason; in CI (``CI=true``) it
fails, so that a green run always means the real servers were exercised.
"""

from __future__ import annotations

import os

import pytest

NEO4J_URI = os.environ.get("LOANWATCH_TEST_NEO4J_URI", "bolt://127.0.0.1:7687")
POSTGRES_URL = os.environ.get(
    "LOANWATCH_TEST_POSTGRES_URL",
    "postgresql+psycopg://loanwatch:loanwatch@127.0.0.1:5432/loanwatch_test",
)
REDIS_URL = os.environ.get("LOANWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unreachable(what: str, address: str, error: BaseException) -> None:
    """Fail in CI, skip elsewhere, naming the server and how to start it."""
    message = (
        f"{what} at {address} is unreachable ({error}); start it with `tools/services.sh start`"
    )
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
