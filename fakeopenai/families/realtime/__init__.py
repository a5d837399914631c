"""The Realtime API over WebSocket: ``/v1/realtime``, scripted by the conversation step language.

``realtime:`` scripts (and ``conversations:`` ones, so one scenario tests a text agent and its voice
version) drive a session response by response. The engine is ``engine.py`` (client events in, server
events out), ``play.py`` (responses from the steps), ``session.py`` (the session's configuration) and
``audio.py`` (deterministic output audio, simulated server VAD); ``api.py`` is the socket; the
scenario part ``scenario.py`` with ``scenario.schema.json``; ``secrets.py`` mints the ``ek_`` client secrets
(``POST /v1/realtime/client_secrets``) a browser connects with. The calls' HTTP paths stay the generic
family's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Family, ScriptKind, package_json
from fakeopenai.families.realtime import api, scenario
from fakeopenai.families.realtime.world import NAME, new_world, world

if TYPE_CHECKING:
    from fakeopenai.families.realtime.objects import Session


def describe(session: Session) -> dict[str, Any]:
    """More of a session for GET /_fake/scenario (besides its status and script step): its responses."""
    return {"responses": [response["id"] for response in session.responses]}


FAMILY = Family(
    name=NAME,
    websockets=api.ROUTES,
    routes=api.HTTP_ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=("/realtime/client_secrets",),
    scenario_schema=scenario.schema,
    docs_sections=(("Realtime script", "realtime_script"),),
    build=scenario.build,
    kinds=(ScriptKind(key="realtime", noun="realtime session", plural="realtime sessions", id_field="session_id",
                      failed_field="response.status_details.error.code",
                      find=lambda state, session_id: world(state).sessions.get(session_id), describe=describe),),
    new_world=new_world,
)
