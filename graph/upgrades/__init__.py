"""Upgrades of graphs written by earlier releases, run by ``loanwatch migrate``.

Each module converts one thing, works on any :class:`graph.store.GraphStore`, and is
idempotent: a graph already upgraded is left as it is.
"""
