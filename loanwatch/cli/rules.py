"""``loanwatch rules check [FILE]``: validate an early-warning rules file and show its rules.

Exit code 0 when the file is valid; 1 with every problem (file, line, rule id, field) when
it is not. Nothing is read from or written to the stores.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from risk.rules.loader import DEFAULT_RULES_FILE, load_rules, rule_table
from risk.rules.schema import MODEL_SIGNALS

__all__ = ["app", "check"]

app = typer.Typer(help="Early-warning rules files: check them before they run.",
                  no_args_is_help=True)
console = Console()


@app.command()
def check(
    file: Path = typer.Argument(
        DEFAULT_RULES_FILE, show_default="the shipped risk/rules/default_rules.yaml",
        help="The rules file (YAML) to check."),
    as_json: bool = typer.Option(False, "--json", help="Print the rules as one JSON document."),
) -> None:
    """Validate a rules file; print its rules, or every problem with its line."""
    rules = load_rules(file)
    rows = rule_table(rules.rules)
    if as_json:
        typer.echo(json.dumps({"file": str(file), "rules": rows}, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{escape(str(file))}: {len(rows)} rules, "
                        f"{len(rules.enabled())} enabled")
    for column in ("line", "id", "signal", "severity", "enabled", "cool-down", "parameters"):
        table.add_column(column)
    for row in rows:
        parameters = ", ".join(f"{k}={v}" for k, v in row["parameters"].items())
        table.add_row(str(rules.lines[str(row["id"])]), escape(str(row["id"])),
                      str(row["signal"]), str(row["severity"]),
                      "yes" if row["enabled"] else "no", f"{row['cooldown_days']} d",
                      escape(parameters))
    console.print(table)
    waiting = [rule.id for rule in rules.enabled() if rule.signal in MODEL_SIGNALS]
    if waiting:
        console.print(f"valid. {', '.join(waiting)}: validated; evaluated when a production "
                      "PD model exists (`loanwatch model list`).", highlight=False)
    else:
        console.print("valid.", highlight=False)
