"""Designs, licences and hubs as the chain sees them now, with per-object authorization.

Reads come from the chain through the SDK (current state, never a stale cache) and,
for lists, from the event index when the service runs one. Writes that need the
OEM's signature go through ``Oem`` SDK clients for the OEMs whose keys the service
holds (custodial mode); other OEMs act on-chain themselves and use the service to
store and serve their blobs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from partledger.api.services.auth import Principal
from partledger.api.services.errors import (
    CustodyRequired,
    Forbidden,
    InvalidRequest,
    LicenceNotUsable,
    NotFound,
)
from partledger.chain import ids
from partledger.chain.ledger_errors import UnknownLicence
from partledger.crypto import HpkePublicKey, Identity, wrap_dek
from partledger.index import IndexReader
from partledger.sdk import (
    DesignMetadata,
    IssuedLicence,
    Ledger,
    LicenceView,
    Oem,
    RegisteredDesign,
    read_licence,
)
from partledger.sdk.hub import DESIGN_STATUS, licence_problems
from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY
from partledger.sdk.types import ZERO32, TxRef, hex32, to_bytes32
from partledger.storage import put_bytes

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class DesignInfo:
    design_id: str
    owner: str
    registered_at: int
    status: str
    content_hash: str
    container_hash: str
    metadata_hash: str
    revises: str | None


def checksum(address: str) -> str:
    try:
        return str(Web3.to_checksum_address(address))
    except ValueError:
        raise InvalidRequest(f"not an address: {address!r}") from None


def design_id_of(value: str) -> bytes:
    try:
        return to_bytes32(value, "design id")
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


class LedgerService:
    """Chain reads, authorization rules and custodial writes."""

    def __init__(
        self, ledger: Ledger, index: IndexReader | None, custodians: Iterable[Identity] = ()
    ) -> None:
        self.ledger = ledger
        self.index = index
        self._oems = {c.eth_address: Oem(ledger, c) for c in custodians}
        self._lock = threading.Lock()

    # -- designs --------------------------------------------------------------------------
    def design(self, design_id: str) -> DesignInfo:
        raw = self.ledger.view(REGISTRY, "design", design_id_of(design_id))
        if raw[0] == ZERO_ADDRESS:
            raise NotFound(f"no design {design_id}")
        return DesignInfo(
            design_id=hex32(design_id_of(design_id)),
            owner=str(raw[0]),
            registered_at=int(raw[1]),
            status=DESIGN_STATUS[raw[2]],
            content_hash=hex32(raw[3]),
            container_hash=hex32(raw[4]),
            metadata_hash=hex32(raw[5]),
            revises=hex32(raw[6]) if bytes(raw[6]) != ZERO32 else None,
        )

    def owned_design(self, who: Principal, design_id: str) -> DesignInfo:
        """The design, if ``who`` owns it (403 for other OEMs, 404 if unknown)."""
        design = self.design(design_id)
        if design.owner != who.address:
            raise Forbidden("the design belongs to another account")
        return design

    def visible_design(self, who: Principal, design_id: str) -> DesignInfo:
        """Owner, admin, or a hub holding a licence on it may see a design's metadata."""
        design = self.design(design_id)
        if design.owner == who.address or who.has("admin"):
            return design
        if who.has("hub") and any(v.hub == who.address for v in self.licences_of_design(design)):
            return design
        raise Forbidden("only the design's owner and its licensed hubs may see it")

    def designs_of(self, owner: str) -> list[DesignInfo]:
        if self.index is not None:
            return [self.design(d.design_id) for d in self.index.designs_by_owner(owner)]
        registry = self.ledger.registry
        logs = registry.events.DesignRegistered().get_logs(
            from_block=self.ledger.deployment.start_block, argument_filters={"owner": owner}
        )
        out = [self.design(hex32(log["args"]["designId"])) for log in logs]
        return [d for d in out if d.owner == owner]

    # -- licences ---------------------------------------------------------------------------
    def licence(self, licence_id: str) -> LicenceView:
        try:
            return read_licence(self.ledger, licence_id)
        except UnknownLicence:
            raise NotFound(f"no licence {licence_id}") from None
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None

    def visible_licence(self, who: Principal, licence_id: str) -> tuple[LicenceView, DesignInfo]:
        """The licence, if ``who`` is its hub or its design's owner."""
        licence = self.licence(licence_id)
        design = self.design(licence.design_id)
        if who.address not in (licence.hub, design.owner) and not who.has("admin"):
            raise Forbidden("only the licensed hub and the design's owner may see a licence")
        return licence, design

    def hub_licence(self, who: Principal, licence_id: str) -> tuple[LicenceView, DesignInfo]:
        licence = self.licence(licence_id)
        if licence.hub != who.address:
            raise Forbidden("the licence was issued to another hub")
        return licence, self.design(licence.design_id)

    def owned_licence(self, who: Principal, licence_id: str) -> tuple[LicenceView, DesignInfo]:
        licence = self.licence(licence_id)
        design = self.design(licence.design_id)
        if design.owner != who.address:
            raise Forbidden("the licence's design belongs to another OEM")
        return licence, design

    def licences_of_design(self, design: DesignInfo) -> list[LicenceView]:
        design_id = to_bytes32(design.design_id)
        count = int(self.ledger.view(PRINT_LEDGER, "licenceCount", design_id))
        if self.index is not None:
            ids_ = [v.licence_id for v in self.index.licences_by_design(design.design_id)]
            if len(ids_) == count:
                return [self.licence(i) for i in ids_]
        logs = self.ledger.prints.events.LicenceIssued().get_logs(
            from_block=self.ledger.deployment.start_block,
            argument_filters={"designId": design_id},
        )
        return [self.licence(hex32(log["args"]["licenceId"])) for log in logs]

    def licences_of_hub(self, hub: str) -> list[LicenceView]:
        if self.index is not None:
            return [self.licence(v.licence_id) for v in self.index.licences_by_hub(hub)]
        logs = self.ledger.prints.events.LicenceIssued().get_logs(
            from_block=self.ledger.deployment.start_block, argument_filters={"hub": hub}
        )
        return [self.licence(hex32(log["args"]["licenceId"])) for log in logs]

    def require_usable(self, licence: LicenceView) -> None:
        """Refuse unless the chain says, now, that the licence may be used."""
        if problems := licence_problems(self.ledger, licence):
            raise LicenceNotUsable(f"licence {licence.licence_id}: " + "; ".join(problems))

    # -- hubs --------------------------------------------------------------------------------
    def hub_record(self, hub: str) -> dict[str, Any]:
        raw = self.ledger.view(PRINT_LEDGER, "hub", checksum(hub))
        if not raw[0]:
            raise NotFound(f"hub {hub} is not registered")
        return {
            "address": checksum(hub),
            "locode": bytes(raw[1]).decode(errors="replace"),
            "key_version": int(raw[2]),
            "name": raw[3],
            "hpke_public_key": "0x" + bytes(raw[4]).hex(),
        }

    def machines_of(self, hub: str) -> list[dict[str, Any]]:
        if self.index is not None:
            return [
                {"machine_id": m.machine_id, "machine_hash": m.machine_hash, "retired": m.retired}
                for m in self.index.machines_by_hub(hub)
            ]
        logs = self.ledger.prints.events.MachineRegistered().get_logs(
            from_block=self.ledger.deployment.start_block, argument_filters={"hub": hub}
        )
        out = []
        for log in logs:
            machine_id = bytes(log["args"]["machineId"])
            m = self.ledger.view(PRINT_LEDGER, "machine", machine_id)
            out.append(
                {"machine_id": hex32(machine_id), "machine_hash": hex32(m[4]), "retired": m[1]}
            )
        return out

    # -- custodial writes --------------------------------------------------------------------
    def custodian(self, who: Principal) -> Oem:
        oem = self._oems.get(who.address)
        if oem is None:
            raise CustodyRequired(
                "the service holds no key for this OEM: sign the transaction with the SDK "
                "(or configure PARTLEDGER_API_CUSTODIAL_OEMS)"
            )
        return oem

    def is_custodial(self, address: str) -> bool:
        return address in self._oems

    def register_plaintext(
        self,
        who: Principal,
        path: Path,
        metadata: DesignMetadata,
        *,
        revises: str | None = None,
    ) -> RegisteredDesign:
        """Encrypt a plaintext upload with the OEM's custodial key and register it."""
        oem = self.custodian(who)
        if revises is not None:
            self.owned_design(who, revises)
        return oem.register_design(path, metadata, revises=revises)

    def issue_licence(self, who: Principal, design_id: str, **terms: Any) -> IssuedLicence:
        oem = self.custodian(who)
        self.owned_design(who, design_id)
        self.hub_record(terms.pop("hub_address"))
        return oem.issue_licence(design_id, **terms)

    def wrap_for_hub(self, who: Principal, design_id: str, hub: str, licence_index: int) -> str:
        """Wrap a custodial design key to ``hub``'s on-chain HPKE key; return the blob id."""
        oem = self.custodian(who)
        hub_key = HpkePublicKey.from_bytes(
            bytes.fromhex(self.hub_record(hub)["hpke_public_key"][2:])
        )
        design = to_bytes32(design_id)
        lid = ids.licence_id(design, checksum(hub), licence_index)
        wrapped = wrap_dek(oem.design_key(design_id), hub_key, design_id=design, licence_id=lid)
        return put_bytes(self.ledger.store, wrapped.to_bytes()).sha256

    def design_action(self, who: Principal, design_id: str, action: str, reason: bytes) -> TxRef:
        oem = self.custodian(who)
        self.owned_design(who, design_id)
        if action == "deprecate":
            return oem.deprecate(design_id)
        return oem.recall(design_id, reason)

    def licence_action(
        self, who: Principal, licence_id: str, action: str, reason: bytes, **amend: Any
    ) -> TxRef:
        oem = self.custodian(who)
        self.owned_licence(who, licence_id)
        if action == "amend":
            return oem.amend_licence(licence_id, **amend)
        if action == "suspend":
            return oem.suspend_licence(licence_id, reason)
        if action == "resume":
            return oem.resume_licence(licence_id)
        return oem.revoke_licence(licence_id, reason)


def now_ms() -> int:
    return int(time.time() * 1000)


def first(items: Sequence[Any]) -> Any:
    return items[0] if items else None
