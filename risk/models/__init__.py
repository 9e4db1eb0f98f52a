"""Credit models: the PD model (gradient boosting and a WoE scorecard), LGD and EAD, the
GNN, their validation, and the registry that versions them."""
