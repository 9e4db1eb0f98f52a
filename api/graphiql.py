"""The GraphiQL page, opened on an example a new user can run straight away.

Strawberry has no setting for GraphiQL's initial document, so the example replaces the
welcome text in Strawberry's page (its ``EXAMPLE_QUERY`` constant). Should a Strawberry
upgrade rename that constant, the page is served unchanged, and a test fails.
"""

from __future__ import annotations

import re
from typing import Final

from strawberry.http.ides import get_graphql_ide_html

__all__ = ["EXAMPLE_QUERY", "graphiql_html"]

EXAMPLE_QUERY: Final = """\
# Welcome to the Loanwatch API.
#
# Run with Ctrl-Enter (or the play button), then pick an operation.
# Ctrl-Space completes field names; the Docs pane lists every type.
#
# 1. GuaranteeNetworks: parties whose name or id contains $text (edit it in
#    the Variables pane below, e.g. {"text": "steel"}), their loans, who
#    guarantees those loans, and each party's guarantee network 2 hops out.
# 2. PathBetween: how two parties are connected, through any relationship.
#    Paste two ids from the first result into the variables.

query GuaranteeNetworks($text: String! = "a") {
  searchParties(text: $text, first: 3) {
    edges {
      node {
        id
        name
        label
        city
        loans {
          id
          product
          principal
          status
          guarantees { amount share kind guarantor { id name label } }
        }
        guarantees { amount loan { id borrowers { id name } } }
        guaranteeNetwork(hops: 2) {
          truncated
          nodes { id label name }
          edges { type source target }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}

query PathBetween($source: ID! = "PASTE-AN-ID", $target: ID! = "PASTE-ANOTHER-ID") {
  shortestPaths(source: $source, target: $target, maxHops: 4) {
    length
    nodes { id label name }
    edges { type source target }
  }
}
"""

_EXAMPLE_CONSTANT = re.compile(r"(const EXAMPLE_QUERY = `)(.*?)(`;)", re.DOTALL)


def _as_template_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def graphiql_html(example: str = EXAMPLE_QUERY) -> str:
    """Strawberry's GraphiQL page with ``example`` as the document it opens on."""
    html = get_graphql_ide_html("graphiql")
    literal = _as_template_literal(example)
    return _EXAMPLE_CONSTANT.sub(lambda m: m.group(1) + literal + m.group(3), html, count=1)
