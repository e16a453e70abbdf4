"""What every CLI command shares: settings, the ledger, identities, output, exit codes.

Exit codes: 0 success; 1 invalid input; 2 usage error (Typer); 3 refused by the
ledger's rules (licence exhausted, not the owner, ...); 4 infrastructure failure
(chain, database or store unreachable).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any, NoReturn

import typer
from rich.console import Console

from partledger.chain.errors import ChainError, LocalChainError, RpcUnavailable
from partledger.chain.reverts import ContractRevert
from partledger.config import Settings
from partledger.crypto import ChainedKeyProvider, EnvKeyProvider, Identity, KeystoreDirectory
from partledger.errors import PartLedgerError
from partledger.sdk import Ledger, LicenceNotUsable

EXIT_INVALID = 1
EXIT_REFUSED = 3
EXIT_INFRA = 4
PASSPHRASE_ENV = "PARTLEDGER_PASSPHRASE"  # noqa: S105 - a variable name, not a secret

console = Console()
err = Console(stderr=True)


class Output:
    """Human (Rich) or machine (``--json``) output, chosen once per invocation."""

    json_mode = False

    @classmethod
    def show(cls, data: Any, human: Callable[[], None] | None = None) -> None:
        if cls.json_mode or human is None:
            console.print_json(json.dumps(_plain(data)))
        else:
            human()


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def fail(message: str, code: int, hint: str = "") -> NoReturn:
    """Print a human error (reason and what to do) and exit with ``code``."""
    if Output.json_mode:
        err.print_json(json.dumps({"error": message, "hint": hint, "exit_code": code}))
    else:  # not hard-wrapped: ids and hashes in a message stay whole for copying
        err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
        if hint:
            err.print(f"[yellow]hint:[/] {hint}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn PartLedger errors into a clear message and a distinguishing exit code."""
    try:
        yield
    except ContractRevert as exc:
        fail(f"the ledger refused: {exc}", EXIT_REFUSED, _hint_for(exc.error))
    except LicenceNotUsable as exc:
        fail(str(exc), EXIT_REFUSED, "ask the OEM to amend or resume the licence")
    except (RpcUnavailable, LocalChainError) as exc:
        fail(str(exc), EXIT_INFRA, "is the chain running? `partledger chain up`")
    except ChainError as exc:
        fail(str(exc), EXIT_INFRA)
    except PermissionError as exc:
        fail(str(exc), EXIT_REFUSED)
    except (FileNotFoundError, IsADirectoryError) as exc:
        fail(str(exc), EXIT_INVALID)
    except PartLedgerError as exc:
        fail(str(exc), EXIT_INVALID)
    except OSError as exc:
        fail(f"I/O failure: {exc}", EXIT_INFRA)


_HINTS = {
    "AccessControlUnauthorizedAccount": "the admin must grant this account its role: "
    "`partledger admin grant ROLE ADDRESS`",
    "ContentAlreadyRegistered": "a file's content is registered once: use the existing design "
    "(`partledger design show ID`, `partledger licence issue ID HUB`)",
    "LicenceExhausted": "the OEM can add prints: `partledger licence amend --add-prints N`",
    "LicenceExpired": "the OEM can extend it: `partledger licence amend --days N`",
    "MachineNotQualified": "a certifier must qualify the machine: `partledger qualify machine`",
    "UnknownHub": "the hub must register first: `partledger hub register`",
}


def _hint_for(error: str) -> str:
    return _HINTS.get(error, "")


def settings() -> Settings:
    return Settings()


@contextmanager
def open_ledger() -> Iterator[Ledger]:
    """The configured ledger (starting the local chain and deploying when needed)."""
    from partledger.runtime import bring_up

    with guarded():
        config = settings()
        runtime = bring_up(config)
    try:
        ledger = Ledger.open(
            runtime.w3, runtime.deployment, config.data_dir, confirmations=config.confirmations
        )
        try:
            yield ledger
        finally:
            ledger.journal.close()
    finally:
        runtime.close()


def passphrase(name: str) -> str:
    """The keystore passphrase: ``PARTLEDGER_PASSPHRASE``, else asked on the terminal."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        value = getpass.getpass(f"passphrase for {name}: ")
    return value


def keystores() -> KeystoreDirectory:
    return KeystoreDirectory(settings().keystore_dir, passphrase)


def load_identity(name: str) -> Identity:
    """An identity from the environment (``PARTLEDGER_KEY_<NAME>_*``) or its keystore."""
    with guarded():
        return ChainedKeyProvider(EnvKeyProvider(), keystores()).load_identity(name)
    raise AssertionError("unreachable")
