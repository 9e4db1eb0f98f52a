"""The schema's SDL, kept in ``schema/schema.graphql`` for front-end teams and their tools
(Relay's compiler, GraphQL Code Generator, editors), so they can build against the API
without running it. A test fails when the file and the schema differ;
``loanwatch schema export`` writes it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from schema.build import build_schema

__all__ = ["SDL_FILE", "schema_sdl", "write_sdl"]

#: Where the SDL is kept, beside the code that defines it.
SDL_FILE: Final = Path(__file__).with_name("schema.graphql")


def schema_sdl() -> str:
    """The SDL of the schema the API serves (the limits do not change it)."""
    return build_schema(mask_errors=True).as_str().rstrip("\n") + "\n"


def write_sdl(path: Path = SDL_FILE) -> bool:
    """Write the SDL to ``path``; ``True`` when its content changed."""
    text = schema_sdl()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
