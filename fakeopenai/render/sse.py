"""Server-sent events in the official wire format.

    event: thread.run.created
    data: {"id":"run_...","object":"thread.run",...}

    ...
    event: done
    data: [DONE]

One JSON object per ``data:`` line, a blank line after each event. An
:class:`EventCollector` is the engine's emitter for a streaming request: each
event is rendered at the moment it happens, so a snapshot shows the object as
it was then (a message ``in_progress`` with empty content, say).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fakeopenai.render import objects as render_objects

if TYPE_CHECKING:
    from fakeopenai.engine.state import TenantState

DONE = b"event: done\ndata: [DONE]\n\n"
_KIND_OF = {"Assistant": "assistant", "Thread": "thread", "Message": "message", "Run": "run",
            "RunStepObj": "step"}


def frame(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + \
        json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


class EventCollector:
    """Collects rendered events for one streaming response."""

    def __init__(self, state: TenantState) -> None:
        self.state = state
        self.frames: list[bytes] = []
        self.names: list[str] = []

    def event(self, name: str, obj: object) -> None:
        kind = _KIND_OF[type(obj).__name__]
        data = self.state.profile.apply(kind, render_objects.to_dict(obj))
        self.names.append(name)
        self.frames.append(frame(name, data))

    def delta(self, name: str, payload: dict[str, Any]) -> None:
        self.names.append(name)
        self.frames.append(frame(name, payload))

    def error(self, error: dict[str, Any]) -> None:
        """``event: error``; ``{"error": {...}}`` makes both SDK majors raise (CONTRACT.md section 3)."""
        self.names.append("error")
        self.frames.append(frame("error", {"error": error}))

    def done(self) -> None:
        self.names.append("done")
        self.frames.append(DONE)
