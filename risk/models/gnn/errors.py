"""Errors of the graph models: a node or edge file that cannot be used, a split that cannot
train or test, a model that cannot be read back. A leaf: it imports only the credit models'
error root (:class:`risk.models.errors.ModelError`).

Each message names the file, the line and the column (``EDGES.csv:7 target: no node has the
id 'C9'``), for the CLI to print as one line.
"""

from __future__ import annotations

from risk.models.errors import ModelError

__all__ = ["GraphModelError", "GraphModelUnavailable"]


class GraphModelError(ModelError):
    """Base class of the graph models' errors: bad input files, unusable splits, a damaged
    model artefact."""


class GraphModelUnavailable(GraphModelError):
    """The GNN needs torch and torch-geometric (the ``ml`` extra), which are not installed."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"the graph neural network needs {missing}, which is not installed",
            suggestion="install the ml extra: `.venv/bin/pip install -c constraints.txt "
                       "-e '.[ml]'` (or `make install-ml`)")
        self.missing = missing
