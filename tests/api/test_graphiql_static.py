"""GraphiQL is self-hosted: the page loads only our copies of its files, which are served.

An air-gapped bank cannot reach a CDN, so every script and style sheet of the page must
come from ``/static/graphiql/``, match the integrity hash Strawberry's page gives it (or
the browser refuses it), and be the version ``tools/graphiql-assets`` pins. The browser
itself is checked by ``tools/check_graphiql_browser.sh``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from api.graphiql import GRAPHIQL_ASSETS_DIR, GRAPHIQL_ASSETS_PATH, graphiql_html
from tests.api.client import BASE_URL, ApiClient

PAGE_URL = f"{BASE_URL}/graphql"
ASSETS_TOOL = Path(__file__).resolve().parents[2] / "tools" / "graphiql-assets"
#: The one absolute URL the page may contain: the XML namespace of its inline SVG icon,
#: a name that is never fetched.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
CONTENT_TYPES = {".js": {"text/javascript", "application/javascript"}, ".css": {"text/css"}}


class _Resources(HTMLParser):
    """The ``src`` and ``href`` attributes of a page, with their tags' other attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href"):
            value = attributes.get(name)
            if value is not None:
                self.found.append((tag, value, attributes))


def _page(client: ApiClient) -> str:
    response = client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    return response.text


def _resources(page: str) -> list[tuple[str, str, dict[str, str | None]]]:
    parser = _Resources()
    parser.feed(page)
    parser.close()
    return parser.found


def _assets(page: str) -> dict[str, str | None]:
    """The page's scripts and style sheets: absolute URL path -> integrity attribute."""
    return {urlsplit(urljoin(PAGE_URL, url)).path: attributes.get("integrity")
            for _, url, attributes in _resources(page) if not url.startswith("data:")}


def _package_folder(relative: Path) -> str:
    """``react@18.2.0`` of ``react@18.2.0/umd/x.js``; scoped packages have two parts."""
    parts = relative.parts
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


def _served_files() -> set[Path]:
    return {path.relative_to(GRAPHIQL_ASSETS_DIR) for path in GRAPHIQL_ASSETS_DIR.rglob("*")
            if path.is_file()}


def test_the_page_refers_to_no_other_host(client: ApiClient) -> None:
    page = _page(client)
    resources = _resources(page)
    assert {tag for tag, _, _ in resources} == {"link", "script"}
    for _, url, attributes in resources:
        assert "crossorigin" not in attributes, url
        if url.startswith("data:"):  # the icon
            continue
        absolute = urlsplit(urljoin(PAGE_URL, url))
        assert absolute.netloc == urlsplit(BASE_URL).netloc, url
        assert absolute.path.startswith(GRAPHIQL_ASSETS_PATH + "/"), url
    # Nor does its inline script or style name another host.
    assert set(re.findall(r"https?://[^\s\"'`<>()%]+", page)) <= {SVG_NAMESPACE}
    assert "unpkg" not in page


def test_every_asset_is_served_with_its_type_and_integrity_hash(client: ApiClient) -> None:
    assets = _assets(_page(client))
    assert len(assets) == 7  # react, react-dom, js-cookie, graphiql (js, css), explorer (2)
    for path, integrity in assets.items():
        response = client.get(path)
        assert response.status_code == 200, path
        media_type = response.headers["content-type"].split(";")[0].strip()
        assert media_type in CONTENT_TYPES[Path(path).suffix], (path, media_type)
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert integrity == f"sha384-{digest}", f"{path} is not the file Strawberry names"


def test_the_example_query_is_still_the_document(client: ApiClient) -> None:
    page = _page(client)
    assert page == graphiql_html()
    assert 'query GuaranteeNetworks($text: String! = "C0000001")' in page


def test_the_folder_holds_what_the_page_loads_and_the_licences(client: ApiClient) -> None:
    prefix = GRAPHIQL_ASSETS_PATH + "/"
    loaded = {Path(path.removeprefix(prefix)) for path in _assets(_page(client))}
    packages = {_package_folder(path) for path in loaded}
    licences = {path for path in _served_files() if path.name.startswith("LICENSE")}
    assert _served_files() == loaded | licences
    for package in packages:
        assert (GRAPHIQL_ASSETS_DIR / package / "LICENSE").is_file(), package


def test_the_files_are_the_versions_the_asset_tool_pins(client: ApiClient) -> None:
    folders = {_package_folder(path) for path in _served_files()}
    served = dict(folder.rsplit("@", 1) for folder in folders)
    manifest = json.loads((ASSETS_TOOL / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ASSETS_TOOL / "package-lock.json").read_text(encoding="utf-8"))
    assert manifest["dependencies"] == served
    for package, version in served.items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version


def test_an_unknown_or_outside_file_is_404(client: ApiClient) -> None:
    assert client.get(f"{GRAPHIQL_ASSETS_PATH}/react@18.2.0/umd/nope.js").status_code == 404
    assert client.get(f"{GRAPHIQL_ASSETS_PATH}/..%2F..%2Fgraphiql.py").status_code == 404
