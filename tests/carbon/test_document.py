"""The canonical footprint document: build, parse, hash, verify, refuse malformed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from partledger.carbon import (
    DOCUMENT_TYPE,
    Actual,
    Baseline,
    Coordinates,
    InvalidFootprintDocument,
    Leg,
    Mode,
    Tier,
    compute_footprint,
    default_factor_set,
    footprint_document,
    footprint_document_hash,
    parse_footprint_document,
    verify_footprint_document,
)

FS = default_factor_set()


def _footprint() -> Any:
    baseline = Baseline(
        design_id="pump-impeller-r3",
        origin="DEHAM",
        legs=(
            Leg(Mode.SEA, "sea.container_ship.average", "DEHAM", "USBAL", 7_000, Tier.MODELLED),
            Leg(Mode.ROAD, "road.hgv_all_diesel.average_laden", "USBAL", "USORD", 1_150, "primary"),
        ),
        shipped_mass_kg=3,
    )
    actual = Actual(
        hub_locode="USORD",
        process="SLS",
        material="PA12",
        print_energy_kwh=9.75,
        print_energy_tier=Tier.PRIMARY,
        feedstock_mass_kg=0.8,
        feedstock_legs=(
            Leg(Mode.AIR, "air.international_non_uk", "DEFRA", Coordinates(41.9786, -87.9048)),
        ),
        last_mile_legs=(
            Leg(Mode.ROAD, "road.van_average_diesel", "USORD", "USORD", 18.5, Tier.PRIMARY),
        ),
        last_mile_mass_kg=0.7,
    )
    return compute_footprint(baseline, actual, FS)


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_build_then_parse_gives_the_same_footprint_and_the_same_bytes() -> None:
    footprint = _footprint()
    document = footprint_document(footprint)
    parsed = parse_footprint_document(document)
    assert parsed == footprint
    assert footprint_document(parsed) == document


def test_document_is_canonical_json_with_type_and_version() -> None:
    document = footprint_document(_footprint())
    data = json.loads(document)
    assert data["type"] == DOCUMENT_TYPE == "partledger.carbon.footprint"
    assert data["version"] == 1
    assert data["method"] == "ISO 14083:2023 / GLEC Framework v3 method"
    assert data["factor_set"] == {"version": FS.version, "digest": FS.digest}
    assert document == _canonical(data)
    assert footprint_document(_footprint()) == document


def test_document_hash_is_sha256_of_the_bytes() -> None:
    document = footprint_document(_footprint())
    assert footprint_document_hash(document) == hashlib.sha256(document).hexdigest()


def test_verify_accepts_an_untouched_document() -> None:
    document = footprint_document(_footprint())
    result = verify_footprint_document(document, FS)
    assert result.ok
    assert result.mismatches == ()
    assert result.document_sha256 == hashlib.sha256(document).hexdigest()


def test_verify_reports_a_tampered_figure() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["results"]["avoided_kg_co2e"] += 1.0
    result = verify_footprint_document(_canonical(data), FS)
    assert not result.ok
    [mismatch] = result.mismatches
    assert mismatch.field == "$.results.avoided_kg_co2e"
    assert mismatch.stated == pytest.approx(mismatch.recomputed + 1.0)


def test_verify_reports_a_tampered_leg_figure() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["results"]["legs"][1]["kg_co2e"] *= 0.5
    fields = [m.field for m in verify_footprint_document(_canonical(data), FS).mismatches]
    assert fields == ["$.results.legs[1].kg_co2e"]


def test_verify_reports_results_that_do_not_follow_from_tampered_inputs() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["inputs"]["baseline"]["shipped_mass_kg"] = 30.0
    fields = {m.field for m in verify_footprint_document(_canonical(data), FS).mismatches}
    assert "$.results.baseline_kg_co2e" in fields
    assert "$.results.avoided_kg_co2e" in fields


def test_verify_reports_a_document_made_with_another_factor_set() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["factor_set"]["digest"] = "0" * 64
    [mismatch] = verify_footprint_document(_canonical(data), FS).mismatches
    assert mismatch.field == "$.factor_set.digest"


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"type":"something.else","version":1}',
    ],
)
def test_malformed_documents_are_refused(document: bytes) -> None:
    with pytest.raises(InvalidFootprintDocument):
        parse_footprint_document(document)


def test_a_missing_field_is_refused_naming_its_path() -> None:
    data = json.loads(footprint_document(_footprint()))
    del data["inputs"]["actual"]["print_energy_kwh"]
    with pytest.raises(InvalidFootprintDocument, match=r"\$\.inputs\.actual.*print_energy_kwh"):
        parse_footprint_document(_canonical(data))


def test_an_unexpected_field_is_refused() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["results"]["bonus"] = 1
    with pytest.raises(InvalidFootprintDocument, match="unexpected"):
        parse_footprint_document(_canonical(data))


def test_a_figure_of_the_wrong_type_is_refused() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["results"]["actual_kg_co2e"] = "12.5"
    with pytest.raises(InvalidFootprintDocument, match="actual_kg_co2e"):
        parse_footprint_document(_canonical(data))


def test_bad_inputs_inside_a_document_are_refused_as_an_invalid_document() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["inputs"]["baseline"]["shipped_mass_kg"] = -3.0
    with pytest.raises(InvalidFootprintDocument, match="shipped_mass_kg"):
        parse_footprint_document(_canonical(data))


def test_a_non_canonical_encoding_is_refused() -> None:
    data = json.loads(footprint_document(_footprint()))
    with pytest.raises(InvalidFootprintDocument, match="canonical"):
        parse_footprint_document(json.dumps(data, indent=2).encode())


def test_a_wrong_version_is_refused() -> None:
    data = json.loads(footprint_document(_footprint()))
    data["version"] = 2
    with pytest.raises(InvalidFootprintDocument, match="version"):
        parse_footprint_document(_canonical(data))
