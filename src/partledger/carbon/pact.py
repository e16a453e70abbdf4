"""PACT v3 ``ProductFootprint`` of a printed part (logistics + hub electricity only).

Target: **WBCSD PACT Technical Specifications for PCF Data Exchange, version
3.0.3** (Release, 2025-11-18), read from ``wbcsd/data-exchange-protocol`` at
commit ``cf4ebedb18d42f3453bcc868e01159321297c09a``: ``spec/v3/openapi.yaml``
(OpenAPI 3.1.0, ``info.version: 3.0.3``, last changed in commit ``2a6e4830``)
and ``spec/v3/index.md``. :func:`validate_product_footprint` re-states that
schema's required properties, types, enums and patterns for
``ProductFootprint`` and ``CarbonFootprint`` (our own code, not a generated
validator).

**What the footprint covers.** PACT footprints follow the PACT Methodology v3
(cradle-to-gate). PartLedger knows only the processes it measures: electricity
used by the hub to print the part, and transport of the feedstock to the hub
(ISO 14083:2023 / GLEC Framework v3 method). The production of the feedstock
material (cradle-to-gate of the powder or filament), post-processing and
packaging are **not** included. The exported footprint therefore is *not* a
full cradle-to-gate PCF; it says so in ``boundaryProcessesDescription``,
``exemptedEmissionsDescription`` and ``comment``, declares
``packagingEmissionsIncluded: false``, lists only ``ISO14083`` in
``crossSectoralStandards`` (not ``PACT-3.0``), and takes the
``exemptedEmissionsPercent`` from the caller (PartLedger cannot know the share
of the excluded processes; it never writes a number it did not compute).
The last mile from the hub to the customer is outbound logistics: per the
schema it is reported separately in ``outboundLogisticsGhgEmissions`` (only
when the reporting company pays for it) and not added to the PCF values.

Values are per declared unit = 1 piece: row total / prints.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from partledger.carbon.disclosure import CarbonRowLike

__all__ = [
    "DEFAULT_SECONDARY_SOURCES",
    "FOOTPRINT_NAMESPACE",
    "PACT_SOURCE",
    "PACT_SPEC_VERSION",
    "Company",
    "InvalidProductFootprint",
    "ProductRecord",
    "footprint_id",
    "product_footprint",
    "validate_product_footprint",
]

PACT_SPEC_VERSION: Final = "3.0.3"
PACT_SOURCE: Final = (
    "wbcsd/data-exchange-protocol@cf4ebedb18d42f3453bcc868e01159321297c09a "
    "spec/v3/openapi.yaml (info.version 3.0.3)"
)
FOOTPRINT_NAMESPACE: Final = uuid.UUID("6f1d2c1e-6a0f-5b55-9d0a-7061637476b3")
"""uuid5 namespace of PartLedger PACT footprint ids (fixed forever)."""

DEFAULT_SECONDARY_SOURCES: Final[tuple[tuple[str, str], ...]] = (
    ("UK Government GHG Conversion Factors for Company Reporting (DESNZ/DEFRA)", "2025"),
    ("Ember Yearly Electricity Data via Our World in Data (carbon_intensity_elec)", "2024"),
)
"""The secondary data behind factor set ``partledger-factors 2026.1`` (docs/carbon.md)."""


class InvalidProductFootprint(ValueError):
    """A ProductFootprint that breaks the PACT v3.0.3 schema; ``errors`` name each field."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class Company:
    """The data owner: name, URN identifiers, and the domain used for ``urn:pact`` ids."""

    name: str
    ids: tuple[str, ...]
    domain: str


@dataclass(frozen=True)
class ProductRecord:
    """The part as the OEM knows it. ``mass_kg``: mass of one piece without packaging."""

    name: str
    part_number: str
    mass_kg: float
    gtin: str | None = None
    description: str | None = None


def footprint_id(design_id: str, period_start: datetime, period_end: datetime) -> str:
    """The stable footprint id: uuid5 over (design id, period start, period end)."""
    name = f"{design_id}|{_datetime(period_start)}|{_datetime(period_end)}"
    return str(uuid.uuid5(FOOTPRINT_NAMESPACE, name))


def _datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"datetime must be timezone-aware: {value!r}")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decimal(value: float, places: int = 9) -> str:
    """A float as a PACT ``Decimal`` string (no exponent), trailing zeros dropped."""
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _gtin_valid(gtin: str) -> bool:
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in gtin]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def _urn_part(text: str) -> str:
    """An identifier made safe for a URN's namespace-specific string."""
    return re.sub(r"[^A-Za-z0-9()+,\-.:=@;$_!*'%]", lambda m: f"%{ord(m.group()):02X}", text)


def product_footprint(
    *,
    design_id: str,
    product: ProductRecord,
    company: Company,
    period_start: datetime,
    period_end: datetime,
    total: CarbonRowLike,
    ipcc_characterization_factors: Sequence[str],
    fossil_carbon_content_kg: float,
    exempted_emissions_percent: float,
    factor_set_version: str,
    last_mile_paid_by_reporting_company: bool = True,
    geography_country: str | None = None,
    secondary_sources: Sequence[tuple[str, str]] = DEFAULT_SECONDARY_SOURCES,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A PACT v3.0.3 ``ProductFootprint`` dict for one design over one period.

    ``total`` is the design's CarbonRow-like total over ``[period_start,
    period_end)`` (``prints`` > 0). The PCF values are
    ``(electricity_kg + feedstock_kg) / prints`` kg CO2e per piece; the last
    mile per piece goes to ``outboundLogisticsGhgEmissions`` when the reporting
    company pays for it. Characterisation factors, the product's fossil carbon
    content and the exempted share must come from the caller's sources.
    """
    if total.prints <= 0:
        raise ValueError("a footprint needs at least one print in the period")
    if _datetime(period_end) <= _datetime(period_start):
        raise ValueError("period_end must be after period_start")
    prints = total.prints
    pcf_kg = (total.electricity_kg + total.feedstock_kg) / prints
    identifiers: list[str] = []
    if product.gtin is not None:
        if not _gtin_valid(product.gtin):
            raise ValueError(f"not a valid GTIN: {product.gtin!r}")
        identifiers.append(f"urn:gtin:{product.gtin}")
    identifiers.append(f"urn:pact:{company.domain}:supplier-id:{_urn_part(product.part_number)}")
    identifiers.append(f"urn:pact:{company.domain}:design-id:{_urn_part(design_id)}")
    boundary = (
        "Included: (1) electricity used by the print hub to print the part (metered kWh x "
        "location-based grid factor); (2) transport of the feedstock to the hub (ISO 14083 / "
        "GLEC, well-to-wheel). Not included: production of the feedstock material "
        "(cradle-to-gate of powder or filament), post-processing, packaging, end of life."
    )
    share_total = total.baseline_kg + total.actual_kg
    default_share = "n/a" if share_total == 0 else f"{100.0 * total.default_kg / share_total:.1f} %"
    comment = (
        f"PartLedger logistics + hub-electricity footprint of {product.name} over {prints} "
        f"attested prints ({_datetime(period_start)} to {_datetime(period_end)}, end "
        f"exclusive). This is NOT a full cradle-to-gate PCF: material production is excluded "
        f"(see boundaryProcessesDescription). Method: ISO 14083:2023 / GLEC Framework v3; "
        f"factor set {factor_set_version}. fossilGhgEmissions equals the total because the "
        f"factors do not separate fossil from biogenic emissions. primaryDataShare is not "
        f"stated: the aggregate does not separate primary from modelled data. Share of "
        f"baseline + actual kg CO2e resting on default-tier data: {default_share}. Avoided "
        f"emissions versus shipping the part are not part of this footprint."
    )
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": "piece",
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": _decimal(product.mass_kg),
        "referencePeriodStart": _datetime(period_start),
        "referencePeriodEnd": _datetime(period_end),
        "pcfExcludingBiogenicUptake": _decimal(pcf_kg),
        "pcfIncludingBiogenicUptake": _decimal(pcf_kg),
        "fossilGhgEmissions": _decimal(pcf_kg),
        "fossilCarbonContent": _decimal(fossil_carbon_content_kg),
        "ipccCharacterizationFactors": list(ipcc_characterization_factors),
        "crossSectoralStandards": ["ISO14083"],
        "productOrSectorSpecificRules": [
            {
                "operator": "Other",
                "ruleNames": ["GLEC Framework v3"],
                "otherOperatorName": "Smart Freight Centre",
            }
        ],
        "boundaryProcessesDescription": boundary,
        "exemptedEmissionsPercent": _decimal(exempted_emissions_percent),
        "exemptedEmissionsDescription": (
            "Production of the feedstock material (cradle-to-gate), post-processing and "
            "packaging are outside PartLedger's data; the percentage is the data owner's "
            "own estimate."
        ),
        "packagingEmissionsIncluded": False,
        "secondaryEmissionFactorSources": [
            {"name": name, "version": version} for name, version in secondary_sources
        ],
    }
    if last_mile_paid_by_reporting_company:
        pcf["outboundLogisticsGhgEmissions"] = _decimal(total.last_mile_kg / prints)
    if geography_country is not None:
        pcf["geographyCountry"] = geography_country
    footprint: dict[str, Any] = {
        "id": footprint_id(design_id, period_start, period_end),
        "specVersion": PACT_SPEC_VERSION,
        "created": _datetime(created or datetime.now(UTC)),
        "status": "Active",
        "companyName": company.name,
        "companyIds": list(company.ids),
        "productDescription": product.description
        or f"Additively manufactured part {product.name} (design {design_id}), printed on "
        f"demand at a licensed hub.",
        "productIds": identifiers,
        "productNameCompany": product.name,
        "comment": comment,
        "pcf": pcf,
    }
    errors = validate_product_footprint(footprint)
    if errors:
        raise InvalidProductFootprint(errors)
    return footprint


# --- validation, from spec/v3/openapi.yaml components.schemas (v3.0.3) ---

_PF_REQUIRED: Final = (
    "id", "specVersion", "created", "status", "companyName", "companyIds",
    "productDescription", "productIds", "productNameCompany", "pcf",
)  # fmt: skip
_PCF_REQUIRED: Final = (
    "declaredUnitOfMeasurement", "declaredUnitAmount", "productMassPerDeclaredUnit",
    "referencePeriodStart", "referencePeriodEnd", "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake", "fossilGhgEmissions", "fossilCarbonContent",
    "ipccCharacterizationFactors", "crossSectoralStandards", "exemptedEmissionsPercent",
)  # fmt: skip
_DECLARED_UNITS: Final = frozenset(
    {"liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule", "ton kilometer",
     "square meter", "piece", "hour", "megabit second"}
)  # fmt: skip
_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_POSITIVE_OR_ZERO = re.compile(r"^[+]?\d+(\.\d+)?$")
_NEGATIVE_OR_ZERO = re.compile(r"^(-\d+(\.\d+)?)|0+(\.0+)?$")
_URN = re.compile(r"^([uU][rR][nN]):")
_SPEC_VERSION = re.compile(r"^\d+\.\d+\.\d+(-\d{8})?$")
_IPCC = re.compile(r"^AR\d+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_PCF_DECIMALS: Final = {
    "productMassPerDeclaredUnit": _DECIMAL,
    "pcfExcludingBiogenicUptake": _DECIMAL,
    "pcfIncludingBiogenicUptake": _DECIMAL,
    "exemptedEmissionsPercent": _DECIMAL,
    "primaryDataShare": _DECIMAL,
    "fossilCarbonContent": _POSITIVE_OR_ZERO,
    "biogenicCarbonContent": _POSITIVE_OR_ZERO,
    "recycledCarbonContent": _POSITIVE_OR_ZERO,
    "fossilGhgEmissions": _POSITIVE_OR_ZERO,
    "landUseChangeGhgEmissions": _POSITIVE_OR_ZERO,
    "aircraftGhgEmissions": _POSITIVE_OR_ZERO,
    "packagingGhgEmissions": _POSITIVE_OR_ZERO,
    "outboundLogisticsGhgEmissions": _POSITIVE_OR_ZERO,
    "landManagementBiogenicCO2Removals": _NEGATIVE_OR_ZERO,
    "biogenicCO2Uptake": _NEGATIVE_OR_ZERO,
}
_REGIONS: Final = frozenset(
    {"Africa", "Americas", "Asia", "Europe", "Oceania", "Australia and New Zealand",
     "Central Asia", "Eastern Asia", "Eastern Europe", "Latin America and the Caribbean",
     "Melanesia", "Micronesia", "Northern Africa", "Northern America", "Northern Europe",
     "Polynesia", "South-eastern Asia", "Southern Asia", "Southern Europe",
     "Sub-Saharan Africa", "Western Asia", "Western Europe"}
)  # fmt: skip


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _string_set(value: object, path: str, errors: list[str], pattern: re.Pattern[str]) -> None:
    if not isinstance(value, list) or not value:
        errors.append(f"{path}: must be a non-empty array")
        return
    if not all(isinstance(item, str) and pattern.match(item) for item in value):
        errors.append(f"{path}: every item must match {pattern.pattern}")
    elif len(set(value)) != len(value):
        errors.append(f"{path}: items must be unique")


def validate_product_footprint(pf: Mapping[str, Any]) -> list[str]:
    """Every way ``pf`` breaks the PACT v3.0.3 ProductFootprint schema (empty if none)."""
    errors: list[str] = []
    for name in _PF_REQUIRED:
        if name not in pf:
            errors.append(f"{name}: required")
    if "id" in pf:
        try:
            uuid.UUID(str(pf["id"]))
            if not isinstance(pf["id"], str):
                raise ValueError
        except ValueError:
            errors.append("id: must be a UUID string")
    if "specVersion" in pf and not (
        isinstance(pf["specVersion"], str) and _SPEC_VERSION.match(pf["specVersion"])
    ):
        errors.append("specVersion: must match major.minor.patch")
    for name in ("created", "validityPeriodStart", "validityPeriodEnd"):
        if name in pf and not _is_datetime(pf[name]):
            errors.append(f"{name}: must be an RFC 3339 date-time")
    if "status" in pf and pf["status"] not in ("Active", "Deprecated"):
        errors.append("status: must be Active or Deprecated")
    for name in ("companyName", "productNameCompany"):
        if name in pf and not (isinstance(pf[name], str) and pf[name]):
            errors.append(f"{name}: must be a non-empty string")
    for name in ("productDescription", "comment"):
        if name in pf and not isinstance(pf[name], str):
            errors.append(f"{name}: must be a string")
    for name in ("companyIds", "productIds", "productClassifications"):
        if name in pf:
            _string_set(pf[name], name, errors, _URN)
    pcf = pf.get("pcf")
    if "pcf" in pf and not isinstance(pcf, Mapping):
        errors.append("pcf: must be an object")
    elif isinstance(pcf, Mapping):
        errors += _validate_pcf(pcf)
    return errors


def _validate_pcf(pcf: Mapping[str, Any]) -> list[str]:
    errors = [f"pcf.{name}: required" for name in _PCF_REQUIRED if name not in pcf]
    if "declaredUnitOfMeasurement" in pcf and pcf["declaredUnitOfMeasurement"] not in (
        _DECLARED_UNITS
    ):
        errors.append("pcf.declaredUnitOfMeasurement: not one of the declared units")
    amount = pcf.get("declaredUnitAmount")
    if "declaredUnitAmount" in pcf and not (
        isinstance(amount, str) and _POSITIVE_OR_ZERO.match(amount) and float(amount) > 0
    ):
        errors.append("pcf.declaredUnitAmount: must be a positive non-zero decimal string")
    for name, pattern in _PCF_DECIMALS.items():
        if name in pcf and not (isinstance(pcf[name], str) and pattern.fullmatch(pcf[name])):
            errors.append(f"pcf.{name}: must be a decimal string matching {pattern.pattern}")
    for name in ("referencePeriodStart", "referencePeriodEnd"):
        if name in pcf and not _is_datetime(pcf[name]):
            errors.append(f"pcf.{name}: must be an RFC 3339 date-time")
    if "ipccCharacterizationFactors" in pcf:
        _string_set(pcf["ipccCharacterizationFactors"], "pcf.ipccCharacterizationFactors",
                    errors, _IPCC)  # fmt: skip
    if "crossSectoralStandards" in pcf:
        _string_set(pcf["crossSectoralStandards"], "pcf.crossSectoralStandards", errors,
                    re.compile(r"^.+$"))  # fmt: skip
    for name in ("packagingEmissionsIncluded", "ccsTechnologicalCO2CaptureIncluded"):
        if name in pcf and not isinstance(pcf[name], bool):
            errors.append(f"pcf.{name}: must be a boolean")
    if pcf.get("packagingEmissionsIncluded") is False and "packagingGhgEmissions" in pcf:
        errors.append("pcf.packagingGhgEmissions: must be undefined when packaging is excluded")
    for name in ("boundaryProcessesDescription", "exemptedEmissionsDescription",
                 "allocationRulesDescription"):  # fmt: skip
        if name in pcf and not isinstance(pcf[name], str):
            errors.append(f"pcf.{name}: must be a string")
    geography = [
        name
        for name in (
            "geographyRegionOrSubregion",
            "geographyCountry",
            "geographyCountrySubdivision",
        )
        if name in pcf
    ]
    if len(geography) > 1:
        errors.append(f"pcf: at most one geography property may be defined, got {geography}")
    if "geographyCountry" in pcf and not _COUNTRY.match(str(pcf["geographyCountry"])):
        errors.append("pcf.geographyCountry: must be ISO 3166-1 alpha-2")
    if "geographyCountrySubdivision" in pcf and not _SUBDIVISION.match(
        str(pcf["geographyCountrySubdivision"])
    ):
        errors.append("pcf.geographyCountrySubdivision: must be ISO 3166-2")
    if "geographyRegionOrSubregion" in pcf and pcf["geographyRegionOrSubregion"] not in _REGIONS:
        errors.append("pcf.geographyRegionOrSubregion: not a UN region or subregion")
    rules = pcf.get("productOrSectorSpecificRules")
    if rules is not None:
        if not isinstance(rules, list) or not rules:
            errors.append("pcf.productOrSectorSpecificRules: must be a non-empty array")
        else:
            for i, rule in enumerate(rules):
                path = f"pcf.productOrSectorSpecificRules[{i}]"
                if not isinstance(rule, Mapping):
                    errors.append(f"{path}: must be an object")
                    continue
                if rule.get("operator") not in ("PEF", "EPD International", "Other"):
                    errors.append(f"{path}.operator: must be PEF, EPD International or Other")
                names = rule.get("ruleNames")
                if not (isinstance(names, list) and names and all(
                    isinstance(n, str) and n for n in names
                )):  # fmt: skip
                    errors.append(f"{path}.ruleNames: must be a non-empty array of strings")
    sources = pcf.get("secondaryEmissionFactorSources")
    if sources is not None:
        if not isinstance(sources, list) or not sources:
            errors.append("pcf.secondaryEmissionFactorSources: must be a non-empty array")
        else:
            for i, source in enumerate(sources):
                if not (
                    isinstance(source, Mapping)
                    and isinstance(source.get("name"), str) and source["name"]
                    and isinstance(source.get("version"), str) and source["version"]
                ):  # fmt: skip
                    errors.append(
                        f"pcf.secondaryEmissionFactorSources[{i}]: needs non-empty name and version"
                    )
    return errors
