"""Reviews through GraphQL on every backend pairing: one by id (and as a node), a loan's
reviews, the review queue paged by review number, and decideReview with its typed errors
(the proposer, a second decision, an unknown review), its audit entry and its right."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from auth.audit_events import AuditAction
from auth.principal import SCOPES, Principal, Role
from portfolio.reviews import ReviewRecord
from tests.principals import principal_of
from tests.schema.post_loan.running import Request, codes
from tests.writes.conftest import Stores

REVIEW = """query R($id: ID!) { review(id: $id) {
  id number loanId kind trigger status tier stage pd asOf proposedBy nextReview
  exposure { amount currency } ecl { amount currency } route
  loan { id } borrower { id } } }"""
NODE = """query N($id: ID!) { node(id: $id) { id ... on Review { number status } } }"""
LOAN = """{ loan(id: "L1") { reviews { number asOf status } } }"""
QUEUE = """query Q($after: String) { reviewQueue(first: 2, after: $after) {
  edges { cursor node { number } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
DECIDE = """mutation D($input: DecideReviewInput!) { decideReview(input: $input) {
  __typename
  ... on ReviewDecided { review { number status decidedTier decidedBy decisionReason
                                  nextReview } }
  ... on UserError { code message field }
  ... on DecisionByProposer { proposedBy }
  ... on AlreadyDecided { state decidedBy } } }"""


def test_a_review_reads_whole_by_its_global_id_its_number_and_as_a_node(
        world: Stores) -> None:
    request = Request(world)

    by_id = request(REVIEW, id="Review:1")
    by_number = request(REVIEW, id="1")
    node = request(NODE, id="Review:2")
    missing = request(REVIEW, id="Review:99")

    assert by_id.errors is None and by_id.data == by_number.data
    assert by_id.data == {"review": {
        "id": "Review:1", "number": 1, "loanId": "L1", "kind": "periodic", "trigger": None,
        "status": "pending", "tier": "substandard", "stage": 2, "pd": 0.12,
        "asOf": "2025-03-01", "proposedBy": "system", "nextReview": "2025-04-01",
        "exposure": {"amount": "420000.50", "currency": "CNY"},
        "ecl": {"amount": "1234.56", "currency": "CNY"},
        "route": [{"rule": "downgrade", "text": "tier fell"}],
        "loan": {"id": "L1"}, "borrower": {"id": "C1"}}}
    assert node.data == {"node": {"id": "Review:2", "number": 2, "status": "pending"}}
    assert codes(missing) == ["NOT_FOUND"]


def test_a_loan_lists_its_reviews_newest_date_first(world: Stores) -> None:
    result = Request(world)(LOAN)

    assert result.errors is None
    assert [(r["number"], r["asOf"]) for r in result.data["loan"]["reviews"]] == [
        (3, "2025-03-03"), (2, "2025-03-02"), (1, "2025-03-01"), (4, "2025-02-01")]


def test_the_queue_pages_pending_reviews_oldest_first_and_a_decision_shifts_nothing(
        world: Stores) -> None:
    request = Request(world)
    first = request(QUEUE)
    after = first.data["reviewQueue"]["pageInfo"]["endCursor"]
    request(DECIDE, input={"reviewId": "Review:1", "reason": "seen"},
            caller=principal_of(Role.ANALYST))
    second = request(QUEUE, after=after)

    assert [e["node"]["number"] for e in first.data["reviewQueue"]["edges"]] == [1, 2]
    assert first.data["reviewQueue"]["pageInfo"]["hasNextPage"] is True
    assert first.data["reviewQueue"]["pageInfo"]["hasPreviousPage"] is False
    assert [e["node"]["number"] for e in second.data["reviewQueue"]["edges"]] == [3]
    assert second.data["reviewQueue"]["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": True,
        "endCursor": second.data["reviewQueue"]["edges"][0]["cursor"]}


def test_a_reviewer_confirms_once_and_the_decision_is_audited(world: Stores) -> None:
    request = Request(world, principal_of(Role.ANALYST))

    decided = request(DECIDE, input={"reviewId": "Review:1", "reason": "figures agree"})
    again = request(DECIDE, input={"reviewId": "1", "reason": "once more"})

    assert decided.errors is None
    assert decided.data["decideReview"] == {
        "__typename": "ReviewDecided", "review": {
            "number": 1, "status": "confirmed", "decidedTier": "substandard",
            "decidedBy": "analyst-user", "decisionReason": "figures agree",
            "nextReview": "2025-04-01"}}
    assert again.data["decideReview"]["__typename"] == "AlreadyDecided"
    assert again.data["decideReview"]["code"] == "ALREADY_DECIDED"
    assert (again.data["decideReview"]["state"],
            again.data["decideReview"]["decidedBy"]) == ("confirmed", "analyst-user")
    [event] = request.audit.of(AuditAction.CHANGE)
    assert (event.user, event.operation, event.targets) == (
        "analyst-user", "reviews decide", ("review:1", "L1"))
    assert event.detail["reason"] == "figures agree"


def test_an_override_sets_the_decided_tier_and_its_next_review(world: Stores) -> None:
    result = Request(world, principal_of(Role.ANALYST))(
        DECIDE, input={"reviewId": "Review:3", "reason": "collateral lost",
                       "override": "DOUBTFUL"})

    review = result.data["decideReview"]["review"]
    assert (review["status"], review["decidedTier"]) == ("overridden", "doubtful")
    with Session(world.engine) as session:
        row = session.get(ReviewRecord, 3)
        assert row is not None and row.decided_tier == "doubtful"
        assert row.next_review is not None and row.next_review > date(2025, 3, 3)


def test_the_proposer_can_never_decide_and_nothing_changes(world: Stores) -> None:
    result = Request(world)(DECIDE, input={"reviewId": "Review:2", "reason": "mine"})

    assert result.data["decideReview"]["__typename"] == "DecisionByProposer"
    assert result.data["decideReview"]["code"] == "FOUR_EYES"
    assert result.data["decideReview"]["proposedBy"] == "manager-user"
    assert result.data["decideReview"]["field"] == ["input", "reviewId"]
    with Session(world.engine) as session:
        row = session.get(ReviewRecord, 2)
        assert row is not None and (row.status, row.decided_by) == ("pending", None)


def test_an_unknown_review_a_blank_reason_and_a_missing_right_are_refused(
        world: Stores) -> None:
    request = Request(world, principal_of(Role.ANALYST))

    unknown = request(DECIDE, input={"reviewId": "Review:99", "reason": "x"})
    malformed = request(DECIDE, input={"reviewId": "Alert:1", "reason": "x"})
    blank = request(DECIDE, input={"reviewId": "Review:1", "reason": "  "})
    collector = request(DECIDE, input={"reviewId": "Review:1", "reason": "x"},
                        caller=principal_of(Role.COLLECTOR))
    client = request(DECIDE, input={"reviewId": "Review:1", "reason": "x"},
                     caller=Principal(subject="client:bot", client_id="bot", role=Role.ADMIN,
                                      scopes=frozenset(SCOPES)))

    assert (unknown.data["decideReview"]["__typename"],
            unknown.data["decideReview"]["code"]) == ("NotFound", "NOT_FOUND")
    assert malformed.data["decideReview"]["code"] == "NOT_FOUND"
    assert (blank.data["decideReview"]["__typename"],
            blank.data["decideReview"]["message"]) == ("InvalidInput",
                                                       "a decision needs a reason")
    assert codes(collector) == ["FORBIDDEN"] and collector.data is None
    assert client.data["decideReview"]["message"] == (
        "a review is decided by a person: this token has no user behind it")
    with Session(world.engine) as session:
        row = session.get(ReviewRecord, 1)
        assert row is not None and (row.status, row.decided_by) == ("pending", None)
