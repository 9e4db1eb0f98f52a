"""Network analytics over the lending graph: guarantee circles and chains (computed on a
:class:`risk.projection.PortfolioProjection`), corporate groups and control, and identity
rings."""
