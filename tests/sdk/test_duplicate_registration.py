"""Registering content that is on the ledger already changes nothing (issue 11, finding R).

The refusal names the existing design; the OEM's key of that design, the blob store
and the journal stay as they were, so licences issued afterwards still decrypt. When
another registration of the same content wins a race, the losing attempt rolls back
only what it wrote itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partledger.chain.ledger_errors import ContentAlreadyRegistered
from partledger.chain.reverts import ContractRevert
from partledger.errors import PartLedgerError
from partledger.index import Indexer, IndexerConfig
from partledger.reconcile import Options, Reconciler
from partledger.sdk import DesignAlreadyRegistered, Oem, Role
from partledger.sdk.journal import IntentRow

from .conftest import METADATA, ONE_DAY, World, identity


def _intent_count(world: World) -> int:
    with Session(world.ledger.journal.engine) as session:
        return int(session.scalar(select(func.count()).select_from(IntentRow)) or 0)


def _snapshot(world: World, design_id: str) -> dict[str, Any]:
    """What a refused duplicate must leave alone."""
    journal = world.ledger.journal
    return {
        "blobs": sorted(world.ledger.store.list()),
        "key_blob": journal.design_key_blob(design_id),
        "key_id": world.oem.design_key(design_id).key_id,
        "intents": _intent_count(world),
        "pending": journal.pending(),
    }


def _licence_and_fetch(world: World, oem: Oem, design_id: str, source: Path) -> None:
    """A licence issued now wraps the right key: the hub decrypts the design byte-exactly."""
    issued = oem.issue_licence(
        design_id, world.hub.address, max_prints=2, valid_until=world.now() + ONE_DAY
    )
    out = world.data_dir / f"fetched-{issued.licence_id[2:10]}.stl"
    world.hub.fetch_design(issued.licence_id, out)
    assert out.read_bytes() == source.read_bytes()


def _reconcile_findings(world: World) -> list[dict[str, Any]]:
    """Findings of a full reconciliation (no grace for orphans or pending intents)."""
    ledger = world.ledger
    config = IndexerConfig.from_deployment(
        ledger.deployment, ledger.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        f"sqlite:///{world.data_dir / 'index.db'}",
    )  # fmt: skip
    with Indexer(config) as indexer:
        indexer.sync_once()
        options = Options(orphan_grace=timedelta(0), pending_age=timedelta(0))
        report = Reconciler(
            ledger, indexer, quarantine_dir=world.data_dir / "quarantine", options=options
        ).run()
    return [f.to_json() for f in report.findings]


def _when_stored(world: World, action: Callable[[], None]) -> None:
    """Run ``action`` once, right after the next registration has stored its blobs and
    before it sends any transaction (a concurrent registration of the same content)."""
    journal = world.ledger.journal
    original = journal.advance
    fired = False

    def advance(intent_id: str, state: str, **data: Any) -> Any:
        nonlocal fired
        result = original(intent_id, state, **data)
        if state == "stored" and not fired:
            fired = True
            action()
        return result

    journal.advance = advance  # type: ignore[method-assign]


def test_registering_the_same_file_again_is_refused_naming_the_design_and_changes_nothing(
    world: World,
) -> None:
    source = world.design_file()
    design = world.oem.register_design(source, METADATA)
    before = _snapshot(world, design.design_id)

    read: list[int] = []
    with pytest.raises(DesignAlreadyRegistered) as refused:
        world.oem.register_design(source, METADATA, on_progress=read.append)

    error = refused.value
    assert error.design_id == design.design_id
    assert error.content_hash == "0x" + design.content_sha256
    assert f"already registered as design {design.design_id}" in str(error)
    assert isinstance(error, ContentAlreadyRegistered)  # the contract's error, with its args
    assert isinstance(error, PartLedgerError) and isinstance(error, ValueError)
    assert error.arguments["designId"] == bytes.fromhex(design.design_id[2:])
    assert sum(read) == source.stat().st_size  # hashed once, never encrypted
    assert _snapshot(world, design.design_id) == before
    _licence_and_fetch(world, world.oem, design.design_id, source)


def test_a_revision_with_registered_content_is_refused_the_same_way(world: World) -> None:
    source = world.design_file()
    design = world.oem.register_design(source, METADATA)
    before = _snapshot(world, design.design_id)
    with pytest.raises(DesignAlreadyRegistered, match=design.design_id):
        world.oem.revise(design.design_id, source, METADATA)
    assert _snapshot(world, design.design_id) == before


def test_reconcile_after_a_refused_duplicate_finds_no_divergence(world: World) -> None:
    source = world.design_file()
    design = world.oem.register_design(source, METADATA)
    with pytest.raises(DesignAlreadyRegistered):
        world.oem.register_design(source, METADATA)
    assert _reconcile_findings(world) == []
    _licence_and_fetch(world, world.oem, design.design_id, source)


def test_losing_a_race_to_the_same_oems_own_registration_keeps_the_winners_key(
    world: World,
) -> None:
    source = world.design_file()
    winner: dict[str, Any] = {}

    start = set(world.ledger.store.list())

    def register_concurrently() -> None:
        winner["loser_blobs"] = set(world.ledger.store.list()) - start
        twin = Oem(world.ledger, world.oem.identity)  # another process of the same OEM
        design = twin.register_design(source, METADATA)
        winner["design"] = design
        winner["state"] = _snapshot(world, design.design_id)

    _when_stored(world, register_concurrently)
    with pytest.raises(DesignAlreadyRegistered) as refused:
        world.oem.register_design(source, METADATA)

    design = winner["design"]
    assert refused.value.design_id == design.design_id
    after = _snapshot(world, design.design_id)
    assert after["key_blob"] == winner["state"]["key_blob"]
    assert after["key_id"] == winner["state"]["key_id"]
    assert len(winner["loser_blobs"]) == 3  # container, metadata, own wrapped key
    assert set(after["blobs"]) == set(winner["state"]["blobs"]) - winner["loser_blobs"]
    assert after["pending"] == []
    assert _reconcile_findings(world) == []
    _licence_and_fetch(world, world.oem, design.design_id, source)


def test_a_registration_the_chain_refuses_in_a_race_rolls_back_only_its_own_records(
    world: World, dev_accounts: list[LocalAccount]
) -> None:
    source = world.design_file()
    rival = Oem(world.ledger, identity("rival", dev_accounts[5]))
    world.admin.grant(Role.OEM, rival.address)
    winner: dict[str, Any] = {}
    start = set(world.ledger.store.list())

    def rival_registers() -> None:
        winner["loser_blobs"] = set(world.ledger.store.list()) - start
        design = rival.register_design(source, METADATA)
        winner["design"] = design
        winner["state"] = {
            "blobs": set(world.ledger.store.list()),
            "key_blob": world.ledger.journal.design_key_blob(design.design_id),
        }

    _when_stored(world, rival_registers)
    with pytest.raises(DesignAlreadyRegistered) as refused:
        world.oem.register_design(source, METADATA)

    design = winner["design"]
    assert refused.value.design_id == design.design_id
    cause = refused.value.__cause__
    assert isinstance(cause, ContractRevert) and cause.error == "ContentAlreadyRegistered"
    assert len(winner["loser_blobs"]) == 3
    assert set(world.ledger.store.list()) == winner["state"]["blobs"] - winner["loser_blobs"]
    assert world.ledger.journal.design_key_blob(design.design_id) == winner["state"]["key_blob"]
    own_id = "0x" + bytes(
        world.ledger.view(
            "DesignRegistry", "computeDesignId", world.oem.address,
            bytes.fromhex(design.content_sha256),
        )
    ).hex()  # fmt: skip
    assert world.ledger.journal.design_key_blob(own_id) is None
    assert world.ledger.journal.pending() == []
    assert _reconcile_findings(world) == []
    _licence_and_fetch(world, rival, design.design_id, source)
