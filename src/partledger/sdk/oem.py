"""The OEM's client: register designs, license hubs, manage the design lifecycle.

Registration and licence issuance are journaled (see ``partledger.sdk.journal``):
killed at any step, ``recover()`` completes or rolls back every unfinished one.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import TransactionNotFound

from partledger.carbon import Baseline
from partledger.chain.errors import ChainError
from partledger.chain.ids import PrintRecord
from partledger.chain.ledger_errors import (
    AccessControlUnauthorizedAccount,
    ContentAlreadyRegistered,
    NotDesignOwner,
    UnknownDesign,
    UnknownLicence,
)
from partledger.chain.reverts import ContractRevert
from partledger.crypto import DataKey, HpkePublicKey, Identity, WrappedKey, unwrap_dek, wrap_dek
from partledger.errors import PartLedgerError
from partledger.sdk.admin import Role
from partledger.sdk.baseline import BaselineDeclaration, declare_baseline
from partledger.sdk.documents import seal_document
from partledger.sdk.hub import HubRecord, read_licence
from partledger.sdk.journal import Intent
from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY, Ledger
from partledger.sdk.types import ZERO32, TxRef, hex32, standard_code, to_bytes32
from partledger.storage import get_bytes, put_bytes, store_encrypted

REGISTER = "register_design"
ISSUE = "issue_licence"


class DesignKeyUnavailable(PartLedgerError, LookupError):
    """This OEM holds no wrapped key for the design (not registered from this data dir)."""


class DesignAlreadyRegistered(ContentAlreadyRegistered):
    """The file's content is on the ledger already, as ``design_id``; nothing was changed.

    Raised before anything is encrypted, stored or journaled when the registry already
    names the content, and after rolling back this attempt's own blobs when another
    registration of the same content won a race. Also a ``ContentAlreadyRegistered``
    (the contract's error, a ``ValueError``), with the same ``arguments``.
    """

    def __init__(self, error: str, arguments: dict[str, Any], raw: bytes = b"") -> None:
        super().__init__(error, arguments, raw)
        self.content_hash = hex32(arguments["contentHash"])
        self.design_id = hex32(arguments["designId"])
        self.args = (
            f"content {self.content_hash} is already registered as design {self.design_id}; "
            "nothing was changed",
        )

    @classmethod
    def of(cls, content_hash: bytes, design_id: bytes) -> DesignAlreadyRegistered:
        return cls("ContentAlreadyRegistered", {"contentHash": content_hash, "designId": design_id})


@dataclass(frozen=True)
class DesignMetadata:
    """The off-chain design description; its sealed blob's hash goes on-chain."""

    part_number: str
    revision: str
    material: str
    process: str
    title: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def document(self, file_name: str, size: int) -> dict[str, Any]:
        return {
            "kind": "partledger/design-metadata/v1",
            "partNumber": self.part_number,
            "revision": self.revision,
            "material": self.material,
            "process": self.process,
            "title": self.title,
            "extra": dict(self.extra),
            "fileName": file_name,
            "size": size,
        }


@dataclass(frozen=True)
class RegisteredDesign:
    """A design on the ledger."""

    design_id: str
    content_sha256: str
    container_sha256: str
    metadata_hash: str
    revises: str | None
    tx: TxRef


@dataclass(frozen=True)
class IssuedLicence:
    """A licence on the ledger and the blobs it commits to."""

    licence_id: str
    design_id: str
    hub: str
    wrapped_key_hash: str
    terms_hash: str
    tx: TxRef


@dataclass(frozen=True)
class DesignRecord:
    """A design as the registry records it (owner is the zero address for an unknown id)."""

    owner: str
    registered_at: int
    status: int
    content_hash: bytes
    container_hash: bytes
    metadata_hash: bytes
    revises: bytes
    root: bytes

    @classmethod
    def read(cls, ledger: Ledger, design_id: bytes) -> DesignRecord:
        owner, registered_at, status, content, container, metadata, revises, root = ledger.view(
            REGISTRY, "design", design_id
        )
        return cls(
            str(owner), int(registered_at), int(status), bytes(content), bytes(container),
            bytes(metadata), bytes(revises), bytes(root),
        )  # fmt: skip


@dataclass(frozen=True)
class LicenceTerms:
    """What ``issueLicence`` records on-chain (the contract's ``LicenceTerms`` struct)."""

    design_id: bytes
    hub: str
    max_prints: int
    valid_from: int
    valid_until: int
    required_standard: bytes
    terms_hash: bytes
    wrapped_key_hash: bytes
    refund_on_invalidate: bool

    def as_tuple(self) -> tuple[Any, ...]:
        """The struct in the ABI's field order."""
        return (
            self.design_id, self.hub, self.max_prints, self.valid_from, self.valid_until,
            self.required_standard, self.terms_hash, self.wrapped_key_hash,
            self.refund_on_invalidate,
        )  # fmt: skip


class Oem:
    """Acts for one OEM identity (Ethereum account + HPKE key) on a ``Ledger``."""

    def __init__(self, ledger: Ledger, identity: Identity) -> None:
        self.ledger = ledger
        self.identity = identity
        self.account: LocalAccount = Account.from_key(identity.eth_private_key)
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return str(self.account.address)

    # -- registration ----------------------------------------------------------------
    def register_design(
        self,
        path: Path,
        metadata: DesignMetadata,
        *,
        revises: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> RegisteredDesign:
        """Hash ``path``, refuse it if its content is registered already, else encrypt it
        into the store and register it on-chain.

        A duplicate raises ``DesignAlreadyRegistered`` naming the existing design before
        anything is encrypted, stored or journaled. ``on_progress(n)`` is called as each
        ``n`` plaintext bytes are read: the file is read twice (hashed, then encrypted).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"design file not found: {path}")
        if revises is not None:
            to_bytes32(revises, "revised design id")
        self.require_role()
        self._refuse_registered(to_bytes32(_file_sha256(path, on_progress)))
        intent = self.ledger.journal.begin(
            REGISTER, self.address, {"file": str(path), "revises": revises}
        )
        try:
            intent = self._store_design(intent, path, metadata, on_progress)
            return self._finish_registration(intent)
        except ContentAlreadyRegistered as exc:
            self._roll_back_registration(intent.id)
            if isinstance(exc, DesignAlreadyRegistered):
                raise
            raise DesignAlreadyRegistered(exc.error, exc.arguments, exc.raw) from exc
        except ContractRevert:
            # the chain refused a step (reverted at estimation or when mined: no state
            # changed but an unused commitment): nothing to resume, so nothing stays pending
            self._roll_back_registration(intent.id)
            raise
        except ChainError:
            # nothing reached the chain (no funds for gas, the node refused, unreachable
            # before signing): nothing to resume; otherwise `recover()` finds out later
            if self._nothing_sent(intent.id):
                self._roll_back_registration(intent.id)
            raise

    def _nothing_sent(self, intent_id: str) -> bool:
        """Whether the node knows none of the intent's signed transactions (False when it
        cannot tell: the intent then stays for ``recover()``)."""
        data = self.ledger.journal.get(intent_id).data
        hashes = [data[k] for k in ("commit_tx", "register_tx") if data.get(k)]
        try:
            for tx_hash in hashes:
                try:
                    self.ledger.w3.eth.get_transaction(tx_hash)
                except TransactionNotFound:
                    continue
                return False
        except Exception:
            return False
        return True

    def require_role(self) -> None:
        """Raise the contract's ``AccessControlUnauthorizedAccount`` unless this account holds
        the OEM role (checked before anything is hashed, stored or journaled)."""
        role = Role.OEM.role_id
        if not self.ledger.view(REGISTRY, "hasRole", role, self.address):
            raise AccessControlUnauthorizedAccount(
                "AccessControlUnauthorizedAccount", {"account": self.address, "neededRole": role}
            )

    def _refuse_registered(self, content: bytes) -> None:
        """Raise ``DesignAlreadyRegistered`` if the registry names ``content`` already."""
        existing = bytes(self.ledger.view(REGISTRY, "designIdOfContent", content))
        if existing != ZERO32:
            raise DesignAlreadyRegistered.of(content, existing)

    def _store_design(
        self,
        intent: Intent,
        path: Path,
        metadata: DesignMetadata,
        on_progress: Callable[[int], None] | None,
    ) -> Intent:
        """Store container, sealed metadata and own wrapped key, journaling each blob."""
        journal = self.ledger.journal
        with path.open("rb") as plain:
            source = _Counting(plain, on_progress) if on_progress else plain
            stored = store_encrypted(self.ledger.store, source)
        content = to_bytes32(stored.plaintext_sha256)
        design_id = self._design_id(content)
        intent = journal.advance(
            intent.id, "container_stored",
            content=stored.plaintext_sha256, container=stored.container_sha256,
            design_id=hex32(design_id),
        )  # fmt: skip
        # registered meanwhile (or the file changed since it was hashed): this attempt's
        # blobs are rolled back by the caller
        self._refuse_registered(content)
        document = metadata.document(path.name, stored.plaintext_size)
        journal.advance(intent.id, "metadata_stored", metadata=seal_document(
            self.ledger.store, stored.dek, document
        ))  # fmt: skip
        own_key = self._wrap_for_self(stored.dek, design_id)
        return journal.advance(intent.id, "stored", own_key=own_key, salt=hex32(os.urandom(32)))

    def _finish_registration(self, intent: Intent) -> RegisteredDesign:
        data = intent.data
        content = to_bytes32(data["content"])
        salt = to_bytes32(data["salt"])
        design_id = to_bytes32(data["design_id"])
        revises = to_bytes32(data["revises"]) if data.get("revises") else ZERO32
        registered = DesignRecord.read(self.ledger, design_id)
        if registered.owner == ZERO_ADDRESS:  # not on-chain yet
            commitment = self.ledger.view(
                REGISTRY, "computeCommitment", self.address, content, salt
            )
            if self.ledger.view(REGISTRY, "commitmentBlock", self.address, commitment) == 0:
                self._send(intent.id, "commit", "commitDesign", commitment)
            self._wait_next_block(
                self.ledger.view(REGISTRY, "commitmentBlock", self.address, commitment)
            )
            sent = self._send(
                intent.id, "register", "registerDesign",
                content, to_bytes32(data["container"]), to_bytes32(data["metadata"]),
                revises, salt,
            )  # fmt: skip
            tx = TxRef(sent.tx_hash, sent.block_number)
        elif registered.container_hash.hex() != data["container"]:
            # on-chain under this id with another container: an earlier or concurrent
            # registration of the same content by this OEM; its key record stays as it is
            raise DesignAlreadyRegistered.of(content, design_id)
        else:  # this intent's registration landed (resuming after a crash)
            tx = self._tx_of(data.get("register_tx"))
        # only a design registered with this intent's container gets its key recorded
        self.ledger.journal.remember_design_key(data["design_id"], data["own_key"])
        self.ledger.journal.advance(intent.id, "done")
        return RegisteredDesign(
            design_id=hex32(design_id),
            content_sha256=data["content"],
            container_sha256=data["container"],
            metadata_hash=data["metadata"],
            revises=data.get("revises"),
            tx=tx,
        )

    def _send(self, intent_id: str, step: str, fn: str, *args: Any) -> Any:
        def journal_hash(tx_hash: str) -> None:
            self.ledger.journal.advance(intent_id, f"{step}_signed", **{f"{step}_tx": tx_hash})

        return self.ledger.transact(self.account, REGISTRY, fn, *args, on_signed=journal_hash)

    def _wait_next_block(self, block: int, timeout: float = 120.0) -> None:
        """The reveal must land in a later block than the commitment."""
        w3 = self.ledger.w3
        if w3.eth.block_number > block:
            return
        if w3.eth.chain_id in DEV_CHAIN_IDS:  # automining dev chain: make the block
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            return
        deadline = time.monotonic() + timeout
        while w3.eth.block_number <= block:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no block after {block} within {timeout:.0f}s")
            time.sleep(1.0)

    def _tx_of(self, tx_hash: str | None) -> TxRef:
        if not tx_hash:
            return TxRef("", 0)
        receipt = self.ledger.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        return TxRef(tx_hash, int(receipt["blockNumber"]))

    def _roll_back_registration(self, intent_id: str) -> None:
        intent = self.ledger.journal.get(intent_id)
        self._forget_blobs(
            [intent.data[k] for k in ("container", "metadata", "own_key") if intent.data.get(k)]
        )
        self.ledger.journal.advance(intent_id, "rolled_back")

    def _forget_blobs(self, blob_ids: list[str]) -> None:
        for blob_id in blob_ids:
            self.ledger.store.delete(blob_id)

    # -- keys --------------------------------------------------------------------------
    def _design_id(self, content: bytes) -> bytes:
        value: bytes = self.ledger.view(REGISTRY, "computeDesignId", self.address, content)
        return value

    def _wrap_for_self(self, dek: DataKey, design_id: bytes) -> str:
        wrapped = wrap_dek(dek, self.identity.hpke_public_key, design_id=design_id, licence_id=None)
        return put_bytes(self.ledger.store, wrapped.to_bytes()).sha256

    def design_key(self, design_id: str) -> DataKey:
        """Unwrap this OEM's own data key of a design it registered."""
        blob = self.ledger.journal.design_key_blob(hex32(to_bytes32(design_id)))
        if blob is None:
            raise DesignKeyUnavailable(f"no wrapped key of design {design_id} in this journal")
        return unwrap_dek(
            WrappedKey.from_bytes(get_bytes(self.ledger.store, blob)),
            self.identity.hpke_key,
            design_id=to_bytes32(design_id),
            licence_id=None,
        )

    def declare_baseline(self, design_id: str, baseline: Baseline) -> BaselineDeclaration:
        """Sign and store the design's carbon baseline (the counterfactual shipment); name the
        returned blob id in licence terms as ``carbon_baseline`` (design owner only)."""
        design = to_bytes32(design_id, "design id")
        record = DesignRecord.read(self.ledger, design)
        if record.owner == ZERO_ADDRESS:
            raise UnknownDesign("UnknownDesign", {"designId": design})
        if record.owner != self.address:
            raise NotDesignOwner("NotDesignOwner", {"designId": design, "caller": self.address})
        return declare_baseline(self.ledger.store, self.account, hex32(design), baseline)

    # -- lifecycle -----------------------------------------------------------------------
    def revise(self, design_id: str, path: Path, metadata: DesignMetadata) -> RegisteredDesign:
        """Register ``path`` as the next revision of ``design_id``."""
        return self.register_design(path, metadata, revises=design_id)

    def deprecate(self, design_id: str) -> TxRef:
        """No new licences for the design; existing ones keep working."""
        return self._registry_tx("deprecateDesign", to_bytes32(design_id))

    def recall(self, design_id: str, reason: bytes = b"") -> TxRef:
        """No new licences and no new prints; printed parts show as recalled."""
        reason_hash = Web3.keccak(reason) if reason else ZERO32
        return self._registry_tx("recallDesign", to_bytes32(design_id), reason_hash)

    def transfer_ownership(self, design_id: str, new_owner: str) -> TxRef:
        """Offer the design to ``new_owner`` (who must accept)."""
        owner = Web3.to_checksum_address(new_owner)
        return self._registry_tx("transferDesignOwnership", to_bytes32(design_id), owner)

    def accept_ownership(self, design_id: str) -> TxRef:
        """Accept a pending ownership offer."""
        return self._registry_tx("acceptDesignOwnership", to_bytes32(design_id))

    def _registry_tx(self, fn: str, *args: Any) -> TxRef:
        sent = self.ledger.transact(self.account, REGISTRY, fn, *args)
        return TxRef(sent.tx_hash, sent.block_number)

    # -- licences ------------------------------------------------------------------------
    def issue_licence(
        self,
        design_id: str,
        hub: str,
        *,
        max_prints: int,
        valid_until: int,
        valid_from: int | None = None,
        required_standard: str | None = None,
        terms: dict[str, Any] | None = None,
        refund_on_invalidate: bool = False,
    ) -> IssuedLicence:
        """License ``hub`` to print ``design_id``: wrap the design key to the hub's on-chain
        HPKE key, store the wrapped key and the sealed terms, record their hashes on-chain."""
        design = to_bytes32(design_id, "design id")
        # the contract's own refusals, before anything is unwrapped, stored or journaled
        owner = DesignRecord.read(self.ledger, design).owner
        if owner == ZERO_ADDRESS:
            raise UnknownDesign("UnknownDesign", {"designId": design})
        if owner != self.address:
            raise NotDesignOwner("NotDesignOwner", {"designId": design, "caller": self.address})
        hub_record = HubRecord.read(self.ledger, hub).require()  # UnknownHub
        hub_address = hub_record.address
        hub_key = HpkePublicKey.from_bytes(hub_record.hpke_public_key)
        dek = self.design_key(design_id)
        with self._lock:
            index = self.ledger.view(PRINT_LEDGER, "licenceCount", design)
            licence_id = self.ledger.view(
                PRINT_LEDGER, "computeLicenceId", design, hub_address, index
            )
            intent = self.ledger.journal.begin(
                ISSUE, self.address, {"design_id": design_id, "licence_id": hex32(licence_id)}
            )
            wrapped = wrap_dek(dek, hub_key, design_id=design, licence_id=licence_id)
            wrapped_blob = put_bytes(self.ledger.store, wrapped.to_bytes()).sha256
            terms_doc = {
                "kind": "partledger/licence-terms/v1",
                "designId": design_id,
                "hub": hub_address,
                "maxPrints": max_prints,
                "terms": terms or {},
            }
            terms_blob = seal_document(self.ledger.store, dek, terms_doc)
            self.ledger.journal.advance(
                intent.id, "stored", wrapped_key=wrapped_blob, terms=terms_blob
            )
            licence_terms = LicenceTerms(
                design_id=design,
                hub=hub_address,
                max_prints=max_prints,
                valid_from=valid_from if valid_from is not None else self.ledger.now(),
                valid_until=valid_until,
                required_standard=(
                    standard_code(required_standard) if required_standard else ZERO32
                ),
                terms_hash=to_bytes32(terms_blob),
                wrapped_key_hash=to_bytes32(wrapped_blob),
                refund_on_invalidate=refund_on_invalidate,
            )

            def journal_hash(tx_hash: str) -> None:
                self.ledger.journal.advance(intent.id, "issue_signed", issue_tx=tx_hash)

            try:
                sent = self.ledger.transact(
                    self.account, PRINT_LEDGER, "issueLicence", licence_terms.as_tuple(),
                    on_signed=journal_hash,
                )  # fmt: skip
            except PartLedgerError:
                self._forget_blobs([wrapped_blob, terms_blob])
                self.ledger.journal.advance(intent.id, "rolled_back")
                raise
            self.ledger.journal.advance(intent.id, "done")
        return IssuedLicence(
            licence_id=hex32(licence_id),
            design_id=design_id,
            hub=hub_address,
            wrapped_key_hash=wrapped_blob,
            terms_hash=terms_blob,
            tx=TxRef(sent.tx_hash, sent.block_number),
        )

    def amend_licence(
        self, licence_id: str, *, add_prints: int = 0, valid_until: int | None = None,
        terms_hash: str | None = None,
    ) -> TxRef:  # fmt: skip
        """Add prints and/or extend validity (never shorten), optionally new terms."""
        lid = to_bytes32(licence_id, "licence id")
        current = read_licence(self.ledger, licence_id)  # UnknownLicence before any tx
        new_until = valid_until if valid_until is not None else current.valid_until
        new_terms = to_bytes32(terms_hash or current.terms_hash, "terms hash")
        return self._ledger_tx("amendLicence", lid, add_prints, new_until, new_terms)

    def suspend_licence(self, licence_id: str, reason: bytes = b"") -> TxRef:
        return self._ledger_tx("suspendLicence", to_bytes32(licence_id), _reason(reason))

    def resume_licence(self, licence_id: str) -> TxRef:
        return self._ledger_tx("resumeLicence", to_bytes32(licence_id))

    def revoke_licence(self, licence_id: str, reason: bytes = b"") -> TxRef:
        return self._ledger_tx("revokeLicence", to_bytes32(licence_id), _reason(reason))

    def invalidate_print(self, record: PrintRecord, reason: bytes) -> TxRef:
        """Invalidate a print of one of this OEM's designs; on a refunding licence the copy
        goes back to the licence (the hub's own invalidation never refunds)."""
        if not reason:
            raise ValueError("an invalidation needs a reason")
        return self._ledger_tx("invalidatePrint", record.as_tuple(), Web3.keccak(reason))

    def refund_print(self, record: PrintRecord) -> TxRef:
        """Confirm a hub's invalidation and give the copy back (refunding licences only)."""
        return self._ledger_tx("refundInvalidatedPrint", record.as_tuple())

    def _ledger_tx(self, fn: str, *args: Any) -> TxRef:
        sent = self.ledger.transact(self.account, PRINT_LEDGER, fn, *args)
        return TxRef(sent.tx_hash, sent.block_number)

    # -- crash recovery --------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Finish or roll back this OEM's unfinished operations; say what was done."""
        done = []
        for intent in self.ledger.journal.pending(account=self.address):
            if intent.kind == REGISTER:
                done.append(self._recover_registration(intent))
            elif intent.kind == ISSUE:
                done.append(self._recover_issue(intent))
        return done

    def _recover_registration(self, intent: Intent) -> str:
        if intent.state in ("started", "container_stored", "metadata_stored"):
            self._roll_back_registration(intent.id)
            return f"{intent.id}: registration rolled back before any on-chain step"
        try:
            result = self._finish_registration(intent)
        except ContentAlreadyRegistered as exc:
            self._roll_back_registration(intent.id)
            design = hex32(exc.arguments["designId"])
            return f"{intent.id}: rolled back (the content is registered as design {design})"
        return f"{intent.id}: registration completed as design {result.design_id}"

    def _recover_issue(self, intent: Intent) -> str:
        licence_id = to_bytes32(intent.data["licence_id"])
        try:
            read_licence(self.ledger, hex32(licence_id))
            issued = True  # the issue tx landed
        except UnknownLicence:
            issued = False
        if issued:
            self.ledger.journal.advance(intent.id, "done")
            return f"{intent.id}: licence {hex32(licence_id)} was issued; marked done"
        self._forget_blobs([intent.data[k] for k in ("wrapped_key", "terms") if intent.data.get(k)])
        self.ledger.journal.advance(intent.id, "rolled_back")
        return f"{intent.id}: licence issuance rolled back (re-issue it)"


ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
DEV_CHAIN_IDS = (31337, 1337)
_HASH_CHUNK = 1024 * 1024


def _file_sha256(path: Path, on_progress: Callable[[int], None] | None) -> str:
    """The SHA-256 (hex) of a file's bytes, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    buffer = bytearray(_HASH_CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as raw:
        while n := raw.readinto(buffer):
            digest.update(view[:n])
            if on_progress:
                on_progress(n)
    return digest.hexdigest()


class _Counting(io.RawIOBase):
    """A read-only file wrapper reporting how many bytes were read."""

    def __init__(self, inner: BinaryIO, on_read: Callable[[int], None]) -> None:
        self._inner = inner
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        data = self._inner.read(size)
        if data:
            self._on_read(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _reason(reason: bytes) -> bytes:
    return bytes(Web3.keccak(reason)) if reason else ZERO32
