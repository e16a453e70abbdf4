"""The proof bundle: one file that lets anyone re-check a part's provenance with no service.

It holds the part (design, serial number, the attested print record, the anchor proof of an
anchored print), two block headers — the block of the attestation and the block of the export —
and ``eth_getProof`` account and storage proofs, against each header's state root, of every
slot the verdict rests on: the print commitment (or the anchor commitment), the licence, the
machine, the qualification and the design at the print; invalidation, refund and the design's
status at the export. The payload is signed (ES256K JWS) by the exporter's account, so a
changed byte is caught even in fields no proof covers. Format: ``docs/passport.md``.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from web3.types import RPCEndpoint

from partledger.carbon import parse_footprint_document
from partledger.chain import ids
from partledger.errors import PartLedgerError
from partledger.passport import jws
from partledger.passport.carbon import carbon_section, emissions_scorecard
from partledger.passport.credentials import envelope, part_url
from partledger.passport.facts import PartFacts
from partledger.passport.jws import did_pkh
from partledger.proofs import StorageLayout
from partledger.sdk.auditor import Provenance
from partledger.sdk.ledger import PRINT_LEDGER, REGISTRY, Ledger
from partledger.sdk.types import ZERO32, hex32, to_bytes32

__all__ = ["BUNDLE_KIND", "SlotRef", "export_bundle", "print_slots", "status_slots"]

BUNDLE_KIND = "partledger/passport-bundle/v1"


@dataclass(frozen=True)
class SlotRef:
    """A named storage location: contract, variable and mapping keys."""

    name: str
    contract: str
    variable: str
    keys: tuple[bytes, ...]


def print_slots(
    design: bytes, record: ids.PrintRecord, anchor_root: bytes | None, standard: bytes
) -> list[SlotRef]:
    """What the verdict at the print block rests on."""
    print_id = ids.print_id(design, record.serial)
    refs = [
        SlotRef("licence.state", PRINT_LEDGER, "_licenceStates", (record.licence_id,)),
        SlotRef("licence.info", PRINT_LEDGER, "_licenceInfos", (record.licence_id,)),
        SlotRef("machine", PRINT_LEDGER, "_machines", (record.machine_id,)),
        SlotRef("hub", PRINT_LEDGER, "_hubs", (hub_key(record.licence_id),)),
        SlotRef("design", REGISTRY, "_designs", (design,)),
    ]
    if anchor_root is None:
        refs.append(SlotRef("print.commitment", PRINT_LEDGER, "_prints", (print_id,)))
    else:
        refs.append(SlotRef("anchor.commitment", PRINT_LEDGER, "_anchors", (anchor_root,)))
    if standard != ZERO32:
        refs.append(
            SlotRef("qualification", PRINT_LEDGER, "_qualifications", (record.machine_id, standard))
        )
    return refs


def hub_key(licence_id: bytes) -> bytes:
    """The ``_hubs`` mapping key of a licence's hub: its address as a 32-byte word."""
    return bytes(12) + bytes(licence_id[:20])


def status_slots(design: bytes, record: ids.PrintRecord) -> list[SlotRef]:
    """What the part's status at the export rests on."""
    print_id = ids.print_id(design, record.serial)
    return [
        SlotRef("print.invalidation", PRINT_LEDGER, "_invalidations", (print_id,)),
        SlotRef("print.refund", PRINT_LEDGER, "_refunds", (print_id,)),
        SlotRef("print.commitment", PRINT_LEDGER, "_prints", (print_id,)),
        SlotRef("design", REGISTRY, "_designs", (design,)),
    ]


class StateUnavailable(PartLedgerError, LookupError):
    """The node cannot prove its state at a past block (it no longer keeps it)."""


def _snapshot(ledger: Ledger, block_number: int, refs: list[SlotRef]) -> dict[str, Any]:
    """The header of ``block_number`` and proofs of ``refs`` against its state root."""
    w3 = ledger.w3
    header = w3.provider.make_request(
        RPCEndpoint("eth_getBlockByNumber"), [hex(block_number), False]
    )["result"]
    header = {k: v for k, v in header.items() if k not in ("transactions", "uncles", "withdrawals")}
    accounts: dict[str, Any] = {}
    for contract in sorted({r.contract for r in refs}):
        layout = StorageLayout.of_contract(contract)
        slots = sorted(
            {
                s
                for r in refs
                if r.contract == contract
                for s in layout.locate(r.variable, *r.keys).slots
            }
        )
        address = ledger.deployment.address(contract)
        raw = w3.provider.make_request(
            RPCEndpoint("eth_getProof"),
            [address, ["0x" + s.to_bytes(32, "big").hex() for s in slots], hex(block_number)],
        )
        if "result" not in raw:
            raise StateUnavailable(
                f"the node gives no state proof at block {block_number} ({raw.get('error')}): "
                "it keeps no state that old (a pruning node, or the embedded chain restarted "
                "from its snapshot). Export from a node that has it: an archive node, or the "
                "embedded chain kept running with `partledger chain up` since the print"
            )
        proof = raw["result"]
        accounts[contract] = {
            "address": address,
            "accountProof": proof["accountProof"],
            "storage": [
                {"slot": p["key"], "value": p["value"], "proof": p["proof"]}
                for p in proof["storageProof"]
            ],
        }
    return {
        "header": header,
        "slots": [
            {
                "name": r.name,
                "contract": r.contract,
                "variable": r.variable,
                "keys": [hex32(k) for k in r.keys],
            }
            for r in refs
        ],
        "accounts": accounts,
    }


def export_bundle(
    ledger: Ledger,
    provenance: Provenance,
    signer_key: bytes,
    *,
    status_block: int | None = None,
    base_url: str = "urn:partledger:part",
    gtin: str | None = None,
    signer_name: str = "PartLedger passport exporter",
    product_name: str | None = None,
) -> dict[str, Any]:
    """A signed proof bundle of ``provenance`` (from ``Auditor.provenance``), with the part's
    UNTP credentials (passport, traceability event, conformity) for ``base_url``'s page."""
    p = provenance
    design = to_bytes32(p.design_id)
    standard = p.licence.required_standard
    root = to_bytes32(p.anchor.root) if p.anchor is not None else None
    at_print = _snapshot(
        ledger, p.attestation.block_number, print_slots(design, p.record, root, standard)
    )
    head = status_block if status_block is not None else ledger.w3.eth.block_number
    at_export = _snapshot(ledger, head, status_slots(design, p.record))
    anchor = None
    if p.anchor is not None:
        a = p.anchor
        anchor = {
            "root": a.root,
            "leafIndex": a.leaf_index,
            "anchoredAt": a.anchored_at,
            "licenceIds": list(a.licence_ids),
            "counts": list(a.counts),
            "path": list(a.path),
            "documentHash": a.document_hash,
        }
    url = part_url(base_url, p.design_id, p.serial_number, gtin)
    facts = PartFacts.of_provenance(ledger.deployment.chain_id, url, p)
    header_time = int(str(at_print["header"]["timestamp"]), 16)
    dte, dcc = facts.dte(header_time), facts.dcc()
    country = bytes(ledger.view(PRINT_LEDGER, "hub", ids.hub_of_licence(p.record.licence_id))[1])
    carbon = carbon_section(ledger.store, p.record.quality_report_hash)
    footprint = None
    if carbon is not None:
        footprint = parse_footprint_document(base64.b64decode(carbon["footprint"]))
    dpp = facts.dpp(
        dte, dcc, print_time=header_time, country=country[:2].decode(errors="replace"),
        issuer=did_pkh(ledger.deployment.chain_id, _address(signer_key)),
        issuer_name=signer_name, issued_at=int(time.time()),
        product_name=product_name or f"Part {p.serial_number}",
        emissions=emissions_scorecard(footprint) if footprint is not None else None,
    )  # fmt: skip
    payload = {
        "kind": BUNDLE_KIND,
        "chainId": ledger.deployment.chain_id,
        "contracts": {name: ledger.deployment.address(name) for name in (PRINT_LEDGER, REGISTRY)},
        "part": {
            "designId": p.design_id,
            "serialNumber": p.serial_number,
            "record": {
                "licenceId": hex32(p.record.licence_id),
                "serial": hex32(p.record.serial),
                "machineId": hex32(p.record.machine_id),
                "materialLotHash": hex32(p.record.material_lot_hash),
                "qualityReportHash": hex32(p.record.quality_report_hash),
            },
        },
        "attestation": {
            "kind": p.attestation.kind,
            "txHash": p.attestation.tx_hash,
            "blockNumber": p.attestation.block_number,
            "blockHash": p.attestation.block_hash,
            "anchor": anchor,
        },
        "atPrint": at_print,
        "atExport": at_export,
        "credentials": {
            "url": url,
            "dpp": envelope(dpp, signer_key, ledger.deployment.chain_id),
            "dte": dte,
            "dcc": dcc,
        },
    }
    if carbon is not None:
        payload["carbon"] = carbon
    body = canonical(payload)
    return {
        "kind": BUNDLE_KIND,
        "payload": payload,
        "signature": jws.sign(
            body, signer_key, ledger.deployment.chain_id, typ="JOSE", detached=True
        ),
    }


def canonical(value: Any) -> bytes:
    """The bytes that are signed: sorted keys, no whitespace (every value is a str or int)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _address(private_key: bytes) -> str:
    from eth_account import Account

    return str(Account.from_key(private_key).address)
