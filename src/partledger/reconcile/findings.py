"""What the reconciler reports: findings with ids and severity, and what repair did."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How bad a divergence is; the report's exit status follows the worst one."""

    INFO = 0
    WARNING = 1
    ERROR = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    """One divergence between chain, index and blob store."""

    check: str
    severity: Severity
    message: str
    ids: dict[str, str] = field(default_factory=dict)
    repairable: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.label,
            "message": self.message,
            "ids": self.ids,
            "repairable": self.repairable,
        }


@dataclass(frozen=True)
class Report:
    """The outcome of one reconciliation run."""

    findings: tuple[Finding, ...]
    checked: dict[str, int]
    seconds: float

    @property
    def clean(self) -> bool:
        """No divergence worth a warning (info lines do not count)."""
        return all(f.severity is Severity.INFO for f in self.findings)

    def by_check(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]

    def to_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "seconds": round(self.seconds, 3),
            "checked": self.checked,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class RepairOutcome:
    """What ``--repair`` did about one finding."""

    finding: Finding
    repaired: bool
    action: str

    def to_json(self) -> dict[str, Any]:
        return {"finding": self.finding.to_json(), "repaired": self.repaired, "action": self.action}
