"""Errors of the credit models: training data that cannot be used, a model or file that
cannot be read, a registry request that names nothing. Each message names what is wrong and
where (file, line, column, model id), for the CLI to print as one line."""

from __future__ import annotations

from risk.errors import RiskError

__all__ = ["ModelError", "ModelNotFound", "RegistryError"]


class ModelError(RiskError):
    """Base class of the credit models' errors."""


class RegistryError(ModelError):
    """A registry request that cannot be done (a bad id, a damaged artefact, ...)."""


class ModelNotFound(RegistryError):
    """No registered model has the id asked for."""
