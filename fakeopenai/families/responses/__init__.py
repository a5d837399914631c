"""The Responses API: responses (sync, streamed, background), their input items, and
conversations continued by previous_response_id, by a conversation (the Conversations API,
``conversations.py``) or by the history resent.

``responses:`` scripts use the conversation step language of runs; the engine is
``responses.py`` and ``items.py`` (no HTTP), the handlers ``api.py``, the JSON ``render.py`` and
``events.py`` (the stream), the scenario part ``scenario.py`` with ``scenario.schema.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.core.family import Family, ScriptKind, lazy, package_json
from fakeopenai.families.responses import api, openapi_rules, scenario
from fakeopenai.families.responses.world import NAME, new_world, world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.responses.objects import Chain

OPENAPI_PATHS = ("/responses", "/responses/input_tokens", "/responses/compact", "/responses/{response_id}",
                 "/responses/{response_id}/cancel",
                 "/responses/{response_id}/input_items", "/conversations", "/conversations/{conversation_id}",
                 "/conversations/{conversation_id}/items", "/conversations/{conversation_id}/items/{item_id}")


def members(state: TenantState, chain: Chain) -> list[dict[str, object]]:
    """Each response of a conversation, as GET /_fake/scenario lists what its script served: its own
    status (a response that called tools is ``completed``, as ``responses.retrieve`` says; a stored
    one deleted since, ``deleted``) and the script step the conversation reached while it played."""
    stored = world(state).responses
    steps = chain._cursor.total
    return [{"id": response.id, "status": "deleted" if response.store and stored.get(response.id) is None
             else response.status, "step": response._step, "steps": steps} for response in chain.responses]


def seed(state: TenantState) -> None:
    """Create the conversations (with their items) the scenario pins under ``objects:``."""
    from fakeopenai.families.responses.conversations import create_conversation

    part: scenario.ResponsesPart | None = state.scenario.part(NAME)
    for item in part.conversations if part is not None else ():
        for object_id in [item["id"], *(entry.get("id") for entry in item["items"])]:
            if object_id:
                state.ids.reserve(object_id)
        create_conversation(state, item, object_id=item["id"])


FAMILY = Family(
    name=NAME,
    recorder=lazy(f"{__name__}.recorder", "ResponsesConverter"),
    routes=api.ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    openapi_normalize=openapi_rules.normalize,
    openapi_schemas=("ResponseStreamEvent",),
    scenario_schema=scenario.schema,
    docs_sections=(("Seeded conversation", "seed_conversation"), ("Seeded conversation item", "seed_conversation_item"),
                   ("Response script", "response_script"), ("Response match", "response_match")),
    build=scenario.build,
    kinds=(ScriptKind(key="responses", noun="response", plural="responses", id_field="response_id",
                      failed_field="error.code", find=lambda state, chain_id: world(state).chains.get(chain_id),
                      members=members),),
    new_world=new_world,
    seed=seed,
    batch_answerer=api.batch_answerer,
)
