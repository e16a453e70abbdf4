"""S3-compatible ``BlobStore``: ``<prefix>/<2 hex>/<64 hex>`` in a bucket, streamed both ways.

A blob larger than one part is uploaded as a multipart upload under a temporary
key (``<prefix>/.uploads/<uuid>``) while its SHA-256 is computed; only then is it
copied server-side to its final key with a conditional write (``If-None-Match: *``),
and the temporary object deleted. A blob of at most one part is hashed in memory
and written to its final key in one conditional ``PutObject`` carrying its SHA-256
checksum. When the caller knows the SHA-256 in advance (``expected_sha256``) the
multipart upload goes straight to the final key and is completed (conditionally) only if
the bytes hash to it, else aborted: no temporary object, no copy. Either way no partial
object is ever visible under a final key, and memory stays bounded by a few parts
whatever the blob's size.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import errno
import functools
import hashlib
import io
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, NoReturn
from urllib.parse import parse_qs, urlsplit

from partledger.storage.blob_store import (
    BlobHashMismatchError,
    BlobInfo,
    BlobSource,
    check_blob_id,
    check_expected_sha256,
)
from partledger.storage.errors import (
    BlobCorruptedError,
    BlobNotFoundError,
    BlobTooLargeError,
    BlobWriteError,
    StorageError,
)

DEFAULT_MAX_BLOB_BYTES = 64 * 1024**3
DEFAULT_PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PARTS = 10_000
COPY_PART_SIZE = 1024**3  # server-side copy parts (S3 allows up to 5 GiB)
_MAX_COPY_PART = 5 * 1024**3
_READ_CHUNK = 1024 * 1024
# declared when a multipart upload starts, as s3transfer does: the server checks every
# part's CRC32 and stores the object's composite checksum (and moto completes 2-3x faster)
PART_CHECKSUM = "CRC32"
_READ_RETRIES = 3
_UPLOADS = ".uploads"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_EXISTS = {"412", "PreconditionFailed"}
_CONFLICT = {"409", "ConditionalRequestConflict", "OperationAborted"}
_UNSUPPORTED = {"501", "NotImplemented"}


class BlobStoreUnavailableError(StorageError, ConnectionError):
    """The object store cannot be reached (endpoint down, refused, timed out)."""


@dataclass(frozen=True, slots=True)
class S3Location:
    """Where blobs live: a bucket and a key prefix (no leading or trailing slash)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None


def parse_s3_url(url: str) -> S3Location:
    """Parse ``s3://bucket[/prefix][?endpoint=URL&region=NAME]`` (``ValueError`` if malformed)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "s3":
        raise ValueError(f"not an s3:// URL: {url!r}")
    if parts.username is not None or parts.password is not None or parts.port is not None:
        raise ValueError("an s3:// URL names a bucket only (credentials go in AWS_* variables)")
    bucket = parts.netloc
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"invalid bucket name {bucket!r}")
    prefix = parts.path.strip("/")
    segments = prefix.split("/") if prefix else []
    if any(s in ("", ".", "..") or s.startswith(".") for s in segments):
        raise ValueError(f"invalid key prefix {prefix!r} (empty, '.' or dot-led segment)")
    if parts.fragment:
        raise ValueError("an s3:// URL takes no fragment")
    query = parse_qs(parts.query, strict_parsing=False)
    unknown = set(query) - {"endpoint", "region"}
    if unknown:
        raise ValueError(f"unknown s3:// URL parameter(s): {', '.join(sorted(unknown))}")
    endpoint = query.get("endpoint", [None])[-1]
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ValueError(f"endpoint must be an http(s) URL, not {endpoint!r}")
    return S3Location(bucket, prefix, endpoint, query.get("region", [None])[-1])


@dataclass(frozen=True, slots=True)
class AbandonedUpload:
    """An upload a writer never finished: an open multipart upload or a temporary object."""

    key: str
    started_at: float
    upload_id: str | None = None
    size: int | None = None

    @property
    def kind(self) -> str:
        """``multipart`` (never completed) or ``temp_object`` (never published)."""
        return "multipart" if self.upload_id is not None else "temp_object"


class S3BlobStore:
    """Content-addressed blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, moto).

    Connection settings not given here come from the usual AWS variables
    (``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL``, ``AWS_REGION``/``AWS_DEFAULT_REGION``,
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles, instance roles).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        client: Any = None,
        max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
        part_size: int = DEFAULT_PART_SIZE,
        concurrency: int = 4,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
        min_purge_age: float = 3600.0,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.max_blob_bytes = max_blob_bytes
        self.part_size = part_size
        self.concurrency = max(1, concurrency)
        self.min_purge_age = min_purge_age
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._blob_key = re.compile(re.escape(self._root) + r"([0-9a-f]{2})/([0-9a-f]{64})")
        self.client = client or _make_client(
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            pool=self.concurrency + 4,
        )

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3BlobStore:
        """A store for ``s3://bucket/prefix`` (see :func:`parse_s3_url`)."""
        where = parse_s3_url(url)
        options.setdefault("endpoint_url", where.endpoint_url)
        options.setdefault("region", where.region)
        return cls(where.bucket, where.prefix, **options)

    @property
    def endpoint(self) -> str:
        """The endpoint URL the client talks to."""
        return str(self.client.meta.endpoint_url)

    @property
    def url(self) -> str:
        """``s3://bucket/prefix`` of this store."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def __repr__(self) -> str:
        return f"S3BlobStore({self.url!r}, endpoint={self.endpoint!r})"

    def key_of(self, sha256: str) -> str:
        """The object key of a blob (validated id)."""
        check_blob_id(sha256)
        return f"{self._root}{sha256[:2]}/{sha256}"

    # -- writing -------------------------------------------------------------------------
    def put(
        self,
        stream: BlobSource,
        *,
        max_bytes: int | None = None,
        expected_sha256: str | None = None,
    ) -> BlobInfo:
        """Store ``stream`` (binary file or iterable of chunks) and return its id and size.

        With ``expected_sha256`` the blob is uploaded straight to its final key (no
        temporary object, no server-side copy) and the multipart upload is completed only
        if the bytes hash to it: otherwise it is aborted (an incomplete upload is never
        visible) and ``BlobHashMismatchError`` raised. A blob stored already is only
        hashed, not uploaded again.
        """
        expected = check_expected_sha256(expected_sha256)
        limit = self.max_blob_bytes if max_bytes is None else min(max_bytes, self.max_blob_bytes)
        if expected is not None and self.exists(expected):
            return self._check_stored(stream, limit, expected)
        buffers = _PartBuffers(self.part_size, self.concurrency + 1)
        parts = _PartSplitter(stream, limit, buffers)
        upload: _MultipartUpload | None = None
        try:
            for part in parts:
                if upload is None:
                    key = None if expected is None else self.key_of(expected)
                    upload = self._start_upload(key, buffers)
                upload.submit(part)
            sha256 = parts.digest.hexdigest()
            if expected is not None and sha256 != expected:
                raise BlobHashMismatchError(expected, sha256)
            if upload is None:
                self._put_whole(sha256, bytes(parts.rest), parts.digest.digest())
                return BlobInfo(sha256, parts.size)
            if parts.rest:
                upload.submit(parts.rest)
            parts.rest = bytearray()
            uploaded = upload.finish()
            if expected is not None:
                self._complete_conditional(upload.key, upload.upload_id, uploaded)
                return BlobInfo(sha256, parts.size)
            with self._errors(f"completing upload {upload.key}", write=True):
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=upload.key,
                    UploadId=upload.upload_id,
                    MultipartUpload={"Parts": uploaded},
                )
        except BaseException:
            if upload is not None:
                upload.abort()
            raise
        try:
            self._publish(upload.key, sha256, parts.size)
        finally:
            with contextlib.suppress(Exception):  # a leftover is found by abandoned_uploads
                self.client.delete_object(Bucket=self.bucket, Key=upload.key)
        return BlobInfo(sha256, parts.size)

    def _check_stored(self, stream: BlobSource, limit: int, expected: str) -> BlobInfo:
        """The blob is stored already: hash ``stream`` (within ``limit``), upload nothing."""
        digest = hashlib.sha256()
        size = 0
        for chunk in _chunks(stream):
            size += len(chunk)
            if size > limit:
                raise BlobTooLargeError(limit)
            digest.update(chunk)
        if digest.hexdigest() != expected:
            raise BlobHashMismatchError(expected, digest.hexdigest())
        return BlobInfo(expected, size)

    def _start_upload(
        self, key: str | None = None, buffers: _PartBuffers | None = None
    ) -> _MultipartUpload:
        """A multipart upload to ``key``, by default a new temporary key; the part
        ``buffers`` are handed back as each part is sent."""
        if key is None:
            # the start time in the name: ages do not depend on the server's upload listing
            key = f"{self._root}{_UPLOADS}/{time.time_ns() // 1_000_000}-{uuid.uuid4().hex}"
        with self._errors("starting an upload", write=True):
            created = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ChecksumAlgorithm=PART_CHECKSUM
            )
        return _MultipartUpload(self, key, str(created["UploadId"]), buffers)

    def _put_whole(self, sha256: str, data: bytes, raw_digest: bytes) -> None:
        """One conditional ``PutObject`` of a small blob, its SHA-256 checked by the server."""
        checksum = base64.b64encode(raw_digest).decode()
        request = {"Bucket": self.bucket, "Key": self.key_of(sha256), "Body": data}
        with self._errors(f"writing blob {sha256}", write=True):
            try:
                self.client.put_object(**request, ChecksumSHA256=checksum, IfNoneMatch="*")
            except Exception as exc:
                code = _error_code(exc)
                if code in _EXISTS:
                    return  # identical content is stored already
                if code in _CONFLICT and self.exists(sha256):
                    return
                if code not in _UNSUPPORTED:
                    raise
                self.client.put_object(**request)  # a server without conditional writes

    def _publish(self, temp_key: str, sha256: str, size: int) -> None:
        """Copy a completed temporary object to the blob's key, unless it is there already."""
        if self.exists(sha256):
            return
        final = self.key_of(sha256)
        with self._errors(f"publishing blob {sha256}", write=True):
            created = self.client.create_multipart_upload(Bucket=self.bucket, Key=final)
            upload_id = created["UploadId"]
            try:
                parts = self._copy_parts(temp_key, final, upload_id, size)
                self._complete_conditional(final, upload_id, parts)
            except BaseException:
                with contextlib.suppress(Exception):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=final, UploadId=upload_id
                    )
                raise

    def _copy_parts(
        self, source: str, key: str, upload_id: str, size: int
    ) -> builtins.list[dict[str, Any]]:
        step = min(_MAX_COPY_PART, max(COPY_PART_SIZE, math.ceil(size / MAX_PARTS)))
        ranges = [(start, min(start + step, size) - 1) for start in range(0, size, step)]

        def copy(number: int, first: int, last: int) -> dict[str, Any]:
            answer = self.client.upload_part_copy(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                CopySource={"Bucket": self.bucket, "Key": source},
                CopySourceRange=f"bytes={first}-{last}",
            )
            return {"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]}

        if len(ranges) == 1:
            return [copy(1, *ranges[0])]
        with ThreadPoolExecutor(min(self.concurrency, len(ranges)), "pl-s3-copy") as pool:
            futures = [pool.submit(copy, n, a, b) for n, (a, b) in enumerate(ranges, 1)]
            return [future.result() for future in futures]

    def _complete_conditional(
        self, key: str, upload_id: str, parts: builtins.list[dict[str, Any]]
    ) -> None:
        request = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": upload_id,
            "MultipartUpload": {"Parts": parts},
        }
        with self._errors(f"completing upload {key}", write=True):
            try:
                self.client.complete_multipart_upload(**request, IfNoneMatch="*")
            except Exception as exc:
                code = _error_code(exc)
                if (code in _EXISTS or code in _CONFLICT) and self._head(key) is not None:
                    # another writer published identical content (content addressing)
                    with contextlib.suppress(Exception):
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=key, UploadId=upload_id
                        )
                    return
                if code not in _UNSUPPORTED:
                    raise
                self.client.complete_multipart_upload(**request)

    # -- reading -------------------------------------------------------------------------
    def open(self, sha256: str) -> BinaryIO:
        """Open a blob for streamed reading (seekable: a seek re-requests a byte range)."""
        return _S3Reader(self, sha256)  # type: ignore[return-value]

    def _head(self, key: str) -> dict[str, Any] | None:
        with self._errors(f"reading {key}"):
            try:
                answer: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
            except Exception as exc:
                if _error_code(exc) in _NOT_FOUND:
                    return None
                raise
        return answer

    def stat(self, sha256: str) -> BlobInfo:
        """Id and size of a stored blob."""
        head = self._head(self.key_of(sha256))
        if head is None:
            raise BlobNotFoundError(f"no blob {sha256}")
        return BlobInfo(sha256, int(head["ContentLength"]))

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self._head(self.key_of(sha256)) is not None

    def modified_at(self, sha256: str) -> float:
        """When the blob was stored (POSIX time; ``BlobNotFoundError`` if absent)."""
        head = self._head(self.key_of(sha256))
        if head is None:
            raise BlobNotFoundError(f"no blob {sha256}")
        return float(head["LastModified"].timestamp())

    def delete(self, sha256: str) -> bool:
        """Remove a blob; return whether it existed."""
        key = self.key_of(sha256)
        if self._head(key) is None:
            return False
        with self._errors(f"deleting blob {sha256}", write=True):
            self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def list(self) -> Iterator[str]:
        """Yield stored blob ids in sorted order (uploads and quarantine are never listed)."""
        for item in self._objects(self._root):
            match = self._blob_key.fullmatch(item["Key"])
            if match and match.group(2).startswith(match.group(1)):
                yield match.group(2)

    def verify(self, sha256: str) -> BlobInfo:
        """Re-hash a stored blob; raise ``BlobCorruptedError`` if it no longer matches."""
        digest = hashlib.sha256()
        size = 0
        with self.open(sha256) as blob:
            while chunk := blob.read(_READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise BlobCorruptedError(f"blob {sha256} hashes to {digest.hexdigest()}")
        return BlobInfo(sha256, size)

    def _objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        with self._errors(f"listing s3://{self.bucket}/{prefix}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                yield from page.get("Contents", [])

    # -- other objects under the prefix (the reconciler's quarantine) ---------------------
    def _own(self, key: str) -> str:
        if not key.startswith(self._root) or ".." in key.split("/") or key.endswith("/"):
            raise ValueError(f"{key!r} is not an object key under this store's prefix")
        return key

    def keys(self, under: str) -> Iterator[str]:
        """Yield the keys under ``<prefix>/<under>`` (e.g. ``.quarantine/``), sorted."""
        if ".." in under.split("/"):
            raise ValueError(f"{under!r} is not a path under this store's prefix")
        for item in self._objects(f"{self._root}{under}"):
            yield str(item["Key"])

    def open_key(self, key: str) -> BinaryIO:
        """Open any object under the prefix (``BlobNotFoundError`` if absent), as ``open``."""
        return _S3Reader(self, key, self._own(key))  # type: ignore[return-value]

    def put_key(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        """Write a small object under the prefix; with ``if_absent`` (``If-None-Match: *``)
        an existing object is kept and False returned."""
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self._own(key), "Body": data}
        with self._errors(f"writing {key}", write=True):
            if not if_absent:
                self.client.put_object(**request)
                return True
            try:
                self.client.put_object(**request, IfNoneMatch="*")
            except Exception as exc:
                code = _error_code(exc)
                if code in _EXISTS or (code in _CONFLICT and self._head(key) is not None):
                    return False
                if code not in _UNSUPPORTED:
                    raise
                self.client.put_object(**request)  # a server without conditional writes
        return True

    def copy_key(self, source: str, dest: str, *, if_absent: bool = False) -> None:
        """Server-side copy of an object under the prefix to another key under it (one
        ``CopyObject``, or a multipart copy above 5 GiB). With ``if_absent`` the copy is a
        multipart copy completed with ``If-None-Match: *``: an object already at ``dest`` is
        kept (success: content addressing). ``BlobNotFoundError`` if ``source`` is absent."""
        self._own(dest)
        head = self._head(self._own(source))
        if head is None:
            raise BlobNotFoundError(f"no object {source}")
        size = int(head["ContentLength"])
        doing = f"copying {source} to {dest}"
        if size == 0:
            self.put_key(dest, b"", if_absent=if_absent)
            return
        if not if_absent and size <= _MAX_COPY_PART:
            with self._errors(doing, write=True):
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=dest,
                    CopySource={"Bucket": self.bucket, "Key": source},
                    CopySourceIfMatch=head["ETag"],  # exactly the version looked at
                )
            return
        with self._errors(doing, write=True):
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=dest)[
                "UploadId"
            ]
            try:
                parts = self._copy_parts(source, dest, upload_id, size)
                if if_absent:
                    self._complete_conditional(dest, upload_id, parts)
                else:
                    self.client.complete_multipart_upload(
                        Bucket=self.bucket,
                        Key=dest,
                        UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
            except BaseException:
                with contextlib.suppress(Exception):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=dest, UploadId=upload_id
                    )
                raise

    def delete_key(self, key: str) -> None:
        """Delete an object under the prefix (nothing if it is absent)."""
        with self._errors(f"deleting {key}", write=True):
            self.client.delete_object(Bucket=self.bucket, Key=self._own(key))

    # -- leftovers of crashed writers ------------------------------------------------------
    def abandoned_uploads(
        self, older_than_seconds: float = 3600.0
    ) -> builtins.list[AbandonedUpload]:
        """Unfinished multipart uploads and temporary objects older than the given age."""
        cutoff = time.time() - older_than_seconds
        found: builtins.list[AbandonedUpload] = []
        with self._errors("listing unfinished uploads"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self._root
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    started = _started_at(upload["Key"], upload["Initiated"].timestamp())
                    if started <= cutoff:
                        found.append(AbandonedUpload(upload["Key"], started, upload["UploadId"]))
        for item in self._objects(f"{self._root}{_UPLOADS}/"):
            started = _started_at(item["Key"], item["LastModified"].timestamp())
            if started <= cutoff:
                found.append(AbandonedUpload(item["Key"], started, None, int(item["Size"])))
        return sorted(found, key=lambda u: (u.started_at, u.key))

    def discard_upload(self, upload: AbandonedUpload) -> None:
        """Abort an unfinished multipart upload or delete a temporary object."""
        if not upload.key.startswith(self._root):
            raise ValueError(f"{upload.key!r} is not under this store's prefix")
        with self._errors(f"discarding upload {upload.key}", write=True):
            if upload.upload_id is not None:
                try:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload.key, UploadId=upload.upload_id
                    )
                except Exception as exc:
                    if _error_code(exc) not in {"404", "NoSuchUpload"}:
                        raise
            elif upload.key.startswith(f"{self._root}{_UPLOADS}/"):
                self.client.delete_object(Bucket=self.bucket, Key=upload.key)

    def purge_temp(self, *, older_than_seconds: float = 3600.0) -> int:
        """Discard abandoned uploads; return how many.

        The age is at least ``min_purge_age``: other processes sharing the bucket may
        be uploading right now (a filesystem store has one writer machine; a bucket may not).
        """
        uploads = self.abandoned_uploads(max(older_than_seconds, self.min_purge_age))
        for upload in uploads:
            self.discard_upload(upload)
        return len(uploads)

    # -- errors --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self, doing: str, *, write: bool = False) -> Iterator[None]:
        """Turn botocore's exceptions into storage errors naming the endpoint and bucket."""
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            _raise_storage_error(self, exc, doing, write=write)


def _raise_storage_error(
    store: S3BlobStore, exc: Exception, doing: str, *, write: bool
) -> NoReturn:
    bx = _botocore_exceptions()
    where = f"s3://{store.bucket} at {store.endpoint}"
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionError | bx.ConnectTimeoutError):
        raise BlobStoreUnavailableError(
            f"object store unreachable while {doing}: {where} ({type(exc).__name__})"
        ) from exc
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        raise StorageError(
            f"no credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from exc
    code = _error_code(exc)
    if code == "NoSuchBucket":
        raise StorageError(f"bucket {store.bucket!r} does not exist at {store.endpoint}") from exc
    if isinstance(exc, bx.ClientError):
        message = (
            f"{doing} failed on {where}: {code} {exc.response.get('Error', {}).get('Message', '')}"
        )
        if write:
            raise BlobWriteError(errno.EIO, message.strip()) from exc
        raise StorageError(message.strip()) from exc
    if isinstance(exc, bx.BotoCoreError | OSError):
        if write:
            raise BlobWriteError(errno.EIO, f"{doing} failed on {where}: {exc}") from exc
        raise StorageError(f"{doing} failed on {where}: {exc}") from exc
    raise exc


def _started_at(key: str, listed: float) -> float:
    """When an upload started: from its temp key's name (``<ms>-<uuid>``), else as listed."""
    name = key.rsplit("/", 1)[-1]
    stamp, _, rest = name.partition("-")
    if stamp.isdigit() and len(rest) == 32:
        return int(stamp) / 1000
    return float(listed)


def _botocore_exceptions() -> Any:
    from botocore import exceptions  # type: ignore[import-untyped]

    return exceptions


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    code = response.get("Error", {}).get("Code")
    if code:
        return str(code)
    return str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _chunks(stream: BlobSource) -> Iterator[bytes]:
    if hasattr(stream, "read"):
        while chunk := stream.read(_READ_CHUNK):
            yield bytes(chunk)
    else:
        for chunk in stream:
            if chunk:
                yield bytes(chunk)


class _PartBuffers:
    """At most ``count`` part-sized buffers, handed out and taken back: memory stays
    ``count * size`` whatever the blob's size (a new buffer per part would leave the
    allocator holding freed ones). ``take`` waits while every buffer is in use."""

    def __init__(self, size: int, count: int) -> None:
        self.size = size
        self._count = count
        self._made = 0
        self._free: list[bytearray] = []
        self._changed = threading.Condition()

    def take(self) -> bytearray:
        with self._changed:
            while not self._free and self._made >= self._count:
                self._changed.wait()
            if self._free:
                return self._free.pop()
            self._made += 1
        return bytearray(self.size)

    def give(self, buffer: bytes | bytearray) -> None:
        """Take a buffer back once nothing reads it (a trimmed last part is dropped)."""
        if not isinstance(buffer, bytearray) or len(buffer) != self.size:
            return
        with self._changed:
            self._free.append(buffer)
            self._changed.notify()


class _PartSplitter:
    """Iterate over the full parts of a stream while hashing and counting it; the bytes
    after the last full part are left in ``rest``. Each part is a buffer from ``buffers``,
    filled once (no joins, no slices): memory is the part being filled plus the parts in
    flight."""

    def __init__(self, stream: BlobSource, limit: int, buffers: _PartBuffers) -> None:
        self.stream = stream
        self.part_size = buffers.size
        self.buffers = buffers
        self.limit = limit
        self.digest = hashlib.sha256()
        self.size = 0
        self.rest = bytearray()

    def __iter__(self) -> Iterator[bytearray]:
        # each part buffer has its full size already (no growth by reallocation)
        part = self.buffers.take()
        filled = 0
        for chunk in _chunks(self.stream):
            self.size += len(chunk)
            if self.size > self.limit:
                raise BlobTooLargeError(self.limit)
            self.digest.update(chunk)
            view = memoryview(chunk)
            while view:
                take = min(len(view), self.part_size - filled)
                part[filled : filled + take] = view[:take]
                filled += take
                view = view[take:]
                if filled == self.part_size:
                    yield part
                    part, filled = self.buffers.take(), 0
        del part[filled:]
        self.rest = part


class _MultipartUpload:
    """Parts uploaded by a few threads; at most ``concurrency`` parts held in memory."""

    def __init__(
        self, store: S3BlobStore, key: str, upload_id: str, buffers: _PartBuffers | None = None
    ) -> None:
        self.store = store
        self.key = key
        self.upload_id = upload_id
        self._buffers = buffers
        self._pool = ThreadPoolExecutor(store.concurrency, "pl-s3-part")
        self._slots = threading.BoundedSemaphore(store.concurrency)
        self._futures: list[Future[dict[str, Any]]] = []

    def submit(self, data: bytes | bytearray) -> None:
        self._raise_failed()
        self._slots.acquire()
        number = len(self._futures) + 1
        if number > MAX_PARTS:
            self._slots.release()
            raise BlobWriteError(errno.EFBIG, f"more than {MAX_PARTS} parts: raise part_size")
        future = self._pool.submit(self._upload, number, data)
        # no reference back to this upload: a cycle would keep every part buffer alive until
        # the cyclic garbage collector happened to run (measured: one more pool per upload)
        future.add_done_callback(functools.partial(_part_sent, self._buffers, self._slots, data))
        self._futures.append(future)

    def _upload(self, number: int, data: bytes | bytearray) -> dict[str, Any]:
        with self.store._errors(f"uploading part {number} of {self.key}", write=True):
            answer = self.store.client.upload_part(
                Bucket=self.store.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=data,
                ChecksumAlgorithm=PART_CHECKSUM,
            )
        part = {"PartNumber": number, "ETag": answer["ETag"]}
        for name in ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumSHA1", "ChecksumSHA256"):
            if name in answer:
                part[name] = answer[name]
        return part

    def _raise_failed(self) -> None:
        for future in self._futures:
            if future.done() and future.exception() is not None:
                future.result()

    def finish(self) -> list[dict[str, Any]]:
        """Wait for every part; the ``Parts`` list to complete the upload with."""
        try:
            return [future.result() for future in self._futures]
        finally:
            self._pool.shutdown(wait=True)

    def abort(self) -> None:
        """Stop uploading and abort the multipart upload (best effort: leftovers are listed)."""
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.store.client.abort_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
            )


def _part_sent(
    buffers: _PartBuffers | None,
    slots: threading.BoundedSemaphore,
    data: bytes | bytearray,
    _: Future[dict[str, Any]],
) -> None:
    """A part's request ended (sent, failed or cancelled): its buffer may be reused."""
    if buffers is not None:
        buffers.give(data)
    slots.release()


class _S3Reader(io.RawIOBase):
    """A blob's body read in chunks as asked; a seek (or a dropped connection) re-requests
    the rest as a byte range of the same object version (``If-Match`` on its ETag)."""

    def __init__(self, store: S3BlobStore, sha256: str, key: str | None = None) -> None:
        super().__init__()
        self._store = store
        self._sha256 = sha256  # the name in messages (the key itself for a non-blob object)
        self._key = store.key_of(sha256) if key is None else key
        self._pos = 0
        self._etag: str | None = None
        self._body: Any = None
        self.size = 0
        self._request(0)

    def _request(self, start: int) -> None:
        store = self._store
        request: dict[str, Any] = {"Bucket": store.bucket, "Key": self._key}
        if self._etag is not None:
            request.update(IfMatch=self._etag, Range=f"bytes={start}-")
        with store._errors(f"reading blob {self._sha256}"):
            try:
                answer = store.client.get_object(**request)
            except Exception as exc:
                code = _error_code(exc)
                if code in _NOT_FOUND:
                    raise BlobNotFoundError(f"no blob {self._sha256}") from None
                if code in _EXISTS:
                    raise BlobCorruptedError(
                        f"blob {self._sha256} was replaced while being read"
                    ) from exc
                raise
        if self._etag is None:
            self._etag = str(answer["ETag"])
            self.size = int(answer["ContentLength"])
        self._body = answer["Body"]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        if self.closed:
            raise ValueError("seek on a closed blob")
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        target = base + offset
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        if target != self._pos:
            self._drop_body()
            self._pos = target
        return self._pos

    def _drop_body(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None

    def _read_some(self, size: int) -> bytes:
        """Up to ``size`` bytes from the current position (retrying a dropped connection)."""
        from urllib3 import exceptions as ux

        bx = _botocore_exceptions()

        for attempt in range(_READ_RETRIES + 1):
            if self._pos >= self.size:
                return b""
            try:
                if self._body is None:
                    self._request(self._pos)
                data = bytes(self._body.read(min(size, self.size - self._pos)))
                if not data:
                    raise bx.IncompleteReadError(actual_bytes=self._pos, expected_bytes=self.size)
                self._pos += len(data)
                return data
            except (bx.BotoCoreError, ux.HTTPError, OSError) as exc:
                if isinstance(exc, StorageError):
                    raise
                self._drop_body()
                if attempt == _READ_RETRIES:
                    _raise_storage_error(
                        self._store, exc, f"reading blob {self._sha256}", write=False
                    )
                time.sleep(0.1 * 2**attempt)
        return b""  # pragma: no cover

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to ``size`` bytes (all remaining with -1); short only at the end."""
        if self.closed:
            raise ValueError("read of a closed blob")
        if size is None or size < 0:
            return self.readall()
        parts: list[bytes] = []
        missing = size
        while missing > 0 and (data := self._read_some(missing)):
            parts.append(data)
            missing -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readall(self) -> bytes:
        chunks = []
        while chunk := self.read(_READ_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        target = memoryview(buffer).cast("B")
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._drop_body()
        super().close()


def _make_client(
    *,
    endpoint_url: str | None,
    region: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int,
    pool: int,
) -> Any:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    env = os.environ
    endpoint = endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(
        region_name=region,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=pool,
        # S3-compatible servers (MinIO, Ceph, moto) on a custom endpoint expect path style
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    session = boto3.session.Session(
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
    )
    return session.client("s3", endpoint_url=endpoint, config=config)
