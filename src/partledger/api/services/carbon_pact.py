"""The PACT host API's data: one ProductFootprint per design and reporting period, from the
service's index (``print_footprints``, summed by ``CarbonReports``) and the designs' public
product records.

**Reporting periods** (UTC, by the chain's clock): the *calendar year to date*, from 1 January
of the current year to the start of tomorrow (today's prints included), and the *previous full
calendar year*. A design gets a footprint for each period in which at least one of its prints
has an ingested footprint. The year-to-date footprint's id (uuid5 over design and period, see
``partledger.carbon.pact.footprint_id``) changes each day, as its figures may: a recipient
always gets one id per set of figures.

**Settings** (environment variables, read when the app is built):

* ``PARTLEDGER_PACT_COMPANY_NAME``: the data owner's name (``companyName``);
* ``PARTLEDGER_PACT_COMPANY_ID``: its identifier(s), URNs, comma-separated (``companyIds``);
* ``PARTLEDGER_PACT_COMPANY_DOMAIN``: the domain of the ``urn:pact:<domain>:…`` product ids
  (default: taken from a ``urn:pact:<domain>:…`` company id);
* ``PARTLEDGER_PACT_EXEMPTED_PERCENT``: the owner's estimate of the share of the excluded
  processes (material production, post-processing, packaging); PartLedger cannot compute it;
* ``PARTLEDGER_PACT_PRODUCT_MASS_KG``: ``<design id or GTIN>=<kg>`` pairs, comma-separated:
  the mass of one piece (``productMassPerDeclaredUnit``); a design without one is left out;
* ``PARTLEDGER_PACT_FOSSIL_CARBON_CONTENT_KG`` (default ``0``: metal parts) and
  ``PARTLEDGER_PACT_IPCC_FACTORS`` (default ``AR5``, comma-separated).

Without the company name, id, domain or exempted share the source is not built (a log line
says which setting is missing) and the PACT routes answer 404, as without client credentials.

Product ids: ``urn:gtin:<GTIN>`` from the public product record when it declares one, the
part number (or else the design id) as ``urn:pact:<domain>:supplier-id:…``, and the design id
as ``urn:pact:<domain>:design-id:…``. The product name is the record's name, or the design id.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine, select

from partledger.api.services.products import ProductRecords
from partledger.carbon.pact import Company, ProductRecord, product_footprint
from partledger.index import schema
from partledger.index.carbon_queries import CarbonReports
from partledger.index.footprints import INGESTED
from partledger.index.queries import to_bytes

__all__ = [
    "ENV",
    "IndexFootprintSource",
    "PactSettings",
    "index_footprint_source",
    "pact_settings",
    "reporting_periods",
]

log = logging.getLogger(__name__)

ENV: Final = {
    "company_name": "PARTLEDGER_PACT_COMPANY_NAME",
    "company_ids": "PARTLEDGER_PACT_COMPANY_ID",
    "domain": "PARTLEDGER_PACT_COMPANY_DOMAIN",
    "exempted": "PARTLEDGER_PACT_EXEMPTED_PERCENT",
    "masses": "PARTLEDGER_PACT_PRODUCT_MASS_KG",
    "fossil": "PARTLEDGER_PACT_FOSSIL_CARBON_CONTENT_KG",
    "ipcc": "PARTLEDGER_PACT_IPCC_FACTORS",
}


@dataclass(frozen=True)
class PactSettings:
    """What a ProductFootprint needs beyond the index: the data owner and its own statements."""

    company: Company
    exempted_emissions_percent: float
    masses_kg: Mapping[str, float]
    """Mass of one piece by design id (lower-case 0x hex) or GTIN (as declared)."""
    fossil_carbon_content_kg: float = 0.0
    ipcc_characterization_factors: tuple[str, ...] = ("AR5",)


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name}={text!r} must be a finite number >= 0")
    return value


def pact_settings(env: Mapping[str, str] | None = None) -> PactSettings | None:
    """The settings from the environment, or None (logged: which one is missing or wrong)."""
    env = os.environ if env is None else env
    name = env.get(ENV["company_name"], "").strip()
    ids = tuple(i.strip() for i in env.get(ENV["company_ids"], "").split(",") if i.strip())
    domain = env.get(ENV["domain"], "").strip()
    if not domain:
        pact = [i for i in ids if i.lower().startswith("urn:pact:") and i.count(":") >= 3]
        domain = pact[0].split(":")[2] if pact else ""
    missing = [
        ENV[key]
        for key, value in (("company_name", name), ("company_ids", ids), ("domain", domain),
                           ("exempted", env.get(ENV["exempted"], "").strip()))
        if not value
    ]  # fmt: skip
    if missing:
        log.warning("PACT exchange disabled: %s not set", ", ".join(missing))
        return None
    if not all(i.lower().startswith("urn:") for i in ids):
        log.warning("PACT exchange disabled: %s must be URNs (urn:…)", ENV["company_ids"])
        return None
    try:
        exempted = _number(ENV["exempted"], env[ENV["exempted"]].strip())
        fossil = _number(ENV["fossil"], env.get(ENV["fossil"], "0").strip() or "0")
        masses: dict[str, float] = {}
        for pair in env.get(ENV["masses"], "").split(","):
            if not pair.strip():
                continue
            key, sep, kg = pair.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"{ENV['masses']}: {pair!r} is not <design id or GTIN>=<kg>")
            masses[key.strip().lower()] = _number(ENV["masses"], kg.strip())
    except ValueError as exc:
        log.warning("PACT exchange disabled: %s", exc)
        return None
    ipcc = tuple(i.strip() for i in env.get(ENV["ipcc"], "AR5").split(",") if i.strip())
    return PactSettings(Company(name, ids, domain), exempted, masses, fossil, ipcc or ("AR5",))


def reporting_periods(now: int) -> list[tuple[datetime, datetime]]:
    """``[(year-to-date start, start of tomorrow), (previous year start, this year start)]``
    for the Unix time ``now`` (UTC)."""
    moment = datetime.fromtimestamp(now, UTC)
    year = datetime(moment.year, 1, 1, tzinfo=UTC)
    tomorrow = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return [(year, tomorrow), (datetime(moment.year - 1, 1, 1, tzinfo=UTC), year)]


class IndexFootprintSource:
    """A ``FootprintSource`` (``partledger.api.routers.pact``) over the service's index."""

    def __init__(
        self,
        index_engine: Engine,
        products: ProductRecords,
        settings: PactSettings,
        now: Callable[[], int],
    ) -> None:
        self.reports = CarbonReports(index_engine)
        self.index_engine = index_engine
        self.products = products
        self.settings = settings
        self.now = now
        self._unweighed: set[str] = set()

    def _factor_sets(self, design: str, start: int, end: int) -> str:
        f = schema.print_footprints.c
        query = (
            select(f.factor_set_version)
            .where(f.status == INGESTED, f.design_id == to_bytes(design, 32))
            .where(f.block_time >= start, f.block_time < end)
            .distinct()
        )
        with self.index_engine.connect() as conn:
            versions = sorted({str(v) for (v,) in conn.execute(query) if v})
        return ", ".join(versions) or "unknown"

    def _product(self, design: str) -> ProductRecord | None:
        record = self.products.get(design) or {}
        gtin = record.get("gtin")
        masses = self.settings.masses_kg
        mass = masses.get(design.lower())
        if mass is None and gtin:
            mass = masses.get(str(gtin).lower(), masses.get(str(gtin).lstrip("0")))
        if mass is None:
            if design not in self._unweighed:
                self._unweighed.add(design)
                log.warning(
                    "PACT: design %s has footprints but no mass in %s: left out",
                    design, ENV["masses"],
                )  # fmt: skip
            return None
        return ProductRecord(
            name=record.get("name") or design,
            part_number=record.get("part_number") or design,
            mass_kg=mass,
            gtin=gtin or None,
            description=record.get("description") or None,
        )

    def footprints(self) -> list[dict[str, Any]]:
        """One footprint per design with footprints, per reporting period (newest first)."""
        now = self.now()
        created = datetime.fromtimestamp(now, UTC)
        found: list[dict[str, Any]] = []
        for start, end in reporting_periods(now):
            since, until = int(start.timestamp()), int(end.timestamp())
            rows = self.reports.carbon_totals(since=since, until=until, group_by="design")
            for row in rows:
                design = str(row.key)
                product = self._product(design)
                if product is None:
                    continue
                found.append(
                    product_footprint(
                        design_id=design,
                        product=product,
                        company=self.settings.company,
                        period_start=start,
                        period_end=end,
                        total=row,
                        ipcc_characterization_factors=self.settings.ipcc_characterization_factors,
                        fossil_carbon_content_kg=self.settings.fossil_carbon_content_kg,
                        exempted_emissions_percent=self.settings.exempted_emissions_percent,
                        factor_set_version=self._factor_sets(design, since, until),
                        created=created,
                    )
                )
        return found


def index_footprint_source(
    index_engine: Engine | None,
    products: ProductRecords,
    now: Callable[[], int],
    env: Mapping[str, str] | None = None,
) -> IndexFootprintSource | None:
    """The service's source, or None: PACT off (no client id), or (logged) without the index or
    the PACT settings."""
    env = os.environ if env is None else env
    if not env.get("PARTLEDGER_PACT_CLIENT_ID"):
        return None
    settings = pact_settings(env)
    if settings is None:
        return None
    if index_engine is None:
        log.warning("PACT exchange disabled: the service's index is off (PARTLEDGER_API_INDEXER)")
        return None
    return IndexFootprintSource(index_engine, products, settings, now)
