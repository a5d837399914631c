"""A ``file_search`` step in a run: a ``tool_calls`` run step with one ``file_search`` call, done at
once (the tool is hosted), whose results are the step's own or a search of the vector stores the
assistant and the thread name (``tool_resources.file_search.vector_store_ids``, through
``registry.search_vector_stores``). The run's next message cites the files found: a ``【n†source】``
marker per file at its end, each a ``file_citation`` annotation. No HTTP here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core import registry
from fakeopenai.families.assistants.run_steps import Emitter, log_step, new_step, step_usage
from fakeopenai.families.assistants.threads import last_user_text
from fakeopenai.families.assistants.world import world
from fakeopenai.scripting.conversation import Step

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.assistants.objects import Run

RANKER = "default_2024_08_21"


def _store_ids(state: TenantState, run: Run) -> list[str]:
    objects = world(state)
    ids: list[str] = []
    for owner in (objects.assistants.get(run.assistant_id), objects.threads.get(run.thread_id)):
        resources = (getattr(owner, "tool_resources", None) or {}).get("file_search") or {}
        ids.extend(str(i) for i in resources.get("vector_store_ids") or () if str(i) not in ids)
    return ids


def search_files(state: TenantState, run: Run, step: Step, now: int, emit: Emitter) -> None:
    data = step.hosted or {}
    tool = next((t for t in run.tools if t.get("type") == "file_search"), {})
    options = tool.get("file_search") or {}
    ranking = {"ranker": RANKER, "score_threshold": float((options.get("ranking_options") or {})
                                                          .get("score_threshold") or 0.0)}
    thread = world(state).threads.get(run.thread_id)
    queries = list(data.get("queries") or ()) or [(last_user_text(thread) if thread else None) or "search"]
    if data.get("results") is not None:
        found = [{"file_id": r.get("file_id") or state.ids.new("file-"),
                  "file_name": r.get("filename") or "document.txt",
                  "score": r.get("score", round(max(0.1, 0.9 - 0.1 * i), 4))}
                 for i, r in enumerate(data["results"])]
    else:
        request: dict[str, Any] = {"query": queries, "ranking_options": {"score_threshold": ranking["score_threshold"]}}
        if options.get("max_num_results"):
            request["max_num_results"] = options["max_num_results"]
        results = registry.search_vector_stores(state, _store_ids(state, run), request) or []
        found = [{"file_id": r["file_id"], "file_name": r["filename"], "score": r["score"]} for r in results]
    call = {"id": state.ids.new("call_"), "type": "file_search",
            "file_search": {"ranking_options": ranking, "results": found}}
    run_step = new_step(state, run, now, "tool_calls", {"type": "tool_calls", "tool_calls": [call]}, step)
    emit.event("thread.run.step.created", run_step)
    emit.event("thread.run.step.in_progress", run_step)
    run_step.status = "completed"
    run_step.completed_at = now
    run_step.usage = step_usage(run, run_step, 0)
    log_step(state, run_step, "in_progress", f"file_search: {len(found)} results")
    emit.event("thread.run.step.completed", run_step)
    if data.get("cite", True):
        best = max((r["score"] for r in found), default=0)
        for result in found:
            if result["score"] >= best / 2 and result["file_id"] not in run._citations:
                run._citations.append(result["file_id"])

