"""Inherited OpenZeppelin surface and public constants of both contracts."""

from __future__ import annotations

from eth_utils.crypto import keccak
from ledger_helpers import b32, events

ADMIN = b"\x00" * 32
IERC165 = bytes.fromhex("01ffc9a7")
IACCESS_CONTROL = bytes.fromhex("7965db0b")


def test_constants(world) -> None:
    reg, led = world.registry.functions, world.ledger.functions
    assert reg.DEFAULT_ADMIN_ROLE().call() == ADMIN == led.DEFAULT_ADMIN_ROLE().call()
    assert reg.OEM_ROLE().call() == keccak(text="OEM_ROLE") == led.OEM_ROLE().call()
    assert led.HUB_ROLE().call() == keccak(text="HUB_ROLE")
    assert led.CERTIFIER_ROLE().call() == keccak(text="CERTIFIER_ROLE")
    assert reg.MIN_COMMITMENT_AGE().call() == 1
    assert led.MAX_ANCHOR_ENTRIES().call() == 64


def test_roles_are_administered_by_the_admin(world) -> None:
    for contract, role_fn in ((world.registry, "OEM_ROLE"), (world.ledger, "HUB_ROLE")):
        role = contract.functions[role_fn]().call()
        assert contract.functions.getRoleAdmin(role).call() == ADMIN
        assert contract.functions.hasRole(ADMIN, world.admin.address).call()
        assert not contract.functions.hasRole(ADMIN, world.attacker.address).call()


def test_supports_interface(world) -> None:
    for contract in (world.registry, world.ledger):
        assert contract.functions.supportsInterface(IERC165).call()
        assert contract.functions.supportsInterface(IACCESS_CONTROL).call()
        assert not contract.functions.supportsInterface(b"\xff\xff\xff\xff").call()


def test_renounce_role_needs_confirmation_and_emits(fresh) -> None:
    w = fresh
    role = w.ledger.functions.HUB_ROLE().call()
    assert w.chain.revert_of(w.hub2, w.ledger, "renounceRole", role, w.hub.address) == (
        "AccessControlBadConfirmation",
        (),
    )
    receipt = w.chain.send(w.hub2, w.ledger, "renounceRole", role, w.hub2.address)
    assert events(receipt, w.ledger, "RoleRevoked") == [
        {"role": role, "account": w.hub2.address, "sender": w.hub2.address}
    ]
    assert not w.ledger.functions.hasRole(role, w.hub2.address).call()


def test_non_admin_cannot_grant_roles(fresh) -> None:
    w = fresh
    role = w.ledger.functions.HUB_ROLE().call()
    assert w.chain.revert_of(w.hub, w.ledger, "grantRole", role, w.attacker.address) == (
        "AccessControlUnauthorizedAccount",
        (w.hub.address, ADMIN),
    )


def test_wallet_harness_answers_eip1271(fresh, dev_accounts) -> None:
    w = fresh
    owner = dev_accounts[8]
    wallet = w.chain.deploy(owner, "test/SmartWalletHub", owner.address)
    digest = b32("message")
    signature = owner.unsafe_sign_hash(digest).signature
    assert wallet.functions.isValidSignature(digest, signature).call() == bytes.fromhex("1626ba7e")
    other = w.attacker.unsafe_sign_hash(digest).signature
    assert wallet.functions.isValidSignature(digest, other).call() == b"\xff\xff\xff\xff"
    assert wallet.functions.owner().call() == owner.address
