"""A realtime session's objects: the session (one WebSocket), its conversation items and its
responses. API fields are plain dicts (what the events carry); engine state is ``_private``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from fakeopenai.families.realtime.audio import InputBuffer
from fakeopenai.scripting.conversation import ToolCallSpec
from fakeopenai.scripting.stepper import Cursor, UsedUp

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(slots=True)
class Turn:
    """One response: its JSON (``response.created`` / ``response.done``) and where it plays."""

    body: dict[str, Any]
    in_conversation: bool
    modalities: list[str]
    audio_format: str


@dataclass(slots=True)
class Session:
    """One realtime session: ``status`` is what the timeline shows (``in_progress`` while the socket is
    open, the last response's end state after it, ``closed`` once the client left)."""

    id: str
    model: str
    config: dict[str, Any]
    conversation_id: str
    status: str = "in_progress"
    items: dict[str, dict[str, Any]] = field(default_factory=dict)    # the conversation, in order
    audio_ms: dict[str, int] = field(default_factory=dict)            # item id -> its audio's length
    buffer: InputBuffer = field(default_factory=InputBuffer.empty)
    responses: list[dict[str, Any]] = field(default_factory=list)
    voice_used: bool = False
    _cursor: Cursor | None = None        # set at the first response.create (the script is chosen then)
    _script_name: str | None = None
    _used_up: UsedUp | None = None
    _pending: list[tuple[ToolCallSpec, str]] = field(default_factory=list)   # calls waiting for outputs
    _outputs: dict[str, str] = field(default_factory=dict)   # function_call_output by call id, since the wait
    _finished: bool = False              # the script played its last step
    _events: int = 0
    _speech_item: str | None = None      # the user item id server VAD announced with speech_started
    _heard: dict[str, str] = field(default_factory=dict)   # audio item id -> what the fake heard (script matching)

    def event_id(self) -> str:
        """A new server event id, ``event_`` and 20 characters from a hash of the session id and a count:
        deterministic, and it draws nothing from the tenant's id generator."""
        self._events += 1
        digest = hashlib.blake2b(f"{self.id}|{self._events}".encode(), digest_size=20).digest()
        return "event_" + "".join(_ALPHABET[b % 62] for b in digest)

    def last_item_id(self) -> str | None:
        return next(reversed(self.items), None) if self.items else None
