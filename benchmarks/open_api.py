"""The API with authentication, rights, masking checks and audit taken out: benchmarks only.

    python -m benchmarks.open_api --port 8724

(stores from ``LOANWATCH_DATABASE_URL`` / ``LOANWATCH_NEO4J_URI``, as ``loanwatch serve``).
``benchmarks/api_load.py --backends embedded embedded-open`` serves one store both ways, to
show what authentication, masking and audit cost. Here:

- any bearer token is taken as an administrator's (the header is still read, so requests
  look the same on the wire; no JWT is checked, no revocation consulted);
- the schema runs without its rights check (:class:`schema.authorization.FieldRights`) and
  without watching personal fields (:mod:`schema.personal_reads`), so nothing is audited;
- everything else (limits, loaders, error codes, metrics, the access log, the rate limiter
  with the benchmark's huge limit, uvicorn on uvloop and httptools) is what
  ``loanwatch serve`` runs.

The administrator sees personal data in clear, as the benchmark's own token does on the
guarded server, so both answer the same bytes. Nothing here is reachable from the
``loanwatch`` package or its settings: it lives in ``benchmarks/`` and swaps the pieces in
its own process only.
"""

from __future__ import annotations

import argparse
import gc
import logging
from typing import Any, Final

import uvicorn

import api.app
import schema.build
from api.logs import configure_json_logging
from api.request_log import access_log as request_access_log
from auth.principal import Principal, Role
from loanwatch.cli.serve import server_config
from loanwatch.settings import Settings
from loanwatch.wiring import open_stores
from schema.authorization import FieldRights
from schema.build import LoanwatchSchema
from schema.personal_reads import PersonalReads

__all__ = ["OpenVerifier", "main", "open_schema"]

#: Who every request is taken to be.
ADMIN: Final = Principal(subject="benchmark", client_id="benchmark", role=Role.ADMIN,
                       scopes=frozenset({"admin", "portfolio:read", "personal:read"}))
#: The extensions taken out of the schema.
_GUARDS = (FieldRights, PersonalReads)


class OpenVerifier:
    """Takes every token as the administrator's."""

    async def verify(self, token: str) -> Principal:
        return ADMIN


def _guard(extension: object) -> bool:
    factory = getattr(extension, "func", extension)  # a functools.partial, or the class
    return isinstance(factory, type) and issubclass(factory, _GUARDS)


def open_schema(**options: Any) -> LoanwatchSchema:
    """:func:`schema.build.build_schema` without the rights check and the personal-read
    watch (module docstring)."""
    watch = schema.build.watch_personal_fields
    schema.build.watch_personal_fields = lambda _schema: []
    try:
        built = schema.build.build_schema(**options)
    finally:
        schema.build.watch_personal_fields = watch
    built.extensions = tuple(e for e in built.extensions if not _guard(e))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--no-jobs", action="store_true",
                        help="as loanwatch serve takes it; this server never runs jobs")
    args = parser.parse_args(argv)
    settings = Settings.from_environ()
    engine, graph = open_stores(settings)
    api.app.build_schema = open_schema  # this process only
    try:
        app = api.app.create_app(settings, graph, engine, verifier=OpenVerifier())
        configure_json_logging()
        if args.no_access_log:
            request_access_log.setLevel(logging.WARNING)
        gc.collect()
        gc.freeze()  # as loanwatch serve does
        uvicorn.Server(server_config(app, args.host, args.port)).run()
    finally:
        graph.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
