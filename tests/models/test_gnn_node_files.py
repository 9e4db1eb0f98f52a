"""Reading a lender's network: what is accepted, and every bad input named by file, line and
column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.models.gnn.errors import GraphModelError
from risk.models.gnn.node_files import MAX_EDGE_TYPES, read_edges, read_nodes
from risk.models.gnn.splits import split_nodes

NODES = """id,bad,income,sector,ref,split
A,1,100,trade,r1,train
B,0,,farming,r2,valid
C,,50,trade,r3,
D,0,NA,,r4,test
"""
EDGES = """source,target,type,weight
A,B,guarantees,2.5
B,A,guarantees,1
A,C,owns,0.3
C,D,,1
"""


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _nodes(tmp_path: Path, text: str = NODES, **options: str | None):
    return read_nodes(_write(tmp_path, "nodes.csv", text), options.pop("target", "bad"),
                      **options)


def test_nodes_labels_splits_and_attributes(tmp_path: Path) -> None:
    nodes = _nodes(tmp_path, split="split")
    assert nodes.ids.tolist() == ["A", "B", "C", "D"]
    assert nodes.label.tolist() == [1, 0, -1, 0]
    assert nodes.split.tolist() == ["train", "valid", "", "test"]
    assert nodes.lines.tolist() == [2, 3, 4, 5]
    assert nodes.attributes["income"].tolist()[0] == 100.0
    assert np.isnan(nodes.attributes["income"][3])
    assert isinstance(nodes.attributes["sector"].dtype, pd.CategoricalDtype)
    assert pd.isna(nodes.attributes["sector"][3])
    # A distinct text per row names a node, it says nothing of it: dropped.
    assert "ref" in nodes.attributes.columns  # only 4 rows: not yet id-like
    assert nodes.dropped == []


def test_id_like_and_constant_columns_are_dropped(tmp_path: Path) -> None:
    rows = "\n".join(f"N{k},{k % 2},ref-{k},{k},7,{k % 3}" for k in range(300))
    nodes = _nodes(tmp_path, f"id,bad,ref,row,same,level\n{rows}\n")
    assert nodes.dropped == ["ref", "row", "same"]
    assert nodes.attributes.columns.tolist() == ["level"]


def test_targets_read_as_booleans_or_with_positive(tmp_path: Path) -> None:
    assert _nodes(tmp_path, "id,bad\nA,yes\nB,no\nC,\n").label.tolist() == [1, 0, -1]
    assert _nodes(tmp_path, "id,bad\nA,1.0\nB,0\n").label.tolist() == [1, 0]
    text = "id,status\nA,default\nB,current\nC,late\nD,\n"
    nodes = _nodes(tmp_path, text, target="status", positive="default")
    assert nodes.label.tolist() == [1, 0, 0, -1]


def test_edges_types_weights_and_parallel_edges(tmp_path: Path) -> None:
    nodes = _nodes(tmp_path, split="split")
    edges = read_edges(_write(tmp_path, "edges.csv", EDGES + "A,B,guarantees,1\n"), nodes)
    assert edges.source.tolist() == [0, 1, 0, 2, 0]
    assert edges.target.tolist() == [1, 0, 2, 3, 1]
    assert edges.types == ["guarantees", "link", "owns"]
    assert [edges.types[k] for k in edges.kind] == ["guarantees", "guarantees", "owns",
                                                    "link", "guarantees"]
    assert edges.weighted and edges.weight.tolist() == [2.5, 1.0, 0.3, 1.0, 1.0]
    plain = read_edges(_write(tmp_path, "plain.csv", "target,source\nB,A\n"), nodes)
    assert not plain.weighted and plain.types == ["link"]
    assert (plain.source.tolist(), plain.target.tolist()) == ([0], [1])


def test_rare_edge_types_are_merged(tmp_path: Path) -> None:
    nodes = _nodes(tmp_path)
    rows = "".join(f"A,B,t{k}\n" * (20 - k) for k in range(MAX_EDGE_TYPES + 3))
    edges = read_edges(_write(tmp_path, "edges.csv", "source,target,type\n" + rows), nodes)
    assert len(edges.types) == MAX_EDGE_TYPES + 1
    assert edges.types[-1] == "other"
    assert (edges.kind == MAX_EDGE_TYPES).sum() == 12 + 11 + 10  # t8, t9, t10


@pytest.mark.parametrize(("text", "options", "message"), [
    ("", {}, "nodes.csv: the file is empty"),
    ("id,bad\n", {}, "nodes.csv: the file has a header but no rows"),
    ("name,bad\nA,1\n", {}, "nodes.csv:1 id: missing column(s) id"),
    ("id,good\nA,1\n", {}, "nodes.csv:1 bad: missing column(s) bad"),
    ("id,bad\nA,1\nB,0\n", {"split": "part"}, "nodes.csv:1 part: missing column(s) part"),
    ("id,bad\nA,1\nB,0\nA,0\n", {}, "nodes.csv:4 id: 'A' is given twice (first on line 2)"),
    ("id,bad\nA,1\n,0\n", {}, "nodes.csv:3 id: is empty"),
    ("id,bad\nA,1\nB,0,9\n", {}, "nodes.csv:3: expected 2 fields, got 3"),
    ("id,bad\nA,1\nB,1\nC,\n", {}, "every labelled node is positive"),
    ("id,bad\nA,\nB,\n", {}, "every target is empty"),
    ("id,bad\nA,good\nB,poor\nC,bad\n", {}, "nodes.csv:4 bad: the target has the values "
                                            "'good', 'poor', 'bad', not 0/1"),
    ("id,bad\nA,1\nB,0\n", {"positive": "yes"}, "no node has the target 'yes'"),
    ("id,bad,s\nA,1,train\nB,0,holdout\n", {"split": "s"},
     "nodes.csv:3 s: 'holdout' is not one of train, valid, test"),
    ("id,bad,s\nA,1,train\nB,0,\n", {"split": "s"}, "nodes.csv:3 s: is empty"),
    ("id,bad,x\n" + "".join(f"N{k},{k % 2},{k}\n" for k in range(40)) + "Z,1,lots\n", {},
     "nodes.csv:42 x: 'lots' is not a number"),
])
def test_bad_nodes_files(tmp_path: Path, text: str, options: dict, message: str) -> None:
    with pytest.raises(GraphModelError) as caught:
        _nodes(tmp_path, text, **options)
    assert message in caught.value.message
    assert caught.value.suggestion


def test_files_that_are_not_csv(tmp_path: Path) -> None:
    with pytest.raises(GraphModelError, match="no such file"):
        read_nodes(tmp_path / "absent.csv", "bad")
    with pytest.raises(GraphModelError, match="not UTF-8 text"):
        read_nodes(_write(tmp_path, "nodes.xlsx", b"PK\x03\x04\xff\xfe\x00binary"), "bad")
    with pytest.raises(GraphModelError, match="is a directory"):
        read_nodes(tmp_path, "bad")


@pytest.mark.parametrize(("text", "message"), [
    ("src,target\nA,B\n", "edges.csv:1 source: missing column(s) source"),
    ("source,target\nA,B\nA,Z\n", "edges.csv:3 target: no node has the id 'Z' in nodes.csv"),
    ("source,target\nQ,B\n", "edges.csv:2 source: no node has the id 'Q'"),
    ("source,target\nA,B\nC,C\n", "edges.csv:3 target: 'C' is the source itself"),
    ("source,target,weight\nA,B,1\nB,C,heavy\n", "edges.csv:3 weight: 'heavy' is not a number"),
    ("source,target,weight\nA,B,inf\n", "edges.csv:2 weight: 'inf' is not a number"),
    ("source,target,weight\nA,B,\n", "edges.csv:2 weight: is empty"),
    ("source,target\n,B\n", "edges.csv:2 source: is empty"),
])
def test_bad_edges_files(tmp_path: Path, text: str, message: str) -> None:
    nodes = _nodes(tmp_path)
    with pytest.raises(GraphModelError) as caught:
        read_edges(_write(tmp_path, "edges.csv", text), nodes)
    assert message in caught.value.message


def test_split_parts_need_both_classes(tmp_path: Path) -> None:
    label = np.array([1, 0] * 20 + [0, 0, -1])
    given = np.array(["train", "train"] * 10 + ["valid", "valid"] * 5 + ["test"] * 10
                     + ["test", "test", ""], dtype=object)
    given[30:40] = "test"
    label[30:43] = np.array([0] * 12 + [-1])
    with pytest.raises(GraphModelError, match="the test part has only negative nodes"):
        split_nodes(label, given, where="nodes.csv")
    given[:] = "train"
    given[-1] = ""
    with pytest.raises(GraphModelError, match="the test part has no labelled node"):
        split_nodes(label, given, where="nodes.csv")


def test_random_split_is_stratified_and_seeded() -> None:
    label = np.array([1] * 50 + [0] * 450 + [-1] * 20)
    parts = split_nodes(label, None, seed=4)
    assert sum(int(m.sum()) for m in parts.values()) == 500
    assert not (parts["train"] & parts["test"]).any()
    assert label[parts["train"]].mean() == pytest.approx(0.1, abs=0.01)
    assert label[parts["test"]].mean() == pytest.approx(0.1, abs=0.01)
    again = split_nodes(label, None, seed=4)
    assert all(np.array_equal(parts[k], again[k]) for k in parts)
    # A split column without valid: a stratified part of train validates.
    given = np.where(np.arange(520) % 5 == 0, "test", "train").astype(object)
    given[label < 0] = ""
    carved = split_nodes(label, given)
    assert carved["test"].sum() == 100
    assert carved["valid"].sum() == 100 and carved["train"].sum() == 300
    assert not (carved["valid"] & carved["train"]).any()
