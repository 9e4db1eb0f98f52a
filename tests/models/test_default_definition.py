"""The default definition in configuration: the shipped file is the defaults, the 90 days
are the classification's, and every bad file or value is refused naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk.classification.config import DEFAULT_CLASSIFICATION
from risk.classification.history import DEFAULT_DEFAULT_DAYS
from risk.classification.provisioning_config import DEFAULT_PROVISIONING
from risk.models.default_definition import (
    DEFAULT,
    DEFAULT_DEFINITION_FILE,
    DefaultDefinition,
    DefaultDefinitionError,
    load_default_definition,
)


def test_the_shipped_file_is_the_default_definition() -> None:
    assert load_default_definition(DEFAULT_DEFINITION_FILE) == DEFAULT
    assert DEFAULT.criteria == ("days_past_due", "write_off", "restructuring", "bankruptcy")


def test_ninety_days_past_due_is_the_classifications_non_performing_threshold() -> None:
    # All count "more than 90 days": Substandard (five tiers), stage 3 and default agree.
    assert DEFAULT.days_past_due == DEFAULT_CLASSIFICATION.substandard_days == 90
    assert DEFAULT.days_past_due == DEFAULT_PROVISIONING.impaired_dpd  # IFRS 9 stage 3
    assert DEFAULT.days_past_due == DEFAULT_DEFAULT_DAYS  # part 1's "defaulted party"


def test_a_file_changes_criteria_and_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text("default:\n  days_past_due: 60\n  bankruptcy: false\n"
                    "  restructuring_kinds: [restructuring]\n", encoding="utf-8")

    found = load_default_definition(path)

    assert found == DefaultDefinition(days_past_due=60, bankruptcy=False,
                                      restructuring_kinds=("restructuring",))
    assert found.describe() == ("default: the first day of a loan more than 60 days past "
                                "due, a loan written off, a loan restructured for financial "
                                "difficulty")


@pytest.mark.parametrize(("text", "message"), [
    ("default:\n  days_past_dues: 90\n", "unknown setting 'days_past_dues'"),
    ("default:\n  days_past_due: ninety\n", "days_past_due: expected a whole number"),
    ("default:\n  days_past_due: 0\n", "days_past_due must be a whole number of days in 1..3650"),
    ("default:\n  write_off: yes please\n", "write_off: expected true or false"),
    ("default:\n  bankruptcy_words: 破产\n", "bankruptcy_words: expected a list of texts"),
    ("default:\n  bankruptcy_min_severity: 9\n", "bankruptcy_min_severity must lie in 1..5"),
    ("default:\n  bankruptcy_kinds: []\n  bankruptcy_words: []\n",
     "neither bankruptcy_kinds nor bankruptcy_words"),
    ("default:\n  days_past_due: null\n  write_off: false\n  restructuring: false\n"
     "  bankruptcy: false\n", "every criterion is off"),
    ("criteria: {}\n", "expected a mapping 'default:'"),
])
def test_a_bad_definition_is_refused_naming_file_and_key(tmp_path: Path, text: str,
                                                           message: str) -> None:
    path = tmp_path / "default.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DefaultDefinitionError, match=message) as raised:
        load_default_definition(path)

    assert str(path) in raised.value.message


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text("default:\n  days_past_due: 90\n  write_off: [true\n", encoding="utf-8")

    with pytest.raises(DefaultDefinitionError, match=r"default.yaml line \d+: not valid YAML"):
        load_default_definition(path)


def test_a_missing_file_is_refused() -> None:
    with pytest.raises(DefaultDefinitionError, match="cannot read the default definition"):
        load_default_definition(Path("/nonexistent/default.yaml"))
