"""The part passport: a signed proof bundle anyone can verify offline."""

from __future__ import annotations

from partledger.passport.bundle import BUNDLE_KIND, export_bundle
from partledger.passport.jws import JwsError, did_pkh
from partledger.passport.verify import BlockSource, verify_bundle

__all__ = ["BUNDLE_KIND", "BlockSource", "JwsError", "did_pkh", "export_bundle", "verify_bundle"]
