"""UNTP 0.6.1 credentials of a printed part: passport (DPP), conformity (DCC), traceability (DTE).

- The **DTE** is the print: a TransformationEvent from the material lot to the serialised part.
  Its issuer is the hub's account (``did:pkh``); every field comes from the attested record and
  the print block, so a verifier rebuilds it from proven state and compares byte for byte.
- The **DCC** is the machine's qualification in force at the print (only when the licence
  requires one). Its issuer is the certifier's account, as recorded on-chain; it too is rebuilt
  from proven state. Neither is signed again at export: the signature behind them is the hub's
  and the certifier's own transaction, which the state proofs show took effect.
- The **DPP** is the passport proper, issued and signed (enveloped ``vc+jwt``, ES256K) by the
  account exporting it, linking the DCC and DTE by SHA-256 (``conformityEvidence``,
  ``traceabilityEvent``), and carries the part's ``emissionsScorecard`` when the print committed
  a carbon footprint (``partledger.passport.carbon``).

Field names follow the UNTP 0.6.1 JSON schemas (notes: ``docs/research-untp-0.6.1.md``). UNTP
asks for ``did:web`` issuers; PartLedger's issuers are the chain's accounts, so they are
``did:pkh:eip155:<chainId>:<address>`` and the JWS header carries the public key (see
``docs/passport.md``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from partledger.chain import ids
from partledger.passport import jws
from partledger.sdk.types import hex32

__all__ = [
    "DCC_CONTEXT",
    "DPP_CONTEXT",
    "DTE_CONTEXT",
    "VC_CONTEXT",
    "build_dcc",
    "build_dpp",
    "build_dte",
    "date_of",
    "digest",
    "envelope",
    "open_envelope",
    "part_url",
    "untp_problems",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
UNTP = "https://test.uncefact.org/vocabulary/untp"
DPP_CONTEXT, DCC_CONTEXT, DTE_CONTEXT = (f"{UNTP}/{k}/0.6.1/" for k in ("dpp", "dcc", "dte"))
LINK_DCC = "https://test.uncefact.org/vocabulary/linkTypes/dcc"
LINK_DTE = "https://test.uncefact.org/vocabulary/linkTypes/dte"
ENVELOPE_PREFIX = "data:application/vc+jwt,"


def part_url(base_url: str, design_id: str, serial_number: str, gtin: str | None = None) -> str:
    """The part's stable public URL: GS1 Digital Link with a GTIN, else ``/p/{design}/{serial}``."""
    serial = quote(serial_number, safe="")
    if gtin:
        return f"{base_url.rstrip('/')}/01/{gtin.zfill(14)}/21/{serial}"
    return f"{base_url.rstrip('/')}/p/{design_id.lower()}/{serial}"


def _date_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_of(timestamp: int) -> str:
    """The UTC calendar date of a Unix time (UNTP ``date``)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def digest(credential: dict[str, Any]) -> str:
    """SHA-256 (hex) of a credential's canonical JSON: what links point at."""
    data = json.dumps(credential, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def _issuer(did: str, name: str) -> dict[str, Any]:
    return {"type": ["CredentialIssuer"], "id": did, "name": name}


def build_dte(
    *, chain_id: int, url: str, serial_number: str, record: ids.PrintRecord, hub: str,
    print_time: int, print_id: str,
) -> dict[str, Any]:  # fmt: skip
    """The print as a UNTP TransformationEvent: material lot in, serialised part out."""
    hub_did = jws.did_pkh(chain_id, hub)
    return {
        "@context": [VC_CONTEXT, DTE_CONTEXT],
        "type": ["DigitalTraceabilityEvent", "VerifiableCredential"],
        "id": f"{url}#dte",
        "issuer": _issuer(hub_did, f"Print hub {hub}"),
        "validFrom": _date_time(print_time),
        "credentialSubject": [
            {
                "type": ["TransformationEvent", "Event"],
                "id": f"{url}#print-{print_id}",
                "processType": "Additive manufacturing",
                "eventTime": _date_time(print_time),
                "action": "add",
                "disposition": "https://ref.gs1.org/cbv/Disp-active",
                "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
                "bizLocation": f"{hub_did}#machine-{hex32(record.machine_id)}",
                "inputQuantityList": [
                    {
                        "productId": "urn:partledger:material-lot:"
                        + hex32(record.material_lot_hash),
                        "productName": "Material lot (hash committed on-chain)",
                        "quantity": 1,
                    }
                ],
                "outputEPCList": [{"type": ["Item"], "id": url, "name": f"Part {serial_number}"}],
            }
        ],
    }


def build_dcc(
    *, chain_id: int, url: str, serial_number: str, standard: str, qualification: dict[str, Any],
    machine_id: bytes, hub: str,
) -> dict[str, Any]:  # fmt: skip
    """The machine's qualification in force at the print as a UNTP conformity credential."""
    certifier = str(qualification["certifier"])
    certifier_did = jws.did_pkh(chain_id, certifier)
    return {
        "@context": [VC_CONTEXT, DCC_CONTEXT],
        "type": ["DigitalConformityCredential", "VerifiableCredential"],
        "id": f"{url}#dcc",
        "issuer": _issuer(certifier_did, f"Certifier {certifier}"),
        "validFrom": _date_time(int(qualification["validFrom"])),
        "validUntil": _date_time(int(qualification["validUntil"])),
        "credentialSubject": {
            "type": ["ConformityAttestation", "Attestation"],
            "id": f"{url}#qualification-{hex32(machine_id)}",
            "name": f"{standard} qualification of machine {hex32(machine_id)}",
            "assessorLevel": "3rdParty",
            "assessmentLevel": "Unspecified",
            "attestationType": "certification",
            "issuedToParty": {"id": jws.did_pkh(chain_id, hub), "name": f"Print hub {hub}"},
            "conformityCertificate": {
                "linkURL": f"urn:partledger:certificate:{hex32(qualification['certificateHash'])}",
                "linkName": "Certificate (hash recorded on-chain by the certifier)",
                "linkType": LINK_DCC,
                "hashDigest": bytes(qualification["certificateHash"]).hex(),
                "hashMethod": "SHA-256",
            },
            "assessment": [
                {
                    "type": ["ConformityAssessment", "Declaration"],
                    "id": f"{url}#assessment-{hex32(machine_id)}",
                    "name": f"Machine qualified to {standard}",
                    "referenceStandard": {
                        "type": ["Standard"],
                        "id": f"urn:partledger:standard:{quote(standard, safe='')}",
                        "name": standard,
                        "issuingParty": {"id": "https://www.iso.org/", "name": "ISO / ASTM"},
                    },
                    "conformance": True,
                    "conformityTopic": "governance.compliance",
                    "assessedProduct": [
                        {
                            "product": {
                                "id": url,
                                "name": f"Part {serial_number}",
                                "serialNumber": serial_number,
                            },
                            "IDverifiedByCAB": False,
                        }
                    ],
                }
            ],
        },
    }


def build_dpp(
    *, chain_id: int, url: str, serial_number: str, design_id: str, hub: str, country: str,
    print_time: int, issuer: str, issuer_name: str, issued_at: int, product_name: str,
    dte: dict[str, Any], dcc: dict[str, Any] | None, standard: str | None,
    emissions: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The part's Digital Product Passport (item level), linking its DCC and DTE by hash, with
    its ``emissionsScorecard`` when the print committed a carbon footprint."""
    hub_did = jws.did_pkh(chain_id, hub)
    product: dict[str, Any] = {
        "type": ["Product"],
        "id": url,
        "name": product_name,
        "serialNumber": serial_number,
        "productionDate": date_of(print_time),
        "producedByParty": {"id": hub_did, "name": f"Print hub {hub}"},
        "producedAtFacility": {"id": f"{hub_did}#facility", "name": f"Print hub {hub}"},
        "idScheme": {
            "type": ["IdentifierScheme"],
            "id": "urn:partledger:design:",
            "name": "PartLedger design id and serial number",
        },
        "registeredId": f"{design_id.lower()}/{serial_number}",
    }
    if len(country) == 2 and country.isalpha():
        product["countryOfProduction"] = country.upper()
    subject: dict[str, Any] = {
        "type": ["ProductPassport"],
        "id": url,
        "granularityLevel": "item",
        "product": product,
        "traceabilityInformation": [
            {
                "valueChainProcess": "Additive manufacturing",
                "verifiedRatio": 1.0,
                "traceabilityEvent": [_link(str(dte["id"]), "Print event", LINK_DTE, dte)],
            }
        ],
    }
    if emissions is not None:
        subject["emissionsScorecard"] = emissions
    if dcc is not None and standard is not None:
        subject["conformityClaim"] = [
            {
                "type": ["Claim", "Declaration"],
                "id": f"{url}#claim-machine-qualification",
                "description": f"Printed on a machine qualified to {standard} at the print.",
                "conformance": True,
                "conformityTopic": "governance.compliance",
                "conformityEvidence": _link(
                    str(dcc["id"]), f"{standard} qualification", LINK_DCC, dcc
                ),
            }
        ]
    return {
        "@context": [VC_CONTEXT, DPP_CONTEXT],
        "type": ["DigitalProductPassport", "VerifiableCredential"],
        "id": f"{url}#dpp",
        "issuer": _issuer(issuer, issuer_name),
        "validFrom": _date_time(issued_at),
        "credentialSubject": subject,
    }


def _link(url: str, name: str, link_type: str, target: dict[str, Any]) -> dict[str, Any]:
    return {"linkURL": url, "linkName": name, "linkType": link_type,
            "hashDigest": digest(target), "hashMethod": "SHA-256"}  # fmt: skip


def envelope(credential: dict[str, Any], private_key: bytes, chain_id: int) -> dict[str, Any]:
    """A VC-JOSE enveloped credential (``data:application/vc+jwt,<JWS>``), ES256K-signed."""
    payload = json.dumps(credential, sort_keys=True, separators=(",", ":")).encode()
    token = jws.sign(payload, private_key, chain_id, typ="vc+jwt")
    return {"@context": VC_CONTEXT, "type": "EnvelopedVerifiableCredential",
            "id": ENVELOPE_PREFIX + token}  # fmt: skip


def open_envelope(enveloped: dict[str, Any]) -> tuple[dict[str, Any], jws.Signed]:
    """The credential inside an envelope and who signed it (``JwsError`` if not genuine)."""
    token = str(enveloped.get("id", ""))
    if enveloped.get("type") != "EnvelopedVerifiableCredential" or not token.startswith(
        ENVELOPE_PREFIX
    ):
        raise jws.JwsError("not an EnvelopedVerifiableCredential with a vc+jwt")
    signed = jws.verify(token.removeprefix(ENVELOPE_PREFIX))
    credential = json.loads(signed.payload)
    if credential.get("issuer", {}).get("id") != signed.did:
        raise jws.JwsError(f"signed by {signed.did}, but the issuer is another")
    return credential, signed


# -- the UNTP 0.6.1 rules these credentials must meet (schemas' required fields and enums) ------

_REQUIRED_TYPES = {
    "dpp": ("DigitalProductPassport", DPP_CONTEXT, "ProductPassport"),
    "dcc": ("DigitalConformityCredential", DCC_CONTEXT, "ConformityAttestation"),
    "dte": ("DigitalTraceabilityEvent", DTE_CONTEXT, "TransformationEvent"),
}
_DATE_TIME = "%Y-%m-%dT%H:%M:%SZ"


def untp_problems(credential: dict[str, Any], kind: str) -> list[str]:
    """Where ``credential`` breaks the UNTP 0.6.1 schema of ``kind`` (empty: it meets it)."""
    vc_type, context, subject_type = _REQUIRED_TYPES[kind]
    problems = []
    if credential.get("@context", [])[:2] != [VC_CONTEXT, context]:
        problems.append(f"@context must start with {VC_CONTEXT}, {context}")
    for key in ("id", "issuer", "type", "credentialSubject"):
        if key not in credential:
            problems.append(f"{key} is required")
    if not {vc_type, "VerifiableCredential"} <= set(credential.get("type", [])):
        problems.append(f"type must contain {vc_type} and VerifiableCredential")
    issuer = credential.get("issuer", {})
    if not isinstance(issuer, dict) or set(issuer) - {"type", "id", "name", "issuerAlsoKnownAs"} \
            or not {"id", "name"} <= set(issuer):  # fmt: skip
        problems.append("issuer is an object with exactly id, name (and optional type)")
    for key in ("validFrom", "validUntil"):
        if key in credential:
            try:
                datetime.strptime(credential[key], _DATE_TIME)
            except (TypeError, ValueError):
                problems.append(f"{key} must be a full date-time with Z")
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if kind == "dte" and not isinstance(subject, list):
        problems.append("a DTE's credentialSubject is an array of events")
    for s in subjects:
        if not isinstance(s, dict) or subject_type not in s.get("type", []):
            problems.append(f"credentialSubject must be typed {subject_type}")
            continue
        problems += _subject_problems(s, kind)
    return problems


def _scorecard_problems(card: Any) -> list[str]:
    """UNTP 0.6.1 ``EmissionsPerformance``: carbonFootprint and primarySourcedRatio numbers,
    declaredUnit a code, operationalScope one of None, CradleToGate, CradleToGrave; an optional
    reportingStandard needs its issuingParty (id and name)."""
    if not isinstance(card, dict):
        return ["emissionsScorecard must be an object"]
    problems = []
    for key in ("carbonFootprint", "primarySourcedRatio"):
        value = card.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"emissionsScorecard.{key} must be a number")
    if not isinstance(card.get("declaredUnit"), str) or not card.get("declaredUnit"):
        problems.append("emissionsScorecard.declaredUnit must be a unit code (UN/CEFACT Rec 20)")
    if card.get("operationalScope") not in ("None", "CradleToGate", "CradleToGrave"):
        problems.append("emissionsScorecard.operationalScope must be None, CradleToGate or "
                        "CradleToGrave")  # fmt: skip
    standard = card.get("reportingStandard")
    if standard is not None and not (
        isinstance(standard, dict) and {"id", "name"} <= set(standard.get("issuingParty") or {})
    ):
        problems.append("emissionsScorecard.reportingStandard needs issuingParty id and name")
    return problems


def _subject_problems(s: dict[str, Any], kind: str) -> list[str]:
    problems = []
    if kind == "dpp":
        if s.get("granularityLevel") not in ("item", "batch", "model"):
            problems.append("granularityLevel must be item, batch or model")
        product = s.get("product", {})
        if not {"id", "name"} <= set(product):
            problems.append("product needs id and name")
        if s.get("granularityLevel") == "item" and not (
            product.get("serialNumber") or product.get("batchNumber")
        ):
            problems.append("an item-level product needs serialNumber or batchNumber")
        for claim in s.get("conformityClaim", []):
            if not {"id", "conformance", "conformityTopic"} <= set(claim):
                problems.append("each conformityClaim needs id, conformance, conformityTopic")
        if "emissionsScorecard" in s:
            problems += _scorecard_problems(s["emissionsScorecard"])
    elif kind == "dcc":
        needed = {"id", "assessorLevel", "assessmentLevel", "attestationType", "issuedToParty"}
        if not needed <= set(s):
            problems.append(f"a ConformityAttestation needs {', '.join(sorted(needed))}")
        for a in s.get("assessment", []):
            if not {"id", "conformance", "conformityTopic"} <= set(a):
                problems.append("each assessment needs id, conformance, conformityTopic")
    else:
        for item in s.get("outputEPCList", []) + s.get("inputEPCList", []):
            if not {"id", "name"} <= set(item):
                problems.append("each EPC item needs id and name")
        for q in s.get("inputQuantityList", []) + s.get("outputQuantityList", []):
            if not {"productId", "productName", "quantity"} <= set(q):
                problems.append("each quantity needs productId, productName, quantity")
    return problems
