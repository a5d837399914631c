"""Server-sent events in the official wire formats.

Assistants (and Responses) frames name their event::

    event: thread.run.created
    data: {"id":"run_...","object":"thread.run",...}

One JSON object per ``data:`` line, a blank line after each event. A family builds its
stream from these frames; :func:`sse_response` sends them as ``text/event-stream``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response, StreamingResponse


def event_frame(name: str, data: dict[str, Any]) -> bytes:
    """``event: NAME`` + ``data: JSON``: one frame of the Assistants (and Responses) streams."""
    return b"event: " + name.encode() + b"\ndata: " + \
        json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def sse_response(frames: Iterable[bytes]) -> Response:
    return StreamingResponse(iter(frames), media_type="text/event-stream", headers={"cache-control": "no-cache"})
