"""The vector stores family's objects in one tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakeopenai.core.store import Collection
from fakeopenai.families.vector_stores.objects import VectorStore

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "vector_stores"


@dataclass(slots=True)
class VectorStoresWorld:
    stores: Collection[VectorStore] = field(default_factory=Collection)


def new_world(state: TenantState) -> VectorStoresWorld:
    return VectorStoresWorld()


def world(state: TenantState) -> VectorStoresWorld:
    return state.worlds[NAME]
