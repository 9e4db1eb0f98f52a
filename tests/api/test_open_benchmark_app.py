"""The benchmark's unguarded API (benchmarks/open_api.py) takes out exactly the guards the
served schema has, so the 'with and without' figures compare what they say they do."""

from __future__ import annotations

from benchmarks.open_api import _guard, open_schema
from schema import build_schema
from schema.authorization import FieldRights
from schema.personal_reads import PersonalReads


def _classes(schema: object) -> set[type]:
    return {getattr(e, "func", e) for e in schema.extensions}  # type: ignore[attr-defined]


def test_the_open_schema_lacks_only_the_rights_check_and_the_personal_read_watch() -> None:
    guarded = build_schema(mask_errors=False)
    opened = open_schema(mask_errors=False)
    assert {FieldRights, PersonalReads} <= _classes(guarded)
    assert _classes(guarded) - _classes(opened) == {FieldRights, PersonalReads}
    assert [e for e in guarded.extensions if _guard(e)]  # the guards are found as built
    person = "Person"
    watched = guarded._schema.type_map[person].fields["name"].resolve.__qualname__
    unwatched = opened._schema.type_map[person].fields["name"].resolve.__qualname__
    assert watched.startswith("_watching") and not unwatched.startswith("_watching")


def test_building_the_open_schema_leaves_the_served_one_guarded() -> None:
    open_schema(mask_errors=False)
    again = build_schema(mask_errors=False)
    assert {FieldRights, PersonalReads} <= _classes(again)
    assert again._schema.type_map["Person"].fields["name"].resolve.__qualname__.startswith(
        "_watching")
