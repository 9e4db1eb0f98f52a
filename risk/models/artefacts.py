"""A fitted PD model from the bytes the registry stored: :func:`model_from_bytes`.

Artefacts never use pickle (loading one would run whatever code it names): the gradient
boosting model is LightGBM's own model text inside a JSON document, the scorecard is JSON
(bins, WoE, coefficients, points settings), and both carry their Platt calibration as two
numbers. A round trip gives the same predictions to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable

import lightgbm as lgb
import orjson

from risk.models.errors import ModelError
from risk.models.gbm import GbmModel
from risk.models.pd_model import PdModel
from risk.models.scorecard import ScorecardModel

__all__ = ["KINDS", "model_from_bytes"]

#: The kinds this module can rebuild, and how.
KINDS: dict[str, Callable[[bytes], PdModel]] = {
    "gbm": GbmModel.from_bytes,
    "scorecard": ScorecardModel.from_bytes,
}


def model_from_bytes(kind: str, payload: bytes) -> PdModel:
    """The model of kind ``kind`` stored as ``payload`` (what its ``to_bytes`` returned).

    Raises :class:`ModelError` for an unknown kind or an artefact that cannot be read.
    """
    loader = KINDS.get(kind)
    if loader is None:
        raise ModelError(f"unknown model kind {kind!r}; this version reads "
                         f"{', '.join(sorted(KINDS))}")
    try:
        return loader(payload)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError,
            lgb.basic.LightGBMError) as exc:
        raise ModelError(f"the {kind} artefact cannot be read ({type(exc).__name__}: {exc}); "
                         "it is damaged or was written by another version") from None
