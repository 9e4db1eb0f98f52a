"""A small network written by hand, imported as files: a guarantor and the loan it backs.

* P2 borrows L1 (100,000.00 CNY, four quarterly installments of 25,000.00 from 2024-06-01)
  and paid only the first: on 2025-01-15 L1 is 136 days past due, so P2 is in default.
* P1 guarantees L1 and borrows L2 (paid on time): two steps from P2 (P2 -BORROWS-> L1
  <-GUARANTEES- P1), so the network rule ``related-default-2`` alerts P1.
* P3 borrows L3 and stands apart.

``arrears_paid`` is the repayment that brings L1 back to current on 2025-02-01.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from tests.ingest.importing import write

__all__ = ["ARREARS", "CLEARING_DAY", "EVENT_DAY", "write_network"]

EVENT_DAY: Final = "2025-01-15"
CLEARING_DAY: Final = "2025-02-01"
#: L1's arrears on CLEARING_DAY after a 100.00 payment on EVENT_DAY.
ARREARS: Final = "49900.00"


def write_network(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write(folder, "persons.csv", """
        id,name,national_id,birth_date,gender,city,province,occupation,monthly_income,currency
        P1,Zhang Wei,330102197803150011,1978-03-15,M,Hangzhou,Zhejiang,owner,85000.00,CNY
        P2,Li Na,330106199005220024,1990-05-22,F,Hangzhou,Zhejiang,teacher,12500.00,CNY
        P3,Wang Fang,330203198811030047,1988-11-03,F,Ningbo,Zhejiang,nurse,9800.00,CNY
        """)
    write(folder, "loans.csv", """
        id,borrower_id,product,principal,currency,annual_rate,term_months,disbursed_on,maturity_on,repayment_method,status
        L1,P2,consumer,100000.00,CNY,0.05,12,2024-03-01,2025-03-01,equal_principal,active
        L2,P1,working_capital,40000.00,CNY,0.05,12,2024-03-01,2025-03-01,equal_principal,active
        L3,P3,consumer,20000.00,CNY,0.05,12,2024-03-01,2025-03-01,equal_principal,active
        """)
    rows = ["loan_id,seq,due_on,principal_due,interest_due"]
    for loan, amount in (("L1", "25000.00"), ("L2", "10000.00"), ("L3", "5000.00")):
        for seq, due in enumerate(("2024-06-01", "2024-09-01", "2024-12-01", "2025-03-01"), 1):
            rows.append(f"{loan},{seq},{due},{amount},0.00")
    write(folder, "installments.csv", "\n".join(rows) + "\n")
    paid = ["id,loan_id,paid_on,amount,channel", "R-L1-1,L1,2024-06-01,25000.00,bank_transfer"]
    for loan, amount in (("L2", "10000.00"), ("L3", "5000.00")):
        for seq, due in enumerate(("2024-06-01", "2024-09-01", "2024-12-01"), 1):
            paid.append(f"R-{loan}-{seq},{loan},{due},{amount},bank_transfer")
    write(folder, "repayments.csv", "\n".join(paid) + "\n")
    write(folder, "guarantees.csv", """
        guarantor_id,loan_id,amount,share,kind,signed_on,currency
        P1,L1,100000.00,1,single,2024-02-20,CNY
        """)
    return folder
