"""Personal data at rest, on every backend: sealed in storage, plaintext to callers,
searchable through the blind index, re-sealed by a resumable rotation, refused in clear."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, insert, select, text

from graph.data_keys import KeyRing
from graph.errors import PlaintextPersonalData, UndecryptableValue, UnknownDataKey
from graph.identifier_ids import identifier_node_id
from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.embedded_schema import graph_meta, graph_node
from graph.stores.neo4j import Neo4jGraphStore
from graph.vault import PersonalDataVault
from jobs.key_rotation import needs_sealing, reseal_all, rotation_status
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from portfolio.imports import RejectedRow

K1, K2 = b"1" * 32, b"2" * 32
H1, H2 = b"identifier-key-version-one-000000", b"hash-key-version-two-000000000000"
V1 = PersonalDataVault(KeyRing({1: K1}, {1: H1}))
V12 = PersonalDataVault(KeyRing({1: K1, 2: K2}, {1: H1, 2: H2}))
V2_ONLY = PersonalDataVault(KeyRing({2: K2}, {1: H1, 2: H2}))

PHONE = identifier_node_id("phone", "+8613800138000", H1)
PERSONS = [
    Node("P1", Label.PERSON, {"name": "Zhang Wei", "national_id": "330102197803150011",
                              "monthly_income": 12500.5, "monthly_income_minor": 1250050,
                              "birth_date": "1978-03-15", "segment": "retail"}),
    Node("P2", Label.PERSON, {"name": "王小明", "national_id": "110101199001011234"}),
    Node("P3", Label.PERSON, {"name": "Li Na"}),
]
NODES = [
    *PERSONS,
    Node("C1", Label.COMPANY, {"name": "Zhangjiang Trading"}),
    Node(PHONE, Label.PHONE, {"value": "+8613800138000"}),
]
EDGES = [Edge(RelType.USES, "P1", PHONE), Edge(RelType.USES, "P2", PHONE),
         Edge(RelType.DIRECTS, "P1", "C1")]
SECRETS = ("zhang wei", "Zhang", "王小明", "小明", "330102197803150011", "110101199001011234",
           "12500.5", "1250050", "1978-03-15", "8613800138000", "Li Na")


def with_vault(store: GraphStore, vault: PersonalDataVault) -> GraphStore:
    """Another store on the same backend and data, with other keys (as another process
    configured differently would be). It shares the connections: never close it."""
    if isinstance(store, EmbeddedGraphStore):
        return EmbeddedGraphStore(store._engine, vault=vault)
    assert isinstance(store, Neo4jGraphStore)
    return Neo4jGraphStore(store._driver, address="test", vault=vault)


def personal_dump(store: GraphStore) -> str:
    """The raw storage of every node but the company (whose name is public), as text."""
    raw = {node_id: props for node_id, props in raw_nodes(store).items() if node_id != "C1"}
    return orjson.dumps(raw, default=str).decode()


def raw_nodes(store: GraphStore) -> dict[str, dict[str, Any]]:
    """Every node as the backend holds it, bypassing the store: all its columns or
    properties."""
    if isinstance(store, EmbeddedGraphStore):
        with store._engine.connect() as conn:
            return {row.id: {str(k): v for k, v in row._asdict().items()}
                    for row in conn.execute(select(graph_node))}
    assert isinstance(store, Neo4jGraphStore)
    records, _, _ = store._driver.execute_query("MATCH (n:Entity) RETURN n.id AS id, "
                                                "properties(n) AS props")
    return {record["id"]: record["props"] for record in records}


def write_in_clear(store: GraphStore, nodes: list[Node]) -> None:
    """Write ``nodes`` as a release before encryption at rest did: values in clear, the
    name in the search text, no sealed marker."""
    if isinstance(store, EmbeddedGraphStore):
        with store._engine.begin() as conn:
            conn.execute(graph_meta.delete())
            conn.execute(insert(graph_node), [
                {"id": n.id, "label": n.label.value, "name": n.name,
                 "search_text": n.search_text, "props": orjson.dumps(n.props).decode()}
                for n in nodes])
        return
    assert isinstance(store, Neo4jGraphStore)
    store._driver.execute_query("MATCH (m:LoanwatchMeta) DELETE m")
    store._driver.execute_query(
        "UNWIND $rows AS row CREATE (n:Entity {id: row.id, label: row.label, "
        "search_text: row.search_text}) SET n += row.props",
        rows=[{"id": n.id, "label": n.label.value, "search_text": n.search_text,
               "props": n.props} for n in nodes])


@pytest.fixture
def records(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQL database for the rotation's record and rejected rows."""
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'records.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sealed(store: GraphStore) -> GraphStore:
    """The store with persons, a company and a phone written under data key v1."""
    written = with_vault(store, V1)
    written.upsert_batch(NODES, EDGES)
    return written


def test_storage_holds_no_plaintext_and_callers_see_plaintext(sealed: GraphStore) -> None:
    dump = personal_dump(sealed)
    for secret in SECRETS:
        assert secret not in dump and secret.lower() not in dump.lower(), secret
    assert raw_nodes(sealed)["C1"]["name"] == "Zhangjiang Trading", \
        "company names are not personal: kept in clear"
    assert sealed.get_nodes([n.id for n in NODES]) == NODES
    assert sealed.nodes_with_label(Label.PERSON) == sorted(PERSONS, key=lambda n: n.id)


def test_every_read_path_opens_the_sealed_values(sealed: GraphStore) -> None:
    [p1] = [n for n in sealed.neighbourhood("C1", 1).nodes if n.id == "P1"]
    assert p1.props["name"] == "Zhang Wei"
    graph = sealed.project([RelType.USES])
    assert graph.nodes["P1"]["monthly_income"] == 12500.5
    assert graph.nodes[PHONE]["value"] == "+8613800138000"
    rows = [row for batch in sealed.iter_edges([RelType.USES], source_props=["name"],
                                               target_props=["value"]) for row in batch]
    assert sorted(values for *_, values in rows) == [("Zhang Wei", "+8613800138000"),
                                                     ("王小明", "+8613800138000")]


@pytest.mark.parametrize(("needle", "found"), [
    ("zhang", ["P1", "C1"]),        # a person by name, a company by name, ordered by name
    ("ANG W", ["P1"]),              # across the space, any case
    ("wei", ["P1"]),
    ("小明", ["P2"]),
    ("王", ["P2"]),                 # one character: a single token
    ("王小明", ["P2"]),
    ("p3", ["P3"]),                 # ids stay searchable as they were
    ("330102197803150011", ["P1"]),  # a national id, exactly, through its keyed hash
    ("3301021978", []),             # ... but not a part of it: only exact ids are indexed
    ("zhang li", []),               # n-gram coincidences are checked against the name
    ("nobody", []),
])
def test_search_by_name_substring_and_exact_national_id(sealed: GraphStore, needle: str,
                                                        found: list[str]) -> None:
    assert [n.id for n in sealed.search_parties(needle)] == found


def test_search_returns_whole_plaintext_nodes_and_honours_the_limit(sealed: GraphStore) -> None:
    assert sealed.search_parties("zhang", limit=1) == [PERSONS[0]]


def test_a_partial_update_keeps_the_index_of_the_values_not_given(sealed: GraphStore) -> None:
    sealed.upsert_nodes([Node("P1", Label.PERSON, {"monthly_income": 9000.0})])
    assert [n.id for n in sealed.search_parties("zhang wei")] == ["P1"]
    assert [n.id for n in sealed.search_parties("330102197803150011")] == ["P1"]
    sealed.upsert_nodes([Node("P1", Label.PERSON, {"name": "Zhao Lei"})])
    assert sealed.search_parties("zhang wei") == []
    assert [n.id for n in sealed.search_parties("zhao")] == ["P1"]


def test_a_missing_or_wrong_key_is_a_clear_error(sealed: GraphStore) -> None:
    with pytest.raises(UnknownDataKey, match="data key version 1, which is not configured") \
            as caught:
        with_vault(sealed, V2_ONLY).get_node("P1")
    assert "LOANWATCH_DATA_KEYS" in (caught.value.suggestion or "")
    wrong = PersonalDataVault(KeyRing({1: b"x" * 32}, {1: H1}))
    with pytest.raises(UndecryptableValue, match="does not decrypt under data key version 1"):
        with_vault(sealed, wrong).get_node("P1")
    assert with_vault(sealed, wrong).get_node("C1") == NODES[3], "non-personal data reads"


def test_rotation_re_encrypts_everything_and_reads_work_mid_rotation(
        sealed: GraphStore, records: Engine) -> None:
    rotated = with_vault(sealed, V12)
    seen: list[int] = []

    def after_two_persons() -> bool:  # stop the pass as a Ctrl-C would, between pages
        return seen[-1] == 2

    half = reseal_all(rotated, records, V12, page_size=1, stop=after_two_persons,
                      progress=lambda state: seen.append(state.resealed))
    assert not half.finished and half.resealed == 2
    stored = raw_nodes(sealed)
    versions = {stored[i]["name"].split("$")[1] for i in ("P1", "P2", "P3")}
    assert versions == {"1", "2"}, "mid-rotation: some persons moved, some not yet"
    # Mid-rotation, every read and search works under the configured keys.
    assert rotated.get_nodes([n.id for n in NODES]) == NODES
    assert [n.id for n in rotated.search_parties("zhang")] == ["P1", "C1"]
    assert [n.id for n in rotated.search_parties("小明")] == ["P2"]
    assert [n.id for n in rotated.search_parties("110101199001011234")] == ["P2"]

    done = reseal_all(rotated, records, V12, page_size=1)
    assert done.finished and done.id == half.id, "the same pass resumed"
    assert done.resealed == 4 and rotation_status(records) == done
    # Every value and token is now under version 2: the old keys can go.
    for node_id, props in raw_nodes(sealed).items():
        if node_id in ("P1", "P2", "P3"):
            assert props["name"].startswith("lw1$2$")
            assert all(token.startswith("2.") for token in props["name_tokens"].split())
    only_new = with_vault(sealed, V2_ONLY)
    assert only_new.get_nodes([n.id for n in NODES]) == NODES
    assert [n.id for n in only_new.search_parties("wei")] == ["P1"]
    # Identifier node ids never change: they stay keyed with hash key version 1.
    assert only_new.get_node(PHONE) == NODES[4]
    again = reseal_all(rotated, records, V12)
    assert again.resealed == 0 and again.id != done.id


def test_a_store_written_in_clear_is_refused_until_migrated(store: GraphStore,
                                                            records: Engine) -> None:
    write_in_clear(store, NODES)
    legacy = with_vault(store, V1)
    assert needs_sealing(legacy, records)
    with pytest.raises(PlaintextPersonalData, match="stored in clear") as caught:
        legacy.get_node("P1")
    assert caught.value.suggestion == "run `loanwatch migrate`, which encrypts it"
    with pytest.raises(PlaintextPersonalData, match="nothing was written"):
        legacy.upsert_nodes([Node("P9", Label.PERSON, {"name": "New Person"})])
    assert legacy.get_node("P9") is None

    done = reseal_all(legacy, records, V1)
    assert done.finished and done.resealed == 4  # three persons and the phone
    assert not needs_sealing(legacy, records)
    dump = personal_dump(store)
    assert [secret for secret in SECRETS if secret.lower() in dump.lower()] == []
    assert legacy.get_nodes([n.id for n in NODES]) == NODES
    assert [n.id for n in legacy.search_parties("zhang")] == ["P1", "C1"]
    legacy.upsert_nodes([Node("P9", Label.PERSON, {"name": "New Person"})])
    assert legacy.get_node("P9") is not None


def test_rejected_rows_are_sealed_and_rotated(store: GraphStore, records: Engine) -> None:
    from datetime import UTC, datetime

    from ingest.report import Reject
    from ingest.sql_records import RAW_FIELD, RecordWriter

    writer = RecordWriter(records, vault=V1)
    batch = writer.start_batch(["persons.csv"], datetime.now(UTC))
    line = "P7,Zhang San,330102197803150099,abc"
    writer.write({}, [Reject("persons.csv", 2, "monthly_income", "not a number", line)], batch)
    table = RejectedRow.__table__  # type: ignore[attr-defined]
    with records.connect() as conn:
        [raw] = conn.execute(select(table.c.raw)).scalars()
    assert "Zhang" not in raw and raw.startswith("lw1$1$")
    assert V1.open_text(RAW_FIELD, raw) == line
    with records.begin() as conn:  # a row a release before encryption stored in clear
        conn.execute(insert(table).values(batch_id=batch, file="persons.csv", line=3,
                                          field=None, reason="bad", raw="P8,Li Si"))
    assert needs_sealing(with_vault(store, V12), records)
    reseal_all(with_vault(store, V12), records, V12)
    with records.connect() as conn:
        raws = conn.execute(select(table.c.raw).order_by(table.c.id)).scalars().all()
    assert [raw.split("$")[1] for raw in raws] == ["2", "2"]
    assert [V2_ONLY.open_text(RAW_FIELD, raw) for raw in raws] == [line, "P8,Li Si"]
    with records.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM key_rotation")).scalar_one() == 1
