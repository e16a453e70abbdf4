"""The facts a part's credentials are built from — gathered by the exporter from the auditor's
provenance, or by the verifier from proven storage. The same builders run on both sides, so a
credential that does not say exactly what the chain says does not match byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from partledger.chain import ids
from partledger.passport import credentials
from partledger.sdk.auditor import Provenance
from partledger.sdk.types import hex32

__all__ = ["PartFacts"]


@dataclass(frozen=True)
class PartFacts:
    """Chain facts about one part: ids, hub, and the qualification in force (if required)."""

    chain_id: int
    url: str
    design_id: str
    serial_number: str
    record: ids.PrintRecord
    hub: str
    standard: str | None
    qualification: dict[str, Any] | None  # certifier, validFrom, validUntil, certificateHash

    @classmethod
    def of_provenance(cls, chain_id: int, url: str, p: Provenance) -> PartFacts:
        q = p.qualification
        qualification = None
        if q is not None and q.get("certifier"):
            qualification = {
                "certifier": to_checksum_address(q["certifier"]),
                "validFrom": int(q["valid_from"]),
                "validUntil": int(q["valid_until"]),
                "certificateHash": bytes.fromhex(str(q["certificate_hash"]).removeprefix("0x")),
            }
        return cls(
            chain_id, url, p.design_id.lower(), p.serial_number, p.record,
            ids.hub_of_licence(p.record.licence_id),
            str(q["standard"]) if q is not None else None, qualification,
        )  # fmt: skip

    @classmethod
    def of_proven(
        cls, chain_id: int, url: str, design_id: str, serial_number: str,
        record: ids.PrintRecord, standard: bytes, qualification: dict[str, Any] | None,
    ) -> PartFacts:  # fmt: skip
        name = standard.rstrip(b"\0").decode(errors="replace") if any(standard) else None
        proven = None
        if name is not None and qualification is not None:
            proven = {
                "certifier": to_checksum_address(qualification["certifier"]),
                "validFrom": int(qualification["validFrom"]),
                "validUntil": int(qualification["validUntil"]),
                "certificateHash": bytes(qualification["certificateHash"]),
            }
        return cls(chain_id, url, design_id.lower(), serial_number, record,
                   ids.hub_of_licence(record.licence_id), name, proven)  # fmt: skip

    def dte(self, print_time: int) -> dict[str, Any]:
        return credentials.build_dte(
            chain_id=self.chain_id, url=self.url, serial_number=self.serial_number,
            record=self.record, hub=self.hub, print_time=print_time,
            print_id=hex32(ids.print_id(bytes.fromhex(self.design_id[2:]), self.record.serial)),
        )  # fmt: skip

    def dcc(self) -> dict[str, Any] | None:
        if self.standard is None or self.qualification is None:
            return None
        return credentials.build_dcc(
            chain_id=self.chain_id, url=self.url, serial_number=self.serial_number,
            standard=self.standard, qualification=self.qualification,
            machine_id=self.record.machine_id, hub=self.hub,
        )  # fmt: skip

    def dpp(
        self, dte: dict[str, Any], dcc: dict[str, Any] | None, *, print_time: int, country: str,
        issuer: str, issuer_name: str, issued_at: int, product_name: str,
        emissions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        return credentials.build_dpp(
            chain_id=self.chain_id, url=self.url, serial_number=self.serial_number,
            design_id=self.design_id, hub=self.hub, country=country, print_time=print_time,
            issuer=issuer, issuer_name=issuer_name, issued_at=issued_at,
            product_name=product_name, dte=dte, dcc=dcc, standard=self.standard,
            emissions=emissions,
        )  # fmt: skip
