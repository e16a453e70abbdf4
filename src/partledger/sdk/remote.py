"""Talk to a PartLedger service over HTTP: sign in, move blobs, relay prints, audit.

For organisations that use the service rather than the chain and the store directly
(an OEM's PLM pushing encrypted containers, a hub's MES pulling licensed files and
pushing signed print events). Authentication is Sign-In with Ethereum: the client
signs an EIP-4361 message with its account key and keeps the bearer token.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from partledger.crypto import HpkePrivateKey, WrappedKey, decrypt_to, unwrap_dek
from partledger.errors import PartLedgerError
from partledger.sdk.hub import SignedAttestation
from partledger.sdk.types import hex32, to_bytes32
from partledger.siwe import SiweMessage, format_time
from partledger.storage import BlobCorruptedError

CHUNK = 1024 * 1024


class ServiceError(PartLedgerError, RuntimeError):
    """The service answered with an RFC 9457 problem; ``problem`` holds it."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        title = problem.get("title", "request failed")
        detail = problem.get("detail") or ""
        errors = problem.get("errors")
        if isinstance(errors, list) and errors:  # a validation problem: name each field
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', []) if p != 'body') or 'body'}: "
                f"{e.get('msg', '')}"
                for e in errors
                if isinstance(e, dict)
            )
        super().__init__(f"{status} {title}: {detail}".rstrip(": "))

    @property
    def type(self) -> str:
        return str(self.problem.get("type", ""))


def attestation_item(signed: SignedAttestation) -> dict[str, Any]:
    """One hub-signed attestation as an item of ``POST /v1/prints``."""
    r = signed.record
    return {
        "licence_id": hex32(r.licence_id),
        "serial": hex32(r.serial),
        "machine_id": hex32(r.machine_id),
        "material_lot_hash": hex32(r.material_lot_hash),
        "quality_report_hash": hex32(r.quality_report_hash),
        "deadline": signed.deadline,
        "signature": "0x" + signed.signature.hex(),
    }


def _siwe_domain(base_url: str) -> str:
    """The EIP-4361 domain of a service URL: its host (lower case) and non-default port."""
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the service URL must be absolute, http(s)://host[:port]: {base_url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 443 if scheme == "https" else 80
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


class ServiceClient:
    """One account's session with a PartLedger service."""

    def __init__(
        self,
        base_url: str,
        account: LocalAccount,
        *,
        chain_id: int,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account = account
        self.chain_id = chain_id
        self._http = http or httpx.Client(base_url=self.base_url, timeout=timeout)
        self._token: str | None = None
        self._expires_at = 0.0

    # -- session ---------------------------------------------------------------------------
    def login(self) -> None:
        """Sign an EIP-4361 message with a fresh nonce and keep the bearer token.

        The message is for the origin this client talks to: ``base_url``'s host[:port] as
        domain, a URI on it (the service refuses messages for any other origin)."""
        domain = _siwe_domain(self.base_url)
        nonce = self._json("GET", "/v1/auth/nonce", auth=False)["nonce"]
        now = datetime.now(UTC)
        message = SiweMessage(
            domain=domain,
            address=str(self.account.address),
            uri=f"{self.base_url}/v1/auth/token",
            chain_id=self.chain_id,
            nonce=nonce,
            issued_at=format_time(now),
            statement="Sign in to PartLedger",
            expiration_time=format_time(now + timedelta(minutes=5)),
        ).to_text()
        signature = self.account.sign_message(encode_defunct(text=message)).signature
        body = {"message": message, "signature": "0x" + bytes(signature).hex()}
        token = self._json("POST", "/v1/auth/token", json=body, auth=False)
        self._token = token["access_token"]
        self._expires_at = float(token["expires_at"])

    def _headers(self, auth: bool) -> dict[str, str]:
        if not auth:
            return {}
        if self._token is None or time.time() > self._expires_at - 30:
            self.login()
        return {"Authorization": f"Bearer {self._token}"}

    def _json(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        response = self._http.request(method, path, headers=self._headers(auth), **kwargs)
        return _checked(response).json()

    # -- blobs -----------------------------------------------------------------------------
    def upload_blob(
        self, source: Path | bytes | Iterable[bytes], kind: str, *, sha256: str | None = None
    ) -> str:
        """Stream an (encrypted) blob to the service; returns its SHA-256 id.

        Pass ``sha256`` when the blob's hash is known already (an encrypted container's is,
        once encrypted): it is sent as ``X-Content-SHA256``, the service stores the blob
        only if the bytes hash to it (``ServiceError`` 422 otherwise, nothing stored) and an
        S3 store writes it in place, without a server-side copy."""
        content: bytes | Iterator[bytes]
        if isinstance(source, Path):
            content = _file_chunks(source)
        elif isinstance(source, bytes):
            content = source
        else:
            content = iter(source)
        headers = {**self._headers(True), "content-type": "application/octet-stream"}
        if sha256 is not None:
            headers["X-Content-SHA256"] = sha256.lower().removeprefix("0x")
        response = self._http.post(
            "/v1/blobs", params={"kind": kind}, headers=headers, content=content
        )
        return str(_checked(response).json()["sha256"])

    # -- hub ----------------------------------------------------------------------------------
    def hub_licences(self) -> list[dict[str, Any]]:
        """The caller hub's licences with remaining prints."""
        found: list[dict[str, Any]] = self._json("GET", "/v1/hub/licences")
        return found

    def wrapped_key(self, licence_id: str) -> WrappedKey:
        """The design key wrapped to this hub for ``licence_id`` (released only if usable)."""
        body = self._json("GET", f"/v1/hub/licences/{licence_id}/key")
        return WrappedKey.from_bytes(bytes.fromhex(body["wrapped_key"].removeprefix("0x")))

    def download_container(self, licence_id: str, out: BinaryIO) -> int:
        """Stream the licensed design's encrypted container into ``out``; returns bytes."""
        written = 0
        path = f"/v1/hub/licences/{licence_id}/container"
        with self._http.stream("GET", path, headers=self._headers(True)) as response:
            if response.status_code >= 400:
                response.read()
                _checked(response)
            for chunk in response.iter_bytes(CHUNK):
                out.write(chunk)
                written += len(chunk)
        return written

    def fetch_design(
        self,
        licence_id: str,
        destination: Path,
        keys: HpkePrivateKey | Sequence[HpkePrivateKey],
        *,
        expected_content_sha256: str | None = None,
        expected_container_sha256: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> str:
        """Download a licensed design and decrypt it locally with the hub's HPKE key.

        One streamed read checks every segment (AES-GCM), the container hash and the
        plaintext hash; ``destination`` appears only if all of them verified. The data key
        only opens with this hub's private key and only for this (design, licence): the
        service never sees it. Pass the hashes read from the chain to check against the
        ledger itself; otherwise the design record the service reports is used. Returns the
        plaintext SHA-256.
        """
        licence = self.hub_licence(licence_id)
        design_id = str(licence["design_id"])
        design = self._json("GET", f"/v1/designs/{design_id}")
        content = (expected_content_sha256 or design["content_hash"]).removeprefix("0x")
        container = (expected_container_sha256 or design["container_hash"]).removeprefix("0x")
        wrapped = self.wrapped_key(licence_id)
        candidates = [keys] if isinstance(keys, HpkePrivateKey) else list(keys)
        key = next(
            (k for k in candidates if k.public_key().fingerprint == wrapped.recipient),
            candidates[0],
        )
        dek = unwrap_dek(
            wrapped, key, design_id=to_bytes32(design_id), licence_id=to_bytes32(licence_id)
        )
        path = f"/v1/hub/licences/{licence_id}/container"
        with self._http.stream("GET", path, headers=self._headers(True)) as response:
            if response.status_code >= 400:
                response.read()
                _checked(response)
            source = _HashCheckingReader(response.iter_bytes(CHUNK), container, on_progress)
            return decrypt_to(source, destination, dek, expected_sha256=content)

    def hub_licence(self, licence_id: str) -> dict[str, Any]:
        """One of the caller hub's licences (``ServiceError`` 404 if it has no such licence)."""
        wanted = licence_id.lower()
        for licence in self.hub_licences():
            if str(licence["licence_id"]).lower() == wanted:
                return licence
        raise ServiceError(
            404, {"title": "Not Found", "detail": f"this hub holds no licence {licence_id}"}
        )

    # -- prints -------------------------------------------------------------------------------
    def submit_attestations(self, signed: Sequence[SignedAttestation]) -> list[dict[str, Any]]:
        """Queue hub-signed attestations for relaying; one receipt each."""
        items = [attestation_item(s) for s in signed]
        receipts: list[dict[str, Any]] = []
        for start in range(0, len(items), 1000):
            body = {"attestations": items[start : start + 1000]}
            receipts += self._json("POST", "/v1/prints", json=body)["receipts"]
        return receipts

    def receipt(self, receipt_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", f"/v1/prints/receipts/{receipt_id}")
        return found

    def wait_final(
        self, receipt_ids: Sequence[str], timeout: float = 120.0
    ) -> list[dict[str, Any]]:
        """Poll receipts until each is ``final`` or ``failed``."""
        deadline = time.monotonic() + timeout
        done: dict[str, dict[str, Any]] = {}
        while len(done) < len(receipt_ids):
            for receipt_id in receipt_ids:
                if receipt_id not in done:
                    body = self.receipt(receipt_id)
                    if body["status"] in ("final", "failed"):
                        done[receipt_id] = body
            if len(done) < len(receipt_ids):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(receipt_ids) - len(done)} receipts not final")
                time.sleep(0.1)
        return [done[r] for r in receipt_ids]

    # -- audit ----------------------------------------------------------------------------------
    def provenance(
        self, serial_number: str, design_id: str | None = None, *, signed_in: bool = True
    ) -> dict[str, Any]:
        """A part's provenance with the service's per-claim verification (``signed_in=False``
        for a service whose provenance is public: no sign-in)."""
        params = {"design_id": design_id} if design_id else {}
        found: dict[str, Any] = self._json(
            "GET", f"/v1/audit/provenance/{serial_number}", params=params, auth=signed_in
        )
        return found

    # -- public product records and browser sign-in ---------------------------------------------
    def put_public_product(self, design_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Replace the public product record of one of this OEM's designs (GTIN, name, part
        number, revision, material, process, description: ``None`` leaves one out)."""
        body = {k: v for k, v in fields.items() if v is not None}
        record: dict[str, Any] = self._json("PUT", f"/v1/designs/{design_id}/public", json=body)
        return record

    def public_product(self, design_id: str) -> dict[str, Any]:
        """A design's public product record (no sign-in; ``ServiceError`` 404 if none)."""
        record: dict[str, Any] = self._json("GET", f"/v1/designs/{design_id}/public", auth=False)
        return record

    def browser_ticket(self) -> dict[str, Any]:
        """A single-use link that signs a browser in to the service's auditor pages."""
        ticket: dict[str, Any] = self._json("POST", "/v1/auth/browser-ticket")
        return ticket

    def close(self) -> None:
        self._http.close()


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code < 400:
        return response
    try:
        problem = response.json()
    except ValueError:
        problem = {"title": response.reason_phrase, "detail": response.text[:500]}
    raise ServiceError(response.status_code, problem if isinstance(problem, dict) else {})


class _HashCheckingReader(io.RawIOBase):
    """Reads chunks while hashing them; at the end, refuses bytes that are not ``sha256``."""

    def __init__(
        self, chunks: Iterator[bytes], sha256: str, on_progress: Callable[[int], None] | None
    ) -> None:
        super().__init__()
        self._chunks = chunks
        self._expected = sha256
        self._digest = hashlib.sha256()
        self._pending = memoryview(b"")
        self._on_progress = on_progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                if self._digest.hexdigest() != self._expected:
                    raise BlobCorruptedError(
                        f"the service sent a container hashing to {self._digest.hexdigest()}, "
                        f"not {self._expected}"
                    )
                return 0
            self._digest.update(chunk)
            if self._on_progress is not None:
                self._on_progress(len(chunk))
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk
