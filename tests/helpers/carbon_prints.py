"""Prints that carry a carbon footprint, for the tests of the footprint index and the reports."""

from __future__ import annotations

import dataclasses
import hashlib

from partledger.carbon import Footprint
from partledger.sdk import PrintInput

BASELINE_DECLARATION = hashlib.sha256(b"baseline declaration").hexdigest()


def part(
    licence_id: str,
    serial: str,
    machine: str,
    lot: str,
    report: bytes | None = None,
    *,
    footprint: Footprint,
) -> PrintInput:
    """A print carrying ``footprint`` (as ``carbon=PrintCarbon(...)`` where the SDK has it)."""
    if "carbon" in {f.name for f in dataclasses.fields(PrintInput)}:
        from partledger.sdk import hub as sdk_hub

        carbon = sdk_hub.PrintCarbon(footprint, BASELINE_DECLARATION)  # type: ignore[attr-defined]
        return PrintInput(licence_id, serial, machine, lot, report, **{"carbon": carbon})
    return PrintInput(licence_id, serial, machine, lot, report, **{"footprint": footprint})
