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

import _thread
import asyncio
from collections.abc import Callable, Coroutine
from functools import cache
from types import ModuleType
from typing import Any

from fakeopenai.gateway.faults import ClientDisconnect

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


def _needs_task(scope: dict[str, Any], body: bytes) -> bool:
    """Streams (anyio task groups) and uploads (a thread pool for big files) need a real Task."""
    if b'"stream"' in body:
        return True
    return any(key == b"content-type" and value.startswith(b"multipart/") for key, value in scope["headers"])


class _Pending:
    """One request handed to the server loop; ``done`` is called (on the loop) when it ends."""

    __slots__ = ("result", "error", "task", "abandoned")

    def __init__(self) -> None:
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[Result] | None = None
        self.abandoned = False


async def _resume(coro: Coroutine[Any, Any, Result], yielded: Any) -> Result:
    """Carry on, inside a Task, a coroutine that suspended while being driven directly."""
    while True:
        try:
            if yielded is None:
                await asyncio.sleep(0)
            else:
                await asyncio.wait((yielded,))  # its outcome reaches the coroutine when resumed
        except asyncio.CancelledError:
            yielded = coro.throw(asyncio.CancelledError())
            continue
        try:
            yielded = coro.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def _start(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Result], in_task: bool,
           done: Callable[[_Pending], None]) -> _Pending:
    """Run ``coro`` on ``loop``, where all state lives.

    Most requests never suspend (the engine is synchronous), so the coroutine is driven
    to its end in a single loop callback: one thread hop each way and no Task, about half
    the cost of ``run_coroutine_threadsafe``. One that does suspend (a scripted delay, say)
    carries on in a Task."""
    pending = _Pending()

    def finished(task: asyncio.Task[Result]) -> None:
        if task.cancelled():
            pending.error = asyncio.CancelledError()
        elif task.exception() is not None:
            pending.error = task.exception()
        else:
            pending.result = task.result()
        done(pending)

    def run() -> None:
        if pending.abandoned:
            coro.close()
            return
        if in_task:
            task = loop.create_task(coro)
        else:
            try:
                yielded = coro.send(None)
            except StopIteration as stop:
                pending.result = stop.value
                done(pending)
                return
            except BaseException as exc:
                pending.error = exc
                done(pending)
                return
            task = loop.create_task(_resume(coro, yielded))
        pending.task = task
        task.add_done_callback(finished)

    loop.call_soon_threadsafe(run)
    return pending


def _abandon(loop: asyncio.AbstractEventLoop, pending: _Pending) -> None:
    def cancel() -> None:
        pending.abandoned = True
        if pending.task is not None:
            pending.task.cancel()

    loop.call_soon_threadsafe(cancel)


@cache
def _transport_class(module: ModuleType) -> type:
    base_sync, base_async = module.BaseTransport, module.AsyncBaseTransport

    class InProcessTransport(base_sync, base_async):  # type: ignore[misc,valid-type]
        """Calls the fakeopenai ASGI app on its server loop, without a socket."""

        def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self.app = app
            self.loop = loop

        def _response(self, request: Any, pending: _Pending) -> Any:
            if pending.error is not None:
                if isinstance(pending.error, ClientDisconnect):
                    raise module.RemoteProtocolError("Server disconnected without sending a response.",
                                                     request=request)
                raise pending.error
            assert pending.result is not None
            status, headers, content = pending.result
            return module.Response(status, headers=headers, content=content, request=request)

        def handle_request(self, request: Any) -> Any:
            body = request.read()
            scope = _scope(request)
            lock = _thread.allocate_lock()
            lock.acquire()
            pending = _start(self.loop, _call(self.app, scope, body), _needs_task(scope, body),
                             lambda _: lock.release())
            timeout = _read_timeout(request)
            if not lock.acquire(timeout=-1 if timeout is None else timeout):
                _abandon(self.loop, pending)
                raise module.ReadTimeout("The read operation timed out", request=request)
            return self._response(request, pending)

        async def handle_async_request(self, request: Any) -> Any:
            body = await request.aread()
            scope = _scope(request)
            caller = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = caller.create_future()

            def done(_: _Pending) -> None:
                caller.call_soon_threadsafe(lambda: waiter.done() or waiter.set_result(None))

            pending = _start(self.loop, _call(self.app, scope, body), _needs_task(scope, body), done)
            try:
                await asyncio.wait_for(waiter, _read_timeout(request))
            except TimeoutError:
                _abandon(self.loop, pending)
                raise module.ReadTimeout("The read operation timed out", request=request) from None
            return self._response(request, pending)

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
