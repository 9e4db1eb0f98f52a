"""The GraphiQL page, opened on an example a new user can run straight away, self-hosted.

Strawberry has no setting for GraphiQL's initial document, so the example replaces the
welcome text in Strawberry's page (its ``EXAMPLE_QUERY`` constant). Should a Strawberry
upgrade rename that constant, the page is served unchanged, and a test fails.

Strawberry's page loads its scripts and style sheets from a CDN, which an air-gapped
machine cannot reach. Copies of those files are kept in ``api/static/graphiql/``, laid out
as on the CDN (``<package>@<version>/<path>``; ``tools/graphiql-assets/update.sh`` fetches
them from the npm registry), and served at :data:`GRAPHIQL_ASSETS_PATH`. The page's CDN
URLs are made relative URLs of those copies: ``static/graphiql/...`` from ``/graphql``
is ``/static/graphiql/...``, and stays next to the endpoint behind a path prefix. The
``integrity`` hashes are kept, so the browser checks that the copies are the very files
Strawberry names; ``crossorigin`` is dropped, as the files now come from the same origin.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from strawberry.http.ides import get_graphql_ide_html

__all__ = ["EXAMPLE_QUERY", "GRAPHIQL_ASSETS_DIR", "GRAPHIQL_ASSETS_PATH", "graphiql_html"]

#: Where the app serves the files of :data:`GRAPHIQL_ASSETS_DIR`.
GRAPHIQL_ASSETS_PATH: Final = "/static/graphiql"
#: The committed copies of GraphiQL's scripts and style sheets (and their licences).
GRAPHIQL_ASSETS_DIR: Final = Path(__file__).parent / "static" / "graphiql"

EXAMPLE_QUERY: Final = """\
# Welcome to the Loanwatch API.
#
# Run with Ctrl-Enter (or the play button), then pick an operation.
# Ctrl-Space completes field names; the Docs pane lists every type.
#
# 1. GuaranteeNetworks: parties whose name or id contains $text (edit it in
#    the Variables pane below, e.g. {"text": "机械"}), their loans, who
#    guarantees those loans, and each party's guarantee network 2 hops out.
# 2. PathBetween: how two parties are connected, through any relationship.
#    Paste two ids from the first result into the variables.

query GuaranteeNetworks($text: String! = "C0000001") {
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
          principal { amount currency }
          status
          guarantees { amount { amount currency } share kind guarantor { id name label } }
        }
        guarantees { amount { amount currency } loan { id borrowers { id name } } }
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
#: The CDN prefix of a ``src`` or ``href`` attribute in Strawberry's page.
_CDN_URL = re.compile(r"""(\b(?:src|href)\s*=\s*["'])https://unpkg\.com/""")
#: A ``crossorigin`` attribute (bare or with a value) inside a tag.
_CROSSORIGIN = re.compile(r"""\s+crossorigin(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?(?=[\s/>])""")


def _as_template_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def _self_hosted(html: str) -> str:
    local = GRAPHIQL_ASSETS_PATH.lstrip("/") + "/"
    return _CROSSORIGIN.sub("", _CDN_URL.sub(lambda m: m.group(1) + local, html))


def graphiql_html(example: str = EXAMPLE_QUERY) -> str:
    """Strawberry's GraphiQL page, loading our copies, with ``example`` as its document."""
    html = _self_hosted(get_graphql_ide_html("graphiql"))
    literal = _as_template_literal(example)
    return _EXAMPLE_CONSTANT.sub(lambda m: m.group(1) + literal + m.group(3), html, count=1)
