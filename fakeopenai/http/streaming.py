"""Server-sent events in the official wire formats.

Assistants (and Responses) frames name their event::

    event: thread.run.created
    data: {"id":"run_...","object":"thread.run",...}

One JSON object per ``data:`` line, a blank line after each event. A family produces its
frames as an iterator (sync or async: each frame is sent as it is produced) and answers with
:func:`sse_response`.

A scenario's stream fault (``after_events: N``) plays inside the stream: the gateway picks it
(:mod:`fakeopenai.faults.pick`), :func:`fakeopenai.faults.stream.faulted` plays it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.responses import Response, StreamingResponse
from starlette.types import Scope

from fakeopenai.faults.stream import STREAM_FAULT, faulted


def event_frame(name: str, data: dict[str, Any]) -> bytes:
    """``event: NAME`` + ``data: JSON``: one frame of the Assistants (and Responses) streams."""
    return b"event: " + name.encode() + b"\ndata: " + \
        json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def sse_response(scope: Scope, frames: Iterable[bytes] | AsyncIterator[bytes]) -> Response:
    """``text/event-stream`` of ``frames``, sent as they come, with the request's stream fault."""
    planned = scope.get(STREAM_FAULT)
    state = scope.get("fakeopenai.tenant")
    if state is not None:
        frames = _noted(state, frames)
    body: Iterable[bytes] | AsyncIterator[bytes] = frames if planned is None else faulted(scope, frames, *planned)
    return StreamingResponse(body, media_type="text/event-stream", headers={"cache-control": "no-cache"})


def _noted(state: Any, frames: Iterable[bytes] | AsyncIterator[bytes]) -> Iterable[bytes] | AsyncIterator[bytes]:
    """The frames, the timeline noting each status change an event shows (as it is sent: a stream
    moves an object through several states in one request). Sync frames stay sync (Starlette
    iterates them in a thread)."""
    if isinstance(frames, AsyncIterator):
        async def noted_async() -> AsyncIterator[bytes]:
            try:
                async for frame in frames:
                    if b'"status":' in frame:
                        state.timeline.note_after(state)
                    yield frame
            finally:
                close = getattr(frames, "aclose", None)
                if close is not None:
                    await close()   # now, in order (see faults.stream.faulted)
        return noted_async()

    def noted() -> Iterable[bytes]:
        try:
            for frame in frames:
                if b'"status":' in frame:
                    state.timeline.note_after(state)
                yield frame
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
    return noted()
