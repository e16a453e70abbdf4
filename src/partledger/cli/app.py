"""The root Typer application, its global options, and what every command group shares.

Every group is made with ``group()``: its help screens name values by what they are
(``DESIGN_ID``, ``NAME``, ``FILE``; flags show no placeholder), and the root group turns
any exception that escapes a command into a one-line error with an exit code instead of
a traceback (``PARTLEDGER_DEBUG=1`` lets it through).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from partledger.cli.common import Output, report_exception

ENVIRONMENT = """\b
Environment:
  PARTLEDGER_DATA_DIR    data directory (default ./.partledger)
  PARTLEDGER_RPC_URL     EVM JSON-RPC endpoint (default: an embedded anvil)
  PARTLEDGER_CHAIN_PORT  the embedded anvil's port; default 8545, or a free
                         port kept in the data dir if another program has 8545
  PARTLEDGER_PASSPHRASE  keystore passphrase (else asked on the terminal)
  PARTLEDGER_KEY_<NAME>_ETH, _HPKE   identity keys from the environment
  PARTLEDGER_DEBUG=1     tracebacks of unexpected errors"""


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the argument's name (its metavar) says what it is


def _name_values(params: list[Any]) -> None:
    """Flags show no value placeholder; other values show a name, not a Python type."""
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = _Argument
        if param.metavar is not None:
            continue
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = ""
        elif isinstance(param, TyperOption | TyperArgument) and param.name:
            param.metavar = param.name.upper()


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _name_values(params)
        return params


class _Group(TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _adopt(self)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _name_values(params)
        return params


def _adopt(group: TyperGroup) -> None:
    """Give every command below ``group`` (however it was made) the named-values help."""
    for command in group.commands.values():
        if type(command) is TyperCommand:
            command.__class__ = _Command  # same object, help with named values
        elif type(command) is TyperGroup:
            command.__class__ = _Group
            _adopt(command)


class _RootGroup(_Group):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            if os.environ.get("PARTLEDGER_DEBUG"):
                raise
            report_exception(exc)


def group(help: str) -> typer.Typer:
    """A command group (``partledger design``, ``partledger hub``, ...)."""
    return typer.Typer(cls=_Group, help=help, no_args_is_help=True)


app = typer.Typer(
    cls=_RootGroup,
    help="PartLedger: protect and trace 3D-printed parts made in distributed micro-factories.",
    epilog=ENVIRONMENT,
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main(
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON output.")
    ] = False,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            metavar="URL",
            envvar="PARTLEDGER_SERVICE_URL",
            help="Work through this PartLedger service (hub licences, hub fetch, audit "
            "provenance) instead of a local chain and data directory.",
        ),
    ] = None,
) -> None:
    """Global options."""
    from partledger.cli import remote
    from partledger.cli.identities import acting
    from partledger.crypto import allocator

    remote.choose(service)
    Output.json_mode = json_output
    acting.clear()  # names loaded by this invocation only (hints name who must act)
    allocator.tune_for_streaming()  # an entry point: the process opts in to the glibc tuning
