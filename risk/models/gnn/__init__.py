"""The graph models: a heterogeneous GNN (GraphSAGE layers in torch-geometric, trained full
batch on the CPU), graph features of a plain node/edge table, the (a)–(d) comparison of
``loanwatch model train-graph``, and the graph of the stored portfolio for the GNN.

Modules that need torch (:mod:`.network`, :mod:`.training`, and those that train) import it
through :mod:`.pyg`; reading files (:mod:`.node_files`) and the graph features
(:mod:`.graph_features`) do not, so a machine without the ``ml`` extra can still read and
check a network.
"""
