"""``loanwatch documents register|list``: the trusted GraphQL documents the API runs.

Front-end builds emit a manifest of their documents (Apollo's
``persisted-query-manifest.json`` or Relay's ``persisted-queries.json``, see
:mod:`portfolio.document_manifests`); registering it lets clients send the SHA-256 of a
document instead of its text, and is the only way a document becomes runnable when the API
runs only registered documents (``LOANWATCH_ONLY_REGISTERED_DOCUMENTS=true``). No request
to the API can register one.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from sqlalchemy import select

from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings
from portfolio.document_manifests import read_manifest
from portfolio.persisted_documents import PersistedDocument, register_documents

__all__ = ["app"]

app = typer.Typer(help="Trusted GraphQL documents (persisted queries).", no_args_is_help=True)


@app.command()
def register(
    manifests: list[Path] = typer.Argument(..., metavar="MANIFEST...",
                                           help="Apollo or Relay manifest JSON files."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Register every document of the manifests (all of them, or none when one is bad)."""
    documents: list[tuple[str, str | None]] = []
    for path in manifests:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot read the manifest {path}: {exc}") from None
        documents.extend(read_manifest(text, str(path)))
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        new = register_documents(engine, documents)
    finally:
        engine.dispose()
    distinct = len({body for body, _ in documents})
    if as_json:
        typer.echo(orjson.dumps({"documents": distinct, "registered": new}).decode())
    else:
        typer.echo(f"{distinct} documents in {len(manifests)} manifest(s): {new} newly "
                   f"registered, {distinct - new} already registered")


@app.command(name="list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")
          ) -> None:
    """List the registered documents: hash, operation name, when registered."""
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(  # type: ignore[call-overload]
                PersistedDocument.sha256, PersistedDocument.name,
                PersistedDocument.registered_at).order_by(PersistedDocument.registered_at,
                                                          PersistedDocument.sha256)).all()
    finally:
        engine.dispose()
    if as_json:
        typer.echo(orjson.dumps({"documents": [
            {"sha256": sha, "name": name, "registered_at": at.isoformat()}
            for sha, name, at in rows]}).decode())
        return
    for sha, name, at in rows:
        typer.echo(f"{sha}  {at:%Y-%m-%d %H:%M}  {name or '-'}")
