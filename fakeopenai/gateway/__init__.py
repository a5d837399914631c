"""The gateway: everything a request goes through before its handler, one concern a module.

In order: the request id (``ids.request_id``), the API key -> tenant (``auth``), the body read
once and bounded (``body``), the request log (``request_log``), a scripted fault (``faults``),
each family's own check (``Family.before_request``: the Assistants beta header), then the app.
One pure ASGI middleware composes them (a chain of middlewares would wrap ``send`` once a
layer, on every request).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from fakeopenai.core.errors import APIError, NotFoundError, ServerError
from fakeopenai.core.ids import request_id
from fakeopenai.core.registry import families
from fakeopenai.core.state import TenantState, current_request
from fakeopenai.core.tenants import TenantRegistry
from fakeopenai.core.timeline import current_entry
from fakeopenai.faults import answer as faults
from fakeopenai.faults.pick import pick_fault
from fakeopenai.faults.stream import STREAM_FAULT
from fakeopenai.gateway.auth import bearer, subprotocol_key, tenant_of
from fakeopenai.gateway.body import DEFAULT_MAX_BODY_BYTES, Replay, read_body
from fakeopenai.gateway.request_log import Capture, finish, json_or_none, log, log_request, record

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DOOR_HEADERS", "PAGE_PATHS", "Gateway", "error_response", "with_header"]

# Scope key: the headers the door (uvicorn) adds to every answer that has none of that name
# (``date``, ``server``), as a function returning [(name, value)]: the gateway's one ``send``
# wrapper adds them (server.ServerHeaders sets it).
DOOR_HEADERS = "fakeopenai.door_headers"

PAGE_PATHS = frozenset({"/_fake/ui", "/_fake/tenants", "/_fake/timeline"})   # no key needed on loopback

def with_header(headers: Iterable[tuple[bytes, bytes]], name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the fake's own header ``name`` (lower-case) added, unless the answer
    already has one of that name (any case): a scripted fault's ``x-request-id`` replaces the fake's,
    never goes besides it."""
    headers = list(headers)
    if any(key.lower() == name for key, _ in headers):
        return headers
    return [*headers, (name, value)]


def error_response(exc: APIError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers={**exc.headers, **(headers or {})})


class Gateway:
    """Pure ASGI middleware: everything a request goes through before its handler."""

    def __init__(self, app: ASGIApp, *, registry: TenantRegistry, control: bool = True,
                 api_keys: Iterable[str] | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.state: Any = getattr(app, "state", None)  # the Starlette app's state: .registry
        self.registry = registry
        self.control = control
        self.api_keys = frozenset(api_keys) if api_keys else None
        self.max_body_bytes = max_body_bytes
        self._anonymous_requests = 0
        self._ahead: tuple[int, int | str, str] = (0, "", "")   # (count, seed, request id): _prepare_request_id
        self._checks = tuple(f.before_request for f in families() if f.before_request is not None)

    def _websocket_tenant(self, scope: Scope) -> None:
        """A WebSocket's tenant, by the same lookup as a request's, for its endpoint to use: the endpoint
        answers a bad key itself (the live API opens the socket, sends an ``error`` event and closes)."""
        scope["fakeopenai.registry"] = self.registry
        scope["fakeopenai.api_keys"] = self.api_keys
        scope["fakeopenai.key"] = bearer(scope) or subprotocol_key(scope)   # a client secret starts its session
        try:
            scope["fakeopenai.tenant"] = tenant_of(scope, self.registry, self.api_keys)
        except APIError as exc:
            scope["fakeopenai.tenant"] = None
            scope["fakeopenai.auth_error"] = exc

    def _anonymous_id(self) -> str:
        self._anonymous_requests += 1
        return request_id(self._anonymous_requests, "anonymous")

    async def __call__(self, scope: Scope, receive: Receive, raw_send: Send) -> None:
        """Everything a request goes through, in one coroutine (a second layer was a frame and an await per
        request). ``raw_send`` is the server's (a disconnect fault needs it: its transport); the app and the
        error answers send through ``sender``, the gateway's one wrapper of it, which is also the log's
        capture when it keeps the answer's head (else ``capture`` is None below)."""
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                self._websocket_tenant(scope)
            await self.app(scope, receive, raw_send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        # The request being served, for violations (a context variable: each request its own). Not
        # reset with a token: the in-process transport may finish a suspended request in a Task, whose
        # context is a copy of the one it was set in.
        current_request.set((scope["method"], path))
        if current_entry.get() is not None:   # (a get is cheaper than a set: it copies no context)
            current_entry.set(None)
        try:
            under_v1 = path.startswith("/v1/")
            # The timeline keeps each answer's head; the log too, at debug.
            sender = Capture(raw_send, under_v1 or log.isEnabledFor(logging.DEBUG), scope.get(DOOR_HEADERS))
            send = sender.send
            capture = sender if sender.keep else None
            is_api = under_v1 or path == "/v1"
            is_control = path.startswith("/_fake")
            body = b""
            state: TenantState | None = None
            req_id = ""
            names = dict(scope["headers"])   # header name -> its last value (a dict made in C)
            try:
                if is_control and not self.control:
                    raise NotFoundError(f"Invalid URL ({scope['method']} {path}): the control API is disabled "
                                        "(--no-control).", param=None)
                # The page and its JSON answer without a key (the handler decides what they show: every
                # tenant only on loopback without --api-key); with a key, that key's tenant as usual.
                keyless = path in PAGE_PATHS and bearer(scope) is None
                if is_api or (is_control and path != "/_fake/health" and not keyless):
                    state = tenant_of(scope, self.registry, self.api_keys)
                    count = state.request_count = state.request_count + 1
                    req_id = self._request_id(count, state.scenario.seed)
                else:
                    req_id = self._anonymous_id()
                body = await read_body(receive, names.get(b"content-length"), self.max_body_bytes)
            except APIError as exc:
                req_id = req_id or self._anonymous_id()
                await error_response(exc, {"x-request-id": req_id})(scope, receive, send)
                log_request(scope, exc.status_code, started, state, capture=capture)
                return

            sender.request_id = req_id.encode()
            entry = None
            if state is not None and is_api:
                # Its warnings become a header.
                entry = sender.entry = record(state, scope, body, req_id, names.get(b"content-type", b""))
                current_entry.set(entry)
                fault = pick_fault(state, scope["method"], path, partial(json_or_none, body),
                                   scope.get("query_string", b"")) if state.scenario.faults else None
                if fault is not None:
                    entry["fault"] = fault.name
                if fault is not None and fault.in_stream:
                    scope[STREAM_FAULT] = (fault, raw_send)   # played by the stream (faults/stream.py)
                elif fault is not None:
                    await faults.delay(fault)
                    if fault.disconnect:
                        # Logged first: in-process, the disconnect is an exception.
                        log_request(scope, 0, started, state, note=f"fault {fault.name}: disconnect", body=body)
                        finish(state, entry, 0, started, capture)
                        await faults.disconnect(scope, raw_send)
                        return
                    if faults.answers(fault):
                        status = await faults.answer(fault, scope, receive, send)
                        log_request(scope, status, started, state, note=f"fault {fault.name}", body=body,
                                    capture=capture)
                        finish(state, entry, status, started, capture)
                        return
                for check in self._checks:
                    refused = check(state, scope)
                    if refused is not None:
                        await error_response(refused)(scope, receive, send)
                        log_request(scope, refused.status_code, started, state, body=body, capture=capture)
                        finish(state, entry, refused.status_code, started, capture)
                        return
            scope["fakeopenai.tenant"] = state
            scope["fakeopenai.body"] = body
            scope["fakeopenai.registry"] = self.registry
            scope["fakeopenai.api_keys"] = self.api_keys

            try:
                await self.app(scope, Replay(body, receive), send)
            except Exception as exc:  # noqa: BLE001 - a bug in a handler, already answered by `_unexpected`
                # Starlette's error middleware answers the 500 (and logs the traceback), then re-raises so
                # the server sees it; uvicorn then drops the keep-alive connection, and the client's next
                # request failed too. The answer is all the client should see.
                if not sender.status:
                    await error_response(ServerError(f"fakeopenai internal error ({type(exc).__name__}).",
                                                     param=None))(scope, receive, send)
            # What follows comes after the answer was written: the client is not kept waiting for it.
            log_request(scope, sender.status, started, state, body=body, capture=capture)
            if state is not None:
                finish(state, entry, sender.status, started, capture)
                self._prepare_request_id(count + 1, state.scenario.seed)
        finally:
            current_request.set(None)
            if current_entry.get() is not None:
                current_entry.set(None)

    def _request_id(self, count: int, seed: int | str) -> str:
        """``ids.request_id(count, seed)``, taken from :meth:`_prepare_request_id` when it made that one."""
        ahead = self._ahead
        if ahead[0] == count and ahead[1] == seed:
            return ahead[2]
        return request_id(count, seed)

    def _prepare_request_id(self, count: int, seed: int | str) -> None:
        """Work out the tenant's next request id once its answer is written (hashing it was ~7 k
        instructions before the answer): a pure function of ``count`` and ``seed``, so whichever
        request next has both takes it (another tenant's request in between only makes it unused)."""
        self._ahead = (count, seed, request_id(count, seed))
