"""``loanwatch neo4j start|stop|status``: a local Neo4j server, with no Docker.

Development tooling (see :mod:`loanwatch.devtools.neo4j_server`). The data folder defaults
to ``neo4j`` inside the settings' data folder (``LOANWATCH_DATA_DIR``, ``var`` by default,
relative to the current directory), so ``loanwatch neo4j start`` run in a clone keeps its
data in ``var/neo4j`` as ``make neo4j`` does. The server is built with Maven into the
user's cache (``$XDG_CACHE_HOME/loanwatch/neo4j-local``) unless ``--build-dir`` says where.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from loanwatch.devtools import neo4j_server
from loanwatch.settings import Settings

__all__ = ["app"]

app = typer.Typer(
    help="Run a local Neo4j Community server for development and tests (no Docker).",
    no_args_is_help=True,
)
console = Console()

DataDirOption = typer.Option(
    None,
    "--data-dir",
    help="Where the server keeps its data and log [default: $LOANWATCH_DATA_DIR/neo4j, "
    "i.e. var/neo4j].",
    show_default=False,
)
BoltOption = typer.Option(
    neo4j_server.DEFAULT_BOLT_ADDRESS, "--bolt", help="Bolt listen address, HOST:PORT (loopback)."
)


def _data_dir(given: Path | None) -> Path:
    """``--data-dir``, or ``neo4j`` in the settings' data folder; absolute either way."""
    if given is not None:
        return given.resolve()
    return (Settings.from_environ().data_dir / neo4j_server.DATA_SUBDIR).resolve()


@app.command()
def start(
    data_dir: Path | None = DataDirOption,
    bolt: str = BoltOption,
    timeout: float = typer.Option(
        neo4j_server.DEFAULT_START_TIMEOUT_S, "--timeout", min=1, help="Seconds to wait for Bolt."
    ),
    heap_mb: int = typer.Option(neo4j_server.DEFAULT_HEAP_MB, "--heap-mb", min=64),
    pagecache_mb: int = typer.Option(neo4j_server.DEFAULT_PAGECACHE_MB, "--pagecache-mb", min=8),
    build_dir: Path | None = typer.Option(
        None,
        "--build-dir",
        help="Where Maven builds the server [default: $XDG_CACHE_HOME/loanwatch/neo4j-local].",
        show_default=False,
    ),
) -> None:
    """Build the server if needed, start it unless it runs, and wait until Bolt answers."""
    folder = _data_dir(data_dir)
    began = time.monotonic()
    with console.status(f"starting Neo4j on {bolt} …"):
        pid = neo4j_server.start(
            folder, bolt, timeout, heap_mb=heap_mb, pagecache_mb=pagecache_mb,
            build_root=build_dir,
        )
    elapsed = time.monotonic() - began
    console.print(
        f"[green]Neo4j answers[/] on bolt://{bolt} (pid {pid}, {elapsed:.1f} s)\n"
        f"data: {folder}\nlog:  {neo4j_server.log_file(folder)}",
        highlight=False,
    )


@app.command()
def stop(
    data_dir: Path | None = DataDirOption,
    timeout: float = typer.Option(
        neo4j_server.DEFAULT_STOP_TIMEOUT_S,
        "--timeout",
        min=1,
        help="Seconds to wait after SIGTERM before SIGKILL.",
    ),
) -> None:
    """Stop the server (SIGTERM, then SIGKILL after --timeout)."""
    folder = _data_dir(data_dir)
    if neo4j_server.stop(folder, timeout):
        console.print("[green]Neo4j stopped[/]")
    else:
        console.print(f"Neo4j was not running for {folder}", highlight=False)


@app.command()
def status(data_dir: Path | None = DataDirOption, bolt: str = BoltOption) -> None:
    """Say whether the server runs and whether Bolt answers; exit 1 unless both."""
    found = neo4j_server.status(_data_dir(data_dir), bolt)
    running = f"[green]running[/] (pid {found.pid})" if found.running else "[red]not running[/]"
    answering = "[green]answers[/]" if found.bolt_answering else "[red]does not answer[/]"
    console.print(f"server: {running}", highlight=False)
    console.print(f"bolt://{found.bolt_address}: {answering}", highlight=False)
    console.print(f"data: {found.data_dir}\nlog:  {found.log_file}", highlight=False)
    if not (found.running and found.bolt_answering):
        raise typer.Exit(1)
