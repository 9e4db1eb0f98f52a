"""``loanwatch keys``: move personal data to the newest keys, and see how far that got.

``keys rotate`` re-seals every personal value, index token, rejected row, contact note and
signing key's private key that is not under the newest data key (``LOANWATCH_DATA_KEYS``)
and hash key (``LOANWATCH_HASH_KEYS``), one page per transaction, while the API keeps
serving (see :mod:`jobs.key_rotation`). It shows its progress, stops cleanly on Ctrl-C, and
resumes where it stopped when run again. ``keys status`` shows the latest pass from any
process, and how the sealed SQL fields stand (how many under the newest data key, under
older ones, in clear). ``keys new`` prints a fresh random data key to add as a new version.
"""

from __future__ import annotations

import base64
import os
import threading
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from graph.data_keys import DATA_KEY_BYTES
from graph.vault import PersonalDataVault
from jobs.actors.key_rotation import rotation_unit
from jobs.key_rotation import (
    DEFAULT_PAGE_SIZE,
    RotationProgress,
    reseal_all,
    rotation_status,
    sealed_counts,
)
from jobs.submit import submit_unit
from jobs.units import add_units
from loanwatch.cli.job_wiring import open_broker
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, open_graph_store, open_vault

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


def _describe(state: RotationProgress) -> str:
    where = "finished" if state.finished else f"at {state.resumed_from}"
    return (f"pass {state.id} to data key v{state.data_key_version} and hash key "
            f"v{state.hash_key_version}: {where}; {state.examined:,} of {state.total:,} "
            f"looked at, {state.resealed:,} re-encrypted (started "
            f"{state.started_at:%Y-%m-%d %H:%M:%S} UTC, last page "
            f"{state.updated_at:%H:%M:%S} UTC)")


@app.command("rotate")
def rotate(
    page_size: int = typer.Option(DEFAULT_PAGE_SIZE, "--page-size", min=1,
                                  help="Nodes or rows re-encrypted per transaction."),
    background: bool = typer.Option(False, "--background",
                                    help="Enqueue the pass as a job for the workers and "
                                         "return (see `loanwatch keys status`)."),
) -> None:
    """Re-encrypt personal data under the newest configured keys, in the background of a
    running system: resumable, with progress. Keep the old key versions configured until
    it reports the pass finished."""
    settings = Settings.from_environ()
    vault = open_vault(settings)  # a missing or malformed key fails before any change
    console = Console()
    if background:
        _enqueue_rotation(settings, vault, page_size, console)
        return
    engine = create_engine_from_settings(settings)
    stopping = threading.Event()
    try:
        graph = open_graph_store(settings, engine)
        try:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console, transient=True) as bar:
                task = bar.add_task("re-encrypting", total=None)

                def shown(state: RotationProgress) -> None:
                    bar.update(task, total=state.total, completed=min(state.examined,
                                                                      state.total),
                               description=f"re-encrypting ({state.phase})")

                try:
                    state = reseal_all(graph, engine, vault, page_size=page_size,
                                       progress=shown, stop=stopping.is_set)
                except KeyboardInterrupt:
                    state = rotation_status(engine)  # type: ignore[assignment]
                    console.print("stopped; `loanwatch keys rotate` resumes where it stopped")
        finally:
            graph.close()
    finally:
        engine.dispose()
    if state is not None:
        console.print(_describe(state), highlight=False)
    if state is not None and state.finished:
        console.print("every personal value is under the newest keys: older versions can be "
                      "removed from the configuration once every process runs with it",
                      highlight=False)


def _enqueue_rotation(settings: Settings, vault: PersonalDataVault, page_size: int,
                      console: Console) -> None:
    """Submit the pass as a unit of work (:mod:`jobs.actors.key_rotation`)."""
    engine = create_engine_from_settings(settings)
    try:
        spec = rotation_unit(vault, now=datetime.now(UTC), page_size=page_size)
        broker = open_broker(settings)
        if broker is None:
            created = add_units(engine, [spec], now=spec.due_at)
            console.print(f"{spec.key}: {'queued' if created else 'already queued or done'} "
                          "in the database; the in-process jobs of `loanwatch serve` run it",
                          highlight=False)
            return
        try:
            unit, sent = submit_unit(engine, broker, spec, now=spec.due_at)
        finally:
            broker.close()
    finally:
        engine.dispose()
    if sent:
        console.print(f"{unit.key}: enqueued; `loanwatch keys status` shows its progress",
                      highlight=False)
    else:
        console.print(f"{unit.key}: {unit.state} already (nothing enqueued); "
                      "`loanwatch keys status` shows the pass", highlight=False)


@app.command("status")
def status() -> None:
    """Show the latest re-encryption pass and the key versions configured now."""
    settings = Settings.from_environ()
    vault = open_vault(settings)
    console = Console()
    engine = create_engine_from_settings(settings)
    try:
        state = rotation_status(engine)
        counts = sealed_counts(engine, vault.data_version)
    finally:
        engine.dispose()
    console.print(f"configured: data keys v{', v'.join(map(str, sorted(vault.keys.data_keys)))} "
                  f"(newest v{vault.data_version} encrypts); hash keys "
                  f"v{', v'.join(map(str, sorted(vault.keys.hash_keys)))} (v1 names identifier "
                  f"nodes, newest v{vault.hash_version} writes search tokens)", highlight=False)
    for count in counts:
        console.print(f"{count.field.what} ({count.field.table.name}.{count.field.column}): "
                      f"{count.current:,} under v{vault.data_version}, {count.older:,} under "
                      f"older keys, {count.clear:,} in clear", highlight=False)
    behind = any(count.older or count.clear for count in counts)
    if state is None:
        console.print("no re-encryption pass has run")
    else:
        console.print(_describe(state), highlight=False)
    if behind or (state is not None and (not state.finished or (
            state.data_key_version, state.hash_key_version) != (
            vault.data_version, vault.hash_version))):
        console.print("[yellow]data may remain under older keys: run `loanwatch keys rotate`[/]")


@app.command("new")
def new_key() -> None:
    """Print a fresh random 256-bit data key in base64 (add it as a new version of
    LOANWATCH_DATA_KEYS, e.g. `2:KEY`)."""
    typer.echo(base64.b64encode(os.urandom(DATA_KEY_BYTES)).decode())
