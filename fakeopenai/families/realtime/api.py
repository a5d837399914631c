"""The Realtime API's socket: ``/v1/realtime`` (a WebSocket; the gateway resolved the tenant from the
``Authorization`` header or the browser's ``openai-insecure-api-key.KEY`` subprotocol). Each text
frame is one client event, answered by the engine's server events, one frame each."""

from __future__ import annotations

from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from fakeopenai.errors import APIError
from fakeopenai.families.realtime.engine import Engine, open_session
from fakeopenai.rendering import dumps
from fakeopenai.state import current_request

# The close code the live API ends a session with after an error event that ends it (bad auth, a model
# the key cannot use): 3000, its "invalid_request_error" application code.
CLOSE_INVALID_REQUEST = 3000
TENANT = "fakeopenai.tenant"
AUTH_ERROR = "fakeopenai.auth_error"


async def _send(websocket: WebSocket, events: list[dict[str, Any]]) -> None:
    for event in events:
        await websocket.send_text(dumps(event).decode())


async def _refuse(websocket: WebSocket, exc: APIError) -> None:
    """The live API accepts the socket, sends one ``error`` event, then closes it."""
    await websocket.send_text(dumps({"type": "error", "event_id": "event_refused", "error": {
        "type": exc.type, "code": exc.code, "message": exc.message, "param": exc.param, "event_id": None}}).decode())
    await websocket.close(CLOSE_INVALID_REQUEST, exc.type)


async def realtime(websocket: WebSocket) -> None:
    scope = websocket.scope
    offered = list(scope.get("subprotocols") or ())
    # A browser must hear one of its subprotocols back; "realtime" is the one the live API answers.
    await websocket.accept(subprotocol="realtime" if "realtime" in offered else None)
    state = scope.get(TENANT)
    if state is None:
        await _refuse(websocket, scope[AUTH_ERROR])
        return
    current_request.set(("WEBSOCKET", "/v1/realtime"))
    try:
        session = open_session(state, websocket.query_params.get("model"))
    except APIError as exc:
        await _refuse(websocket, exc)
        return
    engine = Engine(state, session)
    try:
        await _send(websocket, engine.opened())
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            current_request.set(("WEBSOCKET", "/v1/realtime"))
            await _send(websocket, engine.handle(text if text is not None else message.get("bytes") or b""))
    except WebSocketDisconnect:
        pass
    finally:
        current_request.set(None)
        engine.close()


ROUTES = (("/v1/realtime", realtime),)
