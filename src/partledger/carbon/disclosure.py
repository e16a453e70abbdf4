"""Scope 3 and ESRS E1 views of aggregated print footprints.

Input: rows shaped like the index aggregation's ``CarbonRow`` (any object with
the attributes of :class:`CarbonRowLike`): either one total row (``key`` None)
or a set of disjoint grouped rows (by month, hub or design). Every number in
the output is a sum of row fields, converted kg -> t (÷ 1000) for ESRS; nothing
is estimated.

Standards referred to:

* **GHG Protocol Corporate Value Chain (Scope 3) Accounting and Reporting
  Standard** (WRI/WBCSD, 2011), reporting company = the OEM, the print hub a
  third party:

  - **Category 1 "Purchased goods and services"**: electricity used by a
    third-party hub to print the part is the hub's Scope 2, and for the OEM it
    is part of a purchased service (the print). It is reported on its own line,
    not mixed with transport.
  - **Category 4 "Upstream transportation and distribution"**: transport of
    feedstock to the hub, and transport and distribution services the
    reporting company pays for, including outbound logistics of sold products.
    By default (``last_mile_paid_by_reporting_company=True``) the last mile
    from the hub to the customer is such a paid service and goes here.
  - **Category 9 "Downstream transportation and distribution"**: transport of
    sold products *not* paid for by the reporting company; the last mile goes
    here when ``last_mile_paid_by_reporting_company=False``.
  - Avoided emissions (baseline - actual) are **not** part of the inventory;
    the GHG Protocol requires them to be reported separately from the Scope 1,
    2 and 3 inventories, never deducted.

* **ESRS E1 "Climate change"** (Commission Delegated Regulation (EU) 2023/2772),
  disclosure requirement **E1-6 "Gross Scopes 1, 2, 3 and Total GHG
  emissions"**: Scope 3 reported in t CO2e per significant Scope 3 category.
  Gross means no deduction of avoided emissions, offsets or removals; avoided
  emissions are shown in a separate memo item (:class:`AvoidedEmissions`).
  Scopes 1 and 2 of the undertaking are outside PartLedger's data and are left
  empty (``None``), never zero.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from partledger.carbon.model import METHOD

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "CATEGORY_NAMES",
    "AvoidedEmissions",
    "CarbonRowLike",
    "E1Disclosure",
    "E1Line",
    "Scope3Line",
    "Scope3View",
    "e1_disclosure",
    "scope3_view",
]

GHG_PROTOCOL: str = "GHG Protocol Corporate Value Chain (Scope 3) Accounting and Reporting Standard"
ESRS_E1: str = "ESRS E1 Climate change, disclosure requirement E1-6"
CATEGORY_NAMES: dict[int, str] = {
    1: "Purchased goods and services",
    4: "Upstream transportation and distribution",
    9: "Downstream transportation and distribution",
}


class CarbonRowLike(Protocol):
    """The shape of the index aggregation's ``CarbonRow`` (kg CO2e)."""

    @property
    def key(self) -> str | None: ...
    @property
    def prints(self) -> int: ...
    @property
    def baseline_kg(self) -> float: ...
    @property
    def actual_kg(self) -> float: ...
    @property
    def avoided_kg(self) -> float: ...
    @property
    def default_kg(self) -> float: ...
    @property
    def electricity_kg(self) -> float: ...
    @property
    def feedstock_kg(self) -> float: ...
    @property
    def last_mile_kg(self) -> float: ...


@dataclass(frozen=True)
class _Sums:
    prints: int
    baseline_kg: float
    actual_kg: float
    avoided_kg: float
    default_kg: float
    electricity_kg: float
    feedstock_kg: float
    last_mile_kg: float
    keys: tuple[str, ...]

    @property
    def default_share(self) -> float | None:
        total = self.baseline_kg + self.actual_kg
        return None if total == 0 else self.default_kg / total


def _sum_rows(rows: Iterable[CarbonRowLike]) -> _Sums:
    """Sum disjoint rows; refuse a total row mixed with grouped rows or a repeated key."""
    items = list(rows)
    keys = [row.key for row in items]
    if None in keys and len(items) > 1:
        raise ValueError("pass either one total row (key None) or grouped rows, not both")
    named = [k for k in keys if k is not None]
    if len(set(named)) != len(named):
        raise ValueError("rows repeat a key; grouped rows must be disjoint")
    return _Sums(
        prints=sum(row.prints for row in items),
        baseline_kg=sum(row.baseline_kg for row in items),
        actual_kg=sum(row.actual_kg for row in items),
        avoided_kg=sum(row.avoided_kg for row in items),
        default_kg=sum(row.default_kg for row in items),
        electricity_kg=sum(row.electricity_kg for row in items),
        feedstock_kg=sum(row.feedstock_kg for row in items),
        last_mile_kg=sum(row.last_mile_kg for row in items),
        keys=tuple(sorted(named)),
    )


def _csv(header: Sequence[str], records: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow(["" if value is None else value for value in record])
    return out.getvalue()


def _fmt(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


class _Exported:
    """A view's JSON forms (the dataclass as a dict; JSON without NaN or infinity)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(cast("DataclassInstance", self))  # a dataclass subclass

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)


@dataclass(frozen=True)
class Scope3Line:
    """One Scope 3 category of the OEM's inventory, with the components it holds."""

    category: int
    category_name: str
    components: tuple[str, ...]
    kg_co2e: float
    note: str


@dataclass(frozen=True)
class AvoidedEmissions:
    """Avoided emissions, a memo item reported beside (never inside) the inventory."""

    baseline_kg_co2e: float
    actual_kg_co2e: float
    avoided_kg_co2e: float
    note: str


@dataclass(frozen=True)
class Scope3View(_Exported):
    """The OEM's Scope 3 view of print footprints (GHG Protocol Scope 3 Standard)."""

    standard: str
    last_mile_paid_by_reporting_company: bool
    prints: int
    keys: tuple[str, ...]
    lines: tuple[Scope3Line, ...]
    total_kg_co2e: float
    avoided: AvoidedEmissions
    default_share: float | None
    notes: tuple[str, ...]

    def to_csv(self) -> str:
        """One row per category, then the avoided memo row (``inventory`` = false)."""
        records: list[Sequence[Any]] = [
            (
                "scope3",
                line.category,
                line.category_name,
                "+".join(line.components),
                repr(line.kg_co2e),
                "true",
            )
            for line in self.lines
        ]
        records.append(
            ("memo", "", "Avoided emissions (not deducted)", "baseline-actual",
             repr(self.avoided.avoided_kg_co2e), "false")
        )  # fmt: skip
        return _csv(
            ("section", "category", "category_name", "components", "kg_co2e", "inventory"),
            records,
        )

    def to_markdown(self) -> str:
        lines = [
            f"**{self.standard}** — {self.prints} prints",
            "",
            "| Category | Name | Components | kg CO2e |",
            "|---:|---|---|---:|",
        ]
        for line in self.lines:
            lines.append(
                f"| {line.category} | {line.category_name} | {', '.join(line.components)} "
                f"| {_fmt(line.kg_co2e, 3)} |"
            )
        lines.append(f"| | **Total (inventory)** | | **{_fmt(self.total_kg_co2e, 3)}** |")
        lines += [
            "",
            "Avoided emissions, reported separately and not deducted from the inventory:",
            "",
            "| Baseline kg CO2e | Actual kg CO2e | Avoided kg CO2e |",
            "|---:|---:|---:|",
            f"| {_fmt(self.avoided.baseline_kg_co2e, 3)} | {_fmt(self.avoided.actual_kg_co2e, 3)}"
            f" | {_fmt(self.avoided.avoided_kg_co2e, 3)} |",
            "",
        ]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


_AVOIDED_NOTE = (
    "Avoided emissions = baseline (the OEM's counterfactual shipment) - actual (printing at "
    "the hub). They are not part of the Scope 1, 2 or 3 inventory and are never deducted "
    "from it (GHG Protocol; ESRS E1)."
)


def scope3_view(
    rows: Iterable[CarbonRowLike], *, last_mile_paid_by_reporting_company: bool = True
) -> Scope3View:
    """Map the actual components of ``rows`` to GHG Protocol Scope 3 categories.

    Print electricity at a third-party hub -> category 1 (a purchased service),
    feedstock transport -> category 4, last mile -> category 4 when the
    reporting company pays for it (the default), else category 9. Categories
    with nothing in them are left out. Baseline emissions never occurred and
    are only used for the separate avoided-emissions memo.
    """
    sums = _sum_rows(rows)
    last_mile_category = 4 if last_mile_paid_by_reporting_company else 9
    lines = [
        Scope3Line(
            1,
            CATEGORY_NAMES[1],
            ("print_electricity",),
            sums.electricity_kg,
            "Electricity a third-party hub uses to print the part: the hub's Scope 2, the "
            "OEM's purchased print service; reported separately from transport.",
        )
    ]
    cat4 = [("feedstock_transport", sums.feedstock_kg)]
    if last_mile_category == 4:
        cat4.append(("last_mile_transport", sums.last_mile_kg))
    lines.append(
        Scope3Line(
            4,
            CATEGORY_NAMES[4],
            tuple(name for name, _ in cat4),
            sum(kg for _, kg in cat4),
            "Feedstock transport to the hub"
            + (
                " and the last mile to the customer, paid for by the reporting company."
                if last_mile_category == 4
                else "."
            ),
        )
    )
    if last_mile_category == 9:
        lines.append(
            Scope3Line(
                9,
                CATEGORY_NAMES[9],
                ("last_mile_transport",),
                sums.last_mile_kg,
                "Last mile from the hub to the customer, not paid for by the reporting company.",
            )
        )
    total = sum(line.kg_co2e for line in lines)
    notes = (
        f"Categories per the {GHG_PROTOCOL}; reporting company = the OEM, hubs are third parties.",
        "Last mile mapped to category "
        f"{last_mile_category} (last_mile_paid_by_reporting_company="
        f"{last_mile_paid_by_reporting_company}).",
        "Only logistics and hub electricity of printed parts are covered; material production "
        "(cradle-to-gate of the feedstock) is not.",
        _AVOIDED_NOTE,
    )
    return Scope3View(
        standard=GHG_PROTOCOL,
        last_mile_paid_by_reporting_company=last_mile_paid_by_reporting_company,
        prints=sums.prints,
        keys=sums.keys,
        lines=tuple(lines),
        total_kg_co2e=total,
        avoided=AvoidedEmissions(sums.baseline_kg, sums.actual_kg, sums.avoided_kg, _AVOIDED_NOTE),
        default_share=sums.default_share,
        notes=notes,
    )


@dataclass(frozen=True)
class E1Line:
    """One line of the E1-6 table; ``t_co2e`` None = not covered by PartLedger data."""

    label: str
    scope: str
    category: int | None
    t_co2e: float | None
    note: str


@dataclass(frozen=True)
class E1Disclosure(_Exported):
    """ESRS E1-6 gross emissions table (Scope 3 part), avoided emissions separate."""

    standard: str
    lines: tuple[E1Line, ...]
    scope3_covered_t_co2e: float
    avoided_t_co2e: float
    baseline_t_co2e: float
    actual_t_co2e: float
    prints: int
    method: str
    factor_set_version: str
    default_share: float | None
    notes: tuple[str, ...]

    def to_csv(self) -> str:
        """The E1-6 lines, then the avoided memo line (``gross`` = false)."""
        records: list[Sequence[Any]] = [
            (line.label, line.scope, line.category,
             None if line.t_co2e is None else repr(line.t_co2e), "true")
            for line in self.lines
        ]  # fmt: skip
        records.append(
            ("Scope 3 (categories covered)", "3", None, repr(self.scope3_covered_t_co2e), "true")
        )
        records.append(
            ("Avoided emissions (memo, not deducted)", "memo", None,
             repr(self.avoided_t_co2e), "false")
        )  # fmt: skip
        return _csv(("label", "scope", "category", "t_co2e", "gross"), records)

    def to_markdown(self) -> str:
        out = [
            f"**{self.standard}** — Gross Scopes 1, 2, 3 and Total GHG emissions (t CO2e)",
            "",
            "| Line | Scope | Category | t CO2e |",
            "|---|---|---:|---:|",
        ]
        for line in self.lines:
            category = "" if line.category is None else str(line.category)
            out.append(f"| {line.label} | {line.scope} | {category} | {_fmt(line.t_co2e, 6)} |")
        out.append(
            f"| **Scope 3, categories covered** | 3 | | **{_fmt(self.scope3_covered_t_co2e, 6)}** |"
        )
        out += [
            "",
            "Avoided emissions (reported separately, not deducted from gross emissions):",
            "",
            "| Baseline t CO2e | Actual t CO2e | Avoided t CO2e |",
            "|---:|---:|---:|",
            f"| {_fmt(self.baseline_t_co2e, 6)} | {_fmt(self.actual_t_co2e, 6)} "
            f"| {_fmt(self.avoided_t_co2e, 6)} |",
            "",
            "Notes:",
            "",
        ]
        out += [f"- {note}" for note in self.notes]
        return "\n".join(out) + "\n"


def e1_disclosure(
    rows: Iterable[CarbonRowLike],
    *,
    factor_set_version: str,
    method: str = METHOD,
    last_mile_paid_by_reporting_company: bool = True,
) -> E1Disclosure:
    """ESRS E1-6 table of the Scope 3 categories in ``rows``, in t CO2e (kg / 1000).

    Scope 1 and Scope 2 lines are present with ``t_co2e`` None: the undertaking
    reports them from its own records. Avoided emissions are in separate
    fields, never subtracted from any line.
    """
    view = scope3_view(
        rows, last_mile_paid_by_reporting_company=last_mile_paid_by_reporting_company
    )
    lines: list[E1Line] = [
        E1Line("Gross Scope 1 GHG emissions", "1", None, None,
               "Not covered by PartLedger data."),
        E1Line("Gross location-based Scope 2 GHG emissions", "2", None, None,
               "Not covered by PartLedger data (hub electricity is the hub's Scope 2)."),
    ]  # fmt: skip
    for line in view.lines:
        lines.append(
            E1Line(
                f"Scope 3 category {line.category}: {line.category_name}",
                "3",
                line.category,
                line.kg_co2e / 1000.0,
                line.note,
            )
        )
    share = view.default_share
    share_text = "n/a (no emissions)" if share is None else f"{share * 100:.1f} %"
    notes = (
        f"Method: {method}; per-print footprints aggregated over {view.prints} prints.",
        f"Factor set: {factor_set_version}.",
        f"Share of baseline + actual kg CO2e resting on default-tier data: {share_text}.",
        f"Scope 3 categories per the {GHG_PROTOCOL}; last mile in category "
        f"{4 if last_mile_paid_by_reporting_company else 9}.",
        "Gross emissions: avoided emissions are reported separately and are not deducted "
        "(ESRS E1; GHG Protocol).",
        "Coverage: logistics and hub electricity of printed parts only; material production "
        "is not included. Scope 1, 2 and Total are left to the undertaking's own inventory.",
    )
    return E1Disclosure(
        standard=ESRS_E1,
        lines=tuple(lines),
        scope3_covered_t_co2e=view.total_kg_co2e / 1000.0,
        avoided_t_co2e=view.avoided.avoided_kg_co2e / 1000.0,
        baseline_t_co2e=view.avoided.baseline_kg_co2e / 1000.0,
        actual_t_co2e=view.avoided.actual_kg_co2e / 1000.0,
        prints=view.prints,
        method=method,
        factor_set_version=factor_set_version,
        default_share=share,
        notes=notes,
    )
