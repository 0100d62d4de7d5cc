"""`ledgerbridge sandbox sage100 ...`: create and seed the Sage 100 sandbox company."""

import typer

app = typer.Typer(help="The Sage 100 sandbox company.", no_args_is_help=True)


@app.callback()
def sage100() -> None:
    """The Sage 100 sandbox company."""
