"""The public face of a part: its page, passport credential, proof bundle, QR code and label.

Everything here is derived from the SDK's auditor (provenance verified against the chain and the
store) and the passport package (bundle and credentials); the service signs the bundles it
hands out with its own account, so a verifier knows who exported them — and need not trust it,
since every claim in a bundle is re-checked from proofs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from eth_account.signers.local import LocalAccount

from partledger.api.services.products import ProductRecords
from partledger.api.services.stamped_cache import StampedCache
from partledger.carbon import Footprint
from partledger.carbon.model import place_label
from partledger.chain.ledger_errors import UnknownPrint
from partledger.passport import export_bundle
from partledger.passport.credentials import part_url
from partledger.passport.gs1 import is_gs1_serial
from partledger.passport.qr import label_svg, qr_png, qr_svg
from partledger.sdk import Auditor, Ledger, Provenance, Verification
from partledger.sdk.types import decode_standard, to_bytes32

__all__ = ["CLAIM_WORDS", "PartNotFound", "PartService"]

CACHE_SIZE = 2_000
BUNDLE_CACHE_SIZE = 200  # ~60 KB each

CLAIM_WORDS = {
    "print.record": "The print is recorded on the ledger exactly as described here.",
    "print.batch_document": "The hub published the full list of the batch this part was "
    "anchored in, and it matches the ledger.",
    "print.serial_unique": "No other part claims this serial number.",
    "print.in_service": "The part has not been withdrawn: not scrapped, not failed in "
    "quality control, and its design is not recalled.",
    "attestation.block": "The record sits in a confirmed block of the chain.",
    "licence.design": "The hub printed it under a licence for this very design.",
    "licence.hub": "The licence was issued to the hub that printed it.",
    "machine.hub": "The machine belongs to that hub.",
    "machine.qualification": "The machine held the required qualification when it printed.",
    "design.registered": "The design is registered by its owner, unchanged.",
    "blob.container": "The encrypted design file is intact.",
    "blob.metadata": "The design's description is intact.",
    "blob.wrapped_key": "The hub's copy of the design key is intact.",
    "blob.terms": "The licence terms are intact.",
    "blob.quality_report": "The quality report is intact.",
    "blob.quality_report_document": "The quality report named in the print's evidence is intact.",
    "print.evidence": "The print's evidence manifest is well formed.",
    "carbon.footprint": "The part's logistics carbon footprint is intact and adds up: every "
    "figure recomputed from its inputs with the published emission factors.",
}


class PartNotFound(LookupError):
    """No attestation names this part: it is not on the ledger."""


def _iso(timestamp: int | None) -> str:
    if not timestamp:
        return "—"
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M UTC")


PRODUCT_FACTS = (
    ("name", "Product"),
    ("part_number", "Part number"),
    ("revision", "Revision"),
    ("material", "Material"),
    ("process", "Process"),
    ("description", "Description"),
)
"""The public product record's fields the page shows, and their labels."""


class PartService:
    """Pages and files about single parts, cached per chain head and public product record."""

    def __init__(
        self, ledger: Ledger, signer: LocalAccount, origin: str, products: ProductRecords
    ) -> None:
        self.ledger = ledger
        self.auditor = Auditor(ledger)
        self.signer = signer
        self.origin = origin.rstrip("/")
        self.products = products
        self.head = 0
        self._cache: StampedCache[Any] = StampedCache(CACHE_SIZE)
        self._bundles: StampedCache[Any] = StampedCache(BUNDLE_CACHE_SIZE)

    def product(self, design_id: str) -> dict[str, Any] | None:
        """The design's public product record, if its owner declared one."""
        return self.products.get(design_id)

    def url(self, design_id: str, serial_number: str, product: dict[str, Any] | None = None) -> str:
        """The part's canonical URL: its GS1 Digital Link when its design has a GTIN (and the
        serial fits GS1's), else ``/p/{designId}/{serial}``."""
        gtin = (product or {}).get("gtin")
        if not is_gs1_serial(serial_number):
            gtin = None
        return part_url(self.origin, design_id, serial_number, gtin)

    def _provenance(self, design_id: str, serial: str) -> tuple[Provenance, Verification]:
        try:
            provenance = self.auditor.provenance(design_id, serial)
        except UnknownPrint:
            raise PartNotFound(serial) from None
        return provenance, self.auditor.verify(provenance)

    def view(self, design_id: str, serial: str) -> dict[str, Any]:
        """Everything the page shows (``PartNotFound`` for a serial nobody attested)."""
        product = self.product(design_id)

        def build() -> dict[str, Any]:
            p, verification = self._provenance(design_id, serial)
            built = self._build(p, verification, product)
            built["carbon"] = _carbon_view(self.auditor.footprint(p).footprint)
            return built

        view: dict[str, Any] = self._cached(self._cache, design_id, serial, product,
                                            build)  # fmt: skip
        return view

    def _cached(
        self,
        cache: StampedCache[Any],
        design_id: str,
        serial: str,
        product: dict[str, Any] | None,
        build: Any,
    ) -> Any:
        """``build()``, kept until the audited chain head or the product record changes."""
        stamp = (self.head, json.dumps(product or {}, sort_keys=True, default=str))
        return cache.get((design_id.lower(), serial), stamp, build)

    def _build(
        self, p: Provenance, v: Verification, product: dict[str, Any] | None
    ) -> dict[str, Any]:
        q = p.qualification
        standard = p.licence.required_standard
        if p.recalled:
            status, status_text = "recalled", "RECALLED — do not use this part"
        elif p.invalidated:
            status, status_text = "invalidated", "WITHDRAWN — scrapped or failed quality control"
        elif v.ok:
            status, status_text = "verified", "VERIFIED — genuine, every check passed"
        else:
            status, status_text = "failed", "NOT VERIFIED — a check failed"
        url = self.url(p.design_id, p.serial_number, product)
        product = product or {}
        return {
            "url": url,
            "product_name": product.get("name"),
            "gtin": product.get("gtin") if is_gs1_serial(p.serial_number) else None,
            "product": [(label, product[k]) for k, label in PRODUCT_FACTS if product.get(k)],
            "path": "/" + url.split("://", 1)[-1].split("/", 1)[-1],
            "serial_number": p.serial_number,
            "design_id": p.design_id,
            "short_id": p.design_id[:10],
            "status": status,
            "status_text": status_text,
            "verified": v.ok,
            "production_date": _iso(p.attestation.timestamp),
            "hub": p.hub,
            "country": str(p.hub.get("locode", ""))[:2],
            "licence": {
                "id": p.licence.licence_id,
                "status": p.licence.status,
                "printed": p.licence.printed,
                "max_prints": p.licence.max_prints,
            },
            "machine": p.machine,
            "qualification": None
            if standard == bytes(32)
            else {
                "standard": decode_standard(standard),
                "certifier": (q or {}).get("certifier"),
                "valid_from": _iso((q or {}).get("valid_from")),
                "valid_until": _iso((q or {}).get("valid_until")),
                "in_force": bool((q or {}).get("in_force")),
            },
            "attestation": {
                "kind": p.attestation.kind,
                "block": p.attestation.block_number,
                "tx": p.attestation.tx_hash,
                "time": _iso(p.attestation.timestamp),
                "confirmations": p.attestation.confirmations,
            },
            "claims": [
                {
                    "name": c.name,
                    "passed": c.passed,
                    "detail": c.detail,
                    "words": CLAIM_WORDS.get(c.name, c.name),
                }
                for c in v.claims
            ],
        }

    def bundle(self, design_id: str, serial: str) -> bytes:
        """The part's signed proof bundle (JSON), built once per chain head and product record
        (the page's content negotiation and download share it)."""
        record = self.product(design_id)

        def build() -> bytes:
            p, _ = self._provenance(design_id, serial)
            product = record or {}
            gtin = product.get("gtin") if is_gs1_serial(p.serial_number) else None
            bundle = export_bundle(
                self.ledger, p, bytes(self.signer.key), base_url=self.origin, gtin=gtin,
                signer_name=f"PartLedger service at {self.origin}",
                product_name=product.get("name"),
            )  # fmt: skip
            return json.dumps(bundle, separators=(",", ":")).encode()

        data: bytes = self._cached(self._bundles, design_id, serial, record,
                                   build)  # fmt: skip
        return data

    def credential(self, design_id: str, serial: str) -> dict[str, Any]:
        """The part's passport as an enveloped verifiable credential."""
        credential: dict[str, Any] = json.loads(self.bundle(design_id, serial))["payload"][
            "credentials"
        ]["dpp"]
        return credential

    def qr(self, design_id: str, serial: str, kind: str) -> bytes:
        url = self.url(design_id, serial, self.product(design_id))
        if kind == "png":
            return qr_png(url)
        if kind == "label":
            return label_svg(url, serial, design_id[:10])
        return qr_svg(url)

    def exists(self, design_id: str, serial: str) -> None:
        """Raise ``PartNotFound`` unless the part is on the ledger."""
        to_bytes32(design_id, "design id")
        self.view(design_id, serial)


def _carbon_view(footprint: Footprint | None) -> dict[str, Any] | None:
    """What the page says about the part's logistics footprint (``None``: it carries none)."""
    if footprint is None:
        return None
    baseline = footprint.baseline
    stops = [place_label(baseline.origin)] + [place_label(leg.destination) for leg in baseline.legs]
    modes = ", ".join(leg.mode.value for leg in baseline.legs)
    share = (
        footprint.avoided_kg_co2e / footprint.baseline_kg_co2e if footprint.baseline_kg_co2e else 0
    )
    return {
        "baseline_kg": footprint.baseline_kg_co2e,
        "actual_kg": footprint.actual_kg_co2e,
        "avoided_kg": footprint.avoided_kg_co2e,
        "avoided_percent": round(100 * share),
        "default_percent": round(100 * footprint.default_share),
        "baseline_route": f"{' → '.join(stops)} ({modes}), {baseline.shipped_mass_kg:g} kg",
        "method": footprint.method,
        "factor_set": footprint.factor_set_version,
    }
