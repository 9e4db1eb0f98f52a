"""torch and the torch-geometric layer the GNN uses, imported in one place.

torch-geometric 2.8 calls ``torch.jit.script`` at import, which torch 2.15 answers with a
``FutureWarning`` (the test suite turns warnings into errors); that one warning is silenced
here, nothing else. On a machine without the ``ml`` extra, importing this module raises
:class:`~risk.models.gnn.errors.GraphModelUnavailable` naming what to install, which the
CLI prints as one line, instead of an ``ImportError``.

Only the modules that train or run the network import it (:mod:`.network`, :mod:`.training`);
reading node and edge files and the graph features need neither torch nor torch-geometric.
"""

from __future__ import annotations

import warnings

from risk.models.gnn.errors import GraphModelUnavailable

try:
    import torch
except ImportError:
    raise GraphModelUnavailable("torch") from None

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated",
                            category=FutureWarning)
    try:
        from torch_geometric.nn import SAGEConv
    except ImportError:
        raise GraphModelUnavailable("torch-geometric") from None

__all__ = ["SAGEConv", "torch"]
