"""The local Neo4j tooling: what it ships, where it builds, what the JVM is handed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli.main import app
from loanwatch.devtools.neo4j_server import (
    Neo4jServerError,
    build_dir,
    build_jar,
    default_build_root,
    jvm_environment,
    parse_bolt_address,
    project_sources,
)
from loanwatch.errors import ConfigurationError


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_jvm_gets_only_what_it_needs() -> None:
    caller = {
        "PATH": "/usr/bin", "HOME": "/home/lw", "JAVA_HOME": "/opt/jdk", "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8", "LOANWATCH_NEO4J_PASSWORD": "secret",
        "LOANWATCH_DATABASE_URL": "postgresql://lw:secret@db/lw", "AWS_SECRET_ACCESS_KEY": "x",
    }

    assert jvm_environment(caller) == {
        "PATH": "/usr/bin", "HOME": "/home/lw", "JAVA_HOME": "/opt/jdk", "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


def test_the_maven_project_ships_inside_the_package() -> None:
    sources = project_sources()

    assert set(sources) == {"pom.xml", "src/main/java/loanwatch/neo4jlocal/Neo4jLocal.java"}
    assert b"<artifactId>neo4j-local</artifactId>" in sources["pom.xml"]


def test_each_version_of_the_sources_builds_in_a_folder_of_its_own(tmp_path: Path) -> None:
    sources = project_sources()
    changed = {**sources, "pom.xml": sources["pom.xml"] + b"\n"}

    assert build_dir(tmp_path, sources) == build_dir(tmp_path, dict(sources))
    assert build_dir(tmp_path, sources).parent == tmp_path
    assert build_dir(tmp_path, changed) != build_dir(tmp_path, sources)


def test_the_build_goes_to_the_users_cache() -> None:
    assert default_build_root({"XDG_CACHE_HOME": "/c", "HOME": "/h"}) == Path(
        "/c/loanwatch/neo4j-local")
    assert default_build_root({"HOME": "/h"}) == Path("/h/.cache/loanwatch/neo4j-local")


def test_without_maven_the_build_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(Neo4jServerError, match=r"Maven \(mvn\) is not installed") as caught:
        build_jar(tmp_path / "builds")

    assert caught.value.suggestion is not None
    assert "apt-get install" in caught.value.suggestion
    assert not (tmp_path / "builds").exists()


def test_a_bad_bolt_address_names_it() -> None:
    assert parse_bolt_address("bolt://127.0.0.1:7688") == ("127.0.0.1", 7688)
    with pytest.raises(ConfigurationError, match=r"bad Bolt address '127\.0\.0\.1'"):
        parse_bolt_address("127.0.0.1")


def test_status_defaults_to_neo4j_in_the_settings_data_folder(tmp_path: Path) -> None:
    port = closed_port()

    result = CliRunner().invoke(
        app, ["neo4j", "status", "--bolt", f"127.0.0.1:{port}"],
        env={"LOANWATCH_DATA_DIR": str(tmp_path), "COLUMNS": "200"},
    )

    assert result.exit_code == 1, result.output
    assert "server: not running" in result.output
    assert f"bolt://127.0.0.1:{port}: does not answer" in result.output
    assert f"data: {tmp_path / 'neo4j'}" in result.output
