"""The socket server's HTTP/1.1: uvicorn's httptools protocol, serving a request in one go.

uvicorn starts a Task for each request as soon as its head is parsed; the Task then waits for the
body (an ``asyncio.Event``), is woken when it has come, and at the end arms a new keep-alive timer
(cancelled again by the next request). For this fake's requests (small JSON bodies, handlers that
never wait) that is most of what serving one costs beside the app itself. :class:`Http11Protocol`
changes only that:

- a request to the fake's own app whose body is small and announced (a ``content-length`` up to
  :data:`EAGER_BODY_BYTES`, or none at all) is started when its body is complete, and driven directly
  (:func:`fakeopenai.doors.eager.drive`): no Task unless it suspends (a stream, an upload, a scripted
  delay start in one, as before); a bigger, chunked or ``Expect: 100-continue`` body starts at its
  head, in a Task, exactly as uvicorn does (and any other app, the recording proxy, is served as
  uvicorn serves it);
- such a request's cycle is :class:`fakeopenai.doors.cycle.Whole`: it hands over the body it was given,
  writes the answer's head and body in one write itself (no ``OneWrite`` around the transport, no
  ``asyncio.Event`` unless something waits) and is made with only the state it needs;
- one keep-alive timer per connection, re-armed only when it fires early;
- the answer's head built with one check of all its header values and each header name checked once
  per process (uvicorn: two regular expressions per header, :class:`fakeopenai.doors.cycle.Cycle`);
- a request target's path and query parsed once per distinct target (:data:`TARGETS`).

Parsing, pipelining, flow control, WebSocket upgrades (``/v1/realtime``), TLS, shutdown and the
answers themselves are uvicorn's (``tests/test_http11_paths.py`` holds the fast path's bytes to
uvicorn's). ``uvicorn.Config(app, http=Http11Protocol)`` uses it
(:func:`fakeopenai.doors.server.uvicorn_config`).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HIGH_WATER_LIMIT, HttpToolsProtocol

from fakeopenai.doors.cycle import Cycle, Whole
from fakeopenai.doors.eager import drive, streams

# A body up to this is read whole before its request starts. Not more: past it uvicorn's on_body pauses
# reading until the app asks for the body, and an app not yet started never asks (the request hung).
EAGER_BODY_BYTES = HIGH_WATER_LIMIT


METHODS = {method.encode(): method for method in ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")}

# A request target's path, raw path and query as uvicorn makes them from httptools.parse_url, by the
# target's bytes: a client asks for the same few again and again. Emptied when full (what is asked for
# again comes back), so a client making up new ones costs what uvicorn's did; a long target is not kept.
TARGETS: dict[bytes, tuple[str, bytes, bytes]] = {}
TARGETS_MOST = 1000
TARGET_BYTES = 512


def request_target(url: bytes) -> tuple[str, bytes, bytes]:
    parsed = httptools.parse_url(url)
    raw_path = parsed.path
    path = raw_path.decode("ascii")
    if "%" in path:
        path = urllib.parse.unquote(path)
    target = (path, raw_path, parsed.query or b"")
    if len(url) <= TARGET_BYTES:
        if len(TARGETS) >= TARGETS_MOST:
            TARGETS.clear()
        TARGETS[url] = target
    return target


class Http11Protocol(HttpToolsProtocol):
    """See the module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: Whole | None = None   # started when its body is complete
        self._one_go = getattr(self.app, "one_go", False)   # the fake's own app (doors/server.ServerHeaders)
        self._whole_app = getattr(self.app, "whole", self.app)   # the same, for a cycle that writes in one piece
        self._idle_since: float | None = None
        self._idle_timer: asyncio.TimerHandle | None = None

    def on_headers_complete(self) -> None:
        parser = self.parser
        scope: Any = self.scope
        if not self._one_go or self.limit_concurrency is not None or (
                parser.should_upgrade() and self._should_upgrade()):
            super().on_headers_complete()
            return
        method = parser.get_method()
        scope["method"] = METHODS.get(method) or method.decode("ascii")
        http_version = parser.get_http_version()
        if http_version != "1.1":
            scope["http_version"] = http_version
        path, raw_path, query = TARGETS.get(self.url) or request_target(self.url)
        if self.root_path:
            path, raw_path = self.root_path + path, self.root_path.encode("ascii") + raw_path
        scope["path"] = path
        scope["raw_path"] = raw_path
        scope["query_string"] = query
        keep_alive = http_version != "1.0" and parser.should_keep_alive()
        existing = self.cycle
        if existing is not None and not existing.response_complete:
            # pipelined: after the one being answered, as uvicorn does
            self.cycle = cycle = self._cycle(scope, keep_alive)
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, self.app))
        elif self.expect_100_continue or self.access_log:
            self.cycle = cycle = self._cycle(scope, keep_alive)
            self._start_asgi_task(cycle, self.app)
        else:
            # A body announced and small, or none, is read whole first (chunked or big: uvicorn's way). One look
            # at the headers also finds an upload (multipart: a Task, see doors/eager.needs_task).
            whole, upload = True, False
            for name, value in self.headers:
                if name == b"content-length":
                    whole = value.isdigit() and int(value) <= EAGER_BODY_BYTES
                elif name == b"transfer-encoding":
                    whole = False
                elif name == b"content-type" and value.startswith(b"multipart/"):
                    upload = True
            if whole:
                self.cycle = self._waiting = Whole(scope, self, keep_alive, upload)
            else:
                self.cycle = cycle = self._cycle(scope, keep_alive)
                self._start_asgi_task(cycle, self.app)

    def _cycle(self, scope: Any, keep_alive: bool) -> Cycle:
        return Cycle(scope=scope, transport=self.transport, flow=self.flow, logger=self.logger,
                     access_logger=self.access_logger, access_log=self.access_log,
                     default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
                     expect_100_continue=self.expect_100_continue, keep_alive=keep_alive,
                     on_response=self.on_response_complete)

    def on_body(self, body: bytes) -> None:
        waiting = self._waiting
        if waiting is None:
            super().on_body(body)
        else:
            waiting.body += body

    def on_message_complete(self) -> None:
        cycle = self._waiting
        if cycle is None:
            super().on_message_complete()
            return
        self._waiting = None
        coro = cycle.run_asgi(self._whole_app)
        task = self.loop.create_task(coro) if cycle.upload or streams(cycle.scope, cycle.body) \
            else drive(coro, self.loop)
        if task is not None:
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)

    def shutdown(self) -> None:
        if self._waiting is not None:   # its app has not started: nothing is lost by closing now
            self._waiting = None
            self.transport.close()
            return
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        self._waiting = None
        super().connection_lost(exc)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    # One keep-alive timer per connection: a request marks the connection busy, an answer idle.
    def _unset_keepalive_if_required(self) -> None:
        self._idle_since = None

    def data_received(self, data: bytes) -> None:
        self._idle_since = None   # uvicorn's, with the above inline
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        if self.flow.read_paused:
            self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self._idle_timer is None:
            self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        if self._idle_since is None or self.transport.is_closing():
            return   # busy: the answer arms the timer again
        left = self._idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self._idle_timer = self.loop.call_later(left, self._idle_check)
        else:
            self.transport.close()
