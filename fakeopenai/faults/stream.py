"""A scenario's stream fault, played inside the stream, and cutting a connection.

``after_events: N`` with ``disconnect``, ``stall`` or ``malformed``: after N events the
connection is cut, or goes silent for the stall's seconds, or event N+1 arrives cut in half (not
JSON). The gateway picks the fault (:mod:`fakeopenai.faults.pick`) and leaves it in the scope;
:func:`fakeopenai.http.streaming.sse_response` plays it through :func:`faulted`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.types import Scope, Send

ABORT = "fakeopenai.abort"                 # scope extension: the in-process transport's way to cut
STREAM_FAULT = "fakeopenai.stream_fault"   # scope key: (fault, the server's send), set by the gateway


class ClientDisconnect(Exception):
    """Raised when a fault cuts the connection and the server offers no way to (not uvicorn, not
    the in-process transport)."""


async def faulted(scope: Scope, frames: Iterable[bytes] | AsyncIterator[bytes], fault: Any,
                   send: Send) -> AsyncIterator[bytes]:
    sent = 0
    try:
        async for frame in _each(frames):
            if sent == fault.after_events:
                if fault.stall:
                    await asyncio.sleep(fault.stall)
                if fault.malformed:
                    frame = malformed(frame)
                if fault.disconnect or fault.close:   # close: a WebSocket's code; an HTTP stream is cut
                    await disconnect(scope, send)
                    return
            yield frame
            sent += 1
    finally:
        close = getattr(frames, "aclose", None)
        if close is not None:
            await close()   # now, not when collected: a producer that cleans up does it in order


async def _each(frames: Iterable[bytes] | AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if isinstance(frames, AsyncIterator):
        async for frame in frames:
            yield frame
    else:
        for frame in frames:
            yield frame


def malformed(frame: bytes) -> bytes:
    """The frame with its data cut in half: the event line stands, the JSON does not parse."""
    head, _, data = frame.partition(b"data: ")
    return head + b"data: " + data[: max(1, len(data.rstrip()) // 2)] + b"\n\n"


async def disconnect(scope: Scope, send: Send) -> None:
    """Close the connection, with no answer at all or in the middle of a stream.

    Under uvicorn, ``send`` is bound to the request cycle, which holds the transport; aborting
    it is what a crashed upstream looks like to a client. The in-process transport gives the
    request an abort of its own (the client then sees the same errors); any other server gets
    :class:`ClientDisconnect` raised.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.abort()
        # Let connection_lost run, so uvicorn knows there is nobody to send a 500 to.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    abort = scope.get("extensions", {}).get(ABORT)
    if abort is None:
        raise ClientDisconnect()
    abort()
