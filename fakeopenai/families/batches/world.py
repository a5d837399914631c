"""The Batch family's objects in one tenant (files and batches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakeopenai.core.store import Collection
from fakeopenai.families.batches.objects import Batch, File

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "batches"


@dataclass(slots=True)
class BatchesWorld:
    files: Collection[File] = field(default_factory=Collection)
    batches: Collection[Batch] = field(default_factory=Collection)
    batch_count: int = 0


def new_world(state: TenantState) -> BatchesWorld:
    return BatchesWorld()


def world(state: TenantState) -> BatchesWorld:
    return state.worlds[NAME]
