"""The Assistants family's objects in one tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakeopenai.core.store import Collection
from fakeopenai.families.assistants.objects import Assistant, Run, Thread

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "assistants"


@dataclass(slots=True)
class AssistantsWorld:
    assistants: Collection[Assistant] = field(default_factory=Collection)
    threads: Collection[Thread] = field(default_factory=Collection)
    run_count: int = 0   # runs created, for generated text
    run_threads: dict[str, str] = field(default_factory=dict)   # run id -> its thread's id

    def runs(self) -> list[Run]:
        return [run for thread in self.threads for run in thread._runs]

    def add_run(self, thread: Thread, run: Run) -> None:
        thread._runs.add(run.id, run)
        self.run_threads[run.id] = thread.id

    def find_run(self, run_id: str) -> Run | None:
        """The run, wherever it is (the timeline asks after every request: no scan of the threads)."""
        thread = self.threads.get(self.run_threads.get(run_id, ""))
        return None if thread is None else thread._runs.get(run_id)


def new_world(state: TenantState) -> AssistantsWorld:
    return AssistantsWorld()


def world(state: TenantState) -> AssistantsWorld:
    return state.worlds[NAME]
