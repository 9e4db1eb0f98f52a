"""Disposal (处置) under maker-checker: restructurings (term extension, payment holiday,
reduced installments) with a new schedule amortized exactly to the cent, write-offs with
their reason, recoveries after write-off, and collateral disposals (sale proceeds and
costs, applied to the loan).

One person proposes (:func:`~risk.disposals.maker_checker.propose`), another approves or
rejects (:func:`~risk.disposals.maker_checker.approve`, :func:`~risk.disposals.
maker_checker.reject`); approval applies the plan in the same transaction. The service
knows nothing of the CLI or GraphQL: callers pass the authenticated :class:`Person`.
"""

from risk.disposals.errors import (
    DisposalError,
    DisposalNotFound,
    DisposalRefused,
    InvalidTerms,
    StaleProposal,
)
from risk.disposals.maker_checker import (
    APPROVER_RIGHT,
    PROPOSER_RIGHT,
    Person,
    approve,
    propose,
    reject,
)
from risk.disposals.terms import Terms
from risk.disposals.views import DisposalView, get_disposal, list_disposals

__all__ = ["APPROVER_RIGHT", "PROPOSER_RIGHT", "DisposalError", "DisposalNotFound",
           "DisposalRefused", "DisposalView", "InvalidTerms", "Person", "StaleProposal",
           "Terms", "approve", "get_disposal", "list_disposals", "propose", "reject"]
