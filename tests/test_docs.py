"""The user's documents point only at files a clone has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: ``[text](target)`` links and ``path/like.md`` code spans naming a Markdown file.
_LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")
_CODE_PATH = re.compile(r"`(?P<target>[^`\s]*\.md)`")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_relative_links_resolve_inside_the_repository(document: Path) -> None:
    text = document.read_text()
    targets = [m.group("target") for m in _LINK.finditer(text)]
    targets += [m.group("target") for m in _CODE_PATH.finditer(text)]
    for target in targets:
        if "://" in target or target.startswith("mailto:"):
            continue
        resolved = (document.parent / target).resolve()
        assert resolved.is_relative_to(REPO), f"{document.name} points outside the clone: {target}"
        assert resolved.exists(), f"{document.name} links to a missing file: {target}"
