"""Turns Loanwatch errors into a short message and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from loanwatch.errors import BackendUnavailable, LoanwatchError

__all__ = ["EXIT_BACKEND_UNAVAILABLE", "EXIT_ERROR", "run_reporting_errors"]

EXIT_ERROR = 1
EXIT_BACKEND_UNAVAILABLE = 3


def run_reporting_errors(app: typer.Typer) -> None:
    """Run ``app``; print a :class:`LoanwatchError` as ``error: ...`` and exit non-zero."""
    console = Console(stderr=True)
    try:
        app()
    except LoanwatchError as exc:
        # Escaped: a message quoting "[ml]" or "[1, 2]" must not be read as console markup.
        console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.suggestion:
            console.print(f"[yellow]hint:[/] {escape(exc.suggestion)}", highlight=False)
        sys.exit(EXIT_BACKEND_UNAVAILABLE if isinstance(exc, BackendUnavailable) else EXIT_ERROR)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
