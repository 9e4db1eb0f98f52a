"""``loanwatch model train-graph`` end to end: the four models on a generated network whose
labels follow the neighbours, the exact JSON document, and every bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.command_line import run_loanwatch
from tests.models.gnn_data import generate_network, write_network

KEYS = {"auc", "ks", "brier"}


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    folder = tmp_path_factory.mktemp("network")
    generated = generate_network(1500, seed=1)
    rng = np.random.default_rng(2)
    split = [("" if label < 0 else str(rng.choice(["train", "valid", "test"],
                                                  p=[0.6, 0.2, 0.2])))
             for label in generated.label]
    nodes, edges = write_network(generated, folder, split=split)
    return nodes, edges, split


def test_json_compares_the_four_models_on_the_test_part(
        network, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    nodes, edges, split = network
    code = run_loanwatch(monkeypatch, "model", "train-graph", "--nodes", str(nodes),
                         "--edges", str(edges), "--target", "default", "--split", "split",
                         "--json")
    out = capsys.readouterr().out
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"test_rows", "models"}
    assert document["test_rows"] == split.count("test")
    models = document["models"]
    assert list(models) == ["plain", "graph_features", "gnn", "ensemble"]
    for scores in models.values():
        assert set(scores) == KEYS
        assert 0.5 < scores["auc"] <= 1 and 0 <= scores["ks"] <= 1
        assert 0 < scores["brier"] < 0.25
    # The label follows the neighbours: every model that reads the graph beats the node
    # alone by a clear margin, and the ensemble does not fall below the weaker of its two.
    plain = models["plain"]["auc"]
    assert models["graph_features"]["auc"] > plain + 0.1
    assert models["gnn"]["auc"] > plain + 0.1
    assert models["ensemble"]["auc"] >= min(models["graph_features"]["auc"],
                                            models["gnn"]["auc"])


def test_table_without_a_split_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    nodes, edges = write_network(generate_network(500, shared=1.0, seed=3), tmp_path)
    code = run_loanwatch(monkeypatch, "model", "train-graph", "--nodes", str(nodes),
                         "--edges", str(edges), "--target", "default")
    out = capsys.readouterr().out
    assert code == 0
    assert "train, " in out and " valid, " in out and " test)" in out
    for row in ("(a) attributes only", "(b) attributes + graph features",
                "(c) graph neural network", "(d) ensemble"):
        assert row in out
    assert "GNN:" in out and "best at" in out


NODES = ("id,bad,income,split\nA,1,10,train\nB,0,20,train\nC,0,5,test\nD,1,7,test\nE,,3,\n"
         "F,1,4,valid\nG,0,8,valid\n")
EDGES = "source,target,type,weight\nA,B,owns,1\nB,C,owns,2\nC,E,guarantees,1\n"


@pytest.mark.parametrize(("nodes", "edges", "extra", "message"), [
    (NODES, EDGES + "A,Z,owns,1\n", [],
     "edges.csv:5 target: no node has the id 'Z' in nodes.csv"),
    (NODES, EDGES + "D,D,owns,1\n", [], "edges.csv:5 target: 'D' is the source itself"),
    (NODES + "B,0,1,test\n", EDGES, [], "nodes.csv:9 id: 'B' is given twice"),
    (NODES.replace("C,0,5,test", "C,0,5,holdout"), EDGES, [],
     "nodes.csv:4 split: 'holdout' is not one of train, valid, test"),
    (NODES.replace("D,1,7,test", "D,0,7,test"), EDGES, [],
     "the test part has only negative nodes"),
    (NODES.replace("A,1,10,train", "A,0,10,train"), EDGES, [],
     "the train part has only negative nodes"),
    (NODES.replace("id,", "key,"), EDGES, [], "nodes.csv:1 id: missing column(s) id"),
    (NODES, EDGES, ["--target", "missing"], "nodes.csv:1 missing: missing column(s)"),
    (NODES, "from,to\nA,B\n", [], "edges.csv:1 source: missing column(s) source, target"),
    (NODES, EDGES + "A,C,owns,lots\n", [], "edges.csv:5 weight: 'lots' is not a number"),
    (NODES, EDGES, ["--split", "part"], "nodes.csv:1 part: missing column(s) part"),
])
def test_bad_input_is_one_line_naming_file_line_and_column(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        nodes: str, edges: str, extra: list[str], message: str) -> None:
    (tmp_path / "nodes.csv").write_text(nodes)
    (tmp_path / "edges.csv").write_text(edges)
    options = {"--target": "bad", "--split": "split"}
    for k in range(0, len(extra), 2):
        options[extra[k]] = extra[k + 1]
    code = run_loanwatch(monkeypatch, "model", "train-graph",
                         "--nodes", str(tmp_path / "nodes.csv"),
                         "--edges", str(tmp_path / "edges.csv"),
                         *[part for pair in options.items() for part in pair], "--json")
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    error = " ".join(captured.err.split())
    assert error.startswith("error: ")
    assert message in error
    assert "Traceback" not in captured.err
