"""The ``--as-of DATE`` option of the commands that read the portfolio as of a date."""

from __future__ import annotations

from datetime import date

import typer

from loanwatch.errors import ConfigurationError

__all__ = ["RelationshipsAsOfOption", "as_of_date"]

#: ``--as-of`` of the commands that read relationships as they stood on a date
#: (``valid_from``/``valid_to``); a ``datetime``, or ``None`` for every stored relationship.
RelationshipsAsOfOption = typer.Option(
    None, "--as-of", formats=["%Y-%m-%d"], metavar="DATE",
    help="Read the relationships as they stood on DATE (valid_from/valid_to); "
         "undated ones are taken as they stand. Default: every stored relationship.")


def as_of_date(text: str | None) -> date:
    """``text`` (``YYYY-MM-DD``) as a date; today when it is not given.

    Raises:
        ConfigurationError: ``text`` is not such a date; the message names the option.
    """
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigurationError(f"--as-of {text!r} is not a date YYYY-MM-DD") from exc
