"""Early-warning alerts: their lifecycle in the relational store, and the run that raises them."""
