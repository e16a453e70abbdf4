"""Check a proof bundle offline: signature, headers, state proofs, and every claim they carry.

Nothing in the bundle is taken on its word: storage locations are re-derived from the part's
ids and the contracts' storage layout, every value is read from a Merkle-Patricia proof against
a header whose hash is recomputed, and the headers themselves are checked against block hashes
the verifier trusts (``--trusted-block N:HASH``) or asks a node for. Each check is a named claim.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from partledger.carbon import Footprint
from partledger.chain import ids, merkle
from partledger.passport import credentials, jws
from partledger.passport.bundle import BUNDLE_KIND, SlotRef, canonical, print_slots, status_slots
from partledger.passport.carbon import check_carbon, emissions_scorecard
from partledger.passport.facts import PartFacts
from partledger.proofs import (
    HeaderError,
    StateProofError,
    StorageLayout,
    block_hash,
    verify_account,
    verify_storage,
)
from partledger.sdk.auditor import Claim, Verification
from partledger.sdk.types import ZERO32, hex32, to_bytes32

__all__ = ["BlockSource", "verify_bundle"]

BlockSource = Callable[[int], bytes | None]
"""The canonical hash of block N from a node (None if the node does not have it)."""

ACTIVE, RECALLED = 1, 3


class _Failed(Exception):
    """A check that makes the rest meaningless."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim


def _unhex(value: Any) -> bytes:
    return bytes.fromhex(str(value).removeprefix("0x"))


def verify_bundle(
    bundle: Mapping[str, Any] | bytes,
    *,
    trusted: Mapping[int, bytes] | None = None,
    node: BlockSource | None = None,
    expect: tuple[str, str] | None = None,
) -> Verification:
    """Every claim of a proof bundle; ``expect`` = (design id, serial number) of the part held."""
    claims: list[Claim] = []
    try:
        payload = _parse(bundle, claims)
        _check_part(payload, expect, claims)
        at_print = _Snapshot(payload, "atPrint", "print", claims, trusted or {}, node)
        at_export = _Snapshot(payload, "atExport", "export", claims, trusted or {}, node)
        _check_print(payload, at_print, claims)
        footprint = check_carbon(
            payload.get("carbon"), _record(payload).quality_report_hash,
            str(payload["part"]["designId"]), str(at_print.values["design"]["owner"]),
            lambda name, passed, detail: _claim(claims, name, passed, detail),
        )  # fmt: skip
        _check_credentials(payload, at_print, claims, footprint)
        _check_status(payload, at_print, at_export, claims)
    except _Failed as failure:
        claims.append(failure.claim)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        # a malformed value anywhere (bad hex, missing field): never a crash, never a pass
        claims.append(Claim("bundle.content", False, f"malformed bundle content: {exc!r}"))
    return Verification(tuple(claims))


def _claim(claims: list[Claim], name: str, passed: bool, detail: str) -> None:
    claims.append(Claim(name, bool(passed), detail))


def _parse(bundle: Mapping[str, Any] | bytes, claims: list[Claim]) -> dict[str, Any]:
    try:
        doc = json.loads(bundle) if isinstance(bundle, bytes | str) else dict(bundle)
        payload = doc["payload"]
        if doc.get("kind") != BUNDLE_KIND or payload.get("kind") != BUNDLE_KIND:
            raise ValueError(f"not a {BUNDLE_KIND} bundle")
        payload["part"]["record"]["licenceId"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _Failed(Claim("bundle.format", False, f"unreadable bundle: {exc!r}")) from None
    _claim(claims, "bundle.format", True, BUNDLE_KIND)
    try:
        signed = jws.verify(doc.get("signature", ""), detached_payload=canonical(payload))
        _claim(claims, "bundle.signature", True, f"signed by {signed.did}")
    except jws.JwsError as exc:
        _claim(claims, "bundle.signature", False, f"the bundle was changed after signing: {exc}")
    return dict(payload)


def _record(payload: Mapping[str, Any]) -> ids.PrintRecord:
    r = payload["part"]["record"]
    return ids.PrintRecord(
        *(
            to_bytes32(r[k])
            for k in ("licenceId", "serial", "machineId", "materialLotHash", "qualityReportHash")
        )
    )


def _check_part(
    payload: Mapping[str, Any], expect: tuple[str, str] | None, claims: list[Claim]
) -> None:
    part = payload["part"]
    record = _record(payload)
    same = ids.serial_hash(part["serialNumber"]) == record.serial
    _claim(
        claims,
        "print.serial_number",
        same,
        f"serial number {part['serialNumber']!r} hashes to the attested serial"
        if same
        else "the serial number does not hash to the attested serial",
    )
    if expect is not None:
        design, serial = expect
        match = (
            to_bytes32(design) == to_bytes32(part["designId"]) and serial == part["serialNumber"]
        )
        _claim(
            claims,
            "bundle.part",
            match,
            f"the bundle is about part {part['serialNumber']!r} of design {part['designId']}"
            + ("" if match else f", not {serial!r} of {design}"),
        )


class _Snapshot:
    """One header and the storage values proven against its state root."""

    def __init__(
        self,
        payload: Mapping[str, Any],
        key: str,
        label: str,
        claims: list[Claim],
        trusted: Mapping[int, bytes],
        node: BlockSource | None,
    ) -> None:
        self.payload, self.label, self.claims = payload, label, claims
        snap = payload[key]
        self.header: Mapping[str, Any] = snap["header"]
        self.accounts: Mapping[str, Any] = snap["accounts"]
        self.number = int(str(self.header["number"]), 16)
        self.timestamp = int(str(self.header["timestamp"]), 16)
        self._check_header(trusted, node)
        self._storage_roots: dict[str, bytes] = {}
        self.values: dict[str, Any] = {}

    def _check_header(self, trusted: Mapping[int, bytes], node: BlockSource | None) -> None:
        name = f"block.{self.label}"
        try:
            computed = block_hash(self.header)
        except HeaderError as exc:
            raise _Failed(Claim(f"{name}.header", False, str(exc))) from None
        if computed != _unhex(self.header["hash"]):
            raise _Failed(
                Claim(
                    f"{name}.header",
                    False,
                    f"block {self.number}'s header does not hash to its hash",
                )
            )
        _claim(
            self.claims,
            f"{name}.header",
            True,
            f"block {self.number} header hashes to {hex32(computed)}",
        )
        if self.number in trusted:
            ok, source = trusted[self.number] == computed, "the trusted checkpoint"
        elif node is not None:
            canonical_hash = node(self.number)
            ok, source = canonical_hash == computed, "the node"
        else:
            ok, source = False, "nothing: give --trusted-block N:HASH or --rpc-url"
        _claim(
            self.claims,
            f"{name}.trusted",
            ok,
            f"block {self.number} {'matches' if ok else 'is not confirmed by'} {source}",
        )

    def read(self, refs: list[SlotRef]) -> None:
        """Prove and decode ``refs`` (locations re-derived from the keys, never taken as given)."""
        contracts = self.payload["contracts"]
        try:
            for ref in refs:
                layout = StorageLayout.of_contract(ref.contract)
                location = layout.locate(ref.variable, *ref.keys)
                root = self._storage_root(ref.contract, _unhex(contracts[ref.contract]))
                words = {slot: self._word(ref.contract, root, slot) for slot in location.slots}
                self.values[ref.name] = layout.decode(location, words)
        except (StateProofError, KeyError, ValueError) as exc:
            raise _Failed(Claim(f"state.{self.label}", False, str(exc))) from None

    def _storage_root(self, contract: str, address: bytes) -> bytes:
        if contract not in self._storage_roots:
            account = self.accounts[contract]
            if _unhex(account["address"]) != address:
                raise StateProofError(f"{contract}: the proof is for another address")
            proven = verify_account(
                _unhex(self.header["stateRoot"]),
                address,
                [_unhex(n) for n in account["accountProof"]],
            )
            self._storage_roots[contract] = proven.storage_root
        return self._storage_roots[contract]

    def _word(self, contract: str, storage_root: bytes, slot: int) -> int:
        for entry in self.accounts[contract]["storage"]:
            if int(str(entry["slot"]), 16) == slot:
                return verify_storage(storage_root, slot, [_unhex(n) for n in entry["proof"]])
        raise StateProofError(f"{contract}: no proof of slot {slot:#x}")

    def done(self, count: int) -> None:
        _claim(
            self.claims,
            f"state.{self.label}",
            True,
            f"{count} values proven against block {self.number}'s state root",
        )


def _check_print(payload: Mapping[str, Any], snap: _Snapshot, claims: list[Claim]) -> None:
    design = to_bytes32(payload["part"]["designId"])
    record = _record(payload)
    anchor = payload["attestation"].get("anchor")
    root = to_bytes32(anchor["root"]) if anchor else None
    base = print_slots(design, record, root, ZERO32)
    snap.read(base)
    standard = bytes(snap.values["licence.info"]["requiredStandard"])
    if standard != ZERO32:
        extra = [
            r for r in print_slots(design, record, root, standard) if r.name == "qualification"
        ]
        snap.read(extra)
    snap.done(len(snap.values))
    v = snap.values
    hub = ids.hub_of_licence(record.licence_id)
    if anchor is None:
        stored = bytes(v["print.commitment"])
        expected = ids.print_commitment(record)
        _claim(
            claims,
            "print.record",
            stored == expected,
            f"the ledger holds commitment {hex32(stored)} for this part; "
            f"the record hashes to {hex32(expected)}",
        )
    else:
        _check_anchor(anchor, record, v, snap, claims)
    _claim(
        claims,
        "licence.design",
        bytes(v["licence.info"]["designId"]) == design,
        f"licence {hex32(record.licence_id)} is for design "
        f"{hex32(bytes(v['licence.info']['designId']))}",
    )
    machine = v["machine"]
    _claim(
        claims,
        "machine.hub",
        machine["hub"].lower() == hub.lower(),
        f"machine {hex32(record.machine_id)} belongs to {machine['hub']}, hub {hub}",
    )
    if standard == ZERO32:
        _claim(claims, "machine.qualification", True, "the licence requires none")
    else:
        q = v["qualification"]
        in_force = (
            int(q["certifier"], 16) != 0
            and not q["revoked"]
            and q["validFrom"] <= snap.timestamp <= q["validUntil"]
        )
        name = standard.rstrip(b"\0").decode(errors="replace")
        _claim(
            claims,
            "machine.qualification",
            in_force,
            f"{name} by {q['certifier']}, valid {q['validFrom']}..{q['validUntil']}, "
            f"print at {snap.timestamp}" + (", revoked" if q["revoked"] else ""),
        )
    d = v["design"]
    _claim(
        claims,
        "design.registered",
        int(d["owner"], 16) != 0,
        f"design owned by {d['owner']}, content {hex32(bytes(d['contentHash']))}",
    )


def _check_anchor(
    anchor: Mapping[str, Any],
    record: ids.PrintRecord,
    v: Mapping[str, Any],
    snap: _Snapshot,
    claims: list[Claim],
) -> None:
    lids = [to_bytes32(x) for x in anchor["licenceIds"]]
    counts = [int(c) for c in anchor["counts"]]
    at, index = int(anchor["anchoredAt"]), int(anchor["leafIndex"])
    commitment = keccak(encode(["uint40", "bytes32[]", "uint256[]"], [at, lids, counts]))
    end, owner = 0, None
    for lid, count in zip(lids, counts, strict=True):
        if owner is None and index < end + count:
            owner = lid
        end += count
    inclusion = merkle.verify_inclusion(
        merkle.print_leaf(record),
        index,
        end,
        [to_bytes32(x) for x in anchor["path"]],
        to_bytes32(anchor["root"]),
    )
    machine = v["machine"]
    in_service = machine["registeredAt"] <= at and not (
        machine["retired"] and machine["retiredAt"] <= at
    )
    problems = [
        text
        for ok, text in (
            (bytes(v["anchor.commitment"]) == commitment, "the anchor's commitment differs"),
            (at == snap.timestamp, "the anchor time is not the block's"),
            (owner == record.licence_id, f"leaf {index} is not in its licence's debited range"),
            (inclusion, "the inclusion proof fails"),
            (in_service, "the machine was not in service at the anchor"),
        )
        if not ok
    ]
    _claim(
        claims,
        "print.record",
        not problems,
        "; ".join(problems)
        or f"leaf {index} of anchor {anchor['root']}, in the slots debited "
        "from its licence (RFC 9162 proof)",
    )


def _check_status(
    payload: Mapping[str, Any], at_print: _Snapshot, at_export: _Snapshot, claims: list[Claim]
) -> None:
    design = to_bytes32(payload["part"]["designId"])
    record = _record(payload)
    at_export.read(status_slots(design, record))
    at_export.done(len(at_export.values))
    v = at_export.values
    _claim(
        claims,
        "block.order",
        at_export.number >= at_print.number,
        f"status read at block {at_export.number}, print at block {at_print.number}",
    )
    stored = bytes(v["print.commitment"])
    if payload["attestation"].get("anchor") is None:
        expected = ids.print_commitment(record)
        ok = stored == expected
        detail = (
            f"still recorded at block {at_export.number}"
            if ok
            else "the ledger records another print under this serial"
            if stored != ZERO32
            else f"no longer recorded at block {at_export.number} (reorg?)"
        )
        _claim(claims, "print.still_recorded", ok, detail)
    else:
        ok = stored == ZERO32
        _claim(
            claims,
            "print.serial_unique",
            ok,
            "no direct attestation of this serial (other anchors: the auditor checks them)"
            if ok
            else "the serial was also attested directly: two parts carry it",
        )
    invalidated = bytes(v["print.invalidation"]) != ZERO32
    recalled = v["design"]["status"] == RECALLED
    problems = [
        t
        for flag, t in (
            (invalidated, "invalidated (scrapped or failed QA)"),
            (recalled, "its design is recalled"),
        )
        if flag
    ]
    _claim(
        claims,
        "print.in_service",
        not problems,
        "; ".join(problems) or f"not invalidated or recalled at block {at_export.number}",
    )


def _check_credentials(
    payload: Mapping[str, Any], snap: _Snapshot, claims: list[Claim], footprint: Footprint | None
) -> None:
    """The DTE and DCC say exactly what the proven state says; the DPP is signed and links them."""
    creds = payload["credentials"]
    part = payload["part"]
    record = _record(payload)
    v = snap.values
    standard = bytes(v["licence.info"]["requiredStandard"])
    facts = PartFacts.of_proven(
        int(payload["chainId"]), str(creds["url"]), str(part["designId"]),
        str(part["serialNumber"]), record, standard, v.get("qualification"),
    )  # fmt: skip
    dte, dcc = facts.dte(snap.timestamp), facts.dcc()
    for name, rebuilt, given in (("dte", dte, creds["dte"]), ("dcc", dcc, creds.get("dcc"))):
        same = canonical(rebuilt) == canonical(given)
        problems = credentials.untp_problems(given, name) if given is not None else []
        detail = (
            "absent: the licence requires no qualification"
            if rebuilt is None and same
            else "says exactly what the proven state says; meets UNTP 0.6.1"
            if same and not problems
            else "; ".join(problems) or "differs from the proven state"
        )
        _claim(claims, f"credentials.{name}", same and not problems, detail)
    try:
        dpp, signed = credentials.open_envelope(creds["dpp"])
    except jws.JwsError as exc:
        _claim(claims, "credentials.dpp", False, f"the passport credential is not genuine: {exc}")
        return
    subject = dpp.get("credentialSubject", {})
    product = subject.get("product", {})
    links = [
        e
        for t in subject.get("traceabilityInformation", [])
        for e in t.get("traceabilityEvent", [])
    ]
    evidence = [c.get("conformityEvidence", {}) for c in subject.get("conformityClaim", [])]
    country = bytes(v["hub"]["locode"])[:2].decode(errors="replace")
    url, hub_did = creds["url"], jws.did_pkh(facts.chain_id, facts.hub)
    dcc_links = [credentials.digest(dcc)] if dcc else []
    checks = (
        (not credentials.untp_problems(dpp, "dpp"), "meets UNTP 0.6.1"),
        (product.get("id") == url and subject.get("id") == url, "names this part's URL"),
        (product.get("serialNumber") == part["serialNumber"], "carries this serial number"),
        (product.get("productionDate") == credentials.date_of(snap.timestamp), "dates the print"),
        (product.get("producedByParty", {}).get("id") == hub_did, "names the licensed hub"),
        (product.get("countryOfProduction", country.upper()) == country.upper(), "its country"),
        ([x.get("hashDigest") for x in links] == [credentials.digest(dte)], "links this DTE"),
        ([x.get("hashDigest") for x in evidence] == dcc_links, "links this DCC"),
        (
            subject.get("emissionsScorecard")
            == (emissions_scorecard(footprint) if footprint is not None else None),
            "its emissions scorecard is the proven footprint's"
            if footprint is not None
            else "claims no emissions scorecard",
        ),
    )
    failed = [text for ok, text in checks if not ok]
    _claim(claims, "credentials.dpp", not failed,
           f"signed by its issuer {signed.did}; " + ("; ".join(t for _, t in checks) if not failed
           else "but it does not: " + ", ".join(failed)))  # fmt: skip
