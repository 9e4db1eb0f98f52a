"""``loanwatch audit verify``: walk the whole chain and the signed heads, name what is wrong.

Entries are read in ``seq`` order and each MAC recomputed from the stored columns and the
previous entry's stored MAC. A changed entry fails its own MAC (the next entry, chained on
the stored MAC, still holds, so the report points at the changed one); a removed entry
leaves a gap in ``seq``; an inserted or reordered entry carries a MAC that no one without
the key could compute for its place. The signed heads then say where the chain stood when
each was exported: a head whose entry is gone (the tail was cut) or holds another MAC is
found, and a head whose signature does not hold is reported itself.

Memory is constant in the length of the trail (the rows are streamed); the heads file is
read whole (one short line per interval).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from auth.audit_chain import GENESIS_MAC, chain_mac
from auth.audit_heads import HeadLine, SignedHead, public_key_name, read_heads, signature_holds
from auth.audit_store import iter_records
from auth.errors import AuditHeadsUnreadable

__all__ = ["MAX_PROBLEMS", "Problem", "ProblemKind", "VerifyReport", "verify_trail"]

#: Problems kept in a report (the first is what matters; the rest shows the extent).
MAX_PROBLEMS: Final = 100


class ProblemKind(StrEnum):
    #: The entry's MAC does not match its columns after the entry before it.
    BAD_MAC = "bad-mac"
    #: ``seq`` jumps: the entries in between are missing.
    MISSING = "missing"
    #: The entry was chained under a key that verify was not given.
    UNKNOWN_KEY = "unknown-key"
    #: A signed head names an entry past the end of the table: the tail was cut.
    TRUNCATED = "truncated"
    #: A signed head's MAC differs from its entry's stored MAC.
    HEAD_MISMATCH = "head-mismatch"
    #: A line of the heads file is malformed or its signature does not hold.
    BAD_HEAD = "bad-head"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, at entry ``seq`` (``None`` for a heads-file line)."""

    kind: ProblemKind
    seq: int | None
    message: str

    def as_json(self) -> dict[str, object]:
        return {"kind": str(self.kind), "seq": self.seq, "message": self.message}


@dataclass(slots=True)
class VerifyReport:
    """What verify found. ``ok`` when no problem: every entry chains and every head holds."""

    entries: int = 0
    last_seq: int = 0
    heads_file: Path | None = None
    heads_checked: int = 0
    #: The highest ``seq`` a valid signed head vouches for (0: none).
    signed_up_to: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first_problem(self) -> Problem | None:
        """The first bad entry in chain order (then the first bad head)."""
        entry_problems = [p for p in self.problems if p.seq is not None]
        if entry_problems:
            return min(entry_problems, key=lambda p: (p.seq, p.kind != ProblemKind.MISSING))
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def as_json(self) -> dict[str, object]:
        first = self.first_problem
        return {"ok": self.ok, "entries": self.entries, "last_seq": self.last_seq,
                "heads_file": None if self.heads_file is None else str(self.heads_file),
                "heads_checked": self.heads_checked, "signed_up_to": self.signed_up_to,
                "first_problem": None if first is None else first.as_json(),
                "problem_count": self.problem_count,
                "problems": [p.as_json() for p in self.problems], "notes": self.notes}


def _check_entries(rows: Iterable[Mapping[str, Any]], keys: Mapping[str, bytes],
                   heads_at: dict[int, list[tuple[int, SignedHead]]],
                   report: VerifyReport) -> None:
    expected, previous = 1, GENESIS_MAC
    for row in rows:
        seq = int(row["seq"])
        report.entries += 1
        report.last_seq = seq
        if seq != expected:
            missing = (f"entry {expected} is missing" if seq == expected + 1 else
                       f"entries {expected} to {seq - 1} are missing")
            report.add(Problem(ProblemKind.MISSING, expected,
                               f"{missing} (removed): the chain jumps from {expected - 1} "
                               f"to {seq}"))
        key = keys.get(str(row["key_id"]))
        if key is None:
            report.add(Problem(ProblemKind.UNKNOWN_KEY, seq,
                               f"entry {seq} names key {row['key_id']!r}, which is not the "
                               f"audit key given ({', '.join(keys) or 'none'}): it was "
                               f"chained under another key, or its key id was changed"))
        elif chain_mac(key, previous, row) != row["mac"]:
            report.add(Problem(ProblemKind.BAD_MAC, seq,
                               f"entry {seq} ({row['action']} by "
                               f"{row['user_login'] or row['client_id']} at "
                               f"{row['at']}): its MAC does not match its "
                               f"columns and the entry before it; it was changed, inserted "
                               f"or moved (or the entry before it was)"))
        for number, head in heads_at.pop(seq, []):
            if head.mac != row["mac"]:
                report.add(Problem(ProblemKind.HEAD_MISMATCH, seq,
                                   f"entry {seq} is not the entry the head signed at "
                                   f"{head.exported_at.isoformat()} (heads file line "
                                   f"{number}) vouches for: it was replaced"))
        # Chained on the stored MAC: one changed entry is reported once, not every one after.
        previous = str(row["mac"])
        expected = seq + 1


def verify_trail(engine: Engine, *, keys: Mapping[str, bytes],
                 heads_file: Path | None = None, public_key: bytes | None = None
                 ) -> VerifyReport:
    """Check every entry of the trail in ``engine``, and the signed heads in ``heads_file``.

    Args:
        keys: the audit keys by key id (:func:`auth.audit_chain.key_id`); today's key, and
            any earlier one entries were chained under.
        heads_file: the file of signed heads; ``None`` or missing: the tail's truncation
            cannot be checked (a note says so).
        public_key: the Ed25519 public key (32 raw bytes) the heads must be signed with.

    Raises:
        AuditHeadsUnreadable: ``heads_file`` exists but cannot be read.
    """
    report = VerifyReport(heads_file=heads_file)
    lines: list[HeadLine] = []
    if heads_file is not None:
        try:
            lines = read_heads(heads_file)
        except FileNotFoundError:
            report.notes.append(f"no heads file at {heads_file}: a cut tail cannot be "
                                "detected until a head has been exported")
        except OSError as exc:
            raise AuditHeadsUnreadable(f"cannot read the heads file {heads_file}: "
                                       f"{exc.strerror or exc}") from exc
    else:
        report.notes.append("no heads file given: a cut tail cannot be detected")
    heads_at: dict[int, list[tuple[int, SignedHead]]] = {}
    signer = None if public_key is None else public_key_name(public_key)
    for line in lines:
        if line.head is None:
            report.add(Problem(ProblemKind.BAD_HEAD, None,
                               f"heads file line {line.line}: {line.problem}"))
        elif public_key is None or not signature_holds(line.head, public_key):
            report.add(Problem(ProblemKind.BAD_HEAD, None,
                               f"heads file line {line.line} (seq {line.head.seq}): its "
                               f"signature does not hold for the public key {signer} "
                               f"(signed by {line.head.signer or 'unnamed key'}): forged, "
                               f"altered, or signed with another key"))
        else:
            report.heads_checked += 1
            report.signed_up_to = max(report.signed_up_to, line.head.seq)
            heads_at.setdefault(line.head.seq, []).append((line.line, line.head))
    # The heads are read before the entries: every head read was exported after its entry
    # was committed, so it is in what the query below sees, even while writers append.
    _check_entries(iter_records(engine), keys, heads_at, report)
    for seq in sorted(heads_at):
        for number, head in heads_at[seq]:
            vouched = (f"the head signed at {head.exported_at.isoformat()} (heads file line "
                       f"{number}) vouches for entry {seq}")
            if seq > report.last_seq:
                message = (f"the trail ends at entry {report.last_seq}, but {vouched}: "
                           f"entries {report.last_seq + 1} to {seq} were removed")
            else:
                message = f"{vouched}, which is missing"
            report.add(Problem(ProblemKind.TRUNCATED, min(seq, report.last_seq + 1), message))
    if report.last_seq > report.signed_up_to and report.heads_checked:
        report.notes.append(f"entries {report.signed_up_to + 1} to {report.last_seq} come "
                            f"after the last signed head: only the MAC chain vouches for "
                            f"them")
    return report
