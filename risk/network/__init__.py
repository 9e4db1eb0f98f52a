"""Network analytics over the lending graph: guarantee circles and chains (and, from other
modules, groups, control and identity rings), computed on a
:class:`risk.projection.PortfolioProjection`."""
