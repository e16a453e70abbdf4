"""The ``partledger`` command line (Typer + Rich): one module per command group."""

from __future__ import annotations

from partledger.cli import (
    audit,
    baseline,
    carbon,
    demo,
    design,
    hub,
    keys,
    licence,
    ops,
    passport,
    prints,
    public,
    reconcile,
    roles,
)
from partledger.cli.app import app

__all__ = [
    "app",
    "audit",
    "baseline",
    "carbon",
    "demo",
    "design",
    "hub",
    "keys",
    "licence",
    "ops",
    "passport",
    "prints",
    "public",
    "reconcile",
    "roles",
]
