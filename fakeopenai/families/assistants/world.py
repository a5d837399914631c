"""The Assistants family's objects in one tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakeopenai.families.assistants.objects import Assistant, Run, Thread
from fakeopenai.store import Collection

if TYPE_CHECKING:
    from fakeopenai.state import TenantState

NAME = "assistants"


@dataclass(slots=True)
class AssistantsWorld:
    assistants: Collection[Assistant] = field(default_factory=Collection)
    threads: Collection[Thread] = field(default_factory=Collection)
    run_count: int = 0   # runs created, for generated text

    def runs(self) -> list[Run]:
        return [run for thread in self.threads for run in thread._runs]

    def find_run(self, run_id: str) -> Run | None:
        for thread in self.threads:
            run = thread._runs.get(run_id)
            if run is not None:
                return run
        return None


def new_world(state: TenantState) -> AssistantsWorld:
    return AssistantsWorld()


def world(state: TenantState) -> AssistantsWorld:
    return state.worlds[NAME]  # type: ignore[no-any-return]
