"""PartLedger: protect and trace 3D-printed parts made in distributed micro-factories."""

from __future__ import annotations

from partledger.errors import ConfigError, PartLedgerError

__version__ = "0.1.0"

__all__ = ["ConfigError", "PartLedgerError", "__version__"]
