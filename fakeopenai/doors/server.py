"""Running the app: a uvicorn server on a background thread, and :class:`FakeOpenAI`,
the handle tests use (the pytest fixture returns one per test).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, TypeVar

import uvicorn

from fakeopenai.core.state import TenantState
from fakeopenai.core.tenants import TenantRegistry
from fakeopenai.doors.loop_lock import LoopLock
from fakeopenai.gateway import DOOR_HEADERS, Gateway
from fakeopenai.gateway.request_log import format_request
from fakeopenai.http.app import create_app

if TYPE_CHECKING:
    from fakeopenai.doors.tls import TlsFiles

T = TypeVar("T")

# Longer than the clients' own idle limit (httpx, and so the openai SDK, drops an idle connection after
# 5 s): the server closing first races a client that reuses the connection at that moment, which the
# client sees as "Server disconnected without sending a response".
KEEP_ALIVE_SECONDS = 30


def uvicorn_config(app: Any, log_level: str = "warning", tls: TlsFiles | None = None) -> uvicorn.Config:
    """How a socket door runs uvicorn. Its own ``server`` and ``date`` headers are off, put back by
    :class:`ServerHeaders` only where the answer has none: uvicorn sends them besides the answer's,
    so a scripted fault's ``date`` or ``server`` went out twice. HTTP is parsed by httptools (a
    dependency; uvicorn's ``auto`` falls back to its pure-Python h11 where it is missing), each request
    served in one go (:mod:`fakeopenai.doors.http11`); WebSockets (``/v1/realtime``) by ``websockets``.
    No ``X-Forwarded-For`` middleware: the fake is not behind a proxy, and a request's own peer decides
    what loopback may see. ``tls``: serve https and wss with these files (``serve --tls``)."""
    return uvicorn.Config(ServerHeaders(app), log_level=log_level, access_log=False, lifespan="off",
                          loop="asyncio", interface="asgi3", http=http_protocol(), ws=websocket_protocol(),
                          proxy_headers=False, timeout_keep_alive=KEEP_ALIVE_SECONDS, server_header=False,
                          date_header=False, ssl_certfile=str(tls.cert) if tls else None,
                          ssl_keyfile=str(tls.key) if tls else None)


def websocket_protocol() -> Any:
    """uvicorn's own WebSocket protocol (its ``ws="auto"``: websockets', else wsproto's), imported by the first
    upgrade rather than by ``Config.load``: importing websockets was a tenth of a cold start, and most servers
    never see a WebSocket. ``"auto"`` itself where neither library is installed (then there is no upgrade)."""
    from importlib.util import find_spec

    if find_spec("websockets") is None and find_spec("wsproto") is None:
        return "auto"
    return _auto_websocket_protocol


def _auto_websocket_protocol(**kwargs: Any) -> Any:
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    assert AutoWebSocketsProtocol is not None   # websockets or wsproto was found above
    return AutoWebSocketsProtocol(**kwargs)


def http_protocol() -> Any:
    """uvicorn's httptools protocol serving each request in one go (:mod:`fakeopenai.doors.http11`), or
    uvicorn's choice where httptools is missing."""
    try:
        from fakeopenai.doors.http11 import Http11Protocol
    except ImportError:
        return "auto"
    return Http11Protocol


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop of ``fakeopenai serve`` (and of the benchmarks' bare app): uvloop's where it is
    installed (a dependency, except on Windows), else asyncio's (None). The pytest fixture's server
    thread keeps asyncio's own loop: the in-process transport borrows it (:mod:`fakeopenai.doors.loop_lock`,
    which relies on asyncio's ``SelectorEventLoop``)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class ServerHeaders:
    """ASGI wrapper: the ``server: uvicorn`` and ``date`` headers uvicorn would send, unless the
    answer sets its own (a scripted fault's headers replace the fake's, never go besides them). The
    gateway's one ``send`` wrapper adds them (``DOOR_HEADERS``): a wrapper of its own here cost a
    call and a scan of the headers per message."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # The fake's own app (create_app: its tenants in `state.registry`) may be driven without a Task
        # (doors/http11.py); any other (the recording proxy waits on its upstream under asyncio.timeout,
        # which needs one) is served as uvicorn serves it.
        self.one_go = getattr(getattr(app, "state", None), "registry", None) is not None
        self.returns_none = isinstance(app, Gateway)   # the fake's own app: its coroutine returns None
        self._second = -1
        self._headers: list[tuple[bytes, bytes]] = []

    def _now(self) -> list[tuple[bytes, bytes]]:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._headers = [(b"date", formatdate(second, usegmt=True).encode()), (b"server", b"uvicorn")]
        return self._headers

    # Both are plain functions returning the fake's own app's coroutine (a wrapping coroutine was a frame
    # and an await per request); uvicorn is told the app is ASGI 3 (uvicorn_config), as it no longer finds out.
    # Any other app's goes through `_returning_none`: what it returns is not uvicorn's to see, as before.
    def whole(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        """The app for an HTTP request whose cycle writes the head and body in one piece itself
        (doors/cycle.Whole): the door's headers, no OneWrite."""
        scope[DOOR_HEADERS] = self._now
        served = self.app(scope, receive, send)
        return served if self.returns_none else _returning_none(served)

    def __call__(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        if scope["type"] == "http":
            scope[DOOR_HEADERS] = self._now
            transport = _cycle_transport(send)
            if transport is not None:
                return _one_write(self.app, scope, receive, send, transport)
        served = self.app(scope, receive, send)
        return served if self.returns_none else _returning_none(served)


async def _returning_none(served: Awaitable[Any]) -> None:
    await served


def _cycle_transport(send: Any) -> Any:
    """The transport uvicorn's request cycle writes to, when ``send`` is that cycle's and it does not hold
    the answer's head itself; else None (nothing to hold: the app is served as it is)."""
    cycle: Any = getattr(send, "__self__", None)   # uvicorn's request cycle: it writes to its `transport`
    if cycle is None or getattr(cycle, "holds_head", False):   # no transport, or one holding the head itself
        return None
    return getattr(cycle, "transport", None)


async def one_write(app: Any, scope: Any, receive: Any, send: Any) -> None:
    """Serve ``scope`` with its answer's head and body written in one piece (:class:`OneWrite`)."""
    transport = _cycle_transport(send)
    if transport is None:
        await app(scope, receive, send)
        return
    await _one_write(app, scope, receive, send, transport)


async def _one_write(app: Any, scope: Any, receive: Any, send: Any, transport: Any) -> None:
    cycle = send.__self__
    cycle.transport = held = OneWrite(transport)
    try:
        await app(scope, receive, send)
    finally:
        held.flush()


class OneWrite:
    """The connection's transport as uvicorn's request cycle sees it while it answers one request.

    uvicorn writes an answer's head, then its body, in two writes: two TCP segments, and a client
    that wakes up for the head, then again for the body. Measured with a raw asyncio server on this
    project's machine, that was 379 against 129 microseconds a request (one keep-alive socket).
    Here the head of an answer with a ``content-length`` is held until the body's first write, and
    both go out in one (``writelines``); an event stream's head (chunked, no length) goes at once, as
    do all later writes. What is held goes out before a close or an abort (a disconnect fault cuts
    the connection after the head, as before) and when the request is done (a HEAD answer has no
    body write). A request served by ``doors/cycle.Whole`` (the socket server's fast path) needs none:
    that cycle holds the head itself, by the same rules."""

    __slots__ = ("_transport", "_held", "_state")

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._held = b""
        self._state = 0          # 0: nothing written yet, 1: the head held, 2: writing through

    def write(self, data: bytes) -> None:
        state = self._state
        if state == 2:
            self._transport.write(data)
        elif state == 1:
            self._state = 2
            self._transport.writelines([self._held, data])
            self._held = b""
        else:
            head = data.lower()
            if b"\r\ncontent-length:" in head and b"\r\ntransfer-encoding:" not in head:
                self._held, self._state = data, 1
            else:
                self._state = 2
                self._transport.write(data)

    def flush(self) -> None:
        if self._state == 1:
            self._state = 2
            self._transport.write(self._held)
            self._held = b""

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self.flush()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket. ``IPPROTO_TCP`` (not 0) matters: with proto 0 asyncio
    does not set TCP_NODELAY on accepted connections, and every small answer then
    waits ~40 ms for Nagle and delayed ACKs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class ServerThread:
    """uvicorn serving ``app`` on a daemon thread with its own event loop.

    Usage::

        server = ServerThread(create_app()).start()
        print(server.base_url)     # http://127.0.0.1:54321/v1
        server.stop()
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.log_level = log_level
        self.port = 0
        self.loop_lock = LoopLock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self.loop_lock.loop

    @property
    def registry(self) -> TenantRegistry:
        return self.app.state.registry

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + "/v1"

    def start(self, timeout: float = 10.0) -> ServerThread:
        sock = listen_socket(self.host, self.requested_port)
        self.port = sock.getsockname()[1]
        config = uvicorn_config(self.app, self.log_level)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, args=(sock,), name="fakeopenai-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"fakeopenai server did not start within {timeout} s")
        if self._error is not None:
            raise RuntimeError("fakeopenai server failed to start") from self._error
        return self

    def _run(self, sock: socket.socket) -> None:
        try:
            with asyncio.Runner(loop_factory=self.loop_lock.new_loop) as runner:
                runner.run(self._serve(sock))
        except BaseException as exc:  # surfaced to start() or logged by uvicorn
            self._error = exc
            self._ready.set()
        finally:
            self.loop_lock.loop_closed()

    async def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started and not task.done():
            await asyncio.sleep(0.0005)
        self._ready.set()
        await task

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server's loop (where all state lives) and return its result: on this
        thread if the loop is idle (see :mod:`fakeopenai.doors.loop_lock`), else on the loop's thread."""
        assert self.loop is not None, "server not started"
        with self.loop_lock.lend() as loop:
            if loop is not None:
                return contextvars.copy_context().run(fn)

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result()

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None


class Clock:
    """``fake_openai.clock``: the tenant's fake clock."""

    def __init__(self, fake: FakeOpenAI) -> None:
        self._fake = fake

    @property
    def now(self) -> int:
        return self._fake._with_state(lambda state: state.clock.now)

    def advance(self, seconds: float) -> int:
        """Move the clock forward; runs and batches past their deadlines expire."""
        def advance(state: TenantState) -> int:
            state.clock.advance(seconds)
            state.clock_moved()
            return state.clock.now

        return self._fake._with_state(advance)


class FakeOpenAI:
    """A fake OpenAI server and one tenant (API key) on it.

    Usage::

        with FakeOpenAI("requires_action_then_complete") as fake:
            client = fake.client()                      # an openai.OpenAI bound to the fake
            run = client.beta.threads.create_and_run_poll(assistant_id="asst_weather")
            assert run.status == "requires_action"
            fake.clock.advance(601)
            print(fake.requests[-1]["path"])

    Outside ``with``, call :meth:`start` and :meth:`stop`. In pytest, use the
    ``fake_openai`` fixture instead: one server per session, a tenant per test.
    """

    def __init__(self, scenario: Any = None, *, seed: int | str | None = None, compat: str | None = None,
                 scenario_dirs: Iterable[str] = (), host: str = "127.0.0.1", port: int = 0,
                 api_key: str | None = None, log_level: str = "warning", unknown_ids: str | None = None,
                 webhooks: Iterable[dict[str, Any]] = (), webhook_allow: Iterable[str] = ()) -> None:
        self._scenario = scenario
        self._options: dict[str, Any] = {"seed": seed, "compat": compat, "unknown_ids": unknown_ids,
                                         "webhooks": list(webhooks), "webhook_allow": list(webhook_allow)}
        self._scenario_dirs = [str(d) for d in scenario_dirs]
        self._host, self._port, self._log_level = host, port, log_level
        self.api_key = api_key or "sk-fakeopenai-" + secrets.token_hex(12)
        self._server: ServerThread | None = None
        self._owns_server = True
        # How load() finds a relative scenario path: as given (from the current directory), or, in the
        # pytest fixture, the marker's rule (next to the test file, then rootdir, then the current directory).
        self._find_file: Callable[[Any], Any] = lambda scenario: scenario

    @functools.cached_property
    def clock(self) -> Clock:
        """The tenant's fake clock (made on first use: a Clock and its fake refer to each other, a cycle only
        the garbage collector frees, and most tests never touch the clock)."""
        return Clock(self)

    @classmethod
    def attach(cls, server: ServerThread, api_key: str) -> FakeOpenAI:
        """A handle for another tenant on a running server (what the fixture does)."""
        fake = cls(api_key=api_key)
        fake._server = server
        fake._owns_server = False
        return fake

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeOpenAI:
        if self._server is None:
            app = create_app(self._scenario, scenario_dirs=self._scenario_dirs, **self._options)
            self._server = ServerThread(app, host=self._host, port=self._port, log_level=self._log_level).start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._owns_server:
            self._server.stop()
        self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def server(self) -> ServerThread:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started: use `with FakeOpenAI(...)` or call .start()")
        return self._server

    # ------------------------------------------------------------------ addresses and clients
    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def realtime_url(self) -> str:
        """The Realtime API's WebSocket (``ws://127.0.0.1:PORT/v1/realtime``): add ``?model=...``. The SDK's
        ``client.realtime.connect()`` finds it from ``base_url`` itself."""
        return "ws" + self.base_url.removeprefix("http") + "/realtime"

    def client(self, **kwargs: Any) -> Any:
        """An ``openai.OpenAI`` client bound to this fake (keyword arguments pass through).

        Unless you pass your own ``http_client``, it talks to the app in-process (no
        socket), through the same gateway, faults and handlers as socket clients.
        """
        openai = _import_openai()
        self._bind(openai, kwargs, sync=True)
        return openai.OpenAI(**kwargs)

    def async_client(self, **kwargs: Any) -> Any:
        """An ``openai.AsyncOpenAI`` client bound to this fake (in-process unless ``http_client`` is given)."""
        openai = _import_openai()
        self._bind(openai, kwargs, sync=False)
        return openai.AsyncOpenAI(**kwargs)

    def _bind(self, openai: Any, kwargs: dict[str, Any], *, sync: bool) -> None:
        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("base_url", self.base_url)
        if "http_client" not in kwargs:
            factory = openai.DefaultHttpxClient if sync else openai.DefaultAsyncHttpxClient
            kwargs["http_client"] = factory(transport=self.transport())

    def transport(self) -> Any:
        """The in-process transport, for an HTTP client of your own (event hooks, say)::

            http = openai.DefaultHttpxClient(transport=fake.transport(), event_hooks={...})
            client = fake.client(http_client=http)

        It is built for the HTTP library the installed ``openai`` SDK uses (httpx or httpx2).
        """
        from fakeopenai.doors.transport import in_process_transport, sdk_http_module

        server = self.server
        assert server.loop is not None
        return in_process_transport(server.app, server.loop_lock, sdk_http_module(_import_openai()))

    @property
    def webhooks(self) -> Any:
        """This tenant's webhook deliveries, ``wait()`` for them, and ``deliver_to(app)`` (docs/webhooks.md)."""
        from fakeopenai.families.webhooks.handle import Webhooks

        return Webhooks(self)

    def env(self) -> dict[str, str]:
        """``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` for code that builds its own client."""
        return {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": self.api_key}

    # ------------------------------------------------------------------ control
    def _with_state(self, fn: Callable[[TenantState], T]) -> T:
        server = self.server
        return server.call(lambda: fn(server.registry.get(self.api_key)))

    def load(self, scenario: Any, **overrides: Any) -> FakeOpenAI:
        """Load a scenario (name, path, dict or YAML text) for this tenant; resets its state. A relative
        path is read from the current directory; the pytest fixture's looks for it as its marker does: next
        to the test file, then in pytest's rootdir, then in the current directory."""
        scenario = self._find_file(scenario)
        server = self.server
        server.call(lambda: server.registry.load(self.api_key, scenario, options_from="FakeOpenAI.load(compat=...)",
                                                 **overrides))
        return self

    def _load_first(self, scenario: Any, **overrides: Any) -> None:
        """The pytest fixture's marker scenario for its new key: built and checked now (a bad one fails the
        test's set-up), the tenant made from it when the key is first used (``TenantRegistry.install_later``).
        Neither touches a tenant, so both run on this thread: no hand-off to the server loop."""
        registry = self.server.registry
        built = registry.build(scenario, options_from="FakeOpenAI.load(compat=...)", **overrides)
        if not registry.install_later(self.api_key, built):
            self.server.call(lambda: registry.install(self.api_key, built))

    def reset(self) -> None:
        self._with_state(lambda state: state.load(state.scenario))

    def drop(self) -> None:
        """Forget this tenant entirely (a later request with its key gets a fresh one; the fixture
        instead retires its key at teardown, so that a later request with it gets a 401)."""
        server = self.server
        server.call(lambda: server.registry.drop(self.api_key))

    @property
    def scenario(self) -> dict[str, Any]:
        """The loaded scenario and its progress, as ``GET /_fake/scenario`` shows it."""
        return self._with_state(lambda state: state.progress())

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Recorded requests, oldest first (as ``GET /_fake/requests``)."""
        return self._with_state(lambda state: [format_request(e) for e in state.requests])

    @property
    def violations(self) -> list[dict[str, Any]]:
        return self._with_state(lambda state: [dict(v) for v in state.violations])

    def take_violations(self) -> list[dict[str, Any]]:
        """Return the violations and clear them: a test that checks them itself takes them,
        so the fixture's teardown does not report them again."""
        def take(state: TenantState) -> list[dict[str, Any]]:
            taken, state.violations = state.violations, []
            return taken

        return self._with_state(take)

    def unused_scripts(self) -> list[str]:
        return self._with_state(lambda state: state.unused_scripts())


def _import_openai() -> Any:
    try:
        import openai
    except ImportError:
        raise RuntimeError("fake_openai.client() needs the official SDK: pip install openai") from None
    return openai
