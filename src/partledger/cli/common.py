"""What every CLI command shares: settings, the ledger, identities, output, exit codes.

Exit codes (see ``partledger.cli.errors``): 0 success; 1 invalid input; 2 usage error;
3 refused by the ledger's rules (licence exhausted, not the owner, no role, no funds for
gas, ...); 4 infrastructure failure (chain, database or store unreachable).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from partledger.cli.errors import (
    EXIT_INFRA,
    EXIT_INVALID,
    EXIT_REFUSED,
    EXIT_USAGE,
    describe,
    guarded,
    hint_for,
    report_exception,
)
from partledger.cli.format import Output, console, err, fail, iso, plural, say, show_fields
from partledger.cli.identities import (
    PASSPHRASE_ENV,
    keystores,
    label,
    load_identity,
    passphrase,
    resolve_address,
    settings,
)
from partledger.sdk import Ledger

__all__ = [
    "EXIT_INFRA",
    "EXIT_INVALID",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "PASSPHRASE_ENV",
    "Output",
    "console",
    "describe",
    "err",
    "fail",
    "guarded",
    "hint_for",
    "iso",
    "keystores",
    "label",
    "load_identity",
    "open_ledger",
    "passphrase",
    "plural",
    "report_exception",
    "resolve_address",
    "say",
    "settings",
    "show_fields",
]


@contextmanager
def open_ledger() -> Iterator[Ledger]:
    """The configured ledger (starting the local chain and deploying when needed)."""
    from partledger.runtime import blob_store, bring_up

    with guarded():
        config = settings()
        runtime = bring_up(config)
    try:
        ledger = Ledger.open(
            runtime.w3, runtime.deployment, config.data_dir, store=blob_store(config),
            confirmations=config.confirmations,
        )  # fmt: skip
        try:
            yield ledger
        finally:
            ledger.journal.close()
    finally:
        runtime.close()
