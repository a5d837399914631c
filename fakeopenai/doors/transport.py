"""In-process transports: the SDK talks to the app without a socket.

``FakeOpenAI.client()`` uses these, so a test's SDK calls skip TCP, HTTP parsing
and the kernel; the request still goes through the whole app (gateway, faults,
routing, handlers) as the server's event loop, where all state lives, so socket
clients and in-process clients see one consistent world. While that loop waits for
I/O it is lent to the calling thread (:mod:`fakeopenai.doors.loop_lock`), which then serves
the request itself: no thread switch; when it is busy, the request is handed to it.

One class serves sync and async use; it is built for whichever HTTP library the
installed SDK uses (``httpx`` for openai 1.x/2.x, ``httpx2`` for 3.x)::

    transport = in_process_transport(server.app, server.loop_lock, httpx2)
    client = openai.OpenAI(base_url=..., http_client=httpx2.Client(transport=transport))

Timeouts behave as on a socket: a scripted ``delay_ms`` longer than the client's
read timeout raises the library's ``ReadTimeout``; a ``disconnect`` fault raises
``RemoteProtocolError`` ("Server disconnected without sending a response.").
A request the client gave up on is not cancelled: as under uvicorn (and on the live
API), the server carries it out and its answer goes nowhere, so a retry after a
timeout leaves the same objects whatever the transport. A stream the client left
sees the client disconnect, as on a socket.

An event stream (``text/event-stream``) is handed to the client as soon as it starts, and its
events as they are sent, so a stream fault plays out as on a socket: the client reads the first
events, then its read times out (a stall) or fails (a disconnect: ``RemoteProtocolError``).

An async client on another event loop than asyncio's (trio, through anyio) is served as a sync
one is: the request runs on its thread while the server loop is idle (seeing no async library of
the caller's), and an answer or stream chunk not there at once is waited for in one of that
loop's worker threads. The asyncio path is unchanged by it (one check that a loop runs).
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import contextvars
import queue
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from functools import cache
from types import ModuleType
from typing import Any

from fakeopenai.doors.eager import needs_task, resume
from fakeopenai.doors.loop_lock import LoopLock, running_loop
from fakeopenai.faults.stream import ABORT, ClientDisconnect

Result = tuple[int, list[tuple[bytes, bytes]], bytes]
_END = b""                   # what ends a stream's chunk queue (chunks are never empty)


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


class _Pending:
    """One request handed to the server loop. ``ready`` is called (on the loop) once: when the
    answer is complete, or when an event stream starts; a stream's chunks then go to ``feed``,
    and ``_END`` after the last one."""

    __slots__ = ("result", "error", "task", "abandoned", "streaming", "ready", "feed", "gone")

    def __init__(self, ready: Callable[[], None], feed: Callable[[bytes], None]) -> None:
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[Result] | None = None
        self.abandoned = False
        self.streaming = False
        self.ready = ready
        self.feed = feed
        self.gone: asyncio.Event | None = None   # set when the client stops reading a stream

    def finish(self) -> None:
        if self.streaming:
            self.feed(_END)
        else:
            self.ready()


async def _call(app: Any, scope: dict[str, Any], body: bytes, pending: _Pending) -> Result:
    delivered = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    finished = asyncio.Event()
    pending.gone = finished

    def abort() -> None:
        pending.error = ClientDisconnect()
        finished.set()

    scope["extensions"][ABORT] = abort   # _scope made this dict for this request

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        # A streaming response listens for a disconnect while it streams: the client
        # stays until the whole body is sent, or until it stops reading.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if finished.is_set() and pending.streaming:
            return  # the client is gone (or the stream was cut): nobody reads this
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
            if any(k == b"content-type" and v.startswith(b"text/event-stream") for k, v in headers):
                pending.streaming = True
                pending.result = (status, headers, b"")
                if pending.abandoned:   # the client timed out before the stream started: it is gone
                    finished.set()
                    return
                pending.ready()
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            if chunk:
                if pending.streaming:
                    pending.feed(chunk)
                else:
                    chunks.append(chunk)
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    if pending.error is not None:
        raise pending.error
    return status, headers, chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _read_timeout(request: Any) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def _start(lock: LoopLock, pending: _Pending, coro: Coroutine[Any, Any, Result], in_task: bool) -> _Pending:
    """Run ``coro`` on the server loop, where all state lives.

    Most requests never suspend (the engine is synchronous), so the coroutine is driven
    to its end in one go, without a Task: on this thread if the loop is idle (no thread
    switch at all, see :mod:`fakeopenai.doors.loop_lock`), else in one callback on the loop's
    thread. One that does suspend (a scripted delay, a stream) carries on in a Task."""
    loop = lock.loop
    assert loop is not None, "server not started"

    def finished(task: asyncio.Task[Result]) -> None:
        if task.cancelled():
            pending.error = asyncio.CancelledError()
        elif task.exception() is not None:
            pending.error = task.exception()
        else:
            pending.result = task.result()
        pending.finish()

    def run() -> None:  # even if the client has given up already: the request was sent
        if in_task:
            task = loop.create_task(coro)
        else:
            try:
                yielded = coro.send(None)
            except StopIteration as stop:
                pending.result = stop.value
                pending.finish()
                return
            except BaseException as exc:
                pending.error = exc
                pending.finish()
                return
            task = loop.create_task(resume(coro, yielded))
        pending.task = task
        task.add_done_callback(finished)

    with lock.lend() as lent:
        if lent is not None:
            contextvars.copy_context().run(run)  # as a callback would: the app's context stays its own
            return pending
    loop.call_soon_threadsafe(run)
    return pending


def _abandon(loop: asyncio.AbstractEventLoop, pending: _Pending) -> None:
    """The client gave up (a timeout, or it closed a stream it had not read to the end). The request
    is not cancelled: as under uvicorn, it runs to its end and its answer goes nowhere; a stream sees
    the client leave (``http.disconnect``), as on a socket."""

    def leave() -> None:
        pending.abandoned = True
        if pending.streaming and pending.gone is not None:
            pending.gone.set()

    loop.call_soon_threadsafe(leave)


@cache
def _transport_class(module: ModuleType) -> type:
    # The SDK's HTTP module (httpx, httpx2) is only known at run time: its classes are bases of type Any.
    base_sync: Any = module.BaseTransport
    base_async: Any = module.AsyncBaseTransport
    sync_stream: Any = module.SyncByteStream
    async_stream: Any = module.AsyncByteStream

    def broken(request: Any) -> Exception:
        return module.RemoteProtocolError("peer closed connection without sending complete message body "
                                          "(incomplete chunked read)", request=request)

    class SyncStream(sync_stream):
        """An event stream's chunks, as the server sends them (each read bounded by the read timeout)."""

        def __init__(self, loop: asyncio.AbstractEventLoop, pending: _Pending, chunks: queue.SimpleQueue[bytes],
                     request: Any) -> None:
            self.loop, self.pending, self.chunks, self.request = loop, pending, chunks, request
            self.ended = False

        def __iter__(self) -> Iterator[bytes]:
            timeout = _read_timeout(self.request)
            while True:
                try:
                    chunk = self.chunks.get(timeout=timeout)
                except queue.Empty:
                    self.close()
                    raise module.ReadTimeout("The read operation timed out", request=self.request) from None
                if not chunk:  # _END
                    self.ended = True
                    if isinstance(self.pending.error, ClientDisconnect):
                        raise broken(self.request)
                    return
                yield chunk

    class ThreadedStream(async_stream):
        """An event stream's chunks for a client on another event loop than asyncio's (trio): read as
        :class:`SyncStream` reads them, a chunk that has not arrived yet waited for in one of that loop's
        worker threads (anyio)."""

        def __init__(self, stream: SyncStream) -> None:
            self.stream = stream

        async def __aiter__(self) -> AsyncIterator[bytes]:
            from anyio import to_thread

            read = iter(self.stream)
            while True:
                if self.stream.chunks.empty():
                    chunk = await to_thread.run_sync(next, read, None, abandon_on_cancel=True)
                else:
                    chunk = next(read, None)   # there already: no wait
                if chunk is None:
                    return
                yield chunk

        async def aclose(self) -> None:
            self.stream.close()

    class AsyncStream(async_stream):
        def __init__(self, loop: asyncio.AbstractEventLoop, pending: _Pending, chunks: asyncio.Queue[bytes],
                     request: Any) -> None:
            self.loop, self.pending, self.chunks, self.request = loop, pending, chunks, request
            self.ended = False

        async def __aiter__(self) -> AsyncIterator[bytes]:
            timeout = _read_timeout(self.request)
            while True:
                try:
                    chunk = await asyncio.wait_for(self.chunks.get(), timeout)
                except TimeoutError:
                    await self.aclose()
                    raise module.ReadTimeout("The read operation timed out", request=self.request) from None
                if not chunk:  # _END
                    self.ended = True
                    if isinstance(self.pending.error, ClientDisconnect):
                        raise broken(self.request)
                    return
                yield chunk

        async def aclose(self) -> None:
            if not self.ended:
                self.ended = True
                _abandon(self.loop, self.pending)

    class InProcessTransport(base_sync, base_async):
        """Calls the fakeopenai ASGI app on its server loop, without a socket."""

        def __init__(self, app: Any, lock: LoopLock) -> None:
            assert lock.loop is not None, "server not started"
            self.app = app
            self.lock = lock
            self.loop = lock.loop

        def _response(self, request: Any, pending: _Pending, stream: Callable[[], Any]) -> Any:
            if pending.error is not None and not pending.streaming:
                if isinstance(pending.error, ClientDisconnect):
                    raise module.RemoteProtocolError("Server disconnected without sending a response.",
                                                     request=request)
                raise pending.error
            assert pending.result is not None
            status, headers, content = pending.result
            if pending.streaming:
                return module.Response(status, headers=headers, stream=stream(), request=request)
            return module.Response(status, headers=headers, content=content, request=request)

        def handle_request(self, request: Any) -> Any:
            body = request.read()
            scope = _scope(request)
            lock = _thread.allocate_lock()
            lock.acquire()
            chunks: queue.SimpleQueue[bytes] = queue.SimpleQueue()
            pending = _Pending(lock.release, chunks.put)
            _start(self.lock, pending, _call(self.app, scope, body, pending), needs_task(scope, body))
            timeout = _read_timeout(request)
            if not lock.acquire(timeout=-1 if timeout is None else timeout):
                _abandon(self.loop, pending)
                raise module.ReadTimeout("The read operation timed out", request=request)
            return self._response(request, pending, lambda: SyncStream(self.loop, pending, chunks, request))

        async def handle_async_request(self, request: Any) -> Any:
            body = await request.aread()
            caller = running_loop()
            if caller is None:   # another event loop than asyncio's: trio (through anyio)
                return await self._handle_elsewhere(request, body)
            scope = _scope(request)
            waiter: asyncio.Future[None] = caller.create_future()
            chunks: asyncio.Queue[bytes] = asyncio.Queue()

            here = _thread.get_ident()   # the request may be served on this thread (the loop lent to it)

            def settle() -> None:
                if not waiter.done():
                    waiter.set_result(None)

            def ready() -> None:
                if _thread.get_ident() == here:
                    settle()
                    return
                with contextlib.suppress(RuntimeError):  # an abandoned request may end after the client's loop
                    caller.call_soon_threadsafe(settle)

            def feed(chunk: bytes) -> None:
                if _thread.get_ident() == here:
                    chunks.put_nowait(chunk)
                    return
                with contextlib.suppress(RuntimeError):
                    caller.call_soon_threadsafe(chunks.put_nowait, chunk)

            pending = _Pending(ready, feed)
            _start(self.lock, pending, _call(self.app, scope, body, pending), needs_task(scope, body))
            try:
                if not waiter.done():
                    await asyncio.wait_for(waiter, _read_timeout(request))
            except TimeoutError:
                _abandon(self.loop, pending)
                raise module.ReadTimeout("The read operation timed out", request=request) from None
            return self._response(request, pending, lambda: AsyncStream(self.loop, pending, chunks, request))

        async def _handle_elsewhere(self, request: Any, body: bytes) -> Any:
            """The request of a client whose event loop is not asyncio's (trio): served as for a sync
            client (on this thread when the server loop is idle, else handed to it), its answer waited
            for in one of that loop's worker threads when it is not there at once."""
            import sniffio  # trio depends on it
            from anyio import get_cancelled_exc_class, to_thread

            scope = _scope(request)
            done = _thread.allocate_lock()
            done.acquire()
            chunks: queue.SimpleQueue[bytes] = queue.SimpleQueue()
            pending = _Pending(done.release, chunks.put)

            def start() -> None:
                # The app's code sees no async library of the caller's (anyio would pick trio for it):
                # neither on this thread (sniffio's thread-local) nor in a Task it carries on in (the
                # context variable anyio sets, which the Task's copy of this context would keep).
                sniffio.current_async_library_cvar.set(None)
                library, sniffio.thread_local.name = sniffio.thread_local.name, None
                try:
                    _start(self.lock, pending, _call(self.app, scope, body, pending), needs_task(scope, body))
                finally:
                    sniffio.thread_local.name = library

            contextvars.copy_context().run(start)
            if not done.acquire(False):
                timeout = _read_timeout(request)
                try:
                    answered = await to_thread.run_sync(done.acquire, True, -1 if timeout is None else timeout,
                                                        abandon_on_cancel=True)
                except get_cancelled_exc_class():
                    _abandon(self.loop, pending)
                    raise
                if not answered:
                    _abandon(self.loop, pending)
                    raise module.ReadTimeout("The read operation timed out", request=request)
            return self._response(request, pending,
                                  lambda: ThreadedStream(SyncStream(self.loop, pending, chunks, request)))

    return InProcessTransport


def in_process_transport(app: Any, lock: LoopLock, module: ModuleType) -> Any:
    """A transport for ``module`` (``httpx`` or ``httpx2``) into ``app`` on the loop ``lock`` guards."""
    return _transport_class(module)(app, lock)


def sdk_http_module(openai: ModuleType) -> ModuleType:
    """The HTTP library the installed ``openai`` SDK is built on."""
    import importlib

    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.split(".", 1)[0]
        if root in ("httpx", "httpx2"):
            return importlib.import_module(root)
    raise RuntimeError("cannot tell which HTTP library the installed openai SDK uses")
