"""The errors of the disposal service. A leaf: it imports only the risk error root."""

from __future__ import annotations

from collections.abc import Sequence

from risk.errors import RiskError

__all__ = ["DisposalError", "DisposalNotFound", "DisposalRefused", "InvalidTerms",
           "StaleProposal", "TermProblem"]


class DisposalError(RiskError):
    """Base class of the disposal service's errors."""


class TermProblem(tuple[str, str]):
    """One field of a proposal at fault: ``(field, problem)``."""

    @property
    def field(self) -> str:
        return self[0]

    @property
    def problem(self) -> str:
        return self[1]


class InvalidTerms(DisposalError):
    """A proposal's terms break a rule; ``problems`` lists each, naming its field
    (``extend_by``, ``amount``, ...). Nothing was stored."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = [TermProblem(p) for p in problems]
        listed = "; ".join(f"{p.field}: {p.problem}" for p in self.problems)
        super().__init__(f"the proposal cannot be made: {listed}",
                         suggestion="fix the fields named and propose again; nothing was "
                                    "stored")

    @property
    def field(self) -> str | None:
        """The first field at fault."""
        return self.problems[0].field if self.problems else None


class DisposalNotFound(DisposalError):
    """No disposal has the id asked for."""

    def __init__(self, disposal_id: int) -> None:
        super().__init__(f"no disposal with id {disposal_id}",
                         suggestion="`loanwatch disposals list` shows them")
        self.disposal_id = disposal_id


class DisposalRefused(DisposalError):
    """A person may not do this to a disposal: the proposer approving their own proposal,
    a role without the right, a disposal already decided, no reason."""


class StaleProposal(DisposalError):
    """The loan changed since the proposal was made (a repayment, another restructuring),
    so what it would do is no longer what was proposed."""

    def __init__(self, disposal_id: int, what: str) -> None:
        super().__init__(f"disposal {disposal_id} was proposed on figures that changed: "
                         f"{what}; nothing was applied",
                         suggestion="reject it and propose again on today's figures")
        self.disposal_id = disposal_id
