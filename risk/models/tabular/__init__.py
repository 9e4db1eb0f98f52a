"""A lender's own CSV file made ready for the PD models: read, typed (numeric or
categorical), checked (every problem named with its file, line and column), id-like columns
set aside, and the target turned into 0/1 outcomes."""

from risk.models.tabular.errors import MissingColumns, NotTrainable, TabularFileError
from risk.models.tabular.reading import RawTable, TextInNumeric, read_table
from risk.models.tabular.scoring_data import ScoringData, load_scoring_data
from risk.models.tabular.training import FITS, TrainedOnFile, train_on_file
from risk.models.tabular.training_data import TrainingData, load_training_data

__all__ = [
    "FITS",
    "MissingColumns",
    "NotTrainable",
    "RawTable",
    "ScoringData",
    "TabularFileError",
    "TextInNumeric",
    "TrainedOnFile",
    "TrainingData",
    "load_scoring_data",
    "load_training_data",
    "read_table",
    "train_on_file",
]
