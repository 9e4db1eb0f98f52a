"""Identity rings: hand cases on link lists, through the real stores and the command line,
and against the generator's planted rings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.network.rings import (
    InvalidRingParameters,
    PublicIdentifier,
    RingReport,
    SharedIdentifier,
    identity_rings,
    read_rings,
)
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import import_files

PARTIES = [f"P{i}" for i in range(8)]


def _rings(links: list[tuple[int, int]], idents: list[tuple[str, str]],
           **options: int) -> RingReport:
    party = np.array([p for p, _ in links], dtype=np.int64)
    ident = np.array([i for _, i in links], dtype=np.int64)
    return identity_rings(PARTIES, [i for i, _ in idents], [k for _, k in idents],
                          party, ident, **options)


def test_three_parties_sharing_a_phone_are_a_ring() -> None:
    report = _rings([(0, 0), (1, 0), (2, 0), (3, 1)], [("phone:a", "phone"), ("phone:b", "phone")])

    assert [(r.members, r.shared) for r in report.rings] == [
        (["P0", "P1", "P2"], [SharedIdentifier("phone:a", "phone")])]
    assert report.public == []


def test_two_parties_are_no_ring_at_the_default_size() -> None:
    links = [(0, 0), (1, 0)]

    assert _rings(links, [("phone:a", "phone")]).rings == []
    assert len(_rings(links, [("phone:a", "phone")], min_size=2).rings) == 1


def test_identifiers_linking_the_same_members_are_one_ring() -> None:
    # given P0..P3 share a device and an account; P0, P1 also an address (a household)
    links = [(p, 0) for p in range(4)] + [(p, 1) for p in range(4)] + [(0, 2), (1, 2)]
    idents = [("device:x", "device"), ("A-77", "account"), ("address:h", "address")]

    report = _rings(links, idents, min_size=2)

    assert [(r.members, [s.id for s in r.shared]) for r in report.rings] == [
        (["P0", "P1", "P2", "P3"], ["A-77", "device:x"]),
        (["P0", "P1"], ["address:h"]),
    ]


def test_a_repeated_link_counts_once() -> None:
    report = _rings([(0, 0), (0, 0), (1, 0), (1, 0)], [("phone:a", "phone")])

    assert report.rings == []


def test_an_identifier_with_very_many_users_is_public_not_a_ring() -> None:
    # given 8 parties share a call-centre number; 3 of them also share a device
    links = [(p, 0) for p in range(8)] + [(5, 1), (6, 1), (7, 1)]
    idents = [("phone:call-centre", "phone"), ("device:d", "device")]

    report = _rings(links, idents, public_above=5)

    assert report.public == [PublicIdentifier("phone:call-centre", "phone", 8)]
    assert [r.members for r in report.rings] == [["P5", "P6", "P7"]]


@pytest.mark.parametrize(("min_size", "public_above"), [(1, 50), (5, 4)])
def test_bad_parameters_are_refused(min_size: int, public_above: int) -> None:
    with pytest.raises(InvalidRingParameters):
        _rings([], [], min_size=min_size, public_above=public_above)


# -- through the real stores -----------------------------------------------------------------

PHONE_VALUE = "13812345678"
ADDRESS_VALUE = "88 Nanjing Road, Room 1204, Shanghai"
DEVICE_VALUE = "a3f9c2d4e5b6"


def _ring_graph(public_users: int = 4) -> tuple[list[Node], list[Edge]]:
    """P1..P3 share a phone and a device; C1, P4 and P5 hold one account; a business
    centre's address is used by ``public_users`` companies."""
    persons = [Node(f"P{i}", Label.PERSON) for i in range(1, 6)]
    companies = [Node(f"C{i}", Label.COMPANY) for i in range(1, public_users + 1)]
    idents = [Node("phone:1", Label.PHONE, {"value": PHONE_VALUE}),
              Node("device:1", Label.DEVICE, {"value": DEVICE_VALUE}),
              Node("address:centre", Label.ADDRESS, {"value": ADDRESS_VALUE}),
              Node("ACC-1", Label.ACCOUNT, {"bank": "ICBC"})]
    edges = [Edge(RelType.USES, f"P{i}", target) for i in (1, 2, 3)
             for target in ("phone:1", "device:1")]
    edges += [Edge(RelType.HOLDS, holder, "ACC-1") for holder in ("C1", "P4", "P5")]
    edges += [Edge(RelType.USES, c.id, "address:centre") for c in companies]
    return persons + companies + idents, edges


def test_rings_from_the_store_with_values_masked(store: GraphStore) -> None:
    store.upsert_batch(*_ring_graph())

    report = read_rings(store, public_above=3)

    assert [(r.members, r.shared) for r in report.rings] == [
        (["C1", "P4", "P5"], [SharedIdentifier("ACC-1", "account")]),
        (["P1", "P2", "P3"], [SharedIdentifier("device:1", "device", None),
                              SharedIdentifier("phone:1", "phone", "*******5678")]),
    ]
    assert report.public == [PublicIdentifier("address:centre", "address", 4, "***, Shanghai")]
    assert PHONE_VALUE not in repr(report) and DEVICE_VALUE not in repr(report)
    assert "Nanjing" not in repr(report)


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return command_line_database(tmp_path, monkeypatch)


def test_rings_json_names_identifiers_by_id_and_kind_only(
        cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    EmbeddedGraphStore(cli_database).upsert_batch(*_ring_graph())

    code = run_loanwatch(monkeypatch, "rings", "--json", "--public-above", "3")

    out = capsys.readouterr().out
    assert code == 0
    assert orjson.loads(out) == {
        "rings": [
            {"members": ["C1", "P4", "P5"], "shared": [{"id": "ACC-1", "kind": "account"}]},
            {"members": ["P1", "P2", "P3"], "shared": [{"id": "device:1", "kind": "device"},
                                                      {"id": "phone:1", "kind": "phone"}]},
        ],
        "public": [{"id": "address:centre", "kind": "address", "users": 4}],
    }
    assert "5678" not in out and "Shanghai" not in out


def test_rings_table_shows_masked_values_only(
        cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    EmbeddedGraphStore(cli_database).upsert_batch(*_ring_graph())

    code = run_loanwatch(monkeypatch, "rings", "--min-size", "3", "--public-above", "3")

    out = capsys.readouterr().out
    assert code == 0
    assert "2 identity rings" in out and "1 public identifiers" in out
    assert "phone phone:1 (*******5678)" in out
    for value in (PHONE_VALUE, DEVICE_VALUE, "Nanjing"):
        assert value not in out


def test_a_bad_public_threshold_is_an_error(
        cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = run_loanwatch(monkeypatch, "rings", "--min-size", "5", "--public-above", "4")

    err = capsys.readouterr().err
    assert code == 1
    assert "error: public threshold 4 must be at least the minimum ring size 5" in err


# -- the generator's planted rings -------------------------------------------------------------


def test_every_planted_ring_is_found(tmp_path: Path) -> None:
    out = tmp_path / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=2_000, seed=5, ring_count=12), out)
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    graph = EmbeddedGraphStore(engine)
    import_files([out], graph, engine)
    truth = orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())

    report = read_rings(graph)

    found = {tuple(r.members): r for r in report.rings}
    assert len(truth["identity_rings"]) == 12
    for planted in truth["identity_rings"]:
        ring = found[tuple(sorted(planted["members"]))]
        assert sorted(s.kind for s in ring.shared) == sorted(planted["kinds"])
        for value in planted["values"].values():
            assert value not in repr(ring)
    engine.dispose()
