"""Shocks: ``ID=FRACTION``, the share of a node's capital lost at the start.

A fraction of 1 is a default; 0 leaves the node untouched (it is not distressed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from risk.contagion.network import ExposureNetwork
from risk.errors import ShockError

__all__ = ["initial_distress", "parse_shock"]

_HINT: str = "write each shock as ID=FRACTION, e.g. --shock B7=0.5 (0 = no loss, 1 = default)"


def parse_shock(text: str) -> tuple[str, float]:
    """``"B7=0.25"`` -> ``("B7", 0.25)``; the id may itself contain ``=`` (split at the last)."""
    node_id, sep, fraction_text = text.rpartition("=")
    if not sep or not node_id.strip():
        raise ShockError(f"shock {text!r}: expected ID=FRACTION", suggestion=_HINT)
    try:
        fraction = float(fraction_text)
    except ValueError:
        raise ShockError(f"shock {text!r}: fraction {fraction_text!r} is not a number",
                         suggestion=_HINT) from None
    if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
        raise ShockError(f"shock {text!r}: fraction {fraction_text} is outside [0, 1]",
                         suggestion=_HINT)
    return node_id.strip(), fraction


def initial_distress(
    network: ExposureNetwork, shocks: Iterable[tuple[str, float]],
) -> npt.NDArray[np.float64]:
    """The initial distress vector: each shocked node at its fraction, every other at 0.

    Raises :class:`~risk.errors.ShockError` for an id the network lacks, one shocked twice
    or a fraction outside [0, 1].
    """
    distress = np.zeros(network.size, dtype=np.float64)
    seen: set[str] = set()
    for node_id, fraction in shocks:
        position = network.index_of(node_id)
        if position is None:
            raise ShockError(f"shock {node_id}={fraction:g}: no node has the id {node_id!r}",
                             suggestion="shock a node listed in the nodes file")
        if node_id in seen:
            raise ShockError(f"node {node_id!r} is shocked twice",
                             suggestion="give each node at most one --shock")
        if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
            raise ShockError(f"shock {node_id}={fraction!r}: fraction is outside [0, 1]",
                             suggestion=_HINT)
        seen.add(node_id)
        distress[position] = fraction
    return distress
