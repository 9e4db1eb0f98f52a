"""The audit trail's settings: keys from configuration, development defaults, production
refusing to run without its own keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth.audit_heads import HeadSigner
from loanwatch.errors import ConfigurationError
from loanwatch.settings import DEVELOPMENT_AUDIT_KEY, Settings

PRODUCTION = {"LOANWATCH_ENVIRONMENT": "production", "LOANWATCH_IDENTIFIER_KEY": "i" * 40}


def test_development_has_public_default_keys_and_a_heads_file_in_the_data_folder() -> None:
    settings = Settings.from_environ({"LOANWATCH_DATA_DIR": "/srv/lw"})
    assert settings.resolved_audit_key == DEVELOPMENT_AUDIT_KEY.encode()
    assert len(settings.resolved_audit_signing_key) == 32
    assert settings.resolved_audit_heads_file == Path("/srv/lw/audit-heads.jsonl")
    assert settings.audit_max_pending == 100_000


def test_configured_keys_are_used() -> None:
    seed = "ab" * 32
    settings = Settings.from_environ({**PRODUCTION, "LOANWATCH_AUDIT_KEY": "a" * 40,
                                      "LOANWATCH_AUDIT_SIGNING_KEY": seed,
                                      "LOANWATCH_AUDIT_HEADS_FILE": "/var/audit/heads"})
    assert settings.resolved_audit_key == b"a" * 40
    assert HeadSigner(settings.resolved_audit_signing_key).public_key == \
        HeadSigner(bytes.fromhex(seed)).public_key
    assert settings.resolved_audit_heads_file == Path("/var/audit/heads")


@pytest.mark.parametrize(("attribute", "variable"), [
    ("resolved_audit_key", "LOANWATCH_AUDIT_KEY"),
    ("resolved_audit_signing_key", "LOANWATCH_AUDIT_SIGNING_KEY"),
])
def test_production_needs_its_own_keys(attribute: str, variable: str) -> None:
    settings = Settings.from_environ(PRODUCTION)
    with pytest.raises(ConfigurationError, match=f"{variable} is not set"):
        getattr(settings, attribute)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("LOANWATCH_AUDIT_KEY", "short", "LOANWATCH_AUDIT_KEY: .*at least 32 characters"),
    ("LOANWATCH_AUDIT_SIGNING_KEY", "zz" * 32, "LOANWATCH_AUDIT_SIGNING_KEY: .*64 hex"),
    ("LOANWATCH_AUDIT_SIGNING_KEY", "ab" * 16, "LOANWATCH_AUDIT_SIGNING_KEY: .*64 hex"),
    ("LOANWATCH_AUDIT_HEAD_INTERVAL_S", "0", "LOANWATCH_AUDIT_HEAD_INTERVAL_S"),
    ("LOANWATCH_AUDIT_MAX_PENDING", "0", "LOANWATCH_AUDIT_MAX_PENDING"),
])
def test_bad_audit_settings_name_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_environ({variable: value})


def test_the_process_trail_is_built_from_the_settings(tmp_path: Path) -> None:
    from auth.audit_chain import key_id
    from auth.audit_verify import verify_trail
    from loanwatch.wiring import create_engine_from_settings, open_audit_trail
    from tests.audit.trails import event

    settings = Settings.from_environ({"LOANWATCH_DATA_DIR": str(tmp_path),
                                      "LOANWATCH_AUDIT_KEY": "z" * 40,
                                      "LOANWATCH_AUDIT_FLUSH_INTERVAL_S": "0.01"})
    engine = create_engine_from_settings(settings)
    trail = open_audit_trail(settings, engine)
    trail.record(event(0))
    trail.close()
    signer = HeadSigner(settings.resolved_audit_signing_key)
    report = verify_trail(engine, keys={key_id(b"z" * 40): b"z" * 40},
                          heads_file=tmp_path / "audit-heads.jsonl",
                          public_key=signer.public_key)
    assert report.ok and (report.entries, report.signed_up_to) == (1, 1)
    engine.dispose()
