"""The Responses API: responses (sync, streamed, background), their input items, and
conversations continued by previous_response_id, by a conversation (the Conversations API,
``conversations.py``) or by the history resent.

``responses:`` scripts use the conversation step language of runs; the engine is
``responses.py`` and ``items.py`` (no HTTP), the handlers ``api.py``, the JSON ``render.py`` and
``events.py`` (the stream), the scenario part ``scenario.py`` with ``scenario.schema.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.core.family import Family, ScriptKind, deferred, package_json, routes_of
from fakeopenai.families.responses import openapi_rules, scenario

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.responses.objects import Chain

NAME = "responses"   # world.NAME
API = f"{__name__}.api"
# Nearly every test run calls this family: its handlers are imported with it, not by its first request.
ROUTES = routes_of(API, [
    ("/v1/responses/input_tokens", "count_input_tokens", ["POST"]),
    ("/v1/responses/compact", "compact_response", ["POST"]),
    ("/v1/responses/{response_id}", "retrieve_response", ["GET"]),
    ("/v1/responses/{response_id}", "delete_response", ["DELETE"]),
    ("/v1/responses", "create_response", ["POST"]),
    ("/v1/responses/{response_id}/cancel", "cancel_response", ["POST"]),
    ("/v1/responses/{response_id}/input_items", "list_input_items", ["GET"]),
    ("/v1/conversations", "create_conversation", ["POST"]),
    ("/v1/conversations/{conversation_id}", "retrieve_conversation", ["GET"]),
    ("/v1/conversations/{conversation_id}", "update_conversation", ["POST"]),
    ("/v1/conversations/{conversation_id}", "delete_conversation", ["DELETE"]),
    ("/v1/conversations/{conversation_id}/items", "create_conversation_items", ["POST"]),
    ("/v1/conversations/{conversation_id}/items", "list_conversation_items", ["GET"]),
    ("/v1/conversations/{conversation_id}/items/{item_id}", "retrieve_conversation_item", ["GET"]),
    ("/v1/conversations/{conversation_id}/items/{item_id}", "delete_conversation_item", ["DELETE"]),
], at_start=True)

OPENAPI_PATHS = ("/responses", "/responses/input_tokens", "/responses/compact", "/responses/{response_id}",
                 "/responses/{response_id}/cancel",
                 "/responses/{response_id}/input_items", "/conversations", "/conversations/{conversation_id}",
                 "/conversations/{conversation_id}/items", "/conversations/{conversation_id}/items/{item_id}")


def members(state: TenantState, chain: Chain) -> list[dict[str, object]]:
    """Each response of a conversation, as GET /_fake/scenario lists what its script served: its own
    status (a response that called tools is ``completed``, as ``responses.retrieve`` says; a stored
    one deleted since, ``deleted``) and the script step the conversation reached while it played."""
    stored = state.worlds[NAME].responses
    steps = chain._cursor.total
    return [{"id": response.id, "status": "deleted" if response.store and stored.get(response.id) is None
             else response.status, "step": response._step, "steps": steps} for response in chain.responses]


def seed(state: TenantState) -> None:
    """Create the conversations (with their items) the scenario pins under ``objects:``."""
    part: scenario.ResponsesPart | None = state.scenario.part(NAME)
    if part is None or not part.conversations:
        return   # every tenant is seeded: one with nothing to seed imports none of the engine
    from fakeopenai.families.responses.conversations import create_conversation

    for item in part.conversations:
        for object_id in [item["id"], *(entry.get("id") for entry in item["items"])]:
            if object_id:
                state.ids.reserve(object_id)
        create_conversation(state, item, object_id=item["id"])


FAMILY = Family(
    name=NAME,
    recorder=deferred(f"{__name__}.recorder", "ResponsesConverter"),
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    openapi_normalize=openapi_rules.normalize,
    openapi_schemas=("ResponseStreamEvent",),
    scenario_schema=scenario.schema,
    docs_sections=(("Seeded conversation", "seed_conversation"), ("Seeded conversation item", "seed_conversation_item"),
                   ("Response script", "response_script"), ("Response match", "response_match")),
    build=scenario.build,
    kinds=(ScriptKind(key="responses", noun="response", plural="responses", id_field="response_id",
                      failed_field="error.code", find=lambda state, chain_id: state.worlds[NAME].chains.get(chain_id),
                      members=members),),
    new_world=deferred(f"{__name__}.world", "new_world"),
    seed=seed,
    batch_answerer=deferred(API, "batch_answerer"),
)
