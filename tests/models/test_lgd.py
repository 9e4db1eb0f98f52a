"""LGD from the book's own workouts, against figures computed by hand: the default day,
exposure at default, discounted recoveries, which workouts count, credibility blending with
the priors, the floor, collateral disposals, and no look-ahead."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import Engine

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from risk.classification.book import LoanBook, day_number, load_book
from risk.classification.delinquency import delinquency
from risk.classification.errors import ClassificationConfigError
from risk.classification.provisioning_config import provisioning_from_mapping
from risk.models import collateral as collateral_module
from risk.models.collateral import NO_DAY, UNSECURED, LoanCollateral, loan_collateral
from risk.models.lgd import LgdSettings, coverage_band, estimate_lgd, workouts
from tests.portfolio.databases import sqlite_engine
from tests.risk.classification.books import add_loan, pay

__all__ = ["sqlite_engine"]

AS_OF = date(2025, 6, 30)
DUES = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
#: Two observations weigh as much as the prior: easy blends by hand.
SETTINGS = LgdSettings(credibility=2.0)


def _book(engine: Engine) -> None:
    """Six loans of 3 x (1,000 principal + 100 interest) at 12% unless said otherwise."""
    for loan in ("U1", "U2", "S1", "S2"):
        add_loan(engine, loan, f"P-{loan}", DUES)
    # U1 pays its first installment, defaults on the second (due 2024-02-29, more than 90
    # days past due on 2024-05-30) and recovers 1,100 six months later.
    pay(engine, "U1", [(date(2024, 1, 31), 1_100), (date(2024, 11, 30), 1_100)])
    # R1 defaults on 2025-05-30: a workout too recent to count.
    add_loan(engine, "R1", "P-R1", [date(2025, 2, 28)])
    # OK pays on time and never defaults.
    add_loan(engine, "OK", "P-OK", [date(2025, 3, 31), date(2025, 12, 31)])
    pay(engine, "OK", [(date(2025, 3, 31), 1_100)])


def _collateral(book: LoanBook, **items: tuple[str, float, int, int]) -> LoanCollateral:
    """Collateral per loan id: (kind, value, disposal day, proceeds)."""
    ids = book.loan_ids.tolist()
    n = len(ids)
    result = LoanCollateral(kind=np.full(n, UNSECURED, dtype=object), value=np.full(n, np.nan),
                            currency=np.full(n, None, dtype=object),
                            disposed=np.full(n, NO_DAY, dtype=np.int64),
                            proceeds=np.zeros(n, dtype=np.int64))
    for loan, (kind, value, disposed, proceeds) in items.items():
        i = ids.index(loan)
        result.kind[i], result.value[i], result.currency[i] = kind, value, "CNY"
        result.disposed[i], result.proceeds[i] = disposed, proceeds
    return result


def _secured(book: LoanBook) -> LoanCollateral:
    # S1: real estate worth 5,000, not yet sold; S2: worth 2,000 (61% of its 3,300 at
    # default), sold on 2024-11-01 (184 days after its default) for 3,000.
    return _collateral(book, S1=("real_estate", 5_000, NO_DAY, 0),
                       S2=("real_estate", 2_000, day_number(date(2024, 11, 1)), 3_000))


def _live_bands(book: LoanBook, collateral: LoanCollateral) -> np.ndarray:
    dq = delinquency(book)
    return coverage_band(collateral, collateral.value_in(book.currency),
                         dq.outstanding + dq.overdue_interest)


def test_workouts_by_hand(sqlite_engine: Engine) -> None:
    _book(sqlite_engine)
    book = load_book(sqlite_engine, AS_OF)
    found = workouts(book, delinquency(book), _secured(book), SETTINGS)
    rows = {str(book.loan_ids[i]): j for j, i in enumerate(found.loan.tolist())}
    assert sorted(rows) == ["R1", "S1", "S2", "U1", "U2"]  # OK never defaulted

    def of(loan: str) -> tuple[date, int, bool, str]:
        j = rows[loan]
        return (date.fromordinal(date(1970, 1, 1).toordinal() + int(found.default_day[j])),
                int(found.exposure[j]), bool(found.counted[j]), str(found.pending[j]))

    # Exposure at default: principal + interest fallen due by the default day - payments.
    assert of("U1") == (date(2024, 5, 30), 3_000 + 300 - 1_100, True, "")
    assert of("U2") == (date(2024, 5, 1), 3_300, True, "")
    assert of("R1") == (date(2025, 5, 30), 1_100, False, "recent")
    assert of("S1") == (date(2024, 5, 1), 3_300, False, "awaiting disposal")
    assert of("S2") == (date(2024, 5, 1), 3_300, True, "")
    u1 = 1 - 1_100 * 1.12 ** (-184 / 365.25) / 2_200
    s2 = 1 - 3_000 * 1.12 ** (-184 / 365.25) / 3_300
    assert found.realised[rows["U1"]] == pytest.approx(u1)
    assert found.realised[rows["U2"]] == 1.0
    assert found.realised[rows["S2"]] == pytest.approx(s2)
    assert found.band[rows["S1"]] == 3 and found.band[rows["S2"]] == 2  # >=100%, 50-100%


def test_segments_blend_each_realised_mean_with_its_prior_by_credibility(
        sqlite_engine: Engine) -> None:
    _book(sqlite_engine)
    book = load_book(sqlite_engine, AS_OF)
    collateral = _secured(book)
    model = estimate_lgd(book, delinquency(book), collateral, _live_bands(book, collateral),
                         SETTINGS)
    table = {(s.collateral, s.band): s for s in model.segments}
    u1 = 1 - 1_100 * 1.12 ** (-184 / 365.25) / 2_200
    unsecured = table[(UNSECURED, 0)]
    assert (unsecured.observations, unsecured.recent, unsecured.awaiting_disposal) == (2, 1, 0)
    assert unsecured.realised_mean == pytest.approx((u1 + 1) / 2)
    # n / (n + k) = 2 / 4 on the data, the rest on the prior 0.45.
    assert unsecured.estimate == pytest.approx((u1 + 1 + 2 * 0.45) / 4)
    # S2's band: 75% covered, prior 0.75 * 0.25 + 0.25 * 0.45 = 0.30; one observation.
    s2 = 1 - 3_000 * 1.12 ** (-184 / 365.25) / 3_300
    partly = table[("real_estate", 2)]
    assert partly.prior == pytest.approx(0.30)
    assert partly.estimate == pytest.approx((s2 + 2 * 0.30) / 3)
    # S1 awaits its collateral's sale: pending, so its segment stays on the prior.
    full = table[("real_estate", 3)]
    assert (full.observations, full.recent, full.awaiting_disposal, full.realised_mean,
            full.estimate) == (0, 0, 1, None, 0.25)
    assert [s.label for s in model.segments] == [
        "unsecured", "real_estate 50-100%", "real_estate >=100%"]
    # A loan of a segment the book never showed takes that segment's prior.
    kinds = np.array(["deposit", UNSECURED], dtype=object)
    assert model.estimate(kinds, np.array([1, 0])).tolist() == pytest.approx(
        [0.25 * 0.25 + 0.75 * 0.45, unsecured.estimate])
    row = unsecured.as_json()
    assert (row["coverage"], row["observations"], row["prior"]) == ("unsecured", 2, 0.45)


def test_cash_alone_counts_when_configured_and_the_floor_holds(sqlite_engine: Engine) -> None:
    _book(sqlite_engine)
    book = load_book(sqlite_engine, AS_OF)
    dq = delinquency(book)
    collateral = _secured(book)
    bands = _live_bands(book, collateral)
    cash = estimate_lgd(book, dq, collateral, bands,
                        LgdSettings(credibility=2.0, count_undisposed=True))
    full = next(s for s in cash.segments if (s.collateral, s.band) == ("real_estate", 3))
    assert (full.observations, full.realised_mean) == (1, 1.0)  # no cash came back
    assert full.estimate == pytest.approx((1.0 + 2 * 0.25) / 3)
    # Priors of zero and no data: every estimate is the floor, and says so.
    floor = estimate_lgd(book, dq, collateral, bands, LgdSettings(
        prior_unsecured=0.0, prior_secured=0.0, credibility=1e9, floor=0.07))
    assert {(s.estimate, s.floored) for s in floor.segments} == {(0.07, True)}


def test_no_look_ahead_recoveries_after_the_date_never_count(sqlite_engine: Engine) -> None:
    _book(sqlite_engine)
    settings = LgdSettings(workout_months=0)

    def u1(as_of: date) -> float:
        book = load_book(sqlite_engine, as_of)
        found = workouts(book, delinquency(book), _secured(book), settings)
        return float(found.realised[book.loan_ids.tolist().index("U1") ==
                                    found.loan][0])

    assert u1(date(2024, 11, 29)) == 1.0  # the recovery of 2024-11-30 is not known yet
    assert u1(date(2024, 11, 30)) < 1.0
    before = estimate_lgd(*_inputs(sqlite_engine, date(2024, 11, 29)), settings)
    # A recovery recorded later changes nothing as of the earlier date.
    pay(sqlite_engine, "U2", [(date(2024, 12, 15), 3_300)])
    assert estimate_lgd(*_inputs(sqlite_engine, date(2024, 11, 29)), settings) == before
    # A collateral sale after the date is not a recovery yet either.
    book = load_book(sqlite_engine, date(2024, 10, 31))
    found = workouts(book, delinquency(book), _secured(book), settings)
    s2 = book.loan_ids.tolist().index("S2")
    assert (found.realised[found.loan == s2][0], found.pending[found.loan == s2][0]) == (
        1.0, "awaiting disposal")


def _inputs(engine: Engine, as_of: date) -> tuple:
    book = load_book(engine, as_of)
    collateral = _secured(book)
    return book, delinquency(book), collateral, _live_bands(book, collateral)


def _collateral_graph(graph: GraphStore) -> None:
    graph.upsert_batch([
        Node("L1", Label.LOAN, {}), Node("L2", Label.LOAN, {}), Node("L3", Label.LOAN, {}),
        Node("C1", Label.COLLATERAL, {"kind": "equipment", "value_minor": 300,
                                      "value_currency": "CNY"}),
        Node("C2", Label.COLLATERAL, {"kind": "real_estate", "value_minor": 900,
                                      "value_currency": "CNY", "disposed_on": "2024-11-01",
                                      "proceeds_minor": 800}),
        Node("C3", Label.COLLATERAL, {"kind": "deposit"})],
        [Edge(RelType.SECURED_BY, "L1", "C1"), Edge(RelType.SECURED_BY, "L1", "C2"),
         Edge(RelType.SECURED_BY, "L3", "C3")])


def _check_collateral(graph: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for stream_above in (5_000, 0):  # asked per loan, and streamed over the whole graph
        monkeypatch.setattr(collateral_module, "_STREAM_ABOVE", stream_above)
        found = loan_collateral(graph, ["L1", "L2", "L3"])
        # Two items: values added, the most valuable one's kind, its disposal.
        assert found.kind.tolist() == ["real_estate", UNSECURED, "deposit"]
        assert found.value[0] == 1_200 and np.isnan(found.value[1:]).all()
        assert found.disposed.tolist() == [day_number(date(2024, 11, 1)), NO_DAY, NO_DAY]
        assert found.proceeds.tolist() == [800, 0, 0]
        # The unvalued deposit gives no credit: it counts as under 50% covered.
        bands = coverage_band(found, found.value_in(np.array(["CNY"] * 3, dtype=object)),
                              np.array([1_000, 1_000, 1_000]))
        assert bands.tolist() == [3, 0, 1]
        # A value in another currency than the loan's is not compared with its exposure.
        assert np.isnan(found.value_in(np.array(["USD"] * 3, dtype=object))[0])


def test_collateral_is_read_from_the_graph_with_values_kinds_and_disposals(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = EmbeddedGraphStore(sqlite_engine)
    _collateral_graph(graph)
    _check_collateral(graph, monkeypatch)


@pytest.mark.neo4j
def test_collateral_is_read_from_neo4j_alike(neo4j_store: Neo4jGraphStore,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    neo4j_store.delete_all()
    _collateral_graph(neo4j_store)
    _check_collateral(neo4j_store, monkeypatch)


@pytest.mark.parametrize(("table", "message"), [
    ({"lgd_floor": 1.5}, "lgd_floor must lie in [0, 1]"),
    ({"lgd_credibility": -1}, "lgd_credibility must not be negative"),
    ({"lgd_collateral": {"real_estate": 2}}, "lgd_collateral.real_estate must lie in [0, 1]"),
    ({"lgd_collateral": {"real_estate": "low"}}, "lgd_collateral.real_estate: expected a "
                                                 "number"),
    ({"ccf": {"revolving": 1.2}}, "ccf.revolving must lie in [0, 1]"),
    ({"lgd_count_undisposed": 1}, "lgd_count_undisposed: expected bool"),
])
def test_bad_lgd_and_ccf_settings_are_named(table: dict, message: str) -> None:
    with pytest.raises(ClassificationConfigError, match=message.replace("[", r"\[")):
        provisioning_from_mapping(table, where="loanwatch.toml [provisioning]")


def test_lgd_settings_come_from_the_provisioning_table() -> None:
    config = provisioning_from_mapping({
        "lgd_unsecured": 0.6, "lgd_collateral": {"deposit": 0.05}, "lgd_credibility": 10,
        "lgd_floor": 0.1, "lgd_workout_months": 18, "impaired_dpd": 60,
        "ccf": {"revolving": 0.4}, "ccf_default": 0.5}, where="test")
    settings = config.lgd_settings()
    assert (settings.prior_unsecured, settings.credibility, settings.floor,
            settings.workout_months, settings.default_dpd) == (0.6, 10.0, 0.1, 18, 60)
    assert settings.prior("deposit", 3) == 0.05
    assert settings.prior("deposit", 1) == pytest.approx(0.25 * 0.05 + 0.75 * 0.6)
    assert (dict(config.ccf), config.ccf_default) == ({"revolving": 0.4}, 0.5)
