"""The Realtime API's socket: ``/v1/realtime`` (a WebSocket; the gateway resolved the tenant from the
``Authorization`` header or the browser's ``openai-insecure-api-key.KEY`` subprotocol). Each text
frame is one client event, answered by the engine's server events, one frame each.

A scenario fault whose ``match`` fits ``GET /v1/realtime`` plays here: one that answers (``status``,
``body``) refuses the handshake with that HTTP answer, ``delay_ms`` delays it, ``disconnect`` closes it
unanswered; a stream fault (``after_events: N``) lets N server events through, then stalls, sends a
frame that is not JSON, or closes the socket (``close: CODE``; ``disconnect``: 1011)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from fakeopenai.core.errors import APIError
from fakeopenai.core.state import current_request
from fakeopenai.families.realtime import beta, secrets
from fakeopenai.families.realtime.engine import Engine, open_session
from fakeopenai.faults.pick import fault_answer, pick_fault
from fakeopenai.http.params import json_body
from fakeopenai.http.rendering import dumps, json_response, tenant

if TYPE_CHECKING:
    from fakeopenai.scenario.model import Fault

# The close code after an error event that ends a session (bad auth, an unknown model): 3000, an
# application code (RFC 6455 leaves 3000-3999 to libraries), with the error's type as the reason. The live
# API's own code is not documented: reports show it opens the socket, sends one error event and closes.
CLOSE_INVALID_REQUEST = 3000
TENANT = "fakeopenai.tenant"
KEY = "fakeopenai.key"   # the key the socket came with (the gateway's): a client secret starts its session
AUTH_ERROR = "fakeopenai.auth_error"


class Closed(Exception):
    """A stream fault closed the socket."""


class Sender:
    """Sends a session's server events, counting them for a stream fault (``after_events``)."""

    def __init__(self, websocket: WebSocket, fault: Fault | None) -> None:
        self.websocket = websocket
        self.fault = fault if fault is not None and fault.in_stream else None
        self.sent = 0

    async def send(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            text = dumps(event).decode()
            fault = self.fault
            if fault is not None and self.sent == fault.after_events:
                self.fault = None   # once a session
                if fault.stall:
                    await asyncio.sleep(fault.stall)
                if fault.malformed:
                    text = text[: len(text) // 2]
                if fault.close or fault.disconnect:
                    await self.websocket.close(fault.close or 1011)
                    raise Closed
            await self.websocket.send_text(text)
            self.sent += 1


async def _refused_by_fault(websocket: WebSocket, fault: Fault) -> bool:
    """A fault that acts on the handshake: whether it answered (then the socket is done)."""
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.status is not None or fault.raw_body is not None:
        status, headers, payload = fault_answer(fault)
        await websocket.send_denial_response(Response(payload, status_code=status, headers=headers))
        return True
    if fault.disconnect:
        await websocket.close()
        return True
    return False


async def _refuse(websocket: WebSocket, exc: APIError) -> None:
    """The live API accepts the socket, sends one ``error`` event, then closes it."""
    await websocket.send_text(dumps({"type": "error", "event_id": "event_refused", "error": {
        "type": exc.type, "code": exc.code, "message": exc.message, "param": exc.param, "event_id": None}}).decode())
    await websocket.close(CLOSE_INVALID_REQUEST, exc.type)


async def realtime(websocket: WebSocket) -> None:
    scope = websocket.scope
    state = scope.get(TENANT)
    fault = None
    if state is not None:
        fault = pick_fault(state, "GET", scope["path"], lambda: {"stream": True}, scope.get("query_string", b""))
        if fault is not None and not fault.in_stream and await _refused_by_fault(websocket, fault):
            return
    offered = list(scope.get("subprotocols") or ())
    # A browser must hear one of its subprotocols back; "realtime" is the one the live API answers.
    await websocket.accept(subprotocol="realtime" if "realtime" in offered else None)
    if state is None:
        await _refuse(websocket, scope[AUTH_ERROR])
        return
    current_request.set(("WEBSOCKET", "/v1/realtime"))
    try:
        minted = secrets.config_for(state, scope.get(KEY) or "")
        session = open_session(state, websocket.query_params.get("model"), websocket.query_params.get("intent"),
                               minted)
    except APIError as exc:
        await _refuse(websocket, exc)
        return
    engine = Engine(state, session, beta=beta.is_beta(scope["headers"], offered))
    sender = Sender(websocket, fault)
    try:
        await sender.send(engine.opened())
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            current_request.set(("WEBSOCKET", "/v1/realtime"))
            await sender.send(engine.handle(text if text is not None else message.get("bytes") or b""))
    except (WebSocketDisconnect, Closed):
        pass
    finally:
        current_request.set(None)
        engine.close()


async def create_client_secret(request: Request) -> Response:
    """``POST /v1/realtime/client_secrets``: an ``ek_`` key for a browser or phone app, standing for this
    tenant (the registry learns it) until it expires."""
    state = tenant(request)
    body = json_body(request, "RealtimeCreateClientSecretRequest")
    answer = secrets.mint(state, body)
    request.scope["fakeopenai.registry"].alias(answer["value"], state.key)
    return json_response(answer)

