"""Re-exports of the shared world helpers for the SDK tests."""

from __future__ import annotations

from helpers.world import METADATA, ONE_DAY, STANDARD, World, identity

__all__ = ["METADATA", "ONE_DAY", "STANDARD", "World", "identity"]
