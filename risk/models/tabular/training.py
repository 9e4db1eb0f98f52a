"""Training on a lender's file: both model kinds cross-validated on the same stratified
folds, the better one (higher mean AUC) refitted on every row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from risk.models.cross_validation import FOLDS, CrossValidation, cross_validate
from risk.models.gbm import fit_gbm
from risk.models.pd_model import PdModel
from risk.models.scorecard import fit_scorecard
from risk.models.tabular.errors import NotTrainable
from risk.models.tabular.training_data import TrainingData

__all__ = ["FITS", "TrainedOnFile", "train_on_file"]

#: The model kinds compared, by name.
FITS: Final = {"gbm": fit_gbm, "scorecard": fit_scorecard}
#: Each class needs this many rows per fold: one to test on, and inner folds to calibrate.
ROWS_PER_FOLD: Final = 2


@dataclass
class TrainedOnFile:
    """The cross-validation of both kinds and the better one, fitted on all rows."""

    data: TrainingData
    validation: CrossValidation
    best: str
    model: PdModel

    def document(self) -> dict[str, Any]:
        """The figures as the ``--json`` document has them (without the model id)."""
        return {"rows": self.validation.rows, "folds": self.validation.folds,
                "models": self.validation.summary(), "best": self.best}


def train_on_file(data: TrainingData, *, folds: int = FOLDS, seed: int = 0,
                  progress: Callable[[str], None] | None = None) -> TrainedOnFile:
    """Cross-validate :data:`FITS` on ``data`` and fit the better one on all its rows.

    Raises :class:`NotTrainable` when a class has too few rows for the folds.
    """
    needed = folds * ROWS_PER_FOLD
    for value, count in ((1, data.positives), (0, len(data.y) - data.positives)):
        if count < needed:
            what = f"{data.target} = {data.positive}" if value else f"{data.target} ≠ " \
                f"{data.positive}"
            raise NotTrainable(f"{data.path}: only {count} row(s) with {what}; {folds}-fold "
                               f"cross-validation needs at least {needed} of each class")
    validation = cross_validate(data.frame, data.y, FITS, folds=folds, seed=seed,
                                progress=progress)
    best = validation.best()
    if progress is not None:
        progress(f"fitting {best} on all {len(data.y)} rows")
    model = FITS[best](data.frame, data.y, seed=seed)
    return TrainedOnFile(data=data, validation=validation, best=best, model=model)
