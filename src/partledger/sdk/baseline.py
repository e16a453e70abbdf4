"""The OEM's declared carbon baseline of a design: signed by the design's owner, stored as a blob.

The baseline is the counterfactual shipment (where the part would ship from, by which legs,
how heavy): it sets the "avoided" figure, so the party that gains from a large one (the hub)
must not be the one who states it. The OEM signs a declaration (EIP-191 over its canonical
JSON) and names it in the licence terms (``terms["carbon_baseline"]``: the blob id), which are
committed on-chain; the hub computes each print's footprint from it and names it in the
print's evidence manifest; the auditor checks the signer is the design's owner and that the
footprint's baseline is exactly the declared one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from partledger.carbon import Baseline, baseline_from_dict, baseline_to_dict
from partledger.errors import PartLedgerError
from partledger.storage import BlobStore, get_bytes, put_bytes

__all__ = [
    "BASELINE_TYPE",
    "BaselineDeclaration",
    "InvalidBaselineDeclaration",
    "declare_baseline",
    "parse_baseline_declaration",
    "read_baseline_declaration",
]

BASELINE_TYPE = "partledger.carbon-baseline"
BASELINE_VERSION = 1
MAX_DECLARATION_BYTES = 256 * 1024


class InvalidBaselineDeclaration(PartLedgerError, ValueError):
    """A baseline declaration is malformed or its signature does not hold."""


@dataclass(frozen=True)
class BaselineDeclaration:
    """A design's declared baseline, who signed it and when."""

    design_id: str
    baseline: Baseline
    declared_by: str
    declared_at: int
    blob_id: str


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def declare_baseline(
    store: BlobStore, account: LocalAccount, design_id: str, baseline: Baseline
) -> BaselineDeclaration:
    """Sign ``baseline`` for ``design_id`` with ``account`` (the design's owner) and store it."""
    if baseline.design_id.lower() != design_id.lower():
        raise InvalidBaselineDeclaration(
            f"the baseline names design {baseline.design_id!r}, not {design_id}"
        )
    body: dict[str, Any] = {
        "type": BASELINE_TYPE,
        "version": BASELINE_VERSION,
        "design_id": design_id.lower(),
        "baseline": baseline_to_dict(baseline),
        "declared_by": account.address,
        "declared_at": int(time.time()),
    }
    signature = account.sign_message(encode_defunct(_canonical(body))).signature
    document = _canonical({"declaration": body, "signature": "0x" + bytes(signature).hex()})
    blob = put_bytes(store, document).sha256
    return BaselineDeclaration(
        design_id.lower(), baseline, account.address, body["declared_at"], blob
    )


def read_baseline_declaration(store: BlobStore, blob_id: str) -> BaselineDeclaration:
    """Read and check a declaration: canonical, well formed, signed by ``declared_by``."""
    return parse_baseline_declaration(
        get_bytes(store, blob_id, max_bytes=MAX_DECLARATION_BYTES), blob_id
    )


def parse_baseline_declaration(data: bytes, blob_id: str) -> BaselineDeclaration:
    """Check a declaration's bytes: canonical, well formed, signed by ``declared_by``."""
    try:
        document = json.loads(data)
        body, signature = document["declaration"], document["signature"]
        if set(document) != {"declaration", "signature"} or not isinstance(body, dict):
            raise ValueError("expected exactly {declaration, signature}")
        if body.get("type") != BASELINE_TYPE or body.get("version") != BASELINE_VERSION:
            raise ValueError(f"not a {BASELINE_TYPE} v{BASELINE_VERSION} declaration")
        expected = {"type", "version", "design_id", "baseline", "declared_by", "declared_at"}
        if set(body) != expected:
            raise ValueError(f"unexpected fields {sorted(set(body) ^ expected)}")
        baseline = baseline_from_dict(body["baseline"], "$.declaration.baseline")
        signer = Account.recover_message(
            encode_defunct(_canonical(body)), signature=bytes.fromhex(signature.removeprefix("0x"))
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidBaselineDeclaration(f"baseline declaration {blob_id}: {exc}") from None
    if _canonical(document) != data:
        raise InvalidBaselineDeclaration(f"baseline declaration {blob_id}: not canonical JSON")
    if signer != body["declared_by"]:
        raise InvalidBaselineDeclaration(
            f"baseline declaration {blob_id}: signed by {signer}, not by {body['declared_by']}"
        )
    if baseline.design_id.lower() != str(body["design_id"]).lower():
        raise InvalidBaselineDeclaration(
            f"baseline declaration {blob_id}: its baseline is for another design"
        )
    return BaselineDeclaration(
        str(body["design_id"]), baseline, signer, int(body["declared_at"]), blob_id
    )
