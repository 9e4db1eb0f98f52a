"""``loanwatch migrate``: bring the SQL database and the graph schema up to date."""

from __future__ import annotations

from rich.console import Console

from graph.store import GraphStore
from loanwatch.settings import Settings
from loanwatch.wiring import open_stores


def migrate() -> None:
    """Apply the database migrations and create the graph constraints and indexes."""
    settings = Settings.from_environ()
    engine, graph = open_stores(settings)
    try:
        _upgrade_exact_money(graph, settings.base_currency, Console())
        Console().print(
            f"database {engine.url.render_as_string(hide_password=True)} migrated; "
            f"graph store {graph!r} ready"
        )
    finally:
        graph.close()
        engine.dispose()


def _upgrade_exact_money(graph: GraphStore, base_currency: str, console: Console) -> None:
    """Give amounts of a graph imported before 0.2 their exact minor units."""
    from ingest.upgrades.exact_money import upgrade_exact_money

    done = upgrade_exact_money(graph, base_currency)
    if done.nodes or done.edges:
        console.print(f"exact money: minor units added to {done.nodes} nodes and "
                      f"{done.edges} relationships")
    if done.unconverted_count:
        console.print(f"exact money: {done.unconverted_count} amounts have more decimals than "
                      "their currency allows and were left out (the API shows them as null); "
                      "re-import them: " + ", ".join(done.unconverted),
                      style="yellow", markup=False, highlight=False)
