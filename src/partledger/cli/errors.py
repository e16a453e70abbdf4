"""Errors on the command line: a reason a person can act on, a hint, an exit code.

Exit codes: 0 success; 1 invalid input (malformed ids, unknown names, missing files);
2 usage error (Typer; also a keystore passphrase that cannot be asked for); 3 refused
by the ledger's rules (the contract's error with its arguments decoded: roles by name,
times in ISO 8601, standards by name) or an account that cannot pay for gas;
4 infrastructure (chain, database or store unreachable). Nothing reaches a user as a
traceback: what no rule here recognises is reported as an internal error (exit 1) and
``PARTLEDGER_DEBUG=1`` shows its traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from web3 import Web3

from partledger.chain.errors import ChainError, LocalChainError, RpcUnavailable
from partledger.chain.local import ChainPortInUse
from partledger.chain.reverts import ContractRevert
from partledger.cli.format import fail, iso
from partledger.cli.identities import acting, address_of_name, label, name_of, settings
from partledger.errors import PartLedgerError
from partledger.passport.bundle import StateUnavailable
from partledger.sdk import DesignAlreadyRegistered, LicenceNotUsable
from partledger.sdk.hub import DESIGN_STATUS, LICENCE_STATUS
from partledger.sdk.types import decode_standard

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_INFRA = 4

ROLE_NAMES: dict[bytes, str] = {
    bytes(32): "DEFAULT_ADMIN_ROLE",
    **{bytes(Web3.keccak(text=r)): r for r in ("OEM_ROLE", "HUB_ROLE", "CERTIFIER_ROLE")},
}
"""On-chain role ids (keccak256 of the name; the admin role is zero) and their names."""
GRANTABLE = {"OEM_ROLE": "oem", "HUB_ROLE": "hub", "CERTIFIER_ROLE": "certifier"}

_TIME_ARGUMENTS = {"validFrom", "validUntil", "newValidUntil", "at", "deadline"}
_STATUS_NAMES = {
    "LicenceNotActive": LICENCE_STATUS,
    "LicenceNotSuspended": LICENCE_STATUS,
    "DesignStatusForbids": DESIGN_STATUS,
    "DesignNotLicensable": DESIGN_STATUS,
}

RECOVER = "`partledger design recover --as OEM`"
HINTS: dict[str, str] = {
    # refusals
    "EnforcedPause": "the admin paused the ledger; writes resume after `partledger admin unpause`",
    "ExpectedPause": "the ledger is not paused",
    "AccessControlBadConfirmation": "a role can be renounced only by its holder",
    "NotDesignOwner": "only the design's owner can do this: act `--as` the owner "
    "(`partledger design show {designId}`)",
    "NotPendingOwner": "only the account the design was offered to can accept it",
    "NotWiringAuthority": "only the deployer or an admin wires the contracts (`partledger deploy`)",
    "NotRegistry": "only the design registry may call this (a deployment problem: "
    "`partledger deploy --redeploy`)",
    "NotQualificationAuthority": "only the certifier who recorded the qualification, or "
    "the admin, can revoke it",
    "NotLicensedHub": "only the hub the licence was issued to can use it "
    "(`partledger licence show {licenceId}`)",
    "NotPrintAuthority": "only the licensed hub or the design's OEM can invalidate its prints",
    "QualificationHeldByOther": "another certifier's record holds until its window ends; "
    "that certifier or the admin can revoke it",
    "RefundNotAllowed": "the licence was issued without --refund-on-invalidate: invalidated "
    "copies are not given back",
    "InvalidSignature": "the attestation must be signed by the licensed hub's key",
    "SignatureExpired": "sign the attestation again with a later deadline",
    "DesignStatusForbids": "the design's status does not allow this "
    "(`partledger design show {designId}`)",
    "DesignNotLicensable": "deprecated and recalled designs get no new licences; register "
    "a revision: `partledger design revise {designId} FILE --as OEM ...`",
    "DesignUnderRecall": "the design is recalled: no part may be printed from it",
    "LicenceNotActive": "a suspended licence is resumed by its OEM: "
    "`partledger licence resume {licenceId} --as OEM`",
    "LicenceNotSuspended": "only a suspended licence can be resumed",
    "LicenceNotYetValid": "the licence starts at {validFrom}",
    "LicenceExpired": "the OEM can extend it: `partledger licence amend {licenceId} --days N "
    "--as OEM`",
    "LicenceExhausted": "the OEM can add prints: `partledger licence amend {licenceId} "
    "--add-prints N --as OEM`",
    "LicenceRequiresQualifiedMachine": "prints of a licence that requires a qualification "
    "cannot be Merkle-anchored: attest them one by one (`partledger print attest`)",
    "MachineNotOfHub": "use one of the hub's own machines (`partledger hub machines {hub}`)",
    "MachineIsRetired": "the machine was retired: use another (`partledger hub machines`)",
    "MachineNotQualified": "a certifier must qualify the machine: `partledger qualify machine "
    '{machineId} "{standard}" --as CERTIFIER --certificate FILE`',
    # unknown ids
    "UnknownDesign": "check the design id (`partledger design list --as OEM`)",
    "UnknownHub": "the hub must register first: `partledger hub register --as HUB --name NAME "
    "--locode LOCODE` (it needs the hub role: `partledger admin grant hub HUB`)",
    "UnknownMachine": "check the machine id (`partledger hub machines HUB`) or register the "
    "machine (`partledger hub machine-add`)",
    "UnknownQualification": "no such qualification (`partledger qualify list`)",
    "UnknownQualificationSubject": "qualify a registered machine or hub "
    "(`partledger hub machines HUB`)",
    "UnknownLicence": "check the licence id (`partledger hub licences --as HUB`, "
    "`partledger licence list --as OEM`)",
    "UnknownPrint": "no print of this serial for this design (`partledger print list`)",
    "CommitmentNotFound": f"the registration's commitment is missing: {RECOVER}",
    # conflicts
    "ContentAlreadyRegistered": "a file's content is registered once: use design {designId} "
    "(`partledger design show {designId}`)",
    "CommitmentAlreadyMade": f"a registration of this content is pending: {RECOVER}",
    "CommitmentTooRecent": "the registration is revealed in a later block: try again",
    "DesignAlreadyRevised": "revise the latest revision instead: {revision}",
    "HubAlreadyRegistered": "the hub is registered already; `partledger hub rotate-key` "
    "publishes a new key",
    "MachineAlreadyRegistered": "the machine is registered already as {machineId}",
    "QualificationAlreadyRevoked": "nothing to do: the qualification is revoked already",
    "LicenceAlreadyRevoked": "nothing to do: the licence is revoked already (for good)",
    "SerialAlreadyUsed": "every part of a design needs its own serial number",
    "RootAlreadyAnchored": "nothing to do: this batch is anchored already",
    "PrintAlreadyInvalidated": "nothing to do: the print is invalidated already",
    "PrintNotInvalidated": "the print must be invalidated first: `partledger print invalidate`",
    "PrintAlreadyRefunded": "nothing to do: the copy was given back already",
    "InvalidAccountNonce": "the signed attestation was used or cancelled: sign it again",
    "LicenceIdTaken": "another licence took this id meanwhile: issue the licence again",
    "PrintLedgerAlreadySet": "the contracts are wired already",
    # invalid input
    "ZeroHash": "a hash argument is empty",
    "ZeroAddress": "an address argument is the zero address",
    "ZeroStandard": 'name a standard, e.g. "ISO/ASTM 52920"',
    "ZeroMaxPrints": "--max-prints must be at least 1",
    "ZeroRoot": "the batch's Merkle root is empty",
    "ZeroDocumentHash": "the batch document must be published first",
    "InvalidHpkeKey": "the hub's HPKE public key has a wrong length: publish a new one "
    "(`partledger hub rotate-key`)",
    "InvalidValidity": "the validity must end after it starts",
    "LicenceShortened": "an amendment only extends the validity (--days N adds N days)",
    "PrintCountOverflow": "the licence cannot count that many prints",
    "EmptyBatch": "a batch needs at least one print",
    "BatchTooLarge": "split the batch: at most {max} prints",
    "BatchLengthMismatch": "give one deadline and one signature per print",
    "PrintRecordMismatch": "give the fields exactly as attested (--machine, --lot, --report)",
    "ZeroCount": "every batch entry counts at least one print",
    "ZeroReasonHash": "give a reason (--reason)",
    "InvalidShortString": "a code is malformed (a UN/LOCODE is 5 letters, e.g. ITMIL)",
    "StringTooLong": "a name is too long",
    # generic
    "Panic": "the contract failed an internal check ({reason})",
    "Error": "",
    "UnknownRevert": "the contract refused with an error this version does not know: "
    "is the deployment older or newer than this PartLedger?",
}


# -- contract errors ---------------------------------------------------------------------
def argument_text(error: str, name: str, value: Any) -> str:
    """One argument of a contract error, as a person reads it."""
    if name in ("neededRole", "role") and isinstance(value, bytes):
        return ROLE_NAMES.get(value, "0x" + value.hex())
    if name == "standard" and isinstance(value, bytes):
        return decode_standard(value) or "none"
    if name in _TIME_ARGUMENTS and isinstance(value, int):
        return iso(value)
    if name == "status" and error in _STATUS_NAMES and isinstance(value, int):
        names = _STATUS_NAMES[error]
        return names[value] if 0 <= value < len(names) else str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return label(value)
    return str(value)


def describe(exc: ContractRevert) -> str:
    """``LicenceExpired(licenceId=0x…, validUntil=2026-12-01T00:00:00Z, at=…)``."""
    shown = ", ".join(f"{k}={argument_text(exc.error, k, v)}" for k, v in exc.arguments.items())
    return f"{exc.error}({shown})"


def hint_for(exc: ContractRevert) -> str:
    """What to do about a contract error (every error of the ledger has a hint)."""
    if exc.error == "AccessControlUnauthorizedAccount":
        return _role_hint(exc.arguments)
    template = HINTS.get(exc.error, "")
    fields = {k: _plain_argument(exc.error, k, v) for k, v in exc.arguments.items()}
    try:
        return template.format_map(fields)
    except (KeyError, IndexError, ValueError):
        return template


def _plain_argument(error: str, name: str, value: Any) -> str:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return name_of(value) or value  # a name fits a command line
    return argument_text(error, name, value)


def _role_hint(arguments: dict[str, Any]) -> str:
    role = ROLE_NAMES.get(bytes(arguments.get("neededRole", b"")), "")
    account = str(arguments.get("account", ""))
    who = (name_of(account) if account else None) or account or "ADDRESS"
    if role in GRANTABLE:
        return (
            f"{who} lacks {role}: the admin grants it with "
            f"`partledger admin grant {GRANTABLE[role]} {who}`"
        )
    if role == "DEFAULT_ADMIN_ROLE":
        return (
            "only the ledger admin can do this: act `--as` the admin (default: the "
            "deployer, PARTLEDGER_DEPLOYER_KEY)"
        )
    return "the admin must grant this account the role: `partledger admin grant ROLE NAME`"


# -- everything else ---------------------------------------------------------------------
def _insufficient_funds(exc: BaseException) -> bool:
    return "insufficient funds" in str(exc).lower()


def _funds_failure() -> NoReturn:
    name = acting[-1] if acting else None
    address = address_of_name(name) if name else None
    who = f"{name} ({address})" if name and address else (name or "the sending account")
    if settings().uses_local_chain and name:
        hint = f"fund it on the embedded chain: `partledger keys fund {name}`"
    elif address:
        hint = f"send ETH for gas to {address} on this chain"
    else:
        hint = "fund the sending account with ETH for gas"
    fail(f"{who} cannot pay for the transaction: insufficient funds for gas", EXIT_REFUSED, hint)


def _local_chain_hint(exc: LocalChainError) -> str:
    if isinstance(exc, ChainPortInUse):
        return (
            "another program holds that port: set PARTLEDGER_CHAIN_PORT to a free port, or "
            "unset it to let PartLedger take a free one (remembered in the data directory)"
        )
    if "npm ci" in str(exc):
        return ""
    return f"see the chain's log: {settings().chain_dir / 'anvil.log'}"


def report_exception(exc: BaseException) -> NoReturn:
    """Print what went wrong and what to do, and exit with the matching code."""
    if isinstance(exc, DesignAlreadyRegistered):
        fail(str(exc), EXIT_REFUSED, hint_for(exc))
    if isinstance(exc, ContractRevert):
        fail(f"the ledger refused: {describe(exc)}", EXIT_REFUSED, hint_for(exc))
    if _insufficient_funds(exc):
        _funds_failure()
    if isinstance(exc, LicenceNotUsable):
        fail(str(exc), EXIT_REFUSED, "ask the OEM to amend or resume the licence")
    if isinstance(exc, LocalChainError):
        fail(str(exc), EXIT_INFRA, _local_chain_hint(exc))
    if isinstance(exc, RpcUnavailable):
        fail(str(exc), EXIT_INFRA, "is the node running? check PARTLEDGER_RPC_URL")
    if isinstance(exc, ChainError):
        fail(str(exc), EXIT_INFRA)
    if isinstance(exc, PermissionError):
        fail(str(exc), EXIT_REFUSED)
    if isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError):
        what = exc.filename if isinstance(exc, OSError) and exc.filename else None
        problem = "a directory, not a file" if isinstance(exc, IsADirectoryError) else "missing"
        fail(f"{what}: {problem}" if what else str(exc), EXIT_INVALID)
    if isinstance(exc, StateUnavailable):
        fail(str(exc), EXIT_INFRA)
    if isinstance(exc, PartLedgerError):
        fail(str(exc), EXIT_INVALID)
    if isinstance(exc, json.JSONDecodeError):
        fail(f"not valid JSON: {exc}", EXIT_INVALID)
    if isinstance(exc, UnicodeDecodeError):
        fail(f"not UTF-8 text: {exc}", EXIT_INVALID)
    if isinstance(exc, ValueError | LookupError):
        fail(str(exc) or type(exc).__name__, EXIT_INVALID)
    if isinstance(exc, OSError):
        fail(f"I/O failure: {exc}", EXIT_INFRA)
    if _is_database_error(exc):
        fail(f"the database failed: {exc}", EXIT_INFRA, "is PARTLEDGER_DATABASE_URL reachable?")
    fail(
        f"internal error: {type(exc).__name__}: {exc}",
        EXIT_INVALID,
        "PARTLEDGER_DEBUG=1 shows the traceback; please report it",
    )


def _is_database_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError | DBAPIError)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn any failure inside into a clear message and a distinguishing exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except Exception as exc:
        if os.environ.get("PARTLEDGER_DEBUG"):
            raise
        report_exception(exc)
