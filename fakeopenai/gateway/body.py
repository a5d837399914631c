"""The request body, read once and bounded (a 413 past the limit)."""

from __future__ import annotations

from starlette.types import Receive

from fakeopenai.core.errors import PayloadTooLargeError

DEFAULT_MAX_BODY_BYTES = 600 * 1024 * 1024  # a 512 MB file plus multipart framing


async def read_body(receive: Receive, length: bytes | None, max_bytes: int) -> bytes:
    """The whole body; ``length``: its ``content-length`` header (the last one), if any."""
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise PayloadTooLargeError(f"Request too large: {int(length)} bytes; the limit is {max_bytes} bytes.",
                                   param="body", code="request_too_large")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLargeError(f"Request too large: more than {max_bytes} bytes.", param="body",
                                           code="request_too_large")
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
