"""Charts of avoided CO2e: per month (baseline vs actual) and per hub.

Rendered with matplotlib's Agg canvas (no display, no pyplot global state).
Accessible by construction: a title, axis labels with units, every value
written as a text label, and baseline vs actual told apart by hatch pattern
and legend as well as colour. SVG output keeps text as ``<text>`` (readable by
screen readers and searchable) and is deterministic: fixed ``svg.hashsalt``,
no date in the metadata, so the same rows give the same bytes.

Rows have the :class:`~partledger.carbon.disclosure.CarbonRowLike` shape; the
month chart expects keys ``"YYYY-MM"``, the hub chart hub addresses.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any, Literal

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from partledger.carbon.disclosure import CarbonRowLike

__all__ = ["ChartFormat", "avoided_by_hub_chart", "avoided_by_month_chart"]

ChartFormat = Literal["svg", "png"]

_RC: Any = {  # rc_context is typed with a Literal key set
    "svg.hashsalt": "partledger-carbon-charts",
    "svg.fonttype": "none",  # keep text as text
    "font.family": "DejaVu Sans",  # shipped with matplotlib: same output everywhere
    "font.size": 10,
    "hatch.linewidth": 0.8,
}
_BASELINE = ("#9e9e9e", "//", "#424242")  # colour, hatch, edge
_ACTUAL = ("#1b7837", "", "#0b3d1a")
_AVOIDED = ("#2166ac", "#08306b")  # colour, edge
_UNIT = "kg CO2e"


def _kg(value: float) -> str:
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def _prints(n: int) -> str:
    return f"{n} print" if n == 1 else f"{n} prints"


def _hub_label(key: str) -> str:
    """A hub address shortened for the axis (``0x1234ab…cdef``); other keys as given."""
    if len(key) == 42 and key.startswith("0x"):
        return f"{key[:8]}…{key[-4:]}"
    return key


def _render(fig: Figure, fmt: ChartFormat) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    elif fmt == "png":
        fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    else:
        raise ValueError(f"chart format must be 'svg' or 'png', not {fmt!r}")
    return buffer.getvalue()


def _keyed(rows: Iterable[CarbonRowLike], what: str) -> list[CarbonRowLike]:
    items = list(rows)
    keys = [row.key for row in items]
    if any(key is None for key in keys):
        raise ValueError(f"the {what} chart needs rows grouped by {what}, not a total row")
    if len(set(keys)) != len(keys):
        raise ValueError(f"rows repeat a {what}")
    return items


def _empty(fig: Figure, title: str) -> None:
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, "No prints in the period", ha="center", va="center")
    ax.set_axis_off()


def avoided_by_month_chart(rows: Iterable[CarbonRowLike], fmt: ChartFormat = "svg") -> bytes:
    """Bars of baseline vs actual kg CO2e per month, avoided written above each pair."""
    items = sorted(_keyed(rows, "month"), key=lambda row: str(row.key))
    title = "Avoided CO2e per month\nbaseline shipment vs printing at the hub"
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(max(6.0, 1.2 * len(items) + 2.0), 4.5))
        if not items:
            _empty(fig, title)
            return _render(fig, fmt)
        ax = fig.add_subplot()
        xs = list(range(len(items)))
        width = 0.38
        baseline = [row.baseline_kg for row in items]
        actual = [row.actual_kg for row in items]
        bars_b = ax.bar(
            [x - width / 2 for x in xs],
            baseline,
            width,
            label="Baseline (shipment)",
            color=_BASELINE[0],
            hatch=_BASELINE[1],
            edgecolor=_BASELINE[2],
        )
        bars_a = ax.bar(
            [x + width / 2 for x in xs],
            actual,
            width,
            label="Actual (printed)",
            color=_ACTUAL[0],
            hatch=_ACTUAL[1],
            edgecolor=_ACTUAL[2],
        )
        ax.bar_label(bars_b, labels=[_kg(v) for v in baseline], padding=2, fontsize=8)
        ax.bar_label(bars_a, labels=[_kg(v) for v in actual], padding=2, fontsize=8)
        top = max([*baseline, *actual, 0.0])
        for x, row in zip(xs, items, strict=True):
            ax.annotate(
                f"avoided {_kg(row.avoided_kg)}",
                xy=(x, max(row.baseline_kg, row.actual_kg)),
                xytext=(0, 16),
                textcoords="offset points",
                ha="center",
                fontsize=9,
                fontweight="bold",
                color=_AVOIDED[1],
            )
        ax.set_ylim(0, top * 1.3 if top > 0 else 1.0)
        ax.set_xticks(xs, [str(row.key) for row in items])
        ax.set_xlabel("Month (YYYY-MM)")
        ax.set_ylabel(f"Emissions ({_UNIT})")
        ax.set_title(title)
        ax.legend(loc="upper right", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return _render(fig, fmt)


def avoided_by_hub_chart(rows: Iterable[CarbonRowLike], fmt: ChartFormat = "svg") -> bytes:
    """Horizontal bars of avoided kg CO2e per hub, largest first, value written at each bar.

    A negative value (printing emitted more than the baseline) is drawn to the
    left of zero, hatched, and labelled with its sign.
    """
    items = sorted(_keyed(rows, "hub"), key=lambda row: (-row.avoided_kg, str(row.key)))
    title = "Avoided CO2e per hub (baseline - actual)"
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.5, max(2.5, 0.55 * len(items) + 1.6)))
        if not items:
            _empty(fig, title)
            return _render(fig, fmt)
        ax = fig.add_subplot()
        ys = list(range(len(items)))
        values = [row.avoided_kg for row in items]
        bars = ax.barh(
            ys,
            values,
            color=_AVOIDED[0],
            edgecolor=_AVOIDED[1],
            hatch=["" if v >= 0 else "xx" for v in values],
        )
        ax.bar_label(
            bars,
            labels=[f"{_kg(row.avoided_kg)} ({_prints(row.prints)})" for row in items],
            padding=3,
            fontsize=8,
        )
        ax.set_yticks(ys, [_hub_label(str(row.key)) for row in items])
        ax.invert_yaxis()
        low, high = min([*values, 0.0]), max([*values, 0.0])
        span = (high - low) or 1.0
        ax.set_xlim(low - 0.35 * span if low < 0 else 0.0, high + 0.45 * span)
        ax.axvline(0.0, color="#424242", linewidth=0.8)
        ax.set_xlabel(f"Avoided emissions ({_UNIT})")
        ax.set_ylabel("Hub")
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return _render(fig, fmt)
