"""Graph features per party, for the credit models: computed for the whole portfolio in one
pass on sparse matrices.

Parties are every ``Person`` and ``Company`` that ends at least one edge read here
(``BORROWS``, ``GUARANTEES``, ``OWNS``, ``DIRECTS``, ``USES``, ``HOLDS``, ``RELATED``);
a party with no edge at all has no graph features. Loans and guarantees come from
:func:`risk.projection.project_portfolio`; the other relationships are streamed through
:meth:`graph.store.GraphStore.iter_edges` as plain tuples.

The **risk graph** is the undirected, unweighted party–party graph the neighbourhood
features walk. Two parties are linked when

* one guarantees a loan the other borrows (the projection's party guarantee graph),
* one owns the other (``OWNS``), or they are ``RELATED``,
* they share an identifier (``USES`` a phone, address or device, ``HOLDS`` an account),
  unless that identifier has more than ``public_above`` users: a public identifier (a bank
  branch, a call centre, see :mod:`risk.network.rings`) links nobody. Party–identifier–party
  is collapsed into party–party edges (``B Bᵀ`` of the party × identifier incidence).

Directorships (``DIRECTS``) are counted in the degrees but are not risk links.

Features (arrays aligned with :attr:`PartyFeatures.party_ids`):

* degrees by relationship: loans borrowed, loans guaranteed, distinct guarantors of the
  party's loans (in-degree in the party guarantee graph), ``OWNS`` out/in, ``DIRECTS``
  out/in, identifiers used, accounts held, ``RELATED`` (either direction), and the degree
  in the risk graph;
* own exposure and **exposure within k hops**: the principal (exact ``int64`` minor units,
  one column per currency) of the loans borrowed by the *other* parties within ``k`` hops
  of the risk graph (the party itself excluded: its own exposure is its own column);
* own delinquency (a loan past due) and default (a loan more than 90 days past due), from
  :class:`risk.classification.history.RepaymentHistory`, and the **share of delinquent and
  of defaulted neighbours** (1 hop; NaN for a party without neighbours);
* **distance to the nearest defaulted party** in hops: a multi-source breadth-first search
  (:func:`scipy.sparse.csgraph.dijkstra`, unweighted, ``min_only``) capped at
  ``distance_cap``; ``inf`` beyond it (``None`` in :meth:`PartyFeatures.party`);
* **community**: Louvain (igraph's multilevel, resolution 1.0, fixed seed) on the parties
  with at least one risk link, per connected component (large ones alone, the rest
  together); communities numbered largest first; a party without risk links is a
  community of its own. igraph replaced networkx's ``louvain_communities``: measured 17x
  faster at 100k borrowers with the same modularity (see :mod:`.centrality`);
* **PageRank** (damping 0.85, uniform teleport, dangling mass spread uniformly, the
  definition of ``networkx.pagerank``) by power iteration on the row-normalised CSR matrix;
* **approximate betweenness**: Brandes' algorithm from ``k`` sampled sources (default 64,
  fixed seed) on the CSR matrix, many sources per sparse product (:mod:`.betweenness`),
  rescaled as ``networkx.betweenness_centrality`` rescales a sample and normalised over
  ordered pairs of all parties. Exact when ``k`` ≥ the parties with risk links. The
  estimate's relative error on a node falls as ``1/sqrt(k)`` and its time grows linearly in
  ``k`` (one BFS per source): ``k`` = 64 ranks the bridges of a portfolio, not the
  exact value of a minor node.

As of a date: repayments after ``as_of`` are not read (the repayment history is as-of);
loans disbursed after it are left out of degrees, exposure and the guarantee graph; an
``OWNS``/``DIRECTS``/``RELATED``/``USES``/``HOLDS`` edge with ``valid_from`` after it or
``valid_to`` before it is left out. Edges without those dates are taken as they stand.

Memory: the risk graph is CSR (12 bytes per stored entry); the k-hop reach matrix is the
largest object (its size grows with the number of parties within k hops); betweenness holds
a few ``component × 16`` dense arrays at a time; the igraph graph of Louvain holds the
linked parties of one part at a time.

The package, one idea per module: :mod:`.parameters` (the knobs and defaults),
:mod:`.result` (:class:`PartyFeatures`), :mod:`.links` (the edges in force and the loans
disbursed by the as-of date), :mod:`.risk_graph` (parties, adjacency, degrees),
:mod:`.sparse` (CSR helpers, reach, PageRank), :mod:`.centrality` (Louvain),
:mod:`.betweenness` (sampled Brandes on sparse matrices) and :mod:`.compute`
(:func:`party_features`, the pass). ``loanwatch scan`` runs the pass as its ``features``
phase and stores the result per run (:mod:`risk.scan_results`).
"""

from risk.network.features.compute import PHASES, PhaseHook, party_features
from risk.network.features.parameters import (
    DEFAULT_BETWEENNESS_K,
    DEFAULT_DISTANCE_CAP,
    DEFAULT_HOPS,
    DEFAULT_SEED,
    DEGREE_NAMES,
    FeatureParameters,
    InvalidFeatureParameters,
)
from risk.network.features.result import PartyFeatures

__all__ = [
    "DEFAULT_BETWEENNESS_K",
    "DEFAULT_DISTANCE_CAP",
    "DEFAULT_HOPS",
    "DEFAULT_SEED",
    "DEGREE_NAMES",
    "PHASES",
    "FeatureParameters",
    "InvalidFeatureParameters",
    "PartyFeatures",
    "PhaseHook",
    "party_features",
]
