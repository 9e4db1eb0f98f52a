"""``loanwatch schema export|check``: the GraphQL schema's SDL in ``schema/schema.graphql``."""

from __future__ import annotations

from pathlib import Path

import typer

from schema.sdl import SDL_FILE, schema_sdl, write_sdl

__all__ = ["app"]

app = typer.Typer(help="The GraphQL schema's SDL, for front-end tools.", no_args_is_help=True)


@app.command()
def export(out: Path = typer.Option(SDL_FILE, "--out", help="Where to write the SDL.",
                                    show_default="schema/schema.graphql")) -> None:
    """Write the schema's SDL (unchanged files are left alone)."""
    changed = write_sdl(out)
    typer.echo(f"{out}: {'written' if changed else 'already up to date'}")


@app.command()
def check(path: Path = typer.Option(SDL_FILE, "--file", help="The SDL file to compare.",
                                    show_default="schema/schema.graphql")) -> None:
    """Exit 1 when the SDL file differs from the schema the API serves."""
    if not path.exists() or path.read_text(encoding="utf-8") != schema_sdl():
        typer.echo(f"error: {path} is not the schema the API serves\n"
                   "hint: run `loanwatch schema export`", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: up to date")
