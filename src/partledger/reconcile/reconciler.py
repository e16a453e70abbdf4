"""Run every check, and repair what is safely repairable.

Repairs never destroy data: corrupted and orphaned blobs are quarantined (and
can be restored), a missing blob is restored from quarantine when an intact copy
is there, the index is re-ingested from the first divergent block, interrupted
SDK operations are resumed with the OEM's identity when it is available.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from partledger.crypto import Identity
from partledger.index import Indexer
from partledger.reconcile import checks
from partledger.reconcile.checks import Options
from partledger.reconcile.findings import Finding, RepairOutcome, Report, Severity
from partledger.reconcile.quarantine import Quarantine, open_quarantine
from partledger.sdk import Oem
from partledger.sdk.ledger import Ledger
from partledger.storage import AbandonedUpload

Check = Callable[[Ledger, Engine, Options], list[Finding]]

CHECKS: dict[str, Check] = {
    # the index first: the orphan check trusts the index's references
    "index_head": checks.check_index_head,
    "index_events": checks.check_index_events,
    "print_counts": checks.check_print_counts,
    # these two read the anchored leaves: the batch documents are refreshed before them
    "batch_documents": checks.check_batch_documents,
    "duplicate_serials": checks.check_duplicate_serials,
    # reads the print footprints: refreshed from the blob store before it (and the orphans)
    "footprints": checks.check_footprints,
    "design_blobs": checks.check_design_blobs,
    "licence_blobs": checks.check_licence_blobs,
    "quality_reports": checks.check_quality_reports,
    "orphans": checks.check_orphans,
    "pending_intents": lambda ledger, _engine, options: checks.check_pending_intents(
        ledger, options
    ),
}
INDEX_CHECKS = ("index_head", "index_events", "print_counts")
DOCUMENT_CHECKS = ("batch_documents", "duplicate_serials")
FOOTPRINT_CHECKS = ("footprints", "orphans")


class Reconciler:
    """Compares chain, index and blob store; reports and repairs divergences."""

    def __init__(
        self,
        ledger: Ledger,
        indexer: Indexer,
        *,
        quarantine_dir: Path | None = None,
        options: Options | None = None,
        index_kept_by: str | None = None,
    ) -> None:
        """``quarantine_dir`` is the quarantine of a filesystem store; an S3 store's is in its
        bucket (``<prefix>/.quarantine/``), shared by every replica (the directory is unused).
        ``index_kept_by`` names who else writes the index (a service replica holding the
        index-writer lock): the index is then only read, its divergences only reported."""
        self.ledger = ledger
        self.indexer = indexer
        self.options = options or Options()
        self.index_kept_by = index_kept_by
        self.quarantine: Quarantine = open_quarantine(ledger.store, quarantine_dir)

    def run(self, only: Sequence[str] | None = None) -> Report:
        """Run the checks (all, or the named ones) and report every finding."""
        started = time.perf_counter()
        findings: list[Finding] = []
        checked: dict[str, int] = {}
        refreshed = footprints_refreshed = False
        for name, check in CHECKS.items():
            if only and name not in only:
                continue
            writable = self.index_kept_by is None  # else its writer ingests them itself
            if name in DOCUMENT_CHECKS and not refreshed and writable:
                checks.refresh_batch_documents(self.ledger, self.indexer.engine)
                refreshed = True
            if name in FOOTPRINT_CHECKS and not footprints_refreshed and writable:
                checks.refresh_footprints(self.ledger, self.indexer.engine)
                footprints_refreshed = True
            if name == "orphans" and any(f.severity >= Severity.ERROR for f in findings
                                         if f.check.startswith("index.")):  # fmt: skip
                findings.append(
                    Finding(
                        "blob.orphan_check_skipped",
                        Severity.INFO,
                        "orphans not checked: the index diverges from the chain (repair first)",
                    )
                )
                checked[name] = 0
                continue
            found = check(self.ledger, self.indexer.engine, self.options)
            checked[name] = len(found)
            findings += found
        findings.sort(key=lambda f: (-f.severity, f.check))
        return Report(tuple(findings), checked, time.perf_counter() - started)

    # -- repair --------------------------------------------------------------------------
    def repair(self, report: Report, *, identities: Sequence[Identity] = ()) -> list[RepairOutcome]:
        """Fix what is safely fixable in ``report``; say what was done and what was not."""
        outcomes: list[RepairOutcome] = []
        index_findings = [f for f in report.findings if f.check.startswith("index.")]
        rest = [f for f in report.findings if not f.check.startswith("index.")]
        if index_findings:
            outcomes += self._repair_index(index_findings)
            # blob findings were judged against a diverging index: judge them again
            fresh = self.run(only=[n for n in CHECKS if n not in INDEX_CHECKS])
            rest = list(fresh.findings)
        by_address = {i.eth_address: i for i in identities}
        for finding in rest:
            if finding.severity is Severity.INFO:
                continue
            outcomes.append(self._repair_one(finding, by_address))
        return outcomes

    def _repair_one(self, finding: Finding, identities: dict[str, Identity]) -> RepairOutcome:
        blob = finding.ids.get("blob")
        if finding.check == "blob.orphan" and blob:
            self.quarantine.put(blob, "orphan: referenced by nothing")
            return RepairOutcome(finding, True, f"quarantined orphan {blob} (restorable)")
        if finding.check.endswith(".corrupted") and blob:
            if self.quarantine.holds_intact(blob):
                return RepairOutcome(finding, False, "an intact copy is in quarantine already")
            self.quarantine.put(blob, f"corrupted: {finding.check}")
            return RepairOutcome(
                finding, False,
                f"quarantined the corrupted bytes of {blob}; upload the original to restore it",
            )  # fmt: skip
        if finding.check.endswith(".missing") and blob:
            if self.quarantine.holds_intact(blob):
                self.quarantine.restore(blob)
                return RepairOutcome(finding, True, f"restored {blob} from quarantine")
            return RepairOutcome(finding, False, f"no copy of {blob}: upload the original")
        if finding.check == "journal.pending":
            return self._resume_intent(finding, identities)
        if finding.check == "blob.abandoned_upload":
            return self._discard_upload(finding)
        return RepairOutcome(finding, False, "no safe automatic repair")

    def _discard_upload(self, finding: Finding) -> RepairOutcome:
        key, upload_id = finding.ids["upload"], finding.ids.get("upload_id")
        self.ledger.store.discard_upload(AbandonedUpload(key, 0.0, upload_id))  # type: ignore[attr-defined]
        return RepairOutcome(finding, True, f"discarded abandoned upload {key}")

    def _resume_intent(self, finding: Finding, identities: dict[str, Identity]) -> RepairOutcome:
        account = finding.ids.get("account", "")
        identity = identities.get(account)
        if identity is None:
            return RepairOutcome(
                finding, False, f"needs the identity of {account} (--identity) to resume"
            )
        done = Oem(self.ledger, identity).recover()
        return RepairOutcome(finding, True, "; ".join(done) or "nothing left to do")

    def _repair_index(self, findings: list[Finding]) -> list[RepairOutcome]:
        """Re-ingest from the first divergent block (or just catch up / handle the reorg)."""
        if self.index_kept_by is not None:
            why = f"not repaired here: {self.index_kept_by} writes this index"
            return [RepairOutcome(f, False, why) for f in findings]
        rewind_to: int | None = None
        for finding in findings:
            if finding.check in ("index.missing_events", "index.unknown_events"):
                first = int(finding.ids["first_block"]) - 1
                rewind_to = first if rewind_to is None else min(rewind_to, first)
            if finding.check == "index.print_count":
                state = self.indexer.state()
                rewind_to = state.start_block - 1 if state else None
        if rewind_to is not None:
            reingest_from(self.indexer, rewind_to)
        report = self.indexer.sync_once()
        action = (
            f"re-ingested from block {rewind_to + 1}" if rewind_to is not None else "synced"
        ) + f" up to block {report.last_block}"
        return [RepairOutcome(f, True, action) for f in findings]


def reingest_from(indexer: Indexer, block: int) -> None:
    """Drop what the index holds above ``block`` so the next sync reads it again."""
    with indexer.engine.begin() as conn:
        state = indexer.store.load_state(conn)
        if state is None:
            return
        block = max(block, state.start_block - 1)
        indexer.store.rollback_above(conn, block)
        last_hash = None
        if block >= state.start_block:
            header = indexer.rpc.call("eth_getBlockByNumber", [hex(block), False])
            last_hash = bytes.fromhex(header["hash"][2:])
        indexer.store.save_state(conn, replace(state, last_block=block, last_hash=last_hash))
