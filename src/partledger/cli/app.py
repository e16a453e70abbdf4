"""The root Typer application and its global options."""

from __future__ import annotations

from typing import Annotated

import typer

from partledger.cli.common import Output

app = typer.Typer(
    help="PartLedger: protect and trace 3D-printed parts made in distributed micro-factories.",
    no_args_is_help=True,
)


@app.callback()
def main(
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON output.")
    ] = False,
) -> None:
    """Global options."""
    Output.json_mode = json_output
