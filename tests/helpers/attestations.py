"""Hub-signed print attestations as the JSON items of ``POST /v1/prints``."""

from __future__ import annotations

from typing import Any

from helpers.world import METADATA, STANDARD, World
from partledger.sdk import PrintInput
from partledger.sdk.types import hex32


def signed_attestations(world: World, n: int, prefix: str) -> tuple[str, list[dict[str, Any]]]:
    """A new design and licence for ``n`` prints; the licence id and ``n`` attestations the hub
    signed (serials ``{prefix}0``, ``{prefix}1`` ...), not yet submitted."""
    design = world.oem.register_design(world.design_file(), METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=n,
        valid_until=world.now() + 86_400, required_standard=STANDARD,
    )  # fmt: skip
    items = []
    for i in range(n):
        signed = world.hub.sign_attestation(
            PrintInput(licence.licence_id, f"{prefix}{i}", world.machine, "LOT"),
            deadline=world.now() + 3600,
        )
        r = signed.record
        items.append(
            {
                "licence_id": hex32(r.licence_id), "serial": hex32(r.serial),
                "machine_id": hex32(r.machine_id), "material_lot_hash": hex32(r.material_lot_hash),
                "quality_report_hash": hex32(r.quality_report_hash),
                "deadline": signed.deadline, "signature": "0x" + signed.signature.hex(),
            }
        )  # fmt: skip
    return licence.licence_id, items
