"""``loanwatch stress`` on files: the JSON, the table, and every bad input named."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.command_line import run_loanwatch
from tests.risk.contagion.example import EXAMPLES

NODES = "id,capital,value\nA,10,4\nB,8,2\nC,4,1\nD,16,1\n"
EXPOSURES = "creditor,debtor,amount\nB,A,4\nC,A,3\nC,A,3\nD,B,8\nD,C,4\nA,D,20\nC,B,1\n"


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    return run_loanwatch(monkeypatch, "stress", *args)


def files(tmp_path: Path, nodes: str = NODES, exposures: str = EXPOSURES) -> list[str]:
    (tmp_path / "nodes.csv").write_text(nodes)
    (tmp_path / "exposures.csv").write_text(exposures)
    return ["--nodes", str(tmp_path / "nodes.csv"), "--exposures", str(tmp_path / "exposures.csv")]


def test_the_example_files_are_the_hand_computed_network() -> None:
    assert (EXAMPLES / "nodes.csv").read_text() == NODES
    assert (EXAMPLES / "exposures.csv").read_text() == EXPOSURES


def test_json_is_one_document_with_the_debtrank_figures(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    data_dir = Path(os.environ["LOANWATCH_DATA_DIR"])
    before = sorted(data_dir.rglob("*")) if data_dir.exists() else []

    code = run(monkeypatch, *files(tmp_path), "--shock", "A=1", "--json")

    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out) == {
        "rounds": 2, "additional_stress": 0.3125, "additional_defaults": 1,
        "distress": {"A": 1.0, "B": 0.5, "C": 1.0, "D": 0.5},
    }
    assert out.out.count("\n") == 1
    assert (sorted(data_dir.rglob("*")) if data_dir.exists() else []) == before  # no store
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exposures.csv", "nodes.csv"]


def test_json_of_the_cascade_names_rounds_and_the_chain(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code = run(monkeypatch, *files(tmp_path), "--shock", "A=1", "--shock", "B=0.5",
               "--shock", "D=0.25", "--method", "cascade", "--json")

    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "rounds": 2, "lgd": 1.0, "additional_defaults": 3, "losses": 43.0,
        "defaults": [["A"], ["B", "C"], ["D"]],
        "chain": [{"creditor": "B", "debtor": "A", "round": 1},
                  {"creditor": "C", "debtor": "A", "round": 1},
                  {"creditor": "D", "debtor": "B", "round": 2}],
    }


def test_lgd_reaches_the_cascade(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code = run(monkeypatch, *files(tmp_path), "--shock", "A=1", "--shock", "B=0.5",
               "--method", "cascade", "--lgd", "0.5", "--json")

    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["rounds"], document["defaults"], document["losses"]) == (0, [["A"]], 5.0)


def test_the_table_lists_the_most_distressed_nodes_and_the_totals(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code = run(monkeypatch, *files(tmp_path), "--shock", "A=0.5", "--top", "2")

    out = capsys.readouterr().out
    assert code == 0
    assert "the 2 most distressed of 4 distressed nodes" in out
    assert "0.7500" in out and "0.5625" in out and "0.2500" not in out
    assert "rounds: 3   additional stress: 0.289062   additional defaults: 0" in out


def test_the_cascade_table_shows_top_rows_and_says_how_many_more(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code = run(monkeypatch, *files(tmp_path), "--shock", "A=1", "--shock", "B=0.5",
               "--shock", "D=0.25", "--method", "cascade", "--top", "3")

    out = capsys.readouterr().out
    assert code == 0
    assert "… and 1 more (--top N shows more, --json all)" in out
    assert "│     2 │ D" not in out


def test_the_cascade_table_says_who_pushed_whom(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code = run(monkeypatch, *files(tmp_path), "--shock", "A=1", "--shock", "B=0.5",
               "--shock", "D=0.25", "--method", "cascade")

    out = capsys.readouterr().out
    assert code == 0
    assert "4 of 4 nodes defaulted" in out
    assert "rounds: 2   additional defaults: 3   losses on defaulted debtors: 43.00" in out


BAD_NODES = [
    ("id,capital,value\nA,0,1\nB,8,2\nC,4,1\nD,16,1\n", "nodes.csv:2 capital: must be above 0"),
    ("id,capital,value\nA,10,4\nB,-8,2\nC,4,1\nD,16,1\n", "nodes.csv:3 capital: must be above 0"),
    ("id,capital,value\nA,10,4\nB,8,-2\nC,4,1\nD,16,1\n", "nodes.csv:3 value: must be 0 or more"),
    ("id,capital,value\nA,10,4\nB,8,2\nA,4,1\nD,16,1\n",
     "nodes.csv:4 id: 'A' is given twice (first on line 2)"),
    ("id,capital,value\nA,ten,4\nB,8,2\nC,4,1\nD,16,1\n",
     "nodes.csv:2 capital: 'ten' is not a number"),
    ("id,capital,value\nA,10,4\nB,8,nan\nC,4,1\nD,16,1\n",
     "nodes.csv:3 value: 'nan' is not a number"),
    ("id,capital,value\nA,10,4\nB,8\nC,4,1\nD,16,1\n", "nodes.csv:3: expected 3 fields, got 2"),
    ("id,capital,value\n,10,4\n", "nodes.csv:2 id: is empty"),
    ("id,value\nA,4\n", "nodes.csv:1 capital: missing column(s) capital"),
    ("", "nodes.csv: the file is empty"),
    ("id,capital,value\n", "nodes.csv: the file has a header but no rows"),
    ("id,capital,value\nA,10,0\nB,8,0\nC,4,0\nD,16,0\n", "nodes.csv: value: every value is 0"),
]

BAD_EXPOSURES = [
    ("creditor,debtor,amount\nB,A,4\nC,C,2\n",
     "exposures.csv:3 debtor: 'C' is the creditor itself"),
    ("creditor,debtor,amount\nB,A,4\nC,Z,2\n",
     "exposures.csv:3 debtor: no node has the id 'Z'"),
    ("creditor,debtor,amount\nY,A,4\n", "exposures.csv:2 creditor: no node has the id 'Y'"),
    ("creditor,debtor,amount\nB,A,-4\n", "exposures.csv:2 amount: must be 0 or more"),
    ("creditor,debtor,amount\nB,A,4 CNY\n", "exposures.csv:2 amount: '4 CNY' is not a number"),
    ("creditor,amount\nB,4\n", "exposures.csv:1 debtor: missing column(s) debtor"),
    ("", "exposures.csv: the file is empty"),
    ("creditor,debtor,amount\n", "exposures.csv: the file has a header but no rows"),
]


@pytest.mark.parametrize(("nodes", "message"), BAD_NODES, ids=[m for _, m in BAD_NODES])
def test_a_bad_nodes_file_is_named_with_line_and_field(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    nodes: str, message: str,
) -> None:
    code = run(monkeypatch, *files(tmp_path, nodes=nodes), "--shock", "A=1", "--json")

    out = capsys.readouterr()
    assert code == 1
    assert f"error: {tmp_path}/{message}" in out.err
    assert "hint: " in out.err
    assert "Traceback" not in out.err
    assert out.out == ""


@pytest.mark.parametrize(("exposures", "message"), BAD_EXPOSURES,
                         ids=[m for _, m in BAD_EXPOSURES])
def test_a_bad_exposures_file_is_named_with_line_and_field(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    exposures: str, message: str,
) -> None:
    code = run(monkeypatch, *files(tmp_path, exposures=exposures), "--shock", "A=1")

    out = capsys.readouterr()
    assert code == 1
    assert f"error: {tmp_path}/{message}" in out.err
    assert "hint: " in out.err
    assert "Traceback" not in out.err


BAD_SHOCKS = [
    (["--shock", "Z=0.5"], "error: shock Z=0.5: no node has the id 'Z'"),
    (["--shock", "A=1.5"], "error: shock 'A=1.5': fraction 1.5 is outside [0, 1]"),
    (["--shock", "A=-0.1"], "error: shock 'A=-0.1': fraction -0.1 is outside [0, 1]"),
    (["--shock", "A=half"], "error: shock 'A=half': fraction 'half' is not a number"),
    (["--shock", "A"], "error: shock 'A': expected ID=FRACTION"),
    (["--shock", "A=1", "--shock", "A=0.5"], "error: node 'A' is shocked twice"),
    ([], "error: no shock: give at least one --shock ID=FRACTION"),
    (["--shock", "A=1", "--method", "cascade", "--lgd", "2"],
     "error: --lgd 2 is outside [0, 1]"),
    (["--shock", "A=1", "--lgd", "0.5"],
     "error: --lgd is the loss given default of the cascade; DebtRank has none"),
]


@pytest.mark.parametrize(("args", "message"), BAD_SHOCKS, ids=[m for _, m in BAD_SHOCKS])
def test_a_bad_shock_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    args: list[str], message: str,
) -> None:
    code = run(monkeypatch, *files(tmp_path), *args)

    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert "hint: " in err
    assert "Traceback" not in err


def test_a_file_that_is_not_utf8_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    args = files(tmp_path)
    (tmp_path / "nodes.csv").write_bytes(b"id,capital,value\nA,10,\xff\n")

    code = run(monkeypatch, *args, "--shock", "A=1")

    assert code == 1
    assert f"error: {tmp_path}/nodes.csv: not UTF-8 text" in capsys.readouterr().err


def test_a_missing_file_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code = run(monkeypatch, "--nodes", str(tmp_path / "none.csv"), "--exposures",
               str(tmp_path / "none2.csv"), "--shock", "A=1")

    assert code == 1
    assert f"error: {tmp_path}/none.csv: no such file" in capsys.readouterr().err


def test_without_a_network_the_command_says_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(monkeypatch, "--shock", "A=1")

    err = capsys.readouterr().err
    assert code == 1
    assert "error: stress needs an exposure network: --nodes NODES.csv and --exposures" in err


def readme_examples() -> list[tuple[list[str], list[str]]]:
    """The ``$ loanwatch stress ...`` commands of the README's "Stress tests" and their output."""
    text = (EXAMPLES.parents[1] / "README.md").read_text()
    section = text[text.index("## Stress tests"):]
    section = section[:section.index("\n## ", 1)]
    examples = []
    for block in section.split("```text\n")[1:]:
        body = block[:block.index("```")].replace("\\\n", " ")
        lines = body.splitlines()
        if not lines[0].startswith("$ loanwatch stress "):
            continue
        examples.append((lines[0].split()[3:], [line.rstrip() for line in lines[1:]]))
    return examples


def test_the_readme_examples_print_what_the_readme_shows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(EXAMPLES.parents[1])
    examples = readme_examples()
    assert len(examples) == 2
    for args, shown in examples:
        code = run(monkeypatch, *args)

        printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
        assert code == 0
        assert [line.strip() for line in printed] == [line.strip() for line in shown]
