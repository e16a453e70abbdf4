"""PACT v3.0.3 ProductFootprint: required fields, types, honest boundary, stable ids."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from helpers.carbon_rows import Row
from partledger.carbon.pact import (
    PACT_SPEC_VERSION,
    Company,
    InvalidProductFootprint,
    ProductRecord,
    footprint_id,
    product_footprint,
    validate_product_footprint,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
TOTAL = Row("pump-impeller-r3", 4, 40.0, 12.0, 28.0, 44.0, 6.0, 4.0, 2.0)
COMPANY = Company("Acme Pumps GmbH", ("urn:pact:acme.example:company-id:1",), "acme.example")
PRODUCT = ProductRecord("Pump impeller R3", "PI-R3/316L", 1.1, gtin="4006381333931")


def _build(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "design_id": "pump-impeller-r3",
        "product": PRODUCT,
        "company": COMPANY,
        "period_start": START,
        "period_end": END,
        "total": TOTAL,
        "ipcc_characterization_factors": ["AR5"],
        "fossil_carbon_content_kg": 0.0,
        "exempted_emissions_percent": 0.0,
        "factor_set_version": "partledger-factors 2026.1",
        "created": datetime(2026, 4, 2, 8, 0, tzinfo=UTC),
    }
    kwargs.update(overrides)
    return product_footprint(**kwargs)


def test_footprint_has_every_required_property_of_pact_3_0_3() -> None:
    pf = _build()
    assert validate_product_footprint(pf) == []
    for name in ("id", "specVersion", "created", "status", "companyName", "companyIds",
                 "productDescription", "productIds", "productNameCompany", "pcf"):  # fmt: skip
        assert name in pf
    for name in ("declaredUnitOfMeasurement", "declaredUnitAmount", "productMassPerDeclaredUnit",
                 "referencePeriodStart", "referencePeriodEnd", "pcfExcludingBiogenicUptake",
                 "pcfIncludingBiogenicUptake", "fossilGhgEmissions", "fossilCarbonContent",
                 "ipccCharacterizationFactors", "crossSectoralStandards",
                 "exemptedEmissionsPercent"):  # fmt: skip
        assert name in pf["pcf"]
    assert pf["specVersion"] == PACT_SPEC_VERSION == "3.0.3"
    assert pf["status"] == "Active"
    assert pf["created"] == "2026-04-02T08:00:00Z"


def test_values_are_per_piece_and_exclude_the_last_mile_from_the_pcf() -> None:
    pcf = _build()["pcf"]
    assert pcf["declaredUnitOfMeasurement"] == "piece"
    assert pcf["declaredUnitAmount"] == "1"
    assert pcf["productMassPerDeclaredUnit"] == "1.1"
    assert pcf["pcfExcludingBiogenicUptake"] == "2.5"  # (6 + 4) / 4
    assert pcf["pcfIncludingBiogenicUptake"] == "2.5"
    assert pcf["fossilGhgEmissions"] == "2.5"
    assert pcf["outboundLogisticsGhgEmissions"] == "0.5"  # 2 / 4, reported separately
    assert pcf["referencePeriodStart"] == "2026-01-01T00:00:00Z"
    assert pcf["referencePeriodEnd"] == "2026-04-01T00:00:00Z"


def test_outbound_logistics_is_undefined_when_the_customer_pays_the_last_mile() -> None:
    pcf = _build(last_mile_paid_by_reporting_company=False)["pcf"]
    assert "outboundLogisticsGhgEmissions" not in pcf
    assert pcf["pcfExcludingBiogenicUptake"] == "2.5"


def test_boundary_is_stated_honestly() -> None:
    pf = _build()
    pcf = pf["pcf"]
    assert pcf["crossSectoralStandards"] == ["ISO14083"]  # not PACT-3.0: not cradle-to-gate
    assert pcf["packagingEmissionsIncluded"] is False
    assert "packagingGhgEmissions" not in pcf
    assert (
        "Not included: production of the feedstock material"
        in (pcf["boundaryProcessesDescription"])
    )
    assert "feedstock material" in pcf["exemptedEmissionsDescription"]
    assert "NOT a full cradle-to-gate PCF" in pf["comment"]
    assert "partledger-factors 2026.1" in pf["comment"]
    assert "primaryDataShare" not in pcf  # not derivable from the aggregate


def test_product_ids_are_urns_with_gtin_part_number_and_design() -> None:
    pf = _build()
    assert pf["productIds"] == [
        "urn:gtin:4006381333931",
        "urn:pact:acme.example:supplier-id:PI-R3%2F316L",
        "urn:pact:acme.example:design-id:pump-impeller-r3",
    ]
    no_gtin = _build(product=ProductRecord("Bracket", "BR-1", 0.2))
    assert no_gtin["productIds"][0] == "urn:pact:acme.example:supplier-id:BR-1"
    with pytest.raises(ValueError, match="GTIN"):
        _build(product=ProductRecord("Bracket", "BR-1", 0.2, gtin="4006381333932"))


def test_id_is_a_stable_uuid5_of_design_and_period() -> None:
    a = _build()["id"]
    b = _build(created=datetime(2027, 1, 1, tzinfo=UTC))["id"]
    assert a == b == footprint_id("pump-impeller-r3", START, END)
    assert uuid.UUID(a).version == 5
    other = footprint_id("pump-impeller-r3", START, datetime(2026, 7, 1, tzinfo=UTC))
    assert other != a
    assert footprint_id("other", START, END) != a


def test_geography_country_is_checked() -> None:
    assert _build(geography_country="BR")["pcf"]["geographyCountry"] == "BR"
    with pytest.raises(InvalidProductFootprint, match="geographyCountry"):
        _build(geography_country="Brazil")


def test_refuses_zero_prints_bad_periods_and_bad_ipcc_versions() -> None:
    with pytest.raises(ValueError, match="at least one print"):
        _build(total=Row("d", 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="after"):
        _build(period_end=START)
    with pytest.raises(ValueError, match="timezone"):
        _build(period_start=datetime(2026, 1, 1))
    with pytest.raises(InvalidProductFootprint, match="ipccCharacterizationFactors"):
        _build(ipcc_characterization_factors=["GWP100"])
    with pytest.raises(InvalidProductFootprint, match="ipccCharacterizationFactors"):
        _build(ipcc_characterization_factors=[])


def test_decimals_are_strings_without_exponents() -> None:
    pcf = _build(total=Row("d", 3, 1.0, 1e-7, 0.0, 0.0, 1e-7, 0.0, 0.0))["pcf"]
    assert pcf["pcfExcludingBiogenicUptake"] == "0.000000033"
    assert "e" not in pcf["pcfExcludingBiogenicUptake"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("id",), "not-a-uuid", "id"),
        (("specVersion",), "3.0", "specVersion"),
        (("status",), "Draft", "status"),
        (("companyIds",), [], "companyIds"),
        (("companyIds",), ["acme"], "companyIds"),
        (("productIds",), ["urn:gtin:1", "urn:gtin:1"], "unique"),
        (("companyName",), "", "companyName"),
        (("created",), "2026-04-02", "created"),
        (("pcf", "declaredUnitOfMeasurement"), "pieces", "declaredUnitOfMeasurement"),
        (("pcf", "declaredUnitAmount"), "0", "declaredUnitAmount"),
        (("pcf", "fossilGhgEmissions"), "-1", "fossilGhgEmissions"),
        (("pcf", "pcfExcludingBiogenicUptake"), 2.5, "pcfExcludingBiogenicUptake"),
        (("pcf", "exemptedEmissionsPercent"), "1e-3", "exemptedEmissionsPercent"),
        (("pcf", "packagingEmissionsIncluded"), "no", "packagingEmissionsIncluded"),
        (("pcf", "geographyRegionOrSubregion"), "Europe", "at most one geography"),
    ],
)
def test_validator_names_each_schema_violation(
    path: tuple[str, ...], value: object, message: str
) -> None:
    pf = copy.deepcopy(_build(geography_country="DE"))
    target = pf
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    errors = validate_product_footprint(pf)
    assert any(message in error for error in errors), errors


@pytest.mark.parametrize("name", ["id", "pcf", "productIds", "productNameCompany"])
def test_validator_reports_missing_required_properties(name: str) -> None:
    pf = _build()
    del pf[name]
    assert f"{name}: required" in validate_product_footprint(pf)


def test_validator_reports_missing_required_pcf_properties() -> None:
    pf = _build()
    del pf["pcf"]["fossilCarbonContent"]
    del pf["pcf"]["crossSectoralStandards"]
    errors = validate_product_footprint(pf)
    assert "pcf.fossilCarbonContent: required" in errors
    assert "pcf.crossSectoralStandards: required" in errors
