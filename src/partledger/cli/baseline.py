"""``partledger design baseline``: the OEM declares a design's carbon baseline (signed).

The baseline is the shipment a local print replaces: origin, legs (mode, vehicle class, from,
to, distance where the mode needs one) and shipped mass. The OEM signs it; its blob id goes into
licence terms (``licence issue --carbon-baseline``) and every footprint a hub commits rests on
it. File format: ``docs/carbon.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from partledger.carbon import baseline_from_dict, baseline_to_dict
from partledger.cli.common import (
    EXIT_USAGE,
    Output,
    fail,
    guarded,
    load_identity,
    open_ledger,
    show_fields,
)
from partledger.cli.design import DesignId, design_app
from partledger.sdk import Oem


@design_app.command("baseline")
def declare(
    design_id: DesignId,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The baseline as JSON (docs/carbon.md).")
    ],
    identity: Annotated[str, typer.Option("--as", metavar="NAME", help="The design's OEM.")],
) -> None:
    """Declare (sign and store) the design's carbon baseline; prints its blob id for
    ``licence issue --carbon-baseline``."""
    try:
        document = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        fail(f"cannot read the baseline {file}: {exc}", EXIT_USAGE)
    if isinstance(document, dict) and "design_id" not in document:
        document = {**document, "design_id": design_id.lower()}
    with open_ledger() as ledger, guarded():
        baseline = baseline_from_dict(document, str(file))
        declared = Oem(ledger, load_identity(identity)).declare_baseline(design_id, baseline)
    body = {
        "blob_id": declared.blob_id,
        "design_id": declared.design_id,
        "declared_by": declared.declared_by,
        "baseline": baseline_to_dict(declared.baseline),
    }
    Output.show(body, lambda: show_fields(f"declared the carbon baseline of {design_id}", [
        ("blob id", declared.blob_id), ("declared by", declared.declared_by),
        ("legs", str(len(baseline.legs))), ("shipped mass", f"{baseline.shipped_mass_kg} kg"),
    ]))  # fmt: skip
