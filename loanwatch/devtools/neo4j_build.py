"""Building the local Neo4j server: the Maven project shipped in this package, built into a
per-user cache, once per version of its sources.

The build folder is named by a digest of the sources, so an upgrade builds anew and never
reuses a stale jar; a file lock keeps two processes from building the same folder at once,
and a stamp written last marks a build as finished. Java and Maven get only the environment
they need (:func:`jvm_environment`). :mod:`loanwatch.devtools.neo4j_server` starts the jar.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from loanwatch.errors import LoanwatchError

__all__ = [
    "INSTALL_HINT",
    "JAR_NAME",
    "JVM_ENVIRONMENT",
    "Neo4jServerError",
    "build_dir",
    "build_jar",
    "default_build_root",
    "java_executable",
    "jvm_environment",
    "locked",
    "project_sources",
]

#: The Maven project, as package data of this package.
PROJECT_NAME: Final = "neo4j-local"
JAR_NAME: Final = "neo4j-local.jar"
DEFAULT_BUILD_TIMEOUT_S: Final = 900.0
BUILD_LOCK_SUFFIX: Final = ".lock"
BUILT_STAMP_NAME: Final = ".built"
#: Hex digits of the sources' digest that name a build folder.
DIGEST_CHARS: Final = 16
BUILD_OUTPUT_TAIL_CHARS: Final = 3000

#: The variables Java and Maven see (plus ``LC_*``): what they need to find Java, the
#: user's ``~/.m2`` and the locale, and nothing else of the caller's environment.
JVM_ENVIRONMENT: Final = (
    "PATH", "HOME", "USER", "JAVA_HOME", "LANG", "LANGUAGE", "TZ",
    "MAVEN_OPTS", "MAVEN_ARGS", "M2_HOME", "MAVEN_HOME",
)

INSTALL_HINT: Final = "apt-get install -y openjdk-17-jdk-headless maven"


class Neo4jServerError(LoanwatchError):
    """The local Neo4j server cannot be built, or the request conflicts with what runs."""



def jvm_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of ``environ`` (``os.environ`` when omitted) that Java and Maven are given:
    the names in :data:`JVM_ENVIRONMENT` and the locale's ``LC_*``."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items()
            if name in JVM_ENVIRONMENT or name.startswith("LC_")}


def _project() -> Traversable:
    return files(__package__ or "loanwatch.devtools") / PROJECT_NAME


def project_sources() -> dict[str, bytes]:
    """The Maven project shipped in this package: relative POSIX path -> content."""
    found: dict[str, bytes] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.name in ("target", "__pycache__"):
                continue
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.is_file():
                found[f"{prefix}{entry.name}"] = entry.read_bytes()

    walk(_project(), "")
    if "pom.xml" not in found:
        raise Neo4jServerError(
            f"the Maven project {PROJECT_NAME}/pom.xml is missing from the installed package",
            suggestion="reinstall loanwatch; its wheel ships loanwatch/devtools/neo4j-local",
        )
    return found


def default_build_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/loanwatch/neo4j-local`` (``~/.cache/...`` by default)."""
    source = os.environ if environ is None else environ
    cache = source.get("XDG_CACHE_HOME") or str(Path(source.get("HOME") or Path.home()) / ".cache")
    return Path(cache) / "loanwatch" / PROJECT_NAME


def build_dir(build_root: Path, sources: Mapping[str, bytes]) -> Path:
    """The folder under ``build_root`` that builds ``sources``: named after their digest,
    so a changed source builds afresh and two versions of Loanwatch never share a jar."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name] + b"\0")
    return Path(build_root) / digest.hexdigest()[:DIGEST_CHARS]


def _is_built(folder: Path) -> bool:
    lib = folder / "target" / "lib"
    return ((folder / BUILT_STAMP_NAME).is_file() and (folder / "target" / JAR_NAME).is_file()
            and lib.is_dir() and any(lib.glob("*.jar")))


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing) for the ``with`` block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_sources(folder: Path, sources: Mapping[str, bytes]) -> None:
    for name, content in sources.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def build_jar(build_root: Path | None = None, *, force: bool = False,
              timeout_s: float = DEFAULT_BUILD_TIMEOUT_S) -> Path:
    """Build the shipped Maven project under ``build_root`` unless built; return the jar.

    ``build_root`` defaults to :func:`default_build_root`. The sources are copied into a
    folder named after their digest (:func:`build_dir`) and built there, so the installed
    package is never written to. The first build downloads Neo4j's jars from Maven Central
    (about 125 MiB) into ``~/.m2``.

    Raises:
        Neo4jServerError: Maven is missing, fails or times out, or the folder cannot be
            written; the message names it.
    """
    sources = project_sources()
    folder = build_dir(default_build_root() if build_root is None else build_root, sources)
    jar = folder / "target" / JAR_NAME
    if not force and _is_built(folder):
        return jar
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jServerError("Maven (mvn) is not installed", suggestion=INSTALL_HINT)
    try:
        with locked(folder.with_name(folder.name + BUILD_LOCK_SUFFIX)):
            if not force and _is_built(folder):  # built by someone else while we waited
                return jar
            (folder / BUILT_STAMP_NAME).unlink(missing_ok=True)
            _write_sources(folder, sources)
            _run_maven(mvn, folder, timeout_s)
            if not jar.is_file():
                raise Neo4jServerError(f"Maven succeeded but {jar} is missing")
            (folder / BUILT_STAMP_NAME).write_text(datetime.now(UTC).isoformat() + "\n")
    except OSError as exc:
        raise Neo4jServerError(
            f"cannot build the Neo4j server in {folder}: {exc.strerror or exc}",
            suggestion="make that folder writable, or set XDG_CACHE_HOME to one that is",
        ) from exc
    return jar


def _run_maven(mvn: str, folder: Path, timeout_s: float) -> None:
    command = [mvn, "-q", "-B", "-f", str(folder / "pom.xml"), "package"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                check=False, cwd=folder, env=jvm_environment())
    except subprocess.TimeoutExpired as exc:
        raise Neo4jServerError(
            f"building {folder} took longer than {timeout_s:.0f} s",
            suggestion=f"run `{' '.join(command)}` by hand to see why",
        ) from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-BUILD_OUTPUT_TAIL_CHARS:]
        raise Neo4jServerError(
            f"building {folder} failed (mvn exit {result.returncode}):\n{output}",
            suggestion=f"run `{' '.join(command)}` by hand",
        )


def java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise Neo4jServerError("Java (17 or newer) is not installed", suggestion=INSTALL_HINT)
    return java
