"""The Assistants API: assistants, threads, messages, runs and run steps (polled and streamed).

Runs follow ``runs:`` scripts in the shared conversation step language; the family's
engine is ``assistants.py``, ``threads.py``, ``runs.py`` and ``run_steps.py`` (no HTTP), its
handlers ``api.py``, its JSON ``render.py`` and ``events.py`` (the stream), its part of the
scenario format ``scenario.py`` with ``scenario.schema.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.core.family import Family, ScriptKind, deferred, package_json, routes_of
from fakeopenai.families.assistants import scenario

if TYPE_CHECKING:
    from starlette.types import Scope

    from fakeopenai.core.errors import APIError
    from fakeopenai.core.state import TenantState

NAME = "assistants"   # world.NAME: the world module (and the engine's objects) is imported when first used
API = f"{__name__}.api"
RUN = "/v1/threads/{thread_id}/runs/{run_id}"
ROUTES = routes_of(API, [  # the hottest routes first: Starlette tries them in order
    (RUN, "retrieve_run", ["GET"]),
    (RUN, "modify_run", ["POST"]),
    (RUN + "/steps", "list_steps", ["GET"]),
    (RUN + "/submit_tool_outputs", "submit_tool_outputs", ["POST"]),
    (RUN + "/cancel", "cancel_run", ["POST"]),
    (RUN + "/steps/{step_id}", "retrieve_step", ["GET"]),
    ("/v1/threads/{thread_id}/runs", "create_run", ["POST"]),
    ("/v1/threads/{thread_id}/runs", "list_runs", ["GET"]),
    ("/v1/threads/{thread_id}/messages", "create_message", ["POST"]),
    ("/v1/threads/{thread_id}/messages", "list_messages", ["GET"]),
    ("/v1/threads/{thread_id}/messages/{message_id}", "retrieve_message", ["GET"]),
    ("/v1/threads/{thread_id}/messages/{message_id}", "modify_message", ["POST"]),
    ("/v1/threads/{thread_id}/messages/{message_id}", "delete_message", ["DELETE"]),
    ("/v1/threads/runs", "create_thread_and_run", ["POST"]),
    ("/v1/threads", "create_thread", ["POST"]),
    ("/v1/threads/{thread_id}", "retrieve_thread", ["GET"]),
    ("/v1/threads/{thread_id}", "modify_thread", ["POST"]),
    ("/v1/threads/{thread_id}", "delete_thread", ["DELETE"]),
    ("/v1/assistants", "create_assistant", ["POST"]),
    ("/v1/assistants", "list_assistants", ["GET"]),
    ("/v1/assistants/{assistant_id}", "retrieve_assistant", ["GET"]),
    ("/v1/assistants/{assistant_id}", "modify_assistant", ["POST"]),
    ("/v1/assistants/{assistant_id}", "delete_assistant", ["DELETE"]),
])

OPENAPI_PATHS = (
    "/assistants", "/assistants/{assistant_id}",
    "/threads", "/threads/runs", "/threads/{thread_id}",
    "/threads/{thread_id}/messages", "/threads/{thread_id}/messages/{message_id}",
    "/threads/{thread_id}/runs", "/threads/{thread_id}/runs/{run_id}",
    "/threads/{thread_id}/runs/{run_id}/cancel", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs",
    "/threads/{thread_id}/runs/{run_id}/steps", "/threads/{thread_id}/runs/{run_id}/steps/{step_id}",
)


def seed(state: TenantState) -> None:
    """Create the assistants and threads (with their messages) the scenario pins."""
    part: scenario.AssistantsPart | None = state.scenario.part(NAME)
    if part is None or not (part.assistants or part.threads):
        return   # every tenant is seeded: one with nothing to seed imports none of the engine
    from fakeopenai.families.assistants.assistants import create_assistant
    from fakeopenai.families.assistants.threads import add_message, create_thread

    for item in part.assistants:
        object_id = item.get("id")
        if object_id:
            state.ids.reserve(object_id)
        create_assistant(state, item, object_id=object_id)
    for item in part.threads:
        object_id = item.get("id")
        if object_id:
            state.ids.reserve(object_id)
        thread = create_thread(state, {"metadata": item.get("metadata")}, object_id=object_id)
        for message in item.get("messages") or ():
            if message.get("id"):
                state.ids.reserve(message["id"])
            add_message(state, thread, message, created_at=thread.created_at, object_id=message.get("id"))


def expire_runs(state: TenantState) -> None:
    if NAME not in state.worlds:
        return   # no world made yet: no runs (and the engine not imported for nothing)
    from fakeopenai.families.assistants import runs

    for run in state.worlds[NAME].runs():
        runs.refresh(state, run)


BETA_PATHS = ("/v1/assistants", "/v1/threads")   # what needs ``OpenAI-Beta: assistants=v2``


def check_beta_header(state: TenantState, scope: Scope) -> APIError | None:
    """With ``require_beta_header: true``, an Assistants request needs ``OpenAI-Beta: assistants=v2``."""
    # Every request of every family comes here: the path first (one call), the scenario only for this family's.
    if not scope["path"].startswith(BETA_PATHS):
        return None
    part: scenario.AssistantsPart | None = state.scenario.parts.get(NAME)
    if part is None or not part.require_beta_header:
        return None
    from fakeopenai.core.errors import APIError

    beta = b",".join(value for name, value in scope["headers"] if name == b"openai-beta").decode("latin-1")
    # The header lists features: "assistants=v2" or, with others, "assistants=v2,realtime=v1".
    versions = [entry.split("=", 1)[1].strip() for entry in beta.split(",")
                if entry.split("=", 1)[0].strip().lower() == "assistants" and "=" in entry]
    if "v2" in versions:
        return None
    if versions:  # the live API refuses v1 (deprecated) the same way
        return APIError(f"The Assistants API version in 'OpenAI-Beta: assistants={versions[0]}' is not supported: "
                        "only v2 is (v1 is deprecated). Please try again by setting the header 'OpenAI-Beta: "
                        "assistants=v2'.", param="OpenAI-Beta", code="unsupported_beta_version")
    return APIError("You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again "
                    "by setting the header 'OpenAI-Beta: assistants=v2'.", param="OpenAI-Beta",
                    code="missing_beta_header")


FAMILY = Family(
    name=NAME,
    recorder=deferred(f"{__name__}.recorder", "RunsConverter"),
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    openapi_schemas=("AssistantStreamEvent", "RunStepDeltaObject", "MessageDeltaObject"),
    scenario_schema=scenario.schema,
    docs_sections=(("Seeded assistant", "seed_assistant"), ("Tool", "tool"), ("Seeded thread", "seed_thread"),
                   ("Seeded message", "seed_message"), ("Run script", "run_script"), ("Run match", "run_match")),
    build=scenario.build,
    conflicts=scenario.conflicts,
    kinds=(ScriptKind(key="runs", noun="run", plural="runs", id_field="run_id", failed_field="last_error.code",
                      find=lambda state, run_id: state.worlds[NAME].find_run(run_id)),),
    new_world=deferred(f"{__name__}.world", "new_world"),
    seed=seed,
    on_clock=expire_runs,
    before_request=check_beta_header,
)
