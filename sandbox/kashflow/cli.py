"""`ledgerbridge sandbox kashflow ...`: run the KashFlow sandbox server."""

import typer

app = typer.Typer(help="The KashFlow REST sandbox.", no_args_is_help=True)


@app.callback()
def kashflow() -> None:
    """The KashFlow REST sandbox."""
