"""Hub-signed print attestations as the JSON items of ``POST /v1/prints``."""

from __future__ import annotations

from typing import Any

from helpers.world import METADATA, STANDARD, World
from partledger.sdk import PrintInput
from partledger.sdk.remote import attestation_item


def signed_attestations(
    world: World, n: int, prefix: str, *, design_bytes: int | None = None
) -> tuple[str, str, list[dict[str, Any]]]:
    """A new design and licence for ``n`` prints; the design id, the licence id and ``n``
    attestations the hub signed (serials ``{prefix}0``, ``{prefix}1`` ...), not yet submitted."""
    source = world.design_file() if design_bytes is None else world.design_file(size=design_bytes)
    design = world.oem.register_design(source, METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=n,
        valid_until=world.now() + 86_400, required_standard=STANDARD,
    )  # fmt: skip
    deadline = world.now() + 3600
    items = [
        attestation_item(world.hub.sign_attestation(
            PrintInput(licence.licence_id, f"{prefix}{i}", world.machine, "LOT"), deadline=deadline
        ))
        for i in range(n)
    ]  # fmt: skip
    return design.design_id, licence.licence_id, items
