"""The Realtime family's objects in one tenant: its sessions (open or closed), by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.realtime.objects import Session
    from fakeopenai.families.realtime.secrets import ClientSecret

NAME = "realtime"
MAX_SESSIONS = 1000   # kept per tenant (the oldest closed ones go first): each holds its conversation


@dataclass(slots=True)
class RealtimeWorld:
    sessions: dict[str, Session] = field(default_factory=dict)
    secrets: dict[str, ClientSecret] = field(default_factory=dict)   # client secrets minted, by value
    count: int = 0

    def add(self, session: Session) -> None:
        self.count += 1
        if len(self.sessions) >= MAX_SESSIONS:
            closed = next((key for key, old in self.sessions.items() if old.status != "in_progress"), None)
            if closed is not None:
                del self.sessions[closed]
        self.sessions[session.id] = session


def new_world(state: TenantState) -> RealtimeWorld:
    return RealtimeWorld()


def world(state: TenantState) -> RealtimeWorld:
    return state.worlds[NAME]
