"""The Chat Completions API: ``POST /v1/chat/completions`` (sync and ``stream: true``) and stored
completions (``store: true``: retrieve, list, update metadata, delete, messages).

``chat:`` scripts (and ``conversations:`` ones) use the conversation step language of runs and
responses; the engine is ``completions.py`` (no HTTP), the handlers ``api.py``, the JSON
``render.py`` and ``events.py`` (the stream), the scenario part ``scenario.py`` with
``scenario.schema.json``.
"""

from __future__ import annotations

from fakeopenai.families.chat import api, scenario
from fakeopenai.families.chat.world import NAME, new_world, world
from fakeopenai.family import Family, ScriptKind, package_json

OPENAPI_PATHS = ("/chat/completions", "/chat/completions/{completion_id}",
                 "/chat/completions/{completion_id}/messages")

FAMILY = Family(
    name=NAME,
    routes=api.ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    openapi_schemas=("CreateChatCompletionStreamResponse",),
    scenario_schema=scenario.schema,
    docs_sections=(("Chat script", "chat_script"), ("Chat match", "chat_match")),
    build=scenario.build,
    kinds=(ScriptKind(key="chat", noun="chat completion", plural="chat completions", id_field="completion_id",
                      failed_field="error.code", find=lambda state, chain_id: world(state).chains.get(chain_id)),),
    new_world=new_world,
    batch_answerer=api.batch_answerer,
)
