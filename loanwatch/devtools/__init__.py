"""Development tooling shipped with Loanwatch, never imported by the product itself.

:mod:`loanwatch.devtools.neo4j_server` builds and supervises a local Neo4j Community server
(``loanwatch neo4j start|stop|status``) for development and tests, with no Docker; the
small Maven project it builds (``neo4j-local/``) travels inside the package, so it works
from an installed wheel as well as from a clone.
"""
