"""What encrypting personal data at rest costs: import and reads, sealed against clear.

Imports one generated portfolio twice into fresh embedded stores (SQLite) in the same run:
once with the stores' vault (every personal property sealed with AES-256-GCM, blind-index
tokens for names and national ids) and once with a pass-through vault that stores personal
data in clear, as Loanwatch did before. Then, on each, times the reads that touch personal
data: ``get_nodes`` of every person in pages of 100 (what the API's loaders do), party
searches by name pieces, by whole name and by id, and an ``iter_edges`` pass reading each
borrower's income (what analytics do). Repeats alternate the two so that the machine's
load hits both alike; the best of each is kept.

    python -m benchmarks.personal_data_at_rest --source /path/to/portfolio-2000

Without ``--source`` the 2,000-borrower benchmark portfolio is generated under var/bench.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from graph.model import Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.vault import PersonalDataVault, SealedNode, SearchPlan
from ingest.importer import import_paths
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine

IDENTIFIER_KEY = b"loanwatch-benchmark-identifier-key"
PAGE = 100


class ClearVault(PersonalDataVault):
    """The baseline: personal data stored in clear and searched through the name in the
    search text, as before encryption at rest. For this measurement only."""

    def seal_node(self, node: Node) -> SealedNode:
        return SealedNode(node.id, node.label, node.props, node.name, node.search_text,
                          None, None)

    def open_props(self, node_id: str, label: Label, stored: dict) -> dict:  # type: ignore[type-arg]
        return stored

    def open_loose(self, name: str, value: object) -> object:
        return value

    def search_hit(self, plan: SearchPlan, node_id: str, label: Label, stored_name: object,
                   exact_tokens: object) -> tuple[bool, str | None]:
        return True, None if stored_name is None else str(stored_name)

    def seal_text(self, field: str, text: str) -> str:
        return text


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _import(source: Path, folder: Path, vault: PersonalDataVault) -> tuple[float, GraphStore]:
    database = folder / f"{type(vault).__name__}-{time.monotonic_ns()}.db"
    engine = create_sql_engine(f"sqlite:///{database}")
    migrate(engine)
    graph = EmbeddedGraphStore(engine, vault=vault)
    seconds = _timed(lambda: import_paths([source], graph=graph, engine=engine,
                                          identifier_key=IDENTIFIER_KEY, vault=vault))
    return seconds, graph


def _needles(source: Path) -> list[str]:
    with (source / "persons.csv").open(newline="") as handle:
        names = [(row["id"], row["name"]) for _, row in zip(range(20), csv.DictReader(handle),
                                                             strict=False)]
    return ([name[:1] for _, name in names[:5]] + [name[1:3] for _, name in names[5:10]]
            + [name for _, name in names[10:15]] + [person_id for person_id, _ in names[15:]])


def _reads(graph: GraphStore, needles: list[str]) -> dict[str, float]:
    persons = [node.id for node in graph.nodes_with_label(Label.PERSON)]

    def pages() -> None:
        for start in range(0, len(persons), PAGE):
            graph.get_nodes(persons[start:start + PAGE])

    def searches() -> None:
        for needle in needles:
            graph.search_parties(needle)

    def incomes() -> None:
        for _ in graph.iter_edges([RelType.BORROWS], source_props=["monthly_income"]):
            pass

    return {"get_nodes µs/person": _timed(pages) / len(persons) * 1e6,
            "search ms/search": _timed(searches) / len(needles) * 1e3,
            "iter_edges incomes s": _timed(incomes)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="a generated portfolio folder (read only)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    source = args.source
    if source is None:
        from benchmarks.portfolios import ensure_portfolio

        source = ensure_portfolio(2_000)
    needles = _needles(source)
    vaults = {"clear": ClearVault.development(), "sealed": PersonalDataVault.development()}
    best: dict[str, dict[str, float]] = {name: {} for name in vaults}
    with tempfile.TemporaryDirectory(prefix="lw-at-rest-") as folder:
        for _ in range(args.repeat):
            for name, vault in vaults.items():
                seconds, graph = _import(source, Path(folder), vault)
                figures = {"import s": seconds, **_reads(graph, needles)}
                graph.close()
                for key, value in figures.items():
                    best[name][key] = min(best[name].get(key, value), value)
    print(f"personal data at rest on {source.name} (embedded store, SQLite; best of "
          f"{args.repeat}, same run)\n")
    print("| measure | in clear | sealed | ratio |\n|---|---:|---:|---:|")
    for key in best["clear"]:
        clear, sealed = best["clear"][key], best["sealed"][key]
        print(f"| {key} | {clear:.3f} | {sealed:.3f} | {sealed / clear:.2f}× |")


if __name__ == "__main__":
    main()
