"""The whole story on a real anvil chain: register, license, fetch, print, audit — and refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from partledger.chain.ledger_errors import (
    ContentAlreadyRegistered,
    DesignNotLicensable,
    DesignUnderRecall,
    LicenceExhausted,
    LicenceExpired,
    LicenceNotActive,
    MachineNotQualified,
    NotDesignOwner,
    SerialAlreadyUsed,
)
from partledger.crypto import KeyUnwrapError, WrongRecipientError
from partledger.sdk import LicenceNotUsable, PrintInput, load_batch, relay_attestation
from partledger.storage import BlobCorruptedError

from .conftest import METADATA, ONE_DAY, STANDARD, World


def _licence(world: World, design_id: str, max_prints: int = 3, **kwargs: object) -> str:
    issued = world.oem.issue_licence(
        design_id, world.hub.address, max_prints=max_prints,
        valid_until=world.now() + ONE_DAY, required_standard=STANDARD,
        terms={"royalty_eur": 12}, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip
    return issued.licence_id


def _part(
    world: World, licence_id: str, serial: str, report: bytes | None = b"QA ok"
) -> PrintInput:
    return PrintInput(licence_id, serial, world.machine, "LOT-7", report)


def test_register_license_fetch_print_and_verify_provenance(world: World) -> None:
    source = world.design_file()
    design = world.oem.register_design(source, METADATA)
    assert design.content_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    licence_id = _licence(world, design.design_id)

    out = world.data_dir / "fetched.stl"
    plaintext_hash = world.hub.fetch_design(licence_id, out)
    assert out.read_bytes() == source.read_bytes()
    assert plaintext_hash == design.content_sha256

    printed = world.hub.attest_print(_part(world, licence_id, "SN-1"))
    provenance = world.auditor.provenance(design.design_id, "SN-1")
    assert provenance.attestation.kind == "direct"
    assert provenance.attestation.tx_hash == printed.tx.tx_hash
    assert provenance.hub["name"] == "Milan micro-factory"
    assert provenance.qualification is not None
    assert provenance.qualification["standard"] == STANDARD
    assert provenance.licence.printed == 1 and provenance.licence.remaining == 2
    report = world.auditor.verify(provenance)
    assert report.ok, report.claims
    assert {c.name for c in report.claims} >= {
        "print.record", "attestation.block", "machine.qualification", "blob.container",
        "blob.quality_report", "blob.wrapped_key", "blob.terms",
    }  # fmt: skip


def test_another_hub_cannot_decrypt_and_a_key_cannot_move_to_another_licence(
    world: World,
) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    licence = world.hub.licence(licence_id)
    from partledger.crypto import WrappedKey, unwrap_dek
    from partledger.sdk.types import to_bytes32
    from partledger.storage import get_bytes

    wrapped = get_bytes(world.ledger.store, licence.wrapped_key_hash[2:])
    with pytest.raises(WrongRecipientError):
        unwrap_dek(
            wrapped, world.other_hub.identity.hpke_key,
            design_id=to_bytes32(design.design_id), licence_id=to_bytes32(licence_id),
        )  # fmt: skip
    with pytest.raises(KeyUnwrapError):
        unwrap_dek(
            WrappedKey.from_bytes(wrapped), world.hub.identity.hpke_key,
            design_id=to_bytes32(design.design_id), licence_id=b"\x01" * 32,
        )  # fmt: skip
    with pytest.raises(LicenceNotUsable, match="belongs to hub"):
        world.other_hub.fetch_design(licence_id, world.data_dir / "stolen.stl")
    assert not (world.data_dir / "stolen.stl").exists()


def test_printing_beyond_the_licence_is_refused_with_the_facts(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id, max_prints=2)
    world.hub.attest_prints([_part(world, licence_id, "A"), _part(world, licence_id, "B")])
    with pytest.raises(LicenceExhausted) as info:
        world.hub.attest_print(_part(world, licence_id, "C"))
    assert info.value.arguments["maxPrints"] == 2 and info.value.arguments["printed"] == 2
    with pytest.raises(LicenceNotUsable, match="all 2 prints used"):
        world.hub.fetch_design(licence_id, world.data_dir / "x.stl")


def test_reused_serial_is_refused(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    world.hub.attest_print(_part(world, licence_id, "SN-1"))
    with pytest.raises(SerialAlreadyUsed):
        world.hub.attest_print(_part(world, licence_id, "SN-1"))


def test_expired_licence_is_refused(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    world.ledger.w3.provider.make_request("evm_increaseTime", [2 * ONE_DAY])  # type: ignore[arg-type]
    world.ledger.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    with pytest.raises(LicenceExpired):
        world.hub.attest_print(_part(world, licence_id, "SN-1"))
    with pytest.raises(LicenceNotUsable, match="expired"):
        world.hub.fetch_design(licence_id, world.data_dir / "x.stl")


def test_revoked_and_suspended_licences_are_refused(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    world.oem.suspend_licence(licence_id, b"audit")
    with pytest.raises(LicenceNotActive):
        world.hub.attest_print(_part(world, licence_id, "SN-1"))
    world.oem.resume_licence(licence_id)
    world.hub.attest_print(_part(world, licence_id, "SN-1"))
    world.oem.revoke_licence(licence_id, b"breach")
    with pytest.raises(LicenceNotActive) as info:
        world.hub.attest_print(_part(world, licence_id, "SN-2"))
    assert info.value.arguments["status"] == 3
    with pytest.raises(LicenceNotUsable, match="status is Revoked"):
        world.hub.fetch_design(licence_id, world.data_dir / "x.stl")


def test_unqualified_machine_is_refused(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    other_machine = world.hub.register_machine("Renishaw", "AM400", "SN-9")
    with pytest.raises(MachineNotQualified):
        world.hub.attest_print(PrintInput(licence_id, "SN-1", other_machine, "LOT-1"))
    world.certifier.revoke_machine(world.machine, STANDARD, b"failed audit")
    with pytest.raises(MachineNotQualified):
        world.hub.attest_print(_part(world, licence_id, "SN-1"))


def test_recall_stops_prints_and_shows_on_provenance(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    world.hub.attest_print(_part(world, licence_id, "SN-1"))
    world.oem.recall(design.design_id, b"crack risk")
    with pytest.raises(DesignUnderRecall):
        world.hub.attest_print(_part(world, licence_id, "SN-2"))
    with pytest.raises(DesignNotLicensable):
        _licence(world, design.design_id)
    provenance = world.auditor.provenance(design.design_id, "SN-1")
    assert provenance.recalled and provenance.design["status"] == "Recalled"
    # genuine, but no longer to be used: the report says so and does not verify
    assert world.auditor.verify(provenance).failed == ["print.in_service"]


def test_tampered_container_is_caught_by_fetch_and_by_verify(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    world.hub.attest_print(_part(world, licence_id, "SN-1"))
    blob = world.ledger.store.path_of(design.container_sha256)  # type: ignore[attr-defined]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.chmod(0o600)
    blob.write_bytes(bytes(data))
    with pytest.raises(BlobCorruptedError):
        world.hub.fetch_design(licence_id, world.data_dir / "x.stl")
    assert not (world.data_dir / "x.stl").exists()
    report = world.auditor.verify(world.auditor.provenance(design.design_id, "SN-1"))
    assert report.failed == ["blob.container"]


def test_altered_record_is_named_by_verify(world: World) -> None:
    import dataclasses

    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    world.hub.attest_print(_part(world, licence_id, "SN-1"))
    honest = world.auditor.provenance(design.design_id, "SN-1")
    forged_record = dataclasses.replace(honest.record, material_lot_hash=b"\x07" * 32)
    forged = dataclasses.replace(honest, record=forged_record)
    report = world.auditor.verify(forged, check_blobs=False)
    assert report.failed == ["print.record"]
    moved = dataclasses.replace(
        honest, attestation=dataclasses.replace(honest.attestation, block_hash="0x" + "00" * 32)
    )
    assert world.auditor.verify(moved, check_blobs=False).failed == ["attestation.block"]


def test_relayed_and_merkle_anchored_prints_have_verified_provenance(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    issued = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=50, valid_until=world.now() + ONE_DAY
    )
    signed = world.hub.sign_attestation(
        _part(world, issued.licence_id, "R-1"), deadline=world.now() + 3600
    )
    relay_attestation(world.ledger, world.certifier.account, signed)  # any funded account
    relayed = world.auditor.provenance(design.design_id, "R-1")
    assert relayed.attestation.kind == "relayed"
    assert world.auditor.verify(relayed).ok

    parts = [_part(world, issued.licence_id, f"M-{i}", report=None) for i in range(20)]
    batch = world.hub.anchor_batch(parts)
    assert world.hub.licence(issued.licence_id).printed == 21
    rebuilt = load_batch(world.ledger, batch.batch_blob)
    anchored = world.auditor.provenance(design.design_id, "M-7", batch=rebuilt)
    assert anchored.attestation.kind == "merkle"
    assert world.auditor.verify(anchored).ok


def test_content_registered_by_another_oem_is_refused_and_nothing_is_left(
    world: World,
    dev_accounts: list,
) -> None:
    from partledger.sdk import Oem, Role

    from .conftest import identity

    source = world.design_file()
    world.oem.register_design(source, METADATA)
    rival = Oem(world.ledger, identity("rival", dev_accounts[5]))
    world.admin.grant(Role.OEM, rival.address)
    blobs_before = set(world.ledger.store.list())
    with pytest.raises(ContentAlreadyRegistered):
        rival.register_design(source, METADATA)
    assert set(world.ledger.store.list()) == blobs_before
    assert world.ledger.journal.pending() == []


def test_only_the_owner_manages_licences_and_revisions_chain(
    world: World, dev_accounts: list
) -> None:
    from partledger.sdk import Oem, Role

    from .conftest import identity

    design = world.oem.register_design(world.design_file("v1.stl"), METADATA)
    licence_id = _licence(world, design.design_id)
    rival = Oem(world.ledger, identity("rival", dev_accounts[5]))
    world.admin.grant(Role.OEM, rival.address)
    with pytest.raises(NotDesignOwner):
        rival.revoke_licence(licence_id, b"mine now")
    v2 = world.oem.revise(design.design_id, world.design_file("v2.stl"), METADATA)
    assert v2.revises == design.design_id
    assert (
        world.ledger.view(
            "DesignRegistry", "latestRevision", bytes.fromhex(design.design_id[2:])
        ).hex()
        == v2.design_id[2:]
    )


def test_registration_needs_an_existing_file(world: World) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.stl"):
        world.oem.register_design(Path(world.data_dir / "missing.stl"), METADATA)


def test_deprecated_design_keeps_existing_licences_but_gets_no_new_ones(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    world.oem.deprecate(design.design_id)
    with pytest.raises(DesignNotLicensable):
        _licence(world, design.design_id)
    world.hub.attest_print(_part(world, licence_id, "SN-1"))
    assert world.hub.licence(licence_id).printed == 1


def test_two_step_ownership_transfer_hands_over_licence_management(
    world: World, dev_accounts: list
) -> None:
    from partledger.sdk import Oem, Role

    from .conftest import identity

    design = world.oem.register_design(world.design_file(), METADATA)
    licence_id = _licence(world, design.design_id)
    buyer = Oem(world.ledger, identity("buyer", dev_accounts[6]))
    world.admin.grant(Role.OEM, buyer.address)
    world.oem.transfer_ownership(design.design_id, buyer.address)
    with pytest.raises(NotDesignOwner):
        buyer.suspend_licence(licence_id, b"not yet mine")
    buyer.accept_ownership(design.design_id)
    buyer.suspend_licence(licence_id, b"mine now")
    assert world.hub.licence(licence_id).status == "Suspended"
    with pytest.raises(NotDesignOwner):
        world.oem.resume_licence(licence_id)


def test_hub_key_rotation_keeps_old_licences_readable_and_new_ones_use_the_new_key(
    world: World,
) -> None:
    from partledger.crypto import HpkePrivateKey

    design = world.oem.register_design(world.design_file(), METADATA)
    old_licence = _licence(world, design.design_id)
    new_key = HpkePrivateKey.generate()
    world.hub.rotate_key(new_key)
    new_licence = _licence(world, design.design_id)
    for licence_id in (old_licence, new_licence):
        out = world.data_dir / f"{licence_id[:10]}.stl"
        assert world.hub.fetch_design(licence_id, out) == design.content_sha256
    from partledger.crypto import WrappedKey
    from partledger.storage import get_bytes

    wrapped = WrappedKey.from_bytes(
        get_bytes(world.ledger.store, world.hub.licence(new_licence).wrapped_key_hash[2:])
    )
    assert wrapped.recipient == new_key.public_key().fingerprint


def test_invalidated_print_shows_on_provenance_and_refunds_only_if_licensed(world: World) -> None:
    design = world.oem.register_design(world.design_file(), METADATA)
    plain = _licence(world, design.design_id)
    refunding = _licence(world, design.design_id, refund_on_invalidate=True)
    a = world.hub.attest_print(_part(world, plain, "A"))
    b = world.hub.attest_print(_part(world, refunding, "B"))
    world.hub.invalidate_print(a.record, b"failed CT scan")
    world.oem.invalidate_print(b.record, b"scrapped")  # the owner's word gives the copy back
    assert world.hub.licence(plain).printed == 1
    assert world.hub.licence(refunding).printed == 0
    provenance = world.auditor.provenance(design.design_id, "A")
    assert provenance.invalidated and not provenance.refunded
    assert world.auditor.verify(provenance).failed == ["print.in_service"]
    assert world.auditor.provenance(design.design_id, "B").refunded
    with pytest.raises(ValueError, match="reason"):
        world.hub.invalidate_print(a.record, b"")


def test_post_quantum_hub_key_is_published_and_round_trips(world: World) -> None:
    from partledger.crypto import HpkeSuiteId

    assert world.other_hub.identity.hpke_key.suite is HpkeSuiteId.MLKEM768_X25519
    design = world.oem.register_design(world.design_file(size=5000), METADATA)
    issued = world.oem.issue_licence(
        design.design_id, world.other_hub.address, max_prints=1,
        valid_until=world.now() + ONE_DAY,
    )  # fmt: skip
    out = world.data_dir / "pq.stl"
    assert world.other_hub.fetch_design(issued.licence_id, out) == design.content_sha256
