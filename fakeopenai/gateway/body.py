"""The request body, read once and bounded (a 413 past the limit)."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive

from fakeopenai.core.errors import PayloadTooLargeError

DEFAULT_MAX_BODY_BYTES = 600 * 1024 * 1024  # a 512 MB file plus multipart framing
REPLAY_CHUNK = 1024 * 1024   # a streamed body (an upload) reaches its handler in pieces of this size


async def read_body(receive: Receive, length: bytes | None, max_bytes: int) -> bytes:
    """The whole body; ``length``: its ``content-length`` header (the last one), if any."""
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise PayloadTooLargeError(f"Request too large: {int(length)} bytes; the limit is {max_bytes} bytes.",
                                   param="body", code="request_too_large")
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):   # all in one (the usual)
        chunk = message.get("body", b"")
        if len(chunk) > max_bytes:
            raise _too_large(max_bytes)
        return chunk
    chunks: list[bytes] = []
    size = 0
    while True:
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
        message = await receive()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    """A body that came bigger than ``max_bytes`` (without a ``content-length`` saying so first)."""
    return PayloadTooLargeError(f"Request too large: more than {max_bytes} bytes.", param="body",
                                code="request_too_large")


class Replay:
    """The handler's ``receive``: the body read already, again, for a handler that streams it (a multipart
    upload), in pieces of :data:`REPLAY_CHUNK`, so a big upload is parsed piece by piece, letting other
    requests run; then the server's own messages (a disconnect). (An object, not a closure: most handlers
    never call it, and a closure made ``_serve``'s body and ``receive`` cells.)"""

    __slots__ = ("body", "receive", "offset")

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body = body
        self.receive = receive
        self.offset = 0   # of the next piece; -1: the body was all given

    async def __call__(self) -> Message:
        offset, body = self.offset, self.body
        if offset < 0:
            return await self.receive()
        if offset == 0 and len(body) <= REPLAY_CHUNK:
            self.offset = -1
            return {"type": "http.request", "body": body, "more_body": False}
        if offset:
            await asyncio.sleep(0)   # let other requests run between two pieces
        piece = body[offset:offset + REPLAY_CHUNK]
        offset += REPLAY_CHUNK
        more = offset < len(body)
        self.offset = offset if more else -1
        return {"type": "http.request", "body": piece, "more_body": more}
