"""A test that cannot reach its server skips on a laptop and fails in CI."""

from __future__ import annotations

import pytest

from tests.services import unreachable


def test_in_ci_an_unreachable_server_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Redis at redis://x is unreachable"):
        unreachable("Redis", "redis://x", OSError("refused"))


def test_elsewhere_it_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"start it with `tools/services\.sh start`"):
        unreachable("Redis", "redis://x", OSError("refused"))
