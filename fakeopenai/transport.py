"""In-process transports: the SDK talks to the app without a socket.

``FakeOpenAI.client()`` uses these, so a test's SDK calls skip TCP, HTTP parsing
and the kernel; the request still goes through the whole app (gateway, faults,
routing, handlers) on the server's event loop, where all state lives, so socket
clients and in-process clients see one consistent world.

One class serves sync and async use; it is built for whichever HTTP library the
installed SDK uses (``httpx`` for openai 1.x/2.x, ``httpx2`` for 3.x)::

    transport = in_process_transport(server.app, server.loop, httpx2)
    client = openai.OpenAI(base_url=..., http_client=httpx2.Client(transport=transport))

Timeouts behave as on a socket: a scripted ``delay_ms`` longer than the client's
read timeout raises the library's ``ReadTimeout``; a ``disconnect`` fault raises
``RemoteProtocolError`` ("Server disconnected without sending a response.").
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from functools import lru_cache
from types import ModuleType
from typing import Any

from fakeopenai.app import ClientDisconnect

Result = tuple[int, list[tuple[bytes, bytes]], bytes]


def _scope(request: Any) -> dict[str, Any]:
    url = request.url
    raw_path = url.raw_path
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": request.method, "scheme": url.scheme, "path": url.path,
        "raw_path": raw_path.split(b"?", 1)[0], "query_string": url.query, "root_path": "",
        "headers": [(key.lower(), value) for key, value in request.headers.raw],
        "client": ("127.0.0.1", 0), "server": (url.host, url.port or 80), "extensions": {},
    }


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> Result:
    delivered = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        # A streaming response listens for a disconnect while it streams: the client
        # stays until the whole body is sent.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    return status, headers, chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _read_timeout(request: Any) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


@lru_cache(maxsize=None)
def _transport_class(module: ModuleType) -> type:
    base_sync, base_async = module.BaseTransport, module.AsyncBaseTransport

    class InProcessTransport(base_sync, base_async):  # type: ignore[misc,valid-type]
        """Calls the fakeopenai ASGI app on its server loop, without a socket."""

        def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self.app = app
            self.loop = loop

        def _response(self, request: Any, result: Result) -> Any:
            status, headers, content = result
            return module.Response(status, headers=headers, content=content, request=request)

        def handle_request(self, request: Any) -> Any:
            body = request.read()
            future = asyncio.run_coroutine_threadsafe(_call(self.app, _scope(request), body), self.loop)
            try:
                return self._response(request, future.result(_read_timeout(request)))
            except concurrent.futures.TimeoutError:
                future.cancel()
                raise module.ReadTimeout("The read operation timed out", request=request) from None
            except ClientDisconnect:
                raise module.RemoteProtocolError("Server disconnected without sending a response.",
                                                 request=request) from None

        async def handle_async_request(self, request: Any) -> Any:
            body = await request.aread()
            future = asyncio.run_coroutine_threadsafe(_call(self.app, _scope(request), body), self.loop)
            try:
                result = await asyncio.wait_for(asyncio.wrap_future(future), _read_timeout(request))
            except asyncio.TimeoutError:
                future.cancel()
                raise module.ReadTimeout("The read operation timed out", request=request) from None
            except ClientDisconnect:
                raise module.RemoteProtocolError("Server disconnected without sending a response.",
                                                 request=request) from None
            return self._response(request, result)

    return InProcessTransport


def in_process_transport(app: Any, loop: asyncio.AbstractEventLoop, module: ModuleType) -> Any:
    """A transport for ``module`` (``httpx`` or ``httpx2``) into ``app`` on ``loop``."""
    return _transport_class(module)(app, loop)


def sdk_http_module(openai: ModuleType) -> ModuleType:
    """The HTTP library the installed ``openai`` SDK is built on."""
    import importlib

    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.split(".", 1)[0]
        if root in ("httpx", "httpx2"):
            return importlib.import_module(root)
    raise RuntimeError("cannot tell which HTTP library the installed openai SDK uses")
