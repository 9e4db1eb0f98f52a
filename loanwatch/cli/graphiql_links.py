"""Links that open a query in the API's GraphiQL page, ready to run.

GraphiQL as Strawberry serves it starts on the document in the page URL's ``q`` parameter
and the variables in ``variables`` (and keeps both in the URL as one edits them), so a
link is the page's address with those two parameters. The address is the one ``loanwatch
serve`` listens on by default (``LOANWATCH_HOST``, ``LOANWATCH_PORT``); a link opens once
the API runs there.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from api.app import GRAPHQL_PATH

__all__ = ["ALERT_QUERY", "base_url", "graphiql_link"]

#: One alert with its signals and the evidence path behind it, and the nodes on that path.
ALERT_QUERY = """\
query Alert($id: ID!) {
  alert(id: $id) {
    id rule severity status assignee subjectKind subjectId asOf
    signals
    evidenceNodes { id label }
    evidencePath { type source target key }
  }
}
"""


def base_url(host: str, port: int) -> str:
    """The URL of the API on ``host:port`` (an any-address bind shown as loopback)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def graphiql_link(host: str, port: int, query: str, variables: dict[str, Any]) -> str:
    """The GraphiQL page of the API on ``host:port`` opened on ``query`` and ``variables``."""
    # The page decodes its parameters with decodeURIComponent, which leaves a "+" a plus
    # sign: spaces must be %20, not the form encoding's "+".
    parameters = urlencode({"q": query, "variables": json.dumps(variables)}, quote_via=quote)
    return f"{base_url(host, port)}{GRAPHQL_PATH}?{parameters}"
