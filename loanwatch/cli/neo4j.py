"""``loanwatch neo4j start|stop|status``: the local Neo4j server, with no Docker."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from graph import neo4j_server

__all__ = ["app"]

app = typer.Typer(
    help="Run a local Neo4j Community server (tools/neo4j-local) for development and tests.",
    no_args_is_help=True,
)
console = Console()

DataDirOption = typer.Option(
    neo4j_server.DEFAULT_DATA_DIR, "--data-dir", help="Where the server keeps its data and log."
)
BoltOption = typer.Option(
    neo4j_server.DEFAULT_BOLT_ADDRESS, "--bolt", help="Bolt listen address, HOST:PORT (loopback)."
)


@app.command()
def start(
    data_dir: Path = DataDirOption,
    bolt: str = BoltOption,
    timeout: float = typer.Option(
        neo4j_server.DEFAULT_START_TIMEOUT_S, "--timeout", min=1, help="Seconds to wait for Bolt."
    ),
    heap_mb: int = typer.Option(neo4j_server.DEFAULT_HEAP_MB, "--heap-mb", min=64),
    pagecache_mb: int = typer.Option(neo4j_server.DEFAULT_PAGECACHE_MB, "--pagecache-mb", min=8),
) -> None:
    """Build the server if needed, start it unless it runs, and wait until Bolt answers."""
    began = time.monotonic()
    with console.status(f"starting Neo4j on {bolt} …"):
        pid = neo4j_server.start(
            data_dir, bolt, timeout, heap_mb=heap_mb, pagecache_mb=pagecache_mb
        )
    elapsed = time.monotonic() - began
    console.print(
        f"[green]Neo4j answers[/] on bolt://{bolt} (pid {pid}, {elapsed:.1f} s)\n"
        f"log: {neo4j_server.log_file(data_dir.resolve())}",
        highlight=False,
    )


@app.command()
def stop(
    data_dir: Path = DataDirOption,
    timeout: float = typer.Option(
        neo4j_server.DEFAULT_STOP_TIMEOUT_S,
        "--timeout",
        min=1,
        help="Seconds to wait after SIGTERM before SIGKILL.",
    ),
) -> None:
    """Stop the server (SIGTERM, then SIGKILL after --timeout)."""
    if neo4j_server.stop(data_dir, timeout):
        console.print("[green]Neo4j stopped[/]")
    else:
        console.print(f"Neo4j was not running for {data_dir}", highlight=False)


@app.command()
def status(data_dir: Path = DataDirOption, bolt: str = BoltOption) -> None:
    """Say whether the server runs and whether Bolt answers; exit 1 unless both."""
    found = neo4j_server.status(data_dir, bolt)
    running = f"[green]running[/] (pid {found.pid})" if found.running else "[red]not running[/]"
    answering = "[green]answers[/]" if found.bolt_answering else "[red]does not answer[/]"
    console.print(f"server: {running}", highlight=False)
    console.print(f"bolt://{found.bolt_address}: {answering}", highlight=False)
    console.print(f"data: {found.data_dir}\nlog:  {found.log_file}", highlight=False)
    if not (found.running and found.bolt_answering):
        raise typer.Exit(1)
