"""The Assistants stream: the run engine's events as ``event:``/``data:`` frames, ending
``event: done`` / ``data: [DONE]`` (or ``event: error``).

An :class:`EventCollector` is the engine's emitter for a streaming request: each event is
rendered at the moment it happens, so a snapshot shows the object as it was then (a message
``in_progress`` with empty content, say).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.families.assistants.render import RENDER
from fakeopenai.http.streaming import event_frame

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

DONE = b"event: done\ndata: [DONE]\n\n"


class EventCollector:
    """Collects rendered events for one streaming response."""

    def __init__(self, state: TenantState) -> None:
        self.state = state
        self.frames: list[bytes] = []

    def event(self, name: str, obj: object) -> None:
        self.frames.append(event_frame(name, RENDER.one(self.state, obj)))

    def delta(self, name: str, payload: dict[str, Any]) -> None:
        self.frames.append(event_frame(name, payload))

    def error(self, error: dict[str, Any]) -> None:
        """``event: error``; ``{"error": {...}}`` makes both SDK majors raise (docs/recipes.md, streaming)."""
        self.frames.append(event_frame("error", {"error": error}))

    def take(self) -> list[bytes]:
        """The frames made since the last take (a stream sends them as they come)."""
        frames, self.frames = self.frames, []
        return frames

    def done(self) -> None:
        self.frames.append(DONE)
