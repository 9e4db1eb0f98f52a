"""The strategies report on SQLite and PostgreSQL: cases, cure rate, amount recovered,
cost per action kind and promises, per strategy and arm, as of a date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from risk.collections.errors import CollectionsError
from risk.collections.promises import record_promise
from risk.collections.run import run_collections
from risk.collections.strategy_report import ActionCost, strategy_report
from tests.audit.trails import trail
from tests.risk.classification.books import pay
from tests.risk.collections.test_strategies import BUCKETS, OPENED, Recorder, _book, _step

CURED_ON = date(2024, 3, 5)


def test_the_report_measures_each_strategy(database: Engine) -> None:
    # Given both cases on the firm strategy, a promise on L4, and L2 paying January and
    # February in full on 03-05 (cured that day) and L4 paying 3.00 on 02-20
    _book(database)
    audit = trail(database)
    recorder = Recorder()
    _step(database, OPENED, recorder)
    record_promise(database, "L4@2024-02-15", amount=Decimal("5"),
                   promised_for=date(2024, 2, 25), channel="call", actor="ann", audit=audit,
                   made_on=date(2024, 2, 20), now=lambda: datetime(2024, 2, 20, tzinfo=UTC))
    pay(database, "L4", [(date(2024, 2, 20), 300)])
    pay(database, "L2", [(CURED_ON, 2_200)])
    for day in (date(2024, 2, 17), date(2024, 2, 26)):
        _step(database, day, recorder)
    run_collections(database, CURED_ON, audit=audit, config=BUCKETS,
                    now=lambda: datetime(2024, 3, 6, tzinfo=UTC))
    audit.close()

    # When the report is read on 03-05, and on 02-29 (before L2 cured)
    report = strategy_report(database, CURED_ON)
    earlier = strategy_report(database, date(2024, 2, 29))

    # Then one line, firm/champion: two cases, one cured
    (firm,) = report.outcomes
    assert (firm.strategy, firm.arm, firm.cases) == ("firm", "champion", 2)
    assert firm.states == {"cured": 1, "open": 1} and firm.cure_rate == 0.5
    assert earlier.outcomes[0].states == {"open": 2} and earlier.outcomes[0].cure_rate == 0
    # and what came in on the two loans while they were worked
    assert firm.recovered == {"CNY": 2_500}
    assert earlier.outcomes[0].recovered == {"CNY": 300}
    # and the cost of the actions by kind: the SMS of both cases on 02-15 and 02-17, the
    # call tasks on 02-17 and the escalation's on 02-26, the reminders on 02-26
    assert firm.actions == [ActionCost("call_task", 3, 900, "CNY"),
                            ActionCost("reminder", 2, 10, "CNY"),
                            ActionCost("sms", 4, 20, "CNY")]
    assert firm.cost() == {"CNY": 930}
    assert firm.promises == {"broken": 1}
    assert report.as_json()["strategies"][0]["cost"] == {"CNY": "9.30"}
    # and a window of assignment days that holds none is empty
    assert strategy_report(database, CURED_ON, start=date(2024, 3, 1)).outcomes == ()
    with pytest.raises(CollectionsError, match="is after"):
        strategy_report(database, CURED_ON, start=CURED_ON, end=OPENED)
