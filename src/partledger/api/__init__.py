"""The PartLedger HTTP service (FastAPI)."""

from __future__ import annotations

from partledger.api.app import create_app

__all__ = ["create_app"]
