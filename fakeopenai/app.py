"""``create_app()``: the one ASGI app behind the pytest fixture and ``fakeopenai serve``.

Usage::

    import uvicorn
    from fakeopenai import create_app

    app = create_app("requires_action_then_complete")
    uvicorn.run(app, port=8000)   # then OPENAI_BASE_URL=http://127.0.0.1:8000/v1

Layers, outermost first: the :class:`Gateway` (request id, body read once, API
key -> tenant, request log, scripted faults), Starlette's server-error guard and
exception middleware (every :class:`~fakeopenai.errors.APIError`
rendered in the OpenAI shape), then the route table (``routes.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeopenai.engine import faults as fault_engine
from fakeopenai.engine.state import TenantState, current_request
from fakeopenai.errors import (
    APIError,
    AuthenticationError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    ServerError,
)
from fakeopenai.ids import request_id
from fakeopenai.scenario.loader import load_scenario
from fakeopenai.tenants import TenantRegistry

log = logging.getLogger("fakeopenai.http")

DEFAULT_MAX_BODY_BYTES = 600 * 1024 * 1024  # a 512 MB file plus multipart framing
_SECRET_HEADERS = frozenset({b"authorization", b"api-key", b"x-api-key", b"cookie", b"proxy-authorization",
                             b"openai-organization", b"openai-project"})
_BODY_LOG_LIMIT = 64 * 1024
DEBUG_BODY_CHARS = 2000  # --log-level debug shows this much of each request and response body


class ClientDisconnect(Exception):
    """Raised (in-process) or acted on (sockets) when a fault asks to drop the connection."""


def error_response(exc: APIError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)


class Gateway:
    """Pure ASGI middleware: everything a request goes through before its handler."""

    def __init__(self, app: ASGIApp, *, registry: TenantRegistry, control: bool = True,
                 api_keys: Iterable[str] | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.state = getattr(app, "state", None)  # the Starlette app's state: .registry
        self.registry = registry
        self.control = control
        self.api_keys = frozenset(api_keys) if api_keys else None
        self.max_body_bytes = max_body_bytes
        self._anonymous_requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The request being served, for violations (a context variable: each request its own). Not
        # reset with a token: the in-process transport may finish a suspended request in a Task, whose
        # context is a copy of the one it was set in.
        current_request.set((scope["method"], scope["path"]))
        try:
            if log.isEnabledFor(logging.DEBUG):
                capture = _Capture(send)
                await self._serve(scope, receive, capture.send, send, capture)
            else:
                await self._serve(scope, receive, send, send, None)
        finally:
            current_request.set(None)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, raw_send: Send,
                     capture: _Capture | None) -> None:
        """Everything a request goes through. ``send`` may be the debug log's capturing wrapper;
        ``raw_send`` is the server's own (a disconnect fault needs its transport)."""
        started = time.perf_counter()
        path: str = scope["path"]
        body = b""
        status_holder = [0]
        is_api = path.startswith("/v1/") or path == "/v1"
        is_control = path.startswith("/_fake")
        state: TenantState | None = None
        req_id = ""
        try:
            if is_control and not self.control:
                raise NotFoundError(f"Invalid URL ({scope['method']} {path}): the control API is disabled "
                                    "(--no-control).", param=None)
            if is_api or (is_control and path != "/_fake/health"):
                state = self._tenant(scope)
                state.request_count += 1
                req_id = request_id(state.request_count, state.scenario.seed)
            else:
                self._anonymous_requests += 1
                req_id = request_id(self._anonymous_requests, "anonymous")
            body = await self._read_body(scope, receive)
        except APIError as exc:
            if not req_id:
                self._anonymous_requests += 1
                req_id = request_id(self._anonymous_requests, "anonymous")
            await error_response(exc, {"x-request-id": req_id})(scope, receive, send)
            self._log(scope, exc.status_code, started, state, capture=capture)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", req_id.encode())]
            await send(message)

        if state is not None and is_api:
            self._record(state, scope, body)
            fault = fault_engine.pick_fault(state, scope["method"], path, lambda: _json_or_none(body))
            if fault is not None:
                if fault.delay_ms:
                    await asyncio.sleep(fault.delay_ms / 1000)
                if fault.disconnect:
                    # Logged first: in-process, the disconnect is an exception.
                    self._log(scope, 0, started, state, note=f"fault {fault.name}: disconnect", body=body)
                    await _disconnect(raw_send)
                    return
                if fault.status is not None or fault.raw_body is not None:
                    status, headers, payload = fault_engine.fault_answer(fault)
                    await Response(payload, status_code=status, headers=headers)(scope, receive, send_with_id)
                    self._log(scope, status, started, state, note=f"fault {fault.name}", body=body,
                              capture=capture)
                    return
            if state.scenario.require_beta_header and (path.startswith("/v1/assistants")
                                                       or path.startswith("/v1/threads")):
                beta = dict(scope["headers"]).get(b"openai-beta", b"").decode("latin-1")
                if "assistants=v2" not in beta:
                    exc = APIError("You must provide the 'OpenAI-Beta' header to access the Assistants API. "
                                   "Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
                                   param="OpenAI-Beta", code="missing_beta_header")
                    await error_response(exc)(scope, receive, send_with_id)
                    self._log(scope, 400, started, state, body=body, capture=capture)
                    return
        scope["fakeopenai.tenant"] = state
        scope["fakeopenai.body"] = body
        scope["fakeopenai.registry"] = self.registry

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay, send_with_id)
        except Exception as exc:  # noqa: BLE001 - a bug in a handler, already answered by `_unexpected`
            # Starlette's error middleware answers the 500 (and logs the traceback), then re-raises so
            # the server sees it; uvicorn then drops the keep-alive connection, and the client's next
            # request failed too. The answer is all the client should see.
            if not status_holder[0]:
                await error_response(ServerError(f"fakeopenai internal error ({type(exc).__name__}).",
                                                 param=None))(scope, receive, send_with_id)
        self._log(scope, status_holder[0], started, state, body=body, capture=capture)

    def _tenant(self, scope: Scope) -> TenantState:
        key = _bearer(scope)
        if not key:
            raise AuthenticationError(
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). fakeopenai keeps one state per key, "
                "so any key works unless the server was started with --api-key.", param="authorization")
        if self.api_keys is not None and key not in self.api_keys:
            raise AuthenticationError("Incorrect API key provided. This fakeopenai server only accepts the keys "
                                      "given with --api-key.", param="authorization", code="invalid_api_key")
        return self.registry.get(key)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            raise PayloadTooLargeError(f"Request too large: {int(length)} bytes; the limit is "
                                       f"{self.max_body_bytes} bytes.", param="body", code="request_too_large")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise PayloadTooLargeError(f"Request too large: more than {self.max_body_bytes} bytes.",
                                               param="body", code="request_too_large")
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _record(self, state: TenantState, scope: Scope, body: bytes) -> None:
        headers = list(scope["headers"])
        content_type = dict(headers).get(b"content-type", b"")
        kept: bytes | str = body
        # The log keeps up to REQUEST_LOG_LIMIT entries: never hold an upload's bytes a second time.
        if content_type.startswith(b"multipart/form-data"):
            kept = f"<multipart/form-data, {len(body)} bytes>"
        elif len(body) > _BODY_LOG_LIMIT:
            kept = f"<{len(body)} bytes, not shown>"
        state.requests.append({"method": scope["method"], "path": scope["path"],
                               "query": scope.get("query_string", b""), "headers": headers, "body": kept})

    def _log(self, scope: Scope, status: int, started: float, state: TenantState | None, note: str = "",
             *, body: bytes = b"", capture: _Capture | None = None) -> None:
        """One line per request at INFO: ``POST /v1/threads 200 1.2ms [tenant-1a2b3c4d] (fault x)``; at
        DEBUG also the request body and the response body (never a header, so never the API key)."""
        if not log.isEnabledFor(logging.INFO):
            return
        elapsed = (time.perf_counter() - started) * 1000
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope["path"] + ("?" + query if query else "")
        log.info("%s %s %s %.1fms%s%s", scope["method"], target, status or "-", elapsed,
                 f" [{state.label}]" if state else "", f" ({note})" if note else "")
        if not log.isEnabledFor(logging.DEBUG):
            return
        if body:
            content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
            log.debug("%s %s request body: %s", scope["method"], target, show_body(body, content_type))
        if capture is not None and capture.started:
            log.debug("%s %s response body: %s", scope["method"], target,
                      show_body(bytes(capture.head), capture.content_type, capture.size))


class _Capture:
    """Wraps ``send`` at ``--log-level debug``: keeps the head of the response body for the log."""

    __slots__ = ("send_to", "started", "content_type", "head", "size")

    def __init__(self, send_to: Send) -> None:
        self.send_to = send_to
        self.started = False
        self.content_type = ""
        self.head = bytearray()
        self.size = 0

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            for key, value in message.get("headers", ()):
                if key.lower() == b"content-type":
                    self.content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if len(self.head) < DEBUG_BODY_CHARS * 4:  # enough bytes for the shown characters
                self.head += chunk[:DEBUG_BODY_CHARS * 4 - len(self.head)]
        await self.send_to(message)


_TEXT_TYPES = ("application/json", "application/x-www-form-urlencoded", "application/x-yaml", "application/yaml",
               "application/x-ndjson", "application/jsonl")


def show_body(head: bytes, content_type: str, size: int | None = None) -> str:
    """A body as the debug log shows it, on one line: JSON or other text up to
    :data:`DEBUG_BODY_CHARS` characters (then ``… (N bytes in all)``); multipart and binary as
    ``<N bytes>``. ``head`` may be only the start of a body of ``size`` bytes."""
    size = len(head) if size is None else size
    if not size:
        return "(empty)"
    media = content_type.split(";", 1)[0].strip().lower()
    textual = media.startswith("text/") or media in _TEXT_TYPES or media.endswith("+json")
    if (media and not textual) or (not media and b"\x00" in head):
        return f"<{size} bytes>"  # multipart (an upload), octet-stream (file content), binary
    text = head[:DEBUG_BODY_CHARS * 4].decode("utf-8", "replace")
    if len(text) <= DEBUG_BODY_CHARS and len(head) == size:
        return text.replace("\n", "\\n").replace("\r", "\\r")
    return text[:DEBUG_BODY_CHARS].replace("\n", "\\n").replace("\r", "\\r") + f"… ({size} bytes in all)"


def format_request(entry: dict[str, Any]) -> dict[str, Any]:
    """A recorded request as ``GET /_fake/requests`` shows it: secrets redacted, body decoded."""
    from urllib.parse import parse_qsl

    headers = {}
    for key, value in entry["headers"]:
        name = key.decode("latin-1").lower()
        headers[name] = "<redacted>" if key.lower() in _SECRET_HEADERS else value.decode("latin-1")
    query: dict[str, Any] = {}
    for key, value in parse_qsl(entry["query"].decode("latin-1"), keep_blank_values=True):
        if key in query:
            query[key] = query[key] if isinstance(query[key], list) else [query[key]]
            query[key].append(value)
        else:
            query[key] = value
    return {"method": entry["method"], "path": entry["path"], "query": query, "headers": headers,
            "body": _decode_body(entry["body"], headers.get("content-type", ""))}


def _decode_body(body: bytes | str, content_type: str) -> Any:
    if isinstance(body, str) or not body:
        return body or None
    parsed = _json_or_none(body)
    if parsed is not None:
        return parsed
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes of binary data>"


def _json_or_none(body: bytes) -> Any:
    """The body as JSON, or None. As strict as request parsing: a NaN or an unpaired surrogate
    parsed here would make ``GET /_fake/requests`` unable to answer."""
    from fakeopenai.jsonstrict import loads_strict

    try:
        return loads_strict(body) if body else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _bearer(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            text = value.decode("latin-1").strip()
            if text[:7].lower() == "bearer ":
                return text[7:].strip() or None
            return None
    return None


async def _disconnect(send: Send) -> None:
    """Close the connection with no answer at all.

    Under uvicorn, ``send`` is bound to the request cycle, which holds the
    transport; aborting it is what a crashed upstream looks like to a client. The
    in-process transport (``transport.py``) sees :class:`ClientDisconnect` instead.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ClientDisconnect()
    transport.abort()
    # Let connection_lost run, so uvicorn knows there is nobody to send a 500 to.
    for _ in range(3):
        await asyncio.sleep(0)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error: APIError = NotFoundError(f"Invalid URL ({request.method} {request.url.path})", param=None,
                                        code="unknown_url")
    elif exc.status_code == 405:
        error = MethodNotAllowedError(f"Invalid method for URL ({request.method} {request.url.path}): allowed "
                                      f"methods are {exc.headers.get('Allow', '') if exc.headers else ''}.",
                                      param=None, code="method_not_allowed")
        return error_response(error, headers=dict(exc.headers or {}))
    else:
        error = APIError(str(exc.detail), status_code=exc.status_code)
    return error_response(error)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("fakeopenai bug while serving %s %s", request.method, request.url.path)
    error = ServerError(f"fakeopenai internal error ({type(exc).__name__}: {exc}). This is a bug in the fake; "
                        "please report it with the request log (GET /_fake/requests).", param=None)
    return error_response(error)


def create_app(scenario: Any = None, *, seed: int | str | None = None, compat: str | None = None,
               scenario_dirs: Iterable[str] = (), control: bool = True, api_keys: Iterable[str] | None = None,
               max_tenants: int | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               max_stored_bytes: int | None = None) -> Gateway:
    """The fake OpenAI API as an ASGI app.

    Arguments:

    * ``scenario`` - the default scenario of every new tenant: a built-in name, a
      path, YAML text, a dict or a loaded :class:`~fakeopenai.scenario.model.Scenario`.
    * ``seed`` / ``compat`` - override the scenario's seed and compat profile.
    * ``scenario_dirs`` - where names are looked up after the built-ins.
    * ``control`` - serve the ``/_fake`` control API (default ``True``).
    * ``api_keys`` - when given, only these bearer keys are accepted.
    * ``max_tenants`` / ``max_stored_bytes`` / ``max_body_bytes`` - limits: API keys held at once
      (then 429), file bytes one key may store (then 400), bytes of one request body (then 413).
    """
    from fakeopenai.engine.state import MAX_STORED_BYTES
    from fakeopenai.routes import routes
    from fakeopenai.tenants import DEFAULT_MAX_TENANTS

    dirs = [str(d) for d in scenario_dirs]
    default = load_scenario(scenario, scenario_dirs=dirs, seed=seed, compat=compat)
    registry = TenantRegistry(default, scenario_dirs=dirs, max_tenants=max_tenants or DEFAULT_MAX_TENANTS,
                              max_stored_bytes=max_stored_bytes or MAX_STORED_BYTES)
    app = Starlette(
        routes=routes(control=control),
        exception_handlers={APIError: _api_error, HTTPException: _http_error, Exception: _unexpected},
    )
    app.state.registry = registry
    # The gateway is outermost (not in Starlette's middleware list): a disconnect fault
    # needs uvicorn's own `send`, and every answer, a 500 included, gets its request id.
    return Gateway(app, registry=registry, control=control, api_keys=api_keys, max_body_bytes=max_body_bytes)
