"""Reconciler fixtures: a small story on the SDK world, and a reconciler over its index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from helpers.world import METADATA, ONE_DAY, STANDARD, World
from partledger.index import Indexer, IndexerConfig
from partledger.reconcile import Options, Reconciler
from partledger.sdk import PrintInput


@pytest.fixture
def story(world: World) -> World:
    """A design, a licence and two prints (one with a quality report)."""
    design = world.oem.register_design(world.design_file(), METADATA)
    issued = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5, valid_until=world.now() + ONE_DAY,
        required_standard=STANDARD,
    )  # fmt: skip
    world.hub.attest_print(PrintInput(issued.licence_id, "A", world.machine, "L", b"report A"))
    world.hub.attest_print(PrintInput(issued.licence_id, "B", world.machine, "L"))
    world.design_id = design.design_id  # type: ignore[attr-defined]
    world.container = design.container_sha256  # type: ignore[attr-defined]
    world.licence = issued  # type: ignore[attr-defined]
    return world


@pytest.fixture
def reconciler(story: World, anvil: object) -> Iterator[Reconciler]:
    ledger = story.ledger
    config = IndexerConfig.from_deployment(
        ledger.deployment, ledger.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        f"sqlite:///{story.data_dir / 'index.db'}",
    )  # fmt: skip
    with Indexer(config) as indexer:
        indexer.sync_once()
        options = Options(orphan_grace=timedelta(seconds=0), pending_age=timedelta(seconds=0))
        yield Reconciler(
            ledger, indexer, quarantine_dir=story.data_dir / "quarantine", options=options
        )
