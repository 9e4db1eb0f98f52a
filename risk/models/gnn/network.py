"""The heterogeneous GraphSAGE network: one ``SAGEConv`` per edge type and layer, summed per
target node type with a per-type self term (``HeteroConv`` spelled out, so that a node type
no edge type reaches still keeps its own representation).

Shapes, for node type ``t`` with ``n_t`` nodes, ``f_t`` input features and ``H = hidden``::

    x[t]            n_t × f_t      (a type with no features reads one constant column)
    h0[t] = ReLU(W_t x[t])                     n_t × H
    h_{l+1}[t] = norm(ReLU(S_t h_l[t] + Σ_{(s,r,t)} SAGE_r(h_l[s], h_l[t])))   n_t × H
    logit = MLP([h0 ‖ h1 ‖ … ‖ h_L][t])        n_t, for each target type t, concatenated

``SAGE_r`` is PyG's ``SAGEConv`` with mean aggregation and no root weight (the self term
``S_t`` is shared by the relations of one type). The head reads every layer of the target
type (jumping knowledge), so the network falls back on the node's own attributes where the
graph says nothing. Several node types may be scored (persons and companies, both
borrowers): one head scores them all, their logits concatenated in the order given.
Full batch: PyG's ``scatter`` runs on torch's own ``scatter_reduce``,
without pyg-lib or torch-sparse.
"""

from __future__ import annotations

from collections.abc import Sequence

from risk.models.gnn.hetero_graph import EdgeType
from risk.models.gnn.pyg import SAGEConv, torch

__all__ = ["CompactEdges", "HeteroSage"]

#: A relation's edges renumbered to the target nodes they reach: see HeteroSage.compact.
CompactEdges = tuple[torch.Tensor, torch.Tensor]


class HeteroSage(torch.nn.Module):
    """Heterogeneous GraphSAGE scoring the nodes of the ``targets`` types.

    Parameters:
        in_dims: input features per node type (0 allowed).
        edge_types: the typed relations messages travel along (add reverses yourself).
        targets: the node type scored, or several (their logits concatenated in order).
        hidden: width ``H`` of every representation.
        layers: message-passing layers (hops a node hears from).
        dropout: dropout rate during training.
    """

    def __init__(self, in_dims: dict[str, int], edge_types: Sequence[EdgeType],
                 targets: str | Sequence[str], *, hidden: int = 64, layers: int = 2,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.targets = (targets,) if isinstance(targets, str) else tuple(targets)
        for target in self.targets:
            if target not in in_dims:
                raise ValueError(f"the target type {target!r} is not a node type")
        self.node_types = sorted(in_dims)
        self.edge_types = [tuple(e) for e in edge_types]
        self.hidden = hidden
        self.layers = layers
        self.dropout = dropout
        self.in_dims = dict(in_dims)
        self.encoders = torch.nn.ModuleList(
            torch.nn.Linear(max(in_dims[t], 1), hidden) for t in self.node_types)
        self.selfs = torch.nn.ModuleList(
            torch.nn.ModuleList(torch.nn.Linear(hidden, hidden) for _ in self.node_types)
            for _ in range(layers))
        self.convs = torch.nn.ModuleList(
            torch.nn.ModuleList(SAGEConv(hidden, hidden, aggr="mean", root_weight=False)
                                for _ in self.edge_types)
            for _ in range(layers))
        self.norms = torch.nn.ModuleList(
            torch.nn.ModuleList(torch.nn.LayerNorm(hidden) for _ in self.node_types)
            for _ in range(layers))
        self.head = torch.nn.Sequential(
            torch.nn.Linear(hidden * (layers + 1), hidden), torch.nn.ReLU(),
            torch.nn.Dropout(dropout), torch.nn.Linear(hidden, 1))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(types={self.node_types}, "
                f"relations={len(self.edge_types)}, targets={list(self.targets)}, "
                f"hidden={self.hidden}, layers={self.layers}, dropout={self.dropout})")

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    @staticmethod
    def compact(edge_index: dict[EdgeType, torch.Tensor]) -> dict[EdgeType, CompactEdges]:
        """Each relation's edges as ``(index, reached)``: ``reached`` the target nodes it
        reaches (sorted), ``index`` its edges with targets renumbered into ``reached``.

        A relation then aggregates and transforms only the nodes it reaches (``|reached| ×
        H``) instead of every node of its target type: with many small relations into one
        large type (a dozen into a million persons), this is what keeps memory linear in
        edges rather than in relations × nodes. Computed once per graph, not per epoch."""
        prepared: dict[EdgeType, CompactEdges] = {}
        for edge_type, index in edge_index.items():
            if index.shape[1] == 0:
                continue
            reached, local = torch.unique(index[1], return_inverse=True)
            prepared[edge_type] = (torch.stack([index[0], local]), reached)
        return prepared

    def forward(self, x: dict[str, torch.Tensor],
                edges: dict[EdgeType, CompactEdges]) -> torch.Tensor:
        """The logits of every target node (a vector: the first target type's nodes, then
        the next type's), from the features ``x`` and the :meth:`compact` edges."""
        position = {t: k for k, t in enumerate(self.node_types)}
        drop = torch.nn.functional.dropout
        h = {}
        for t in self.node_types:
            inputs = x[t] if x[t].shape[1] else x[t].new_ones((x[t].shape[0], 1))
            h[t] = torch.relu(self.encoders[position[t]](drop(inputs, self.dropout * 0.5,
                                                              self.training)))
        jumps = {t: [h[t]] for t in self.targets}
        for layer in range(self.layers):
            last = layer == self.layers - 1
            # The last layer only needs the target types.
            wanted = list(self.targets) if last else self.node_types
            out = {t: self.selfs[layer][position[t]](h[t]) for t in wanted}
            for k, edge_type in enumerate(self.edge_types):
                source, dest = edge_type[0], edge_type[2]
                if dest not in out:
                    continue
                found = edges.get(edge_type)
                if found is None:
                    continue
                index, reached = found
                message = self.convs[layer][k]((h[source], None), index,
                                               size=(h[source].shape[0], len(reached)))
                out[dest] = out[dest].index_add(0, reached, message)
            h = {t: drop(self.norms[layer][position[t]](torch.relu(out[t])), self.dropout,
                         self.training) for t in wanted}
            for t in self.targets:
                jumps[t].append(h[t])
        return torch.cat([self.head(torch.cat(jumps[t], dim=1)).squeeze(1)
                          for t in self.targets])
