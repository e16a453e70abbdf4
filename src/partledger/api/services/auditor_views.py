"""The auditor views: rows for the prints, licence usage and qualifications pages, and CSV.

Everything is read from the service's SQL index (``IndexReader``); without it the views
are unavailable (503). Times are ISO 8601 in UTC; ids and hashes ``0x`` hex. Only serial
*hashes* are on-chain, so a print row names its serial hash, not its serial number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from partledger.api.services.errors import InvalidRequest, Unavailable
from partledger.index import IndexReader
from partledger.sdk.types import decode_standard

DAY = 86_400
PRINT_COLUMNS = (
    "serial_hash", "licence_id", "design_id", "hub", "machine_id", "attestation", "leaf_index",
    "block_number", "tx_hash", "time", "confirmed",
)  # fmt: skip
LICENCE_COLUMNS = (
    "licence_id", "design_id", "hub", "status", "used", "max_prints", "remaining",
    "valid_from", "valid_until", "expired",
)  # fmt: skip
QUALIFICATION_COLUMNS = (
    "subject", "subject_kind", "standard", "certifier", "valid_from", "valid_until",
    "days_left", "status",
)  # fmt: skip


def iso(timestamp: int | None) -> str:
    """A unix time as ISO 8601 UTC (``2026-12-02T19:05:00Z``); empty for none."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(value: str | None, name: str, *, end_of_day: bool = False) -> int | None:
    """An ISO date (``2026-12-02``) or date-time as a unix time (naive times are UTC). A bare
    date is the day's start, or its last second with ``end_of_day`` (``until`` is inclusive)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min, UTC)
            return int(moment.timestamp())
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequest(f"{name}: not an ISO 8601 date or date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """A header row, then one row per item (RFC 4180, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


@dataclass(frozen=True)
class PrintsPage:
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class AuditorViews:
    """Builds the rows of the auditor pages from the index (``None``: the index is off)."""

    def __init__(self, index: IndexReader | None) -> None:
        self._index = index

    @property
    def index(self) -> IndexReader:
        if self._index is None:
            raise Unavailable(
                "the auditor views read the service's index, which is off on this service "
                "(PARTLEDGER_API_INDEXER=false)"
            )
        return self._index

    def prints(
        self,
        *,
        hub: str | None,
        design_id: str | None,
        since: str | None,
        until: str | None,
        limit: int,
        offset: int,
    ) -> PrintsPage:
        """Prints (attested directly or anchored in a batch), newest first: one page of them
        and how many match in all."""
        start = parse_when(since, "since")
        end = parse_when(until, "until", end_of_day=True)
        if start is not None and end is not None and start > end:
            raise InvalidRequest("since is after until")
        records, total = self.index.find_prints(
            hub=hub, design_id=design_id, since=start, until=end, limit=limit, offset=offset
        )
        rows = [
            {
                "serial_hash": p.serial,
                "licence_id": p.licence_id,
                "design_id": p.design_id,
                "hub": p.hub,
                "machine_id": p.machine_id,
                "attestation": p.kind,
                "leaf_index": "" if p.leaf_index is None else p.leaf_index,
                "block_number": p.position.block_number,
                "tx_hash": p.position.tx_hash,
                "time": iso(p.position.block_time),
                "confirmed": "yes" if p.position.confirmed else "no",
            }
            for p in records
        ]
        return PrintsPage(rows, total, limit, offset)

    def licences(self, *, hub: str | None, design_id: str | None, now: int) -> list[dict[str, Any]]:
        """Licence usage: prints used and remaining of each licence, status and validity."""
        rows = []
        for lic in self.index.find_licences(hub=hub, design_id=design_id):
            used = max(0, lic.printed)
            remaining = max(0, lic.max_prints - used)
            share = 0 if lic.max_prints <= 0 else min(100, round(100 * used / lic.max_prints))
            rows.append(
                {
                    "licence_id": lic.licence_id,
                    "design_id": lic.design_id,
                    "hub": lic.hub,
                    "status": lic.status,
                    "used": used,
                    "max_prints": lic.max_prints,
                    "remaining": remaining,
                    "percent_used": share,
                    "valid_from": iso(lic.valid_from),
                    "valid_until": iso(lic.valid_until),
                    "expired": "yes" if lic.valid_until < now else "no",
                }
            )
        return rows

    def qualifications(self, *, within_days: int, now: int) -> list[dict[str, Any]]:
        """Qualifications whose validity ends within ``within_days`` of ``now`` (already expired
        ones included), and every revoked one; soonest end first, each with its status."""
        horizon = now + within_days * DAY
        rows = []
        for q in self.index.all_qualifications():
            until = q.valid_until
            due = until is not None and until <= horizon
            if not (due or q.revoked):
                continue
            if q.revoked:
                status = "revoked"
            elif until is not None and until < now:
                status = "expired"
            else:
                status = "expiring"
            days_left = None if until is None else (until - now) // DAY
            subject_kind = "hub" if q.subject.startswith("0x" + "00" * 12) else "machine"
            subject = "0x" + q.subject[-40:] if subject_kind == "hub" else q.subject
            rows.append(
                {
                    "subject": subject,
                    "subject_kind": subject_kind,
                    "standard": decode_standard(bytes.fromhex(q.standard[2:])),
                    "certifier": q.certifier,
                    "valid_from": iso(q.valid_from),
                    "valid_until": iso(until),
                    "valid_until_unix": until,
                    "days_left": "" if days_left is None else days_left,
                    "status": status,
                }
            )
        rows.sort(key=lambda r: (r["valid_until_unix"] is None, r["valid_until_unix"] or 0))
        return rows

    @staticmethod
    def horizon(now: int, within_days: int) -> str:
        return iso(
            int((datetime.fromtimestamp(now, UTC) + timedelta(days=within_days)).timestamp())
        )
