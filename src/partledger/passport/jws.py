"""Compact JWS with ES256K (RFC 8812) by Ethereum accounts, named as ``did:pkh`` DIDs.

The signer's secp256k1 public key travels in the protected header (``jwk``); a verifier checks
the signature with it and that the key's Ethereum address is the one in ``kid``
(``did:pkh:eip155:<chainId>:<address>#blockchainAccountId``). No service is trusted: the DID is
the account the chain already knows (hub, OEM, certifier).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from partledger.errors import PartLedgerError

__all__ = ["JwsError", "Signed", "did_pkh", "sign", "verify"]


class JwsError(PartLedgerError, ValueError):
    """A JWS is malformed, its signature is wrong, or its key is not the named account's."""


@dataclass(frozen=True)
class Signed:
    """A verified JWS: who signed (did:pkh and address) and the payload."""

    did: str
    address: str
    payload: bytes
    header: dict[str, Any]


def did_pkh(chain_id: int, address: str) -> str:
    """``did:pkh:eip155:<chainId>:<checksummed address>`` (CAIP-10)."""
    return f"did:pkh:eip155:{chain_id}:{to_checksum_address(address)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise JwsError(f"not base64url: {exc}") from None


def _address_of(public: ec.EllipticCurvePublicKey) -> str:
    numbers = public.public_numbers()
    raw = numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
    return to_checksum_address(keccak(raw)[12:])


def sign(
    payload: bytes, private_key: bytes, chain_id: int, *, typ: str = "JWT", detached: bool = False
) -> str:
    """Sign ``payload`` with an Ethereum account key; compact JWS serialization (with
    ``detached``, the payload part is left empty: RFC 7515 appendix F)."""
    key = ec.derive_private_key(int.from_bytes(private_key, "big"), ec.SECP256K1())
    public = key.public_key().public_numbers()
    did = did_pkh(chain_id, _address_of(key.public_key()))
    header = {
        "alg": "ES256K",
        "typ": typ,
        "kid": f"{did}#blockchainAccountId",
        "jwk": {
            "kty": "EC", "crv": "secp256k1",
            "x": _b64(public.x.to_bytes(32, "big")), "y": _b64(public.y.to_bytes(32, "big")),
        },
    }  # fmt: skip
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64(payload)
    ).encode()
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    head, body = signing_input.decode().split(".")
    return f"{head}.{'' if detached else body}." + _b64(
        r.to_bytes(32, "big") + s.to_bytes(32, "big")
    )


def verify(token: str, *, detached_payload: bytes | None = None) -> Signed:
    """Check a compact ES256K JWS and that its key is the account named in ``kid``."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise JwsError("a compact JWS has three parts")
    if detached_payload is not None:
        if parts[1]:
            raise JwsError("a detached JWS carries no payload")
        parts[1] = _b64(detached_payload)
    try:
        header = json.loads(_unb64(parts[0]))
        jwk = header["jwk"]
        if header.get("alg") != "ES256K" or jwk.get("crv") != "secp256k1":
            raise JwsError(f"unsupported algorithm {header.get('alg')!r}")
        x = int.from_bytes(_unb64(jwk["x"]), "big")
        y = int.from_bytes(_unb64(jwk["y"]), "big")
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256K1()).public_key()
        did = str(header["kid"]).split("#", 1)[0]
    except JwsError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise JwsError(f"malformed JWS header: {exc!r}") from None
    signature = _unb64(parts[2])
    if len(signature) != 64:
        raise JwsError("an ES256K signature is 64 bytes")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public.verify(der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise JwsError("the signature does not verify") from None
    address = _address_of(public)
    if not did.startswith("did:pkh:eip155:") or did.rsplit(":", 1)[-1] != address:
        raise JwsError(f"the signing key belongs to {address}, not to {did}")
    return Signed(did, address, _unb64(parts[1]), header)
