"""The Chat Completions family's objects in one tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakeopenai.core.store import Collection
from fakeopenai.families.chat.objects import Chain, Completion, Outcome

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "chat"


@dataclass(slots=True)
class ChatWorld:
    completions: Collection[Completion] = field(default_factory=Collection)   # stored ones (store: true)
    chains: Collection[Chain] = field(default_factory=Collection)             # by their first completion's id
    calls: dict[str, Chain] = field(default_factory=dict)   # call id -> the chain waiting for its tool message
    answered: dict[str, Outcome] = field(default_factory=dict)   # call id -> what the request answering it got
    chain_count: int = 0


def new_world(state: TenantState) -> ChatWorld:
    return ChatWorld()


def world(state: TenantState) -> ChatWorld:
    return state.worlds[NAME]
