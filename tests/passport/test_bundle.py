"""The proof bundle: exported from a real anvil, verified with no node, forgeries refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from helpers.world import METADATA, ONE_DAY, STANDARD, World
from partledger.passport import export_bundle, verify_bundle
from partledger.passport.bundle import canonical
from partledger.passport.jws import sign
from partledger.sdk import PrintInput


def _licence(world: World, **kw: Any) -> str:
    design = world.oem.register_design(world.design_file(size=10_000), METADATA)
    return world.oem.issue_licence(
        design.design_id,
        world.hub.address,
        max_prints=10,
        valid_until=world.now() + ONE_DAY,
        **kw,
    ).licence_id


def _export(world: World, design_id: str, serial: str) -> dict[str, Any]:
    provenance = world.auditor.provenance(design_id, serial)
    return export_bundle(world.ledger, provenance, bytes(world.hub.account.key))


def _trusted(world: World, bundle: dict[str, Any]) -> dict[int, bytes]:
    """Checkpoints as a user would copy them from a block explorer they trust."""
    out = {}
    for key in ("atPrint", "atExport"):
        number = int(bundle["payload"][key]["header"]["number"], 16)
        out[number] = bytes(world.ledger.w3.eth.get_block(number)["hash"])
    return out


def _failed(result: Any) -> list[str]:
    return list(result.failed)


def test_a_direct_print_verifies_offline_against_trusted_checkpoints(world: World) -> None:
    licence = _licence(world, required_standard=STANDARD)
    design_id = world.hub.licence(licence).design_id
    world.hub.attest_print(PrintInput(licence, "PP-1", world.machine, "LOT-1", b"QA ok"))
    bundle = _export(world, design_id, "PP-1")
    trusted = _trusted(world, bundle)
    result = verify_bundle(json.dumps(bundle).encode(), trusted=trusted, expect=(design_id, "PP-1"))
    assert result.ok, result.claims
    names = {c.name for c in result.claims}
    assert names >= {
        "bundle.signature",
        "block.print.trusted",
        "block.export.trusted",
        "state.print",
        "print.record",
        "machine.qualification",
        "licence.design",
        "print.in_service",
    }
    # no checkpoint and no node: nothing anchors the headers, so the part is not verified
    untrusted = verify_bundle(bundle)
    assert set(_failed(untrusted)) == {"block.print.trusted", "block.export.trusted"}
    # a node confirms the headers just as well
    node = lambda n: bytes(world.ledger.w3.eth.get_block(n)["hash"])  # noqa: E731
    assert verify_bundle(bundle, node=node).ok


def test_every_flipped_byte_is_refused(world: World) -> None:
    licence = _licence(world)
    design_id = world.hub.licence(licence).design_id
    world.hub.attest_print(PrintInput(licence, "PP-2", world.machine, "LOT-1"))
    bundle = _export(world, design_id, "PP-2")
    trusted = _trusted(world, bundle)
    data = json.dumps(bundle, separators=(",", ":")).encode()
    assert verify_bundle(data, trusted=trusted).ok
    step = max(1, len(data) // 400)
    for position in range(0, len(data), step):
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        result = verify_bundle(bytes(tampered), trusted=trusted)
        assert not result.ok, (position, data[max(0, position - 30) : position + 30])


def _resigned(bundle: dict[str, Any], key: bytes, chain_id: int) -> dict[str, Any]:
    """A forger's bundle: changed, then signed again with the forger's own key."""
    forged = copy.deepcopy(bundle)
    forged["signature"] = sign(
        canonical(forged["payload"]), key, chain_id, typ="JOSE", detached=True
    )
    return forged


def test_forgeries_that_re_sign_the_bundle_are_refused_by_the_proofs(world: World) -> None:
    licence = _licence(world)
    design_id = world.hub.licence(licence).design_id
    world.hub.attest_print(PrintInput(licence, "PP-3", world.machine, "LOT-1"))
    world.hub.attest_print(PrintInput(licence, "PP-4", world.machine, "LOT-2"))
    bundle = _export(world, design_id, "PP-3")
    other = _export(world, design_id, "PP-4")
    trusted = _trusted(world, bundle) | _trusted(world, other)
    forger = bytes(world.other_hub.account.key)
    chain_id = world.ledger.deployment.chain_id

    # another part's bundle presented for this part
    swapped = verify_bundle(other, trusted=trusted, expect=(design_id, "PP-3"))
    assert _failed(swapped) == ["bundle.part"]
    # a different lot for the same serial
    lot = copy.deepcopy(bundle)
    lot["payload"]["part"]["record"]["materialLotHash"] = "0x" + "77" * 32
    assert {"print.record", "print.still_recorded", "credentials.dte", "credentials.dpp"} <= set(
        _failed(verify_bundle(_resigned(lot, forger, chain_id), trusted=trusted))
    )
    # a renamed serial number
    renamed = copy.deepcopy(bundle)
    renamed["payload"]["part"]["serialNumber"] = "PP-999"
    assert "print.serial_number" in _failed(
        verify_bundle(_resigned(renamed, forger, chain_id), trusted=trusted)
    )
    # a stale state proof: the export snapshot of another block under this block's header
    stale = copy.deepcopy(bundle)
    stale["payload"]["atExport"]["accounts"] = copy.deepcopy(
        bundle["payload"]["atPrint"]["accounts"]
    )
    assert "state.export" in _failed(
        verify_bundle(_resigned(stale, forger, chain_id), trusted=trusted)
    )
    # a wrong trusted checkpoint
    wrong = {n: b"\x01" * 32 for n in trusted}
    assert {"block.print.trusted", "block.export.trusted"} <= set(
        _failed(verify_bundle(bundle, trusted=wrong))
    )


def test_an_invalidated_part_and_an_anchored_part(world: World) -> None:
    licence = _licence(world)
    design_id = world.hub.licence(licence).design_id
    made = world.hub.attest_print(PrintInput(licence, "PP-5", world.machine, "LOT-1"))
    world.hub.invalidate_print(made.record, b"failed CT scan")
    scrapped = _export(world, design_id, "PP-5")
    assert _failed(verify_bundle(scrapped, trusted=_trusted(world, scrapped))) == [
        "print.in_service"
    ]
    world.hub.anchor_batch(
        [PrintInput(licence, f"PP-A{i}", world.machine, "LOT-2") for i in range(5)]
    )
    anchored = _export(world, design_id, "PP-A3")
    assert anchored["payload"]["attestation"]["anchor"]["leafIndex"] == 3
    result = verify_bundle(anchored, trusted=_trusted(world, anchored))
    assert result.ok, result.claims
    # the leaf moved to another slot, re-signed: refused by the positional proof
    moved = copy.deepcopy(anchored)
    moved["payload"]["attestation"]["anchor"]["leafIndex"] = 2
    forged = _resigned(moved, bytes(world.other_hub.account.key), world.ledger.deployment.chain_id)
    assert "print.record" in _failed(verify_bundle(forged, trusted=_trusted(world, anchored)))


@pytest.mark.parametrize("garbage", [b"", b"{}", b"not json", b'{"kind": "x", "payload": {}}'])
def test_unreadable_bundles_are_a_named_failure(garbage: bytes) -> None:
    result = verify_bundle(garbage)
    assert _failed(result) == ["bundle.format"]


def test_the_credentials_meet_untp_and_say_what_the_chain_says(world: World) -> None:
    from partledger.passport.credentials import open_envelope, untp_problems

    licence = _licence(world, required_standard=STANDARD)
    design_id = world.hub.licence(licence).design_id
    world.hub.attest_print(PrintInput(licence, "PP-C1", world.machine, "LOT-1"))
    provenance = world.auditor.provenance(design_id, "PP-C1")
    bundle = export_bundle(
        world.ledger, provenance, bytes(world.hub.account.key),
        base_url="https://parts.example.com", gtin="9520123456788", signer_name="Milan hub",
        product_name="Bracket PN-1001 rev A",
    )  # fmt: skip
    creds = bundle["payload"]["credentials"]
    assert creds["url"] == "https://parts.example.com/01/09520123456788/21/PP-C1"
    dpp, signed = open_envelope(creds["dpp"])
    assert signed.address == world.hub.address
    for credential, kind in ((dpp, "dpp"), (creds["dte"], "dte"), (creds["dcc"], "dcc")):
        assert untp_problems(credential, kind) == [], kind
    assert dpp["credentialSubject"]["product"]["countryOfProduction"] == "IT"
    assert creds["dcc"]["issuer"]["id"].endswith(world.certifier.account.address)
    trusted = _trusted(world, bundle)
    result = verify_bundle(bundle, trusted=trusted)
    assert result.ok, result.claims
    assert {"credentials.dpp", "credentials.dte", "credentials.dcc"} <= {
        c.name for c in result.claims
    }
    # a DCC claiming another certificate, re-signed by a forger, no longer matches the chain
    forged = copy.deepcopy(bundle)
    dcc = forged["payload"]["credentials"]["dcc"]
    dcc["credentialSubject"]["conformityCertificate"]["hashDigest"] = "00" * 32
    chain_id = world.ledger.deployment.chain_id
    failed = _failed(verify_bundle(_resigned(forged, bytes(world.hub.account.key), chain_id),
                                   trusted=trusted))  # fmt: skip
    assert failed == ["credentials.dcc"]  # the DPP still links the genuine one
    # a schema break is named too
    broken = copy.deepcopy(creds["dte"])
    broken["credentialSubject"] = broken["credentialSubject"][0]
    assert untp_problems(broken, "dte")
