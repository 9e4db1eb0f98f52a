"""Start, stop and inspect a local Neo4j server, with no Docker: development tooling.

``neo4j-local/`` (shipped inside this package: a ``pom.xml`` and one Java class) is a small
program that runs Neo4j Community embedded with the Bolt connector open and authentication
off. This module has it built with Maven into a per-user cache (never into the installed
package or the source tree: :mod:`loanwatch.devtools.neo4j_build`), runs it detached (its
output in ``DATA_DIR/neo4j-local.log``, its pid in ``DATA_DIR/neo4j.pid``) and waits until
Bolt really answers a driver. Everything the server writes stays under ``DATA_DIR``; the
Java process gets only the environment it needs (:func:`jvm_environment`), never the
caller's ``LOANWATCH_*`` secrets. For development and tests only: bind it to a loopback
address.

    >>> start(Path("var/neo4j"), DEFAULT_BOLT_ADDRESS)   # doctest: +SKIP
    >>> stop(Path("var/neo4j"))                          # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import psutil

from loanwatch.devtools.neo4j_build import (
    JAR_NAME,
    JVM_ENVIRONMENT,
    Neo4jServerError,
    build_dir,
    build_jar,
    default_build_root,
    java_executable,
    jvm_environment,
    locked,
    project_sources,
)
from loanwatch.errors import BackendUnavailable, ConfigurationError

__all__ = [
    "DATA_SUBDIR",
    "DEFAULT_BOLT_ADDRESS",
    "DEFAULT_HEAP_MB",
    "DEFAULT_PAGECACHE_MB",
    "DEFAULT_START_TIMEOUT_S",
    "DEFAULT_STOP_TIMEOUT_S",
    "JAR_NAME",
    "JVM_ENVIRONMENT",
    "Neo4jServerError",
    "Neo4jStatus",
    "bolt_answers",
    "build_dir",
    "build_jar",
    "default_build_root",
    "jvm_environment",
    "log_file",
    "parse_bolt_address",
    "pid_file",
    "project_sources",
    "start",
    "status",
    "stop",
]

#: Where a server's data goes inside the data folder of the settings (``var/neo4j``).
DATA_SUBDIR: Final = "neo4j"
DEFAULT_BOLT_ADDRESS: Final = "127.0.0.1:7687"

DEFAULT_START_TIMEOUT_S: Final = 180.0
DEFAULT_STOP_TIMEOUT_S: Final = 60.0
KILL_WAIT_S: Final = 10.0
POLL_INTERVAL_S: Final = 0.5
BOLT_PROBE_TIMEOUT_S: Final = 3.0

# Sized for a small shared box (2 cores, a few GiB spare): tests use tiny graphs.
DEFAULT_HEAP_MB: Final = 1024
INITIAL_HEAP_MB: Final = 256
DEFAULT_PAGECACHE_MB: Final = 512

PID_FILE_NAME: Final = "neo4j.pid"
LOG_FILE_NAME: Final = "neo4j-local.log"
LOCK_FILE_NAME: Final = "neo4j.lock"
LOG_TAIL_LINES: Final = 15


@dataclass(frozen=True, slots=True)
class Neo4jStatus:
    """What :func:`status` found."""

    data_dir: Path
    bolt_address: str
    pid: int | None
    running: bool
    bolt_answering: bool
    log_file: Path


def pid_file(data_dir: Path) -> Path:
    return Path(data_dir) / PID_FILE_NAME


def log_file(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_FILE_NAME


def parse_bolt_address(address: str) -> tuple[str, int]:
    """``"127.0.0.1:7687"`` (a ``bolt://`` prefix is allowed) -> ``("127.0.0.1", 7687)``."""
    text = address.strip().removeprefix("bolt://").rstrip("/")
    host, sep, port_text = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigurationError(
            f"bad Bolt address {address!r}", suggestion="use HOST:PORT, e.g. 127.0.0.1:7687"
        )
    return host, int(port_text)


def _bolt_uri(address: str) -> str:
    host, port = parse_bolt_address(address)
    return f"bolt://[{host}]:{port}" if ":" in host else f"bolt://{host}:{port}"


# ---------------------------------------------------------------------------------------
# Processes


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie child of ours is reaped and counts as gone)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _cmdline(pid: int) -> list[str]:
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def _is_our_server(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is a live neo4j-local process serving ``data_dir``."""
    if not _alive(pid):
        return False
    args = _cmdline(pid)
    return any(a.endswith(JAR_NAME) for a in args) and str(data_dir) in args


def _bolt_option(pid: int) -> str | None:
    args = _cmdline(pid)
    with contextlib.suppress(ValueError, IndexError):
        return args[args.index("--bolt") + 1]
    return None


def _read_pid(data_dir: Path) -> int | None:
    try:
        return int(pid_file(data_dir).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _running_pid(data_dir: Path) -> int | None:
    """The pid of the server for ``data_dir``; a stale pid file is removed."""
    pid = _read_pid(data_dir)
    if pid is not None and _is_our_server(pid, data_dir):
        return pid
    pid_file(data_dir).unlink(missing_ok=True)
    return None


def _tcp_open(host: str, port: int, timeout_s: float = BOLT_PROBE_TIMEOUT_S) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def bolt_answers(address: str, timeout_s: float = BOLT_PROBE_TIMEOUT_S) -> bool:
    """Whether a Neo4j server answers the driver (no auth) at ``address``."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import DriverError, Neo4jError

    host, port = parse_bolt_address(address)
    if not _tcp_open(host, port, timeout_s):
        return False
    driver = GraphDatabase.driver(
        _bolt_uri(address), auth=None, connection_timeout=timeout_s, max_connection_pool_size=1
    )
    try:
        driver.verify_connectivity()
        return True
    except (DriverError, Neo4jError, OSError):
        return False
    finally:
        driver.close()


def _log_tail(data_dir: Path) -> str:
    try:
        lines = log_file(data_dir).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _spawn(data_dir: Path, address: str, heap_mb: int, pagecache_mb: int, jar: Path) -> int:
    """Run the server detached (own session, stdin from /dev/null) and return its pid."""
    host, port = parse_bolt_address(address)
    tmp_dir = data_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    java_command = [
        java_executable(),
        f"-Xms{min(INITIAL_HEAP_MB, heap_mb)}m",
        f"-Xmx{heap_mb}m",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-UsePerfData",  # no /tmp/hsperfdata_*
        f"-XX:ErrorFile={data_dir / 'hs_err_pid%p.log'}",
        f"-Djava.io.tmpdir={tmp_dir}",
        f"-Djna.tmpdir={tmp_dir}",  # else JNA unpacks into ~/.cache/JNA
        "-Dloanwatch.tmpdir.set=true",
        "-jar",
        str(jar),
        str(data_dir),
        "--bolt",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--pagecache",
        f"{pagecache_mb}m",
    ]
    log = log_file(data_dir)
    with log.open("a") as handle:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"--- {stamp} starting: {' '.join(java_command)}\n")
    # `sh` only changes into the data folder (so crash files land there) and then execs
    # java, which keeps the pid. posix_spawn leaves no Popen object to warn when collected.
    argv = ["/bin/sh", "-c", 'cd "$1" && shift && exec "$@"', "neo4j-local", str(data_dir)]
    argv += java_command
    file_actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    return os.posix_spawn("/bin/sh", argv, jvm_environment(), file_actions=file_actions,
                          setsid=True)


def _wait_until_answering(pid: int, data_dir: Path, address: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if not _alive(pid):
            pid_file(data_dir).unlink(missing_ok=True)
            raise BackendUnavailable(
                "Neo4j",
                address,
                f"the server (pid {pid}) exited while starting; log {log_file(data_dir)}:\n"
                f"{_log_tail(data_dir)}",
                suggestion=f"read {log_file(data_dir)}; is the port taken or the data dir locked?",
            )
        if bolt_answers(address):
            return
        if time.monotonic() >= deadline:
            raise BackendUnavailable(
                "Neo4j",
                address,
                f"the server (pid {pid}) did not answer Bolt within {timeout_s:.0f} s; "
                f"log {log_file(data_dir)}:\n{_log_tail(data_dir)}",
                suggestion="it may still be starting: retry with a longer --timeout, "
                "or stop it with `loanwatch neo4j stop`",
            )
        time.sleep(POLL_INTERVAL_S)


# ---------------------------------------------------------------------------------------
# The public operations


def start(
    data_dir: Path,
    bolt_address: str = DEFAULT_BOLT_ADDRESS,
    timeout_s: float = DEFAULT_START_TIMEOUT_S,
    *,
    heap_mb: int = DEFAULT_HEAP_MB,
    pagecache_mb: int = DEFAULT_PAGECACHE_MB,
    build_root: Path | None = None,
) -> int:
    """Start the server for ``data_dir`` unless it runs already; return its pid once Bolt answers.

    The server is built first when needed, under ``build_root`` (see :func:`build_jar`).
    Idempotent: a server already running for ``data_dir`` is only waited for. Raises
    :class:`Neo4jServerError` when something else holds the Bolt address or the running
    server listens elsewhere, and :class:`BackendUnavailable` when it does not come up
    within ``timeout_s`` (it is then left running; see the log it names).
    """
    data_dir = Path(data_dir).resolve()
    parse_bolt_address(bolt_address)
    if heap_mb <= 0 or pagecache_mb <= 0:
        raise ConfigurationError("heap and page cache sizes must be positive (MiB)")
    data_dir.mkdir(parents=True, exist_ok=True)
    with locked(data_dir / LOCK_FILE_NAME):
        pid = _running_pid(data_dir)
        if pid is not None:
            running_on = _bolt_option(pid)
            if running_on is not None and parse_bolt_address(running_on) != parse_bolt_address(
                bolt_address
            ):
                raise Neo4jServerError(
                    f"Neo4j for {data_dir} already runs (pid {pid}) with Bolt on {running_on}, "
                    f"not {bolt_address}",
                    suggestion="stop it first with `loanwatch neo4j stop`",
                )
        else:
            host, port = parse_bolt_address(bolt_address)
            if _tcp_open(host, port):
                raise Neo4jServerError(
                    f"another process already listens on {bolt_address}",
                    suggestion="stop it, or choose another address with --bolt",
                )
            jar = build_jar(build_root)
            pid = _spawn(data_dir, bolt_address, heap_mb, pagecache_mb, jar)
            pid_file(data_dir).write_text(f"{pid}\n")
        _wait_until_answering(pid, data_dir, bolt_address, timeout_s)
        return pid


def stop(data_dir: Path, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> bool:
    """Stop the server for ``data_dir``: SIGTERM, then SIGKILL after ``timeout_s``.

    Returns whether a server was running. Removes the pid file either way.
    """
    data_dir = Path(data_dir).resolve()
    if not data_dir.is_dir():
        return False
    with locked(data_dir / LOCK_FILE_NAME):
        pid = _running_pid(data_dir)
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout_s):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if not _wait_gone(pid, KILL_WAIT_S):
                raise Neo4jServerError(f"Neo4j (pid {pid}) survived SIGKILL")
        pid_file(data_dir).unlink(missing_ok=True)
        return True


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL_S / 2)
    return True


def status(
    data_dir: Path, bolt_address: str = DEFAULT_BOLT_ADDRESS
) -> Neo4jStatus:
    """Whether the server for ``data_dir`` runs, and whether Bolt answers at ``bolt_address``."""
    data_dir = Path(data_dir).resolve()
    pid = _read_pid(data_dir)
    running = pid is not None and _is_our_server(pid, data_dir)
    return Neo4jStatus(
        data_dir=data_dir,
        bolt_address=bolt_address,
        pid=pid if running else None,
        running=running,
        bolt_answering=bolt_answers(bolt_address),
        log_file=log_file(data_dir),
    )
