"""Liveness and readiness endpoints for load balancers and orchestrators.

``/healthz`` answers 200 while the process serves requests; it touches nothing else.
``/readyz`` pings each backend the API needs and answers 200 when all are up, or 503
naming the ones that are down. Each ping runs in a worker thread with a time limit, so a
hung backend makes the probe fail instead of hang. It also answers 503 while the API is
overloaded (every heavy-query slot taken and queries waiting, see
:meth:`api.admission.HeavyQueryGate.saturation`), naming the saturation, so that a load
balancer sends new clients elsewhere until the queue drains.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from sqlalchemy import Engine, text
from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = [
    "LOAD_COMPONENT",
    "READY_CHECK_TIMEOUT_S",
    "Check",
    "LoadCheck",
    "healthz",
    "ping_engine",
    "readiness_endpoint",
]

READY_CHECK_TIMEOUT_S: Final = 5.0
#: The component of ``/readyz`` that reports overload.
LOAD_COMPONENT: Final = "queries"

Check = Callable[[], None]
#: Why the API is overloaded now, or ``None``; called on the event loop, so it must be quick.
LoadCheck = Callable[[], str | None]

logger = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """The process is alive."""
    return JSONResponse({"status": "ok"})


def ping_engine(engine: Engine) -> Check:
    """A check that runs ``SELECT 1`` on ``engine``."""

    def ping() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return ping


async def _run(name: str, check: Check, timeout_s: float) -> tuple[str, str | None]:
    """``(name, None)`` when ``check`` returns in time, else ``(name, why)``."""
    try:
        await asyncio.wait_for(asyncio.to_thread(check), timeout=timeout_s)
    except TimeoutError:
        reason = f"no answer within {timeout_s:g} s"
    except Exception as exc:  # a probe reports every failure rather than raising it
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    else:
        return name, None
    logger.warning("readiness check %s failed: %s", name, reason)
    return name, reason


def readiness_endpoint(
    checks: Mapping[str, Check],
    *,
    show_reasons: bool,
    timeout_s: float = READY_CHECK_TIMEOUT_S,
    load: LoadCheck | None = None,
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """An endpoint that runs ``checks`` concurrently and reports each one.

    Args:
        checks: component name to a blocking function that raises when it is down.
        show_reasons: include each failure's message (leave off in production, where
            messages may name internal addresses).
        timeout_s: how long one check may take.
        load: reported as the :data:`LOAD_COMPONENT` component, ``saturated`` with its
            reason (shown in production too: it names no address) while it returns one.
    """

    async def readyz(request: Request) -> JSONResponse:
        results = await asyncio.gather(
            *(_run(name, check, timeout_s) for name, check in checks.items())
        )
        components: dict[str, dict[str, str]] = {}
        for name, reason in results:
            components[name] = {"status": "up" if reason is None else "down"}
            if reason is not None and show_reasons:
                components[name]["reason"] = reason
        down = sorted(name for name, reason in results if reason is not None)
        if load is not None:
            overload = load()
            components[LOAD_COMPONENT] = (
                {"status": "up"} if overload is None
                else {"status": "saturated", "reason": overload})
            if overload is not None:
                down.append(LOAD_COMPONENT)
        body = {"status": "unavailable" if down else "ready", "down": down,
                "components": components}
        return JSONResponse(body, status_code=503 if down else 200)

    return readyz
