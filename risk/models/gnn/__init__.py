"""The graph models: a heterogeneous GNN (GraphSAGE layers in torch-geometric, trained full
batch on the CPU), graph features of a plain node/edge table, the (a)–(d) comparison of
``loanwatch model train-graph``, and the graph of the stored portfolio for the GNN.

* files: :mod:`.node_files` (read and check), :mod:`.splits`, :mod:`.graph_features`,
  :mod:`.node_matrix`, :mod:`.network_comparison` (the four models);
* the network: :mod:`.hetero_graph` (plain arrays), :mod:`.scaling`, :mod:`.network`,
  :mod:`.training` (train, calibrate, save, load);
* the portfolio: :mod:`.portfolio_graph` (as of a date), :mod:`.portfolio_training`.

Modules that need torch (:mod:`.network`, :mod:`.training`, and those that train) import it
through :mod:`.pyg`; reading files (:mod:`.node_files`) and the graph features
(:mod:`.graph_features`) do not, so a machine without the ``ml`` extra can still read and
check a network.
"""
