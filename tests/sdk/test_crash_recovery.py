"""SIGKILL at every step of registration and licence issuance; the next run repairs it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from partledger.sdk.types import ZERO32, to_bytes32

from .conftest import METADATA, ONE_DAY, World

CHILD = Path(__file__).with_name("crash_child.py")
REGISTER_STEPS = [
    "begin", "container_stored", "metadata_stored", "stored", "commit_signed", "sent:1",
    "register_signed", "sent:2",
]  # fmt: skip
ISSUE_STEPS = ["begin", "stored", "issue_signed", "sent:1"]


def _run_child(
    world: World, operation: str, kill_at: str, *args: str
) -> subprocess.CompletedProcess[str]:
    oem = world.oem
    return subprocess.run(
        [
            sys.executable, str(CHILD), world.ledger.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
            str(world.data_dir / "rec.json"), str(world.data_dir / "data"),
            oem.identity.eth_private_key.hex(), oem.identity.hpke_key.to_bytes().hex(),
            operation, kill_at, *args,
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("kill_at", REGISTER_STEPS)
def test_registration_killed_at_any_step_completes_or_rolls_back(
    world: World, kill_at: str
) -> None:
    source = world.design_file(size=50_000)
    before = set(world.ledger.store.list())
    child = _run_child(world, "register", kill_at, str(source))
    assert child.returncode == -9, child.stdout + child.stderr

    outcome = world.oem.recover()
    assert len(outcome) == 1, outcome
    assert world.ledger.journal.pending() == []
    content = to_bytes32(hashlib.sha256(source.read_bytes()).hexdigest())
    design_id = world.ledger.view("DesignRegistry", "designIdOfContent", content)
    added = set(world.ledger.store.list()) - before
    if "completed" in outcome[0]:
        assert design_id != ZERO32
        d = world.ledger.view("DesignRegistry", "design", design_id)
        assert {bytes(d[4]).hex(), bytes(d[5]).hex()} <= added  # container + metadata kept
        assert len(added) == 3  # + the OEM's own wrapped key; nothing else
    else:
        assert design_id == ZERO32
        assert "rolled back" in outcome[0]
        # a blob written but not yet journaled (killed between put and journal) is an orphan
        # for the reconciler; everything the journal knew of is gone
        assert len(added) <= 1
        registered = world.oem.register_design(source, METADATA)  # the retry works
        assert registered.content_sha256 == content.hex()


@pytest.mark.parametrize("kill_at", ISSUE_STEPS)
def test_licence_issuance_killed_at_any_step_completes_or_rolls_back(
    world: World, kill_at: str
) -> None:
    design = world.oem.register_design(world.design_file(size=10_000), METADATA)
    before = set(world.ledger.store.list())
    until = str(world.now() + ONE_DAY)
    child = _run_child(world, "issue", kill_at, design.design_id, world.hub.address, until)
    assert child.returncode == -9, child.stdout + child.stderr

    outcome = world.oem.recover()
    assert len(outcome) == 1, outcome
    assert world.ledger.journal.pending() == []
    count = world.ledger.view("PrintLedger", "licenceCount", to_bytes32(design.design_id))
    added = set(world.ledger.store.list()) - before
    if "was issued" in outcome[0]:
        assert count == 1
        licence = world.hub.licences()[0]
        assert {licence.wrapped_key_hash[2:], licence.terms_hash[2:]} == added
        world.hub.fetch_design(licence.licence_id, world.data_dir / "ok.stl")
    else:
        assert count == 0
        assert len(added) <= 1
        world.oem.issue_licence(
            design.design_id, world.hub.address, max_prints=1, valid_until=int(until)
        )
