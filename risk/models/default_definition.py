"""What "default" means for the PD model, in configuration, so that the models, IFRS 9 and
the five tiers speak of the same event.

A borrower defaults on the first day any of these happens (each criterion can be turned
off, and each threshold changed, in ``default_definition.yaml`` or a file of the same
shape):

* **days past due**: one of its loans is more than ``days_past_due`` days past due (90 by
  default: on the 91st day), counted as the classification counts them
  (:mod:`risk.classification.delinquency`: from the oldest unpaid installment, net of
  agreed payment pauses). The default threshold *is* the classification's Substandard
  floor (``DEFAULT_SUBSTANDARD_DAYS``, also "more than 90 days"), so a loan enters the
  non-performing tiers, IFRS 9 stage 3 and default on the same day;
* **write-off**: one of its loans is ``written_off``. The data carry no write-off date, so a
  written-off loan is dated the first day it was more than ``write_off_days_past_due`` days
  past due (by default the same 90), and a loan written off without ever being that late
  the last day of the data (nothing earlier says when it happened);
* **restructuring**: a modification of one of its loans was a concession to a debtor in
  financial difficulty (``financial_difficulty`` true), dated ``effective_on``; with
  ``restructuring_kinds`` a modification of those kinds counts even without the flag;
* **bankruptcy**: an external event (``ExternalEvent`` node, ``MENTIONED_IN`` the party)
  whose ``kind`` is one of ``bankruptcy_kinds`` or whose title contains one of
  ``bankruptcy_words`` (case-insensitive), with at least ``bankruptcy_min_severity``,
  dated ``occurred_on``. Every party the event mentions is taken as the bankrupt one. The
  generator writes no bankruptcy events; a lender's feed names them by kind or by title
  (破产 "bankruptcy", 破产清算 "liquidation", 破产重整 "reorganisation").

A leaf apart from the classification's default threshold: it reads no data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

import yaml

from risk.classification.config import DEFAULT_SUBSTANDARD_DAYS
from risk.errors import RiskError

__all__ = ["CRITERIA", "DEFAULT", "DEFAULT_DEFINITION_FILE", "DefaultDefinition",
           "DefaultDefinitionError", "definition_from_mapping", "load_default_definition"]

#: The criteria, in the order a tie on one day is attributed.
CRITERIA: Final = ("days_past_due", "write_off", "restructuring", "bankruptcy")
#: The shipped definition (the defaults below, written out).
DEFAULT_DEFINITION_FILE: Final = Path(__file__).with_name("default_definition.yaml")
#: Days past due beyond which a loan is in default: the classification's Substandard floor.
DEFAULT_DAYS_PAST_DUE: Final = DEFAULT_SUBSTANDARD_DAYS


class DefaultDefinitionError(RiskError):
    """A default definition that cannot be used (the message names file and key)."""


@dataclass(frozen=True, slots=True)
class DefaultDefinition:
    """The default event (see the module). ``days_past_due``: ``None`` turns the criterion
    off; ``write_off``, ``restructuring``, ``bankruptcy``: on or off."""

    days_past_due: int | None = DEFAULT_DAYS_PAST_DUE
    write_off: bool = True
    write_off_days_past_due: int = DEFAULT_DAYS_PAST_DUE
    restructuring: bool = True
    restructuring_kinds: tuple[str, ...] = ()
    bankruptcy: bool = True
    bankruptcy_kinds: tuple[str, ...] = ("bankruptcy", "insolvency")
    bankruptcy_words: tuple[str, ...] = ("破产", "bankrupt", "insolven")
    bankruptcy_min_severity: int = 1

    def __post_init__(self) -> None:
        if self.days_past_due is not None and not 0 < self.days_past_due <= 3_650:
            raise DefaultDefinitionError(
                f"days_past_due must be a whole number of days in 1..3650 (or null to turn "
                f"the criterion off), got {self.days_past_due}")
        if not 0 < self.write_off_days_past_due <= 3_650:
            raise DefaultDefinitionError(
                f"write_off_days_past_due must lie in 1..3650, got "
                f"{self.write_off_days_past_due}")
        if not 1 <= self.bankruptcy_min_severity <= 5:
            raise DefaultDefinitionError(
                f"bankruptcy_min_severity must lie in 1..5, got {self.bankruptcy_min_severity}")
        for name in ("restructuring_kinds", "bankruptcy_kinds", "bankruptcy_words"):
            if any(not isinstance(v, str) or not v.strip() for v in getattr(self, name)):
                raise DefaultDefinitionError(f"{name} must be a list of non-empty texts")
        if self.bankruptcy and not (self.bankruptcy_kinds or self.bankruptcy_words):
            raise DefaultDefinitionError(
                "bankruptcy is on but neither bankruptcy_kinds nor bankruptcy_words names "
                "what a bankruptcy event looks like")
        if not self.criteria:
            raise DefaultDefinitionError("every criterion is off: nothing would be a default")

    @property
    def criteria(self) -> tuple[str, ...]:
        """The criteria turned on, in :data:`CRITERIA` order."""
        on = {"days_past_due": self.days_past_due is not None, "write_off": self.write_off,
              "restructuring": self.restructuring, "bankruptcy": self.bankruptcy}
        return tuple(name for name in CRITERIA if on[name])

    def describe(self) -> str:
        """One sentence a risk officer reads."""
        parts = []
        if self.days_past_due is not None:
            parts.append(f"a loan more than {self.days_past_due} days past due")
        if self.write_off:
            parts.append("a loan written off")
        if self.restructuring:
            parts.append("a loan restructured for financial difficulty")
        if self.bankruptcy:
            parts.append("bankruptcy")
        return "default: the first day of " + ", ".join(parts)


DEFAULT: Final = DefaultDefinition()


def _texts(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list):
        raise DefaultDefinitionError(f"{where}: {key}: expected a list of texts, got {value!r}")
    if any(not isinstance(v, str) for v in value):
        raise DefaultDefinitionError(f"{where}: {key}: every entry must be a text, got {value!r}")
    return tuple(value)


def definition_from_mapping(values: Mapping[str, Any], *, where: str) -> DefaultDefinition:
    """A definition from a mapping (a file's ``default`` table), every key checked; keys
    left out keep the defaults.

    Raises:
        DefaultDefinitionError: an unknown key, or a value of the wrong type or range (the
            message starts with ``where`` and names the key).
    """
    known = {f.name for f in fields(DefaultDefinition)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise DefaultDefinitionError(
                f"{where}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        default = getattr(DEFAULT, key)
        if key == "days_past_due":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise DefaultDefinitionError(
                    f"{where}: days_past_due: expected a whole number of days or null, "
                    f"got {value!r}")
            changes[key] = value
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise DefaultDefinitionError(f"{where}: {key}: expected true or false, "
                                             f"got {value!r}")
            changes[key] = value
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise DefaultDefinitionError(f"{where}: {key}: expected a whole number, "
                                             f"got {value!r}")
            changes[key] = value
        else:
            changes[key] = _texts(value, key, where)
    try:
        return replace(DEFAULT, **changes)
    except DefaultDefinitionError as exc:
        raise DefaultDefinitionError(f"{where}: {exc.message}") from exc


def load_default_definition(path: Path = DEFAULT_DEFINITION_FILE) -> DefaultDefinition:
    """The ``default`` mapping of the YAML file ``path``.

    Raises:
        DefaultDefinitionError: the file cannot be read or parsed (with its line), has no
            ``default`` mapping, or a key is unknown or has a bad value.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DefaultDefinitionError(f"{path}: cannot read the default definition: {exc}",
                                     suggestion="check the path") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise DefaultDefinitionError(f"{path}{line}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("default"), dict):
        raise DefaultDefinitionError(
            f"{path}: expected a mapping 'default:' with the criteria",
            suggestion=f"start from {DEFAULT_DEFINITION_FILE.name}")
    return definition_from_mapping(document["default"], where=f"{path} default")
