"""The Responses family's objects in one tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakeopenai.core.store import Collection
from fakeopenai.families.responses.objects import Chain, Conversation, Response

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "responses"


@dataclass(slots=True)
class ResponsesWorld:
    responses: Collection[Response] = field(default_factory=Collection)   # stored ones (store: true)
    chains: Collection[Chain] = field(default_factory=Collection)         # by their first response's id
    calls: dict[str, Chain] = field(default_factory=dict)   # call_id -> the chain waiting for its output
    # call_id -> the response whose input answered it: a request repeating that one (a retry) gets it
    answered: dict[str, Response] = field(default_factory=dict)
    conversations: Collection[Conversation] = field(default_factory=Collection)
    chain_count: int = 0


def new_world(state: TenantState) -> ResponsesWorld:
    return ResponsesWorld()


def world(state: TenantState) -> ResponsesWorld:
    return state.worlds[NAME]
