"""``loanwatch migrate``: bring the SQL database and the graph schema up to date."""

from __future__ import annotations

from rich.console import Console

from loanwatch.settings import Settings
from loanwatch.wiring import open_stores


def migrate() -> None:
    """Apply the database migrations and create the graph constraints and indexes."""
    settings = Settings.from_environ()
    engine, graph = open_stores(settings)
    try:
        Console().print(
            f"database {engine.url.render_as_string(hide_password=True)} migrated; "
            f"graph store {graph!r} ready"
        )
    finally:
        graph.close()
        engine.dispose()
