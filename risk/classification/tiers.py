"""The five tiers of China's 2023 measures and the reasons a loan holds its tier.

A leaf module: the tiers are ordered (``Tier.PASS < Tier.LOSS``), so "at least Substandard"
is ``max(tier, Tier.SUBSTANDARD)``; Substandard, Doubtful and Loss are non-performing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

__all__ = ["Reason", "Tier"]


class Tier(IntEnum):
    """正常 / 关注 / 次级 / 可疑 / 损失, from best to worst."""

    PASS = 0
    SPECIAL_MENTION = 1
    SUBSTANDARD = 2
    DOUBTFUL = 3
    LOSS = 4

    @property
    def slug(self) -> str:
        """The name in JSON and configuration files: ``special_mention``."""
        return self.name.lower()

    @property
    def chinese(self) -> str:
        return _CHINESE[self]

    @property
    def non_performing(self) -> bool:
        """Substandard, Doubtful and Loss are non-performing (不良)."""
        return self >= Tier.SUBSTANDARD

    @classmethod
    def from_slug(cls, text: str) -> Tier:
        """The tier named ``text`` (``"substandard"``, ``"Special mention"``, ``"次级"``).

        Raises:
            ValueError: no tier has that name.
        """
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        for tier in cls:
            if key in (tier.slug, tier.chinese):
                return tier
        names = ", ".join(t.slug for t in cls)
        raise ValueError(f"unknown tier {text!r}; expected one of {names}")


_CHINESE = {Tier.PASS: "正常", Tier.SPECIAL_MENTION: "关注", Tier.SUBSTANDARD: "次级",
            Tier.DOUBTFUL: "可疑", Tier.LOSS: "损失"}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a loan is at least ``tier``: the rule's id, a sentence, and the figures it used.

    ``rule`` ids are stable (``overdue.over_90``, ``debtor.npl_share``, ...; listed in the
    README); ``figures`` hold plain JSON values (days, amounts as decimal text, ratios).
    """

    rule: str
    tier: Tier
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "tier": self.tier.slug, "text": self.text,
                "figures": self.figures}
