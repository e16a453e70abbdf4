"""Small off-chain documents (design metadata, licence terms) sealed under a design's key.

A document is canonical JSON, encrypted into a container with the design's
data key and stored as a blob; its blob id (the container's SHA-256) is what
goes on-chain, so anyone can check integrity and key holders can read it.
"""

from __future__ import annotations

import io
import json
from typing import Any

from partledger.crypto import DataKey
from partledger.storage import BlobStore, store_encrypted
from partledger.storage.encrypted import retrieve_decrypted

MAX_DOCUMENT_BYTES = 1024 * 1024


def canonical_json(document: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same document always gives the same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_document(store: BlobStore, dek: DataKey, document: dict[str, Any]) -> str:
    """Encrypt ``document`` under ``dek`` into ``store``; return its blob id."""
    data = canonical_json(document)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"document is {len(data)} bytes; at most {MAX_DOCUMENT_BYTES} allowed")
    return store_encrypted(store, [data], dek=dek).container_sha256


def open_document(store: BlobStore, blob_id: str, dek: DataKey) -> dict[str, Any]:
    """Decrypt and parse a sealed document."""
    out = io.BytesIO()
    retrieve_decrypted(store, blob_id, dek, out, expected_plaintext_sha256=None)
    document: dict[str, Any] = json.loads(out.getvalue())
    return document
