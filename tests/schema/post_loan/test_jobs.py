"""The job machinery through GraphQL: unit counts and pages, one unit, the schedules, dead
letters paged newest first, retryDeadLetter (the unit pending again, for the scheduler) and
discardDeadLetter, each once, audited, for the right ``manage-jobs`` only."""

from __future__ import annotations

from auth.audit_events import AuditAction
from auth.principal import Role
from jobs.dead_letters import get_dead_letter
from jobs.units import get_unit
from tests.principals import principal_of
from tests.schema.post_loan.conftest import given_dead_letter
from tests.schema.post_loan.running import Request, codes
from tests.writes.conftest import Stores

ADMIN = principal_of(Role.ADMIN)
UNITS = """query U($after: String, $state: String) {
  jobUnitCounts { state count }
  jobUnits(first: 1, after: $after, state: $state) {
    edges { cursor node { key actor queue state attempts lastError args } }
    pageInfo { hasNextPage hasPreviousPage endCursor } }
  jobSchedules { name actor intervalSeconds enabled }
  jobUnit(key: "reviews@2025-03-01/0") { key state } }"""
LETTERS = """query D($state: String!, $after: String) {
  deadLetters(state: $state, first: 1, after: $after) {
    edges { node { number actor idempotencyKey errorClass errorMessage attempts state
                   resolvedBy } }
    pageInfo { hasNextPage endCursor } } }"""
RETRY = """mutation R($n: Int!) { retryDeadLetter(input: {number: $n}) {
  __typename ... on DeadLetterResolvedResult { deadLetter { number state resolvedBy } }
  ... on UserError { code field } ... on AlreadyDecided { state decidedBy } } }"""
DISCARD = RETRY.replace("retryDeadLetter", "discardDeadLetter").replace("R(", "X(")


def test_units_schedules_and_dead_letters_read_in_keyed_pages(world: Stores) -> None:
    given_dead_letter(world.engine, key="reviews@2025-03-01/1")
    request = Request(world, ADMIN)

    first = request(UNITS)
    second = request(UNITS, after=first.data["jobUnits"]["pageInfo"]["endCursor"])
    failed = request(UNITS, state="failed")
    letters = request(LETTERS, state="dead")
    older = request(LETTERS, state="dead",
                    after=letters.data["deadLetters"]["pageInfo"]["endCursor"])

    assert first.errors is None, first.errors
    assert first.data["jobUnitCounts"] == [{"state": "pending", "count": 0},
                                           {"state": "enqueued", "count": 0},
                                           {"state": "done", "count": 0},
                                           {"state": "failed", "count": 2}]
    assert first.data["jobUnits"]["edges"][0]["node"] == {
        "key": "reviews@2025-03-01/0", "actor": "reviews.run_batch", "queue": "reviews",
        "state": "failed", "attempts": 0, "lastError": "ValueError: bad batch",
        "args": ["2025-03-01"]}
    assert first.data["jobUnits"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["key"] for e in second.data["jobUnits"]["edges"]] == [
        "reviews@2025-03-01/1"]
    assert second.data["jobUnits"]["pageInfo"]["hasPreviousPage"] is True
    assert len(failed.data["jobUnits"]["edges"]) == 1
    assert first.data["jobSchedules"] == [{"name": "collections.daily",
                                           "actor": "collections.run_day",
                                           "intervalSeconds": 86_400, "enabled": True}]
    assert first.data["jobUnit"] == {"key": "reviews@2025-03-01/0", "state": "failed"}
    assert [e["node"]["number"] for e in letters.data["deadLetters"]["edges"]] == [2]
    assert [e["node"]["number"] for e in older.data["deadLetters"]["edges"]] == [1]
    assert older.data["deadLetters"]["edges"][0]["node"] == {
        "number": 1, "actor": "reviews.run_batch", "idempotencyKey": "reviews@2025-03-01/0",
        "errorClass": "ValueError", "errorMessage": "bad batch", "attempts": 3,
        "state": "dead", "resolvedBy": None}
    assert older.data["deadLetters"]["pageInfo"]["hasNextPage"] is False


def test_a_retry_makes_the_unit_pending_for_the_scheduler_once(world: Stores) -> None:
    request = Request(world, ADMIN)

    retried = request(RETRY, n=1)
    again = request(RETRY, n=1)
    discard_after = request(DISCARD, n=1)

    assert retried.data["retryDeadLetter"] == {
        "__typename": "DeadLetterResolvedResult",
        "deadLetter": {"number": 1, "state": "retried", "resolvedBy": "api:user:admin-user"}}
    unit = get_unit(world.engine, "reviews@2025-03-01/0")
    assert unit is not None and unit.state == "pending"
    assert again.data["retryDeadLetter"] == {
        "__typename": "AlreadyDecided", "code": "ALREADY_DECIDED", "field": ["input", "number"],
        "state": "retried", "decidedBy": "api:user:admin-user"}
    assert discard_after.data["discardDeadLetter"]["__typename"] == "AlreadyDecided"
    [event] = request.audit.of(AuditAction.CHANGE)
    assert (event.operation, event.targets, event.user) == (
        "mutation retryDeadLetter", ("dead-letter:1",), "admin-user")


def test_a_discard_leaves_the_unit_failed_and_others_are_refused(world: Stores) -> None:
    request = Request(world, ADMIN)

    discarded = request(DISCARD, n=1)
    unknown = request(RETRY, n=99)
    manager = request(RETRY, n=1, caller=principal_of(Role.MANAGER))
    reader = request(LETTERS, state="dead", caller=principal_of(Role.MANAGER))
    bad_state = request(LETTERS, state="asleep")

    assert discarded.data["discardDeadLetter"]["deadLetter"]["state"] == "discarded"
    assert get_dead_letter(world.engine, 1).state == "discarded"
    unit = get_unit(world.engine, "reviews@2025-03-01/0")
    assert unit is not None and unit.state == "failed"
    assert unknown.data["retryDeadLetter"] == {"__typename": "NotFound", "code": "NOT_FOUND",
                                               "field": ["input", "number"]}
    assert codes(manager) == ["FORBIDDEN"] and codes(reader) == ["FORBIDDEN"]
    assert codes(bad_state) == ["BAD_USER_INPUT"]
