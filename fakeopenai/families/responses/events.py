"""The Responses stream: ``event: <type>`` frames whose data carries ``type`` and a
``sequence_number`` from 0, in the official order; no ``[DONE]``. A background streamed
response keeps its frames, so ``GET /responses/{id}?stream=true`` replays them (from 0, or after
``starting_after``) and then goes on live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.families.responses.render import RENDER
from fakeopenai.http.streaming import event_frame

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.responses.objects import Response


class EventLog:
    """The engine's emitter for a streamed response: every event rendered when it happens."""

    def __init__(self, state: TenantState) -> None:
        self.state = state
        self.frames: list[bytes] = []

    def lifecycle(self, kind: str, response: Response) -> None:
        self._add({"type": kind, "sequence_number": len(self.frames),
                   "response": RENDER.one(self.state, response)})

    def event(self, kind: str, fields: dict[str, Any]) -> None:
        # Items change after the event: the frame is written now, so it shows them as they were.
        self._add({"type": kind, "sequence_number": len(self.frames), **fields})

    def _add(self, data: dict[str, Any]) -> None:
        self.frames.append(event_frame(data["type"], data))
