"""``loanwatch migrate``: bring the SQL database and the graph up to date.

Applies the database migrations, creates the graph constraints and indexes, then runs the
graph upgrades (:mod:`graph.upgrades`) that convert what earlier releases wrote. Every step
is idempotent: running it again changes nothing.
"""

from __future__ import annotations

from rich.console import Console
from sqlalchemy import Engine

from graph.store import GraphStore
from graph.upgrades.identifier_keys import rekey_identifier_nodes
from graph.vault import PersonalDataVault
from ingest.upgrades.exact_money import upgrade_exact_money
from jobs.key_rotation import needs_sealing, reseal_all
from loanwatch.settings import Settings
from loanwatch.wiring import open_stores, open_vault

__all__ = ["migrate"]


def migrate() -> None:
    """Apply the database migrations, create the graph constraints and indexes, and upgrade
    the graph written by earlier releases (personal data encrypted, identifier node ids,
    exact amounts)."""
    settings = Settings.from_environ()
    identifier_key = settings.resolved_identifier_key  # a missing key fails before any change
    vault = open_vault(settings)
    console = Console()
    engine, graph = open_stores(settings)
    try:
        console.print(
            f"database {engine.url.render_as_string(hide_password=True)} migrated; "
            f"graph store {graph!r} ready"
        )
        # First: the other upgrades read the graph, which refuses personal data in clear.
        _seal_personal_data(graph, engine, vault, console)
        _rekey_identifiers(graph, identifier_key, console)
        _upgrade_exact_money(graph, settings.base_currency, console)
    finally:
        graph.close()
        engine.dispose()


def _seal_personal_data(graph: GraphStore, engine: Engine, vault: PersonalDataVault,
                        console: Console) -> None:
    """Encrypt the personal data a release before encryption at rest stored in clear."""
    if not needs_sealing(graph, engine):
        return
    console.print("personal data stored in clear (written before encryption at rest): "
                  "encrypting it ...", highlight=False)
    done = reseal_all(graph, engine, vault)
    console.print(f"personal data: {done.resealed:,} of {done.examined:,} nodes and SQL rows "
                  "(rejected rows, contact notes, signing keys) encrypted under data key "
                  f"v{done.data_key_version}", highlight=False)


def _rekey_identifiers(graph: GraphStore, identifier_key: bytes, console: Console) -> None:
    report = rekey_identifier_nodes(graph, identifier_key)
    console.print(f"identifier nodes: {report.rekeyed:,} of {report.examined:,} re-keyed "
                  "(phone, address and device ids are keyed hashes)", highlight=False)
    if report.unreadable:
        console.print(f"[yellow]{len(report.unreadable):,} identifier nodes have no value to "
                      "re-key from and were left alone[/]", highlight=False)


def _upgrade_exact_money(graph: GraphStore, base_currency: str, console: Console) -> None:
    """Give amounts of a graph imported before 0.2 their exact minor units."""
    done = upgrade_exact_money(graph, base_currency)
    if done.nodes or done.edges:
        console.print(f"exact money: minor units added to {done.nodes} nodes and "
                      f"{done.edges} relationships")
    if done.unconverted_count:
        console.print(f"exact money: {done.unconverted_count} amounts have more decimals than "
                      "their currency allows and were left out (the API shows them as null); "
                      "re-import them: " + ", ".join(done.unconverted),
                      style="yellow", markup=False, highlight=False)
