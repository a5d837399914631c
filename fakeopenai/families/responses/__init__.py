"""The Responses API: responses (sync, streamed, background), their input items, and
conversations continued by previous_response_id, by a conversation (the Conversations API,
``conversations.py``) or by the history resent.

``responses:`` scripts use the conversation step language of runs; the engine is
``responses.py`` and ``items.py`` (no HTTP), the handlers ``api.py``, the JSON ``render.py`` and
``events.py`` (the stream), the scenario part ``scenario.py`` with ``scenario.schema.json``.
"""

from __future__ import annotations

from fakeopenai.families.responses import api, scenario
from fakeopenai.families.responses.world import NAME, new_world, world
from fakeopenai.family import Family, ScriptKind, package_json

OPENAPI_PATHS = ("/responses", "/responses/{response_id}", "/responses/{response_id}/cancel",
                 "/responses/{response_id}/input_items", "/conversations", "/conversations/{conversation_id}",
                 "/conversations/{conversation_id}/items", "/conversations/{conversation_id}/items/{item_id}")

FAMILY = Family(
    name=NAME,
    routes=api.ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    openapi_schemas=("ResponseStreamEvent",),
    scenario_schema=scenario.schema,
    docs_sections=(("Response script", "response_script"), ("Response match", "response_match")),
    build=scenario.build,
    kinds=(ScriptKind(key="responses", noun="response", plural="responses", id_field="response_id",
                      failed_field="error.code", find=lambda state, chain_id: world(state).chains.get(chain_id)),),
    new_world=new_world,
    batch_answerer=api.batch_answerer,
)
