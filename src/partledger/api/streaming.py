"""Request-body streaming into a worker-thread consumer, and blob streaming out.

Uploads are read as they arrive (``request.stream()``), coalesced into 1 MiB
chunks and handed to a ``ThreadedSink``; the whole body is never held in memory
or spooled to a temporary file. ``application/octet-stream`` bodies are taken as
the file; ``multipart/form-data`` is parsed incrementally (one ``file`` part plus
small fields).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

import anyio
from fastapi import Request
from starlette.requests import ClientDisconnect

from partledger.api.services.errors import InvalidRequest, PayloadTooLarge
from partledger.api.services.transfer import CHUNK, MultipartStream, ThreadedSink

_R = TypeVar("_R")


async def receive_upload(
    request: Request,
    consume: Callable[[Iterator[bytes]], _R],
    *,
    limit: int,
) -> tuple[_R, dict[str, bytes], int]:
    """Stream the body's file into ``consume``; return its result, form fields, size."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit + 64 * 1024:
                raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
        except ValueError:
            raise InvalidRequest("invalid Content-Length") from None
    content_type = request.headers.get("content-type", "application/octet-stream")
    parser = MultipartStream(content_type) if content_type.startswith("multipart/") else None
    sink: ThreadedSink[_R] = ThreadedSink(consume)
    buffer = bytearray()
    size = 0
    try:
        async for piece in request.stream():
            parts = parser.write(piece) if parser is not None else [piece]
            for part in parts:
                size += len(part)
                if size > limit:
                    raise PayloadTooLarge(f"the file exceeds the limit of {limit} bytes")
                buffer += part
            if len(buffer) >= CHUNK:
                chunk, buffer = bytes(buffer), bytearray()
                await anyio.to_thread.run_sync(sink.feed, chunk)
        if parser is not None:
            parser.close()
            if not parser.file_seen:
                raise InvalidRequest("the multipart body has no 'file' part")
        if buffer:
            await anyio.to_thread.run_sync(sink.feed, bytes(buffer))
        result = await anyio.to_thread.run_sync(sink.finish)
    except ClientDisconnect:
        await anyio.to_thread.run_sync(sink.abort)
        raise InvalidRequest("the client disconnected during the upload") from None
    except BaseException:
        await anyio.to_thread.run_sync(sink.abort)
        raise
    return result, (parser.fields if parser is not None else {}), size


def stream_file(
    handle: BinaryIO, on_done: Callable[[int, bool], None], chunk: int = CHUNK
) -> Iterator[bytes]:
    """Yield a blob in chunks; ``on_done(bytes_sent, complete)`` runs however it ends."""
    sent = 0
    complete = False
    try:
        while data := handle.read(chunk):
            yield data
            sent += len(data)
        complete = True
    finally:
        handle.close()
        on_done(sent, complete)
