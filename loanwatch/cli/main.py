"""The ``loanwatch`` command: one typer application, one module per subcommand family."""

from __future__ import annotations

import typer

from loanwatch.cli.errors import run_reporting_errors

app = typer.Typer(
    name="loanwatch",
    help="Loanwatch: graph-native post-loan management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Subcommands register themselves here, one line each.


def main() -> None:
    run_reporting_errors(app)


if __name__ == "__main__":
    main()
