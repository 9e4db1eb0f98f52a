"""Edge rows split into groups that share no node, balanced by size."""

from __future__ import annotations

import pytest

from graph.partition import node_disjoint_chunks


def rows(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"source": s, "target": t} for s, t in pairs]


def ends(chunk: list[dict[str, str]]) -> set[str]:
    return {r["source"] for r in chunk} | {r["target"] for r in chunk}


def test_groups_share_no_node_and_keep_every_row() -> None:
    given = rows(("P1", "L1"), ("P2", "L1"), ("P3", "L2"), ("P4", "L3"), ("P4", "L4"),
                 ("P5", "phone:1"), ("P6", "phone:1"), ("P7", "L5"))
    chunks = node_disjoint_chunks(given, 3)
    assert sorted(map(str, (r for c in chunks for r in c))) == sorted(map(str, given))
    for i, a in enumerate(chunks):
        for b in chunks[i + 1:]:
            assert not ends(a) & ends(b)
    assert sorted(len(c) for c in chunks) == [2, 3, 3]


def test_one_component_stays_whole() -> None:
    hub = rows(*((f"P{i}", "address:1") for i in range(5)))
    assert node_disjoint_chunks(hub, 4) == [hub]


def test_parts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="parts"):
        node_disjoint_chunks(rows(("a", "b")), 0)
