"""The Chat Completions API: ``POST /v1/chat/completions`` (sync and ``stream: true``) and stored
completions (``store: true``: retrieve, list, update metadata, delete, messages).

``chat:`` scripts (and ``conversations:`` ones) use the conversation step language of runs and
responses; the engine is ``completions.py`` (no HTTP), the handlers ``api.py``, the JSON
``render.py`` and ``events.py`` (the stream), the scenario part ``scenario.py`` with
``scenario.schema.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.core.family import Family, ScriptKind, deferred, package_json, routes_of
from fakeopenai.families.chat import scenario

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.chat.objects import Chain

NAME = "chat"   # world.NAME
API = f"{__name__}.api"
# Nearly every test run calls this family: its handlers are imported with it, not by its first request.
ROUTES = routes_of(API, [
    ("/v1/chat/completions", "create_completion", ["POST"]),
    ("/v1/chat/completions", "list_completions", ["GET"]),
    ("/v1/chat/completions/{completion_id}", "retrieve_completion", ["GET"]),
    ("/v1/chat/completions/{completion_id}", "update_completion", ["POST"]),
    ("/v1/chat/completions/{completion_id}", "delete_completion", ["DELETE"]),
    ("/v1/chat/completions/{completion_id}/messages", "list_messages", ["GET"]),
], at_start=True)

OPENAPI_PATHS = ("/chat/completions", "/chat/completions/{completion_id}",
                 "/chat/completions/{completion_id}/messages")


def members(state: TenantState, chain: Chain) -> list[dict[str, object]]:
    """Each request's completion of a conversation, as GET /_fake/scenario lists what its script
    served: where that request left the conversation (``waiting`` for tool outputs, ``completed``,
    ``failed``) and at which script step."""
    steps = chain._cursor.total
    return [{"id": turn.id, "status": turn.status, "step": turn.step, "steps": steps} for turn in chain.turns]


FAMILY = Family(
    name=NAME,
    recorder=deferred(f"{__name__}.recorder", "ChatConverter"),
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    openapi_schemas=("CreateChatCompletionStreamResponse",),
    scenario_schema=scenario.schema,
    docs_sections=(("Chat script", "chat_script"), ("Chat match", "chat_match")),
    build=scenario.build,
    kinds=(ScriptKind(key="chat", noun="chat completion", plural="chat completions", id_field="completion_id",
                      failed_field="error.code", find=lambda state, chain_id: state.worlds[NAME].chains.get(chain_id),
                      members=members),),
    new_world=deferred(f"{__name__}.world", "new_world"),
    batch_answerer=deferred(API, "batch_answerer"),
)
