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

from fakeopenai.core.family import Family, ScriptKind, deferred, deferred_handler, package_json, routes_of
from fakeopenai.families.realtime import scenario

if TYPE_CHECKING:
    from fakeopenai.families.realtime.objects import Session

NAME = "realtime"   # world.NAME: the world module (and the engine's objects) is imported when first used
API = f"{__name__}.api"
SOCKETS = (("/v1/realtime", deferred_handler(API, "realtime")),)
ROUTES = routes_of(API, [("/v1/realtime/client_secrets", "create_client_secret", ["POST"])])


def describe(session: Session) -> dict[str, Any]:
    """More of a session for GET /_fake/scenario (besides its status and script step): its responses."""
    return {"responses": [response["id"] for response in session.responses]}


FAMILY = Family(
    name=NAME,
    websockets=SOCKETS,
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=("/realtime/client_secrets",),
    scenario_schema=scenario.schema,
    docs_sections=(("Realtime script", "realtime_script"),),
    build=scenario.build,
    kinds=(ScriptKind(key="realtime", noun="realtime session", plural="realtime sessions", id_field="session_id",
                      failed_field="response.status_details.error.code",
                      find=lambda state, session_id: state.worlds[NAME].sessions.get(session_id), describe=describe),),
    new_world=deferred(f"{__name__}.world", "new_world"),
)
