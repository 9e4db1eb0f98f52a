"""The generated portfolios and imported stores the benchmarks share, made once and reused.

Every benchmark measures on the generator's portfolio (seed 7) of some size, imported into
the embedded store or into a Neo4j server. Generating and importing a million borrowers
takes minutes, so both are kept under ``var/bench`` and reused — but only while they are
what the code would make now: the marker written beside each (``.complete``, JSON) names
the *data fingerprint*, a hash of the generator's and the importer's source (``seeds/``,
``ingest/``) and of the configuration. A cache whose fingerprint differs (or that has no
marker: an older layout, an interrupted run) is made again, so a benchmark never measures
data that the current generator would not produce. ``reuse_stale=True`` (the benchmarks'
``--reuse-stale``) keeps such a cache and says so, for when a re-import costs more than
the difference matters; the table printed after it is then not a figure of this code.

An import goes to a ``.partial`` file first and is renamed when complete, so an
interrupted run leaves nothing that looks finished. A Neo4j store is checked against its
marker by counting its nodes, since the server may have been emptied since (a test run, a
``delete_all``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import orjson
from rich.console import Console

__all__ = [
    "BENCH_DIR",
    "IDENTIFIER_KEY",
    "SEED",
    "ImportedStore",
    "data_fingerprint",
    "ensure_embedded",
    "ensure_neo4j",
    "ensure_portfolio",
    "portfolio_as_of",
]

BENCH_DIR: Final = Path("var/bench")
#: The generator's seed of every benchmark portfolio.
SEED: Final = 7
#: Synthetic data only: the identifier key need not be secret, only the same on every run.
IDENTIFIER_KEY: Final = b"loanwatch-benchmark-identifier-key"
#: The packages whose source decides what a generated and imported portfolio holds.
_DATA_PACKAGES: Final = ("seeds", "ingest")
_ROOT: Final = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class ImportedStore:
    """An imported benchmark store: the SQLite file of its records (and, for the embedded
    store, its graph), the portfolio it came from and that portfolio's as-of date."""

    database: Path
    portfolio: Path
    as_of: date


def data_fingerprint() -> str:
    """A short hash of every source file of the generator and the importer."""
    digest = hashlib.sha256()
    for package in _DATA_PACKAGES:
        for path in sorted((_ROOT / package).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".yaml", ".yml", ".json", ".csv"} \
                    and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _read_marker(marker: Path) -> dict[str, Any] | None:
    try:
        found = orjson.loads(marker.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return found if isinstance(found, dict) else None


def _fresh(marker: Path, expected: dict[str, Any], what: str, *, reuse_stale: bool,
           console: Console) -> bool:
    """Whether the cache behind ``marker`` may be used: its marker matches ``expected``, or
    it is complete and ``reuse_stale`` keeps it (said aloud)."""
    found = _read_marker(marker)
    if found is None:
        return False
    if all(found.get(key) == value for key, value in expected.items()):
        return True
    if reuse_stale:
        console.print(f"[yellow]reusing {what}, made by other generator/import code "
                      f"(fingerprint {found.get('fingerprint')}, now "
                      f"{expected.get('fingerprint')}): --reuse-stale[/yellow]")
        return True
    console.print(f"{what} is stale (fingerprint {found.get('fingerprint')}, now "
                  f"{expected.get('fingerprint')}): making it again")
    return False


def _write_marker(marker: Path, content: dict[str, Any]) -> None:
    marker.write_bytes(orjson.dumps(content, option=orjson.OPT_INDENT_2))


def ensure_portfolio(borrowers: int, *, bench: Path = BENCH_DIR,
                     console: Console | None = None, reuse_stale: bool = False) -> Path:
    """The generated portfolio of ``borrowers`` under ``bench`` (generated when missing or
    stale)."""
    from seeds.config import PortfolioConfig
    from seeds.generate import generate_portfolio

    console = console or Console()
    out = bench / f"portfolio-{borrowers}"
    expected = {"fingerprint": data_fingerprint(), "borrowers": borrowers, "seed": SEED}
    if _fresh(out / ".complete", expected, str(out), reuse_stale=reuse_stale,
              console=console):
        return out
    console.print(f"generating a {borrowers:,}-borrower portfolio into {out} ...")
    (out / ".complete").unlink(missing_ok=True)
    started = time.perf_counter()
    generate_portfolio(PortfolioConfig(borrowers=borrowers, seed=SEED), out)
    _write_marker(out / ".complete",
                  {**expected, "seconds": round(time.perf_counter() - started, 1)})
    return out


def portfolio_as_of(portfolio: Path) -> date:
    """The generator's last day of history for ``portfolio`` (from its ground truth)."""
    truth = orjson.loads((portfolio / "ground_truth" / "ground_truth.json").read_bytes())
    return date.fromisoformat(truth["as_of"])


def _import(portfolio: Path, files: Sequence[str] | None, database: Path, graph_factory: Any,
            console: Console) -> dict[str, Any]:
    """Import ``portfolio`` (only ``files`` when given) into a new SQLite ``database``
    through the graph store ``graph_factory(engine)`` returns; the figures of the import."""
    from ingest.importer import import_paths
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine

    partial = database.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    console.print(f"importing {portfolio} into {database} ...")
    engine = create_sql_engine(f"sqlite:///{partial}")
    started = time.perf_counter()
    try:
        migrate(engine)
        graph = graph_factory(engine)
        try:
            sources = [portfolio] if files is None else [portfolio / name for name in files]
            report = import_paths(sources, graph=graph, engine=engine,
                                  identifier_key=IDENTIFIER_KEY)
        finally:
            graph.close()
    finally:
        engine.dispose()
    if not report.complete:
        raise SystemExit(f"the import of {portfolio} rejected {report.rows_rejected} rows")
    partial.rename(database)
    return {"rows": report.rows_read, "seconds": round(time.perf_counter() - started, 1)}


def ensure_embedded(borrowers: int, *, bench: Path = BENCH_DIR, name: str = "embedded",
                    files: Sequence[str] | None = None, console: Console | None = None,
                    reuse_stale: bool = False) -> ImportedStore:
    """The portfolio of ``borrowers`` imported into the embedded store, in
    ``<bench>/<name>-<borrowers>.db`` (only ``files`` of it when given)."""
    from graph.stores.embedded import EmbeddedGraphStore

    console = console or Console()
    portfolio = ensure_portfolio(borrowers, bench=bench, console=console,
                                 reuse_stale=reuse_stale)
    database = bench / f"{name}-{borrowers}.db"
    marker = database.with_suffix(".complete")
    expected = {"fingerprint": data_fingerprint(), "borrowers": borrowers,
                "files": list(files) if files is not None else None}
    if not (database.exists() and _fresh(marker, expected, str(database),
                                         reuse_stale=reuse_stale, console=console)):
        marker.unlink(missing_ok=True)
        figures = _import(portfolio, files, database, EmbeddedGraphStore, console)
        _write_marker(marker, {**expected, **figures})
    return ImportedStore(database, portfolio, portfolio_as_of(portfolio))


def ensure_neo4j(borrowers: int, uri: str, *, bench: Path = BENCH_DIR,
                 console: Console | None = None, reuse_stale: bool = False) -> ImportedStore:
    """The portfolio of ``borrowers`` imported into the (benchmark) Neo4j server at ``uri``,
    its records in ``<bench>/neo4j-records-<borrowers>.db``. The server is emptied first
    when the import has to be made: never point this at a server holding data you keep."""
    from neo4j import GraphDatabase

    from graph.model import Label
    from graph.stores.neo4j import Neo4jGraphStore
    from tests.ownership import claim_neo4j

    console = console or Console()
    portfolio = ensure_portfolio(borrowers, bench=bench, console=console,
                                 reuse_stale=reuse_stale)
    database = bench / f"neo4j-records-{borrowers}.db"
    marker = database.with_suffix(".complete")
    expected = {"fingerprint": data_fingerprint(), "borrowers": borrowers, "uri": uri}

    def open_store(_engine: object = None) -> Neo4jGraphStore:
        return Neo4jGraphStore(GraphDatabase.driver(uri, auth=None), address=uri)

    def nodes(store: Neo4jGraphStore) -> int:  # the scan adds CONTROLS edges, never nodes
        return sum(n for key, n in store.count().items() if key in labels)

    labels = {label.value for label in Label}
    driver = GraphDatabase.driver(uri, auth=None)
    store = Neo4jGraphStore(driver, address=uri)
    try:
        found = _read_marker(marker)
        if (database.exists() and found is not None and found.get("nodes") == nodes(store)
                and _fresh(marker, expected, f"{database} + {uri}", reuse_stale=reuse_stale,
                           console=console)):
            return ImportedStore(database, portfolio, portfolio_as_of(portfolio))
        marker.unlink(missing_ok=True)
        # Emptied below: refuse a server holding data the tools did not write.
        claim_neo4j(driver, uri)
        store.ensure_schema()
        store.delete_all()
        figures = _import(portfolio, None, database, open_store, console)
        _write_marker(marker, {**expected, **figures, "nodes": nodes(store)})
    finally:
        store.close()
    return ImportedStore(database, portfolio, portfolio_as_of(portfolio))
