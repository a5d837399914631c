"""The socket server's request cycles (:mod:`fakeopenai.doors.http11`): uvicorn's, with a cheaper head, and
:class:`Whole` for a request whose body came whole before its app started.

uvicorn's ``RequestResponseCycle`` checks each header of an answer's head with two regular expressions,
and writes the head and the body in two writes (``doors/server.OneWrite`` joins them: one TCP segment,
one wake-up of the client). :class:`Cycle` checks all values at once and each name once per process
(the same errors, in uvicorn's order, for a bad header).
:class:`Whole` does what ``OneWrite`` did itself: the head of an answer with a ``content-length`` is held
and goes out with the body's first write, with no wrapper around the transport, and its first ``receive``
hands over the body it was given. Everything else (a stream, flow control, a disconnect, a HEAD answer,
an app that fails) is uvicorn's own code, on the same state.
"""

from __future__ import annotations

import asyncio
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE, STATUS_LINE, RequestResponseCycle

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class Cycle(RequestResponseCycle):
    """uvicorn's request cycle, writing the answer's head with cheaper checks (the module's docstring)."""

    async def send(self, message: Any) -> None:
        if self.response_started or self.access_log or self.flow.write_paused or self.disconnected \
                or message["type"] != "http.response.start":
            await super().send(message)
            return
        self.transport.write(self.head(message))

    def head(self, message: Any) -> bytes:
        """The answer's head for its ``http.response.start`` ``message``, as uvicorn writes it; the cycle's
        state as uvicorn sets it (started, the body's framing, whether the connection stays open)."""
        self.response_started = True
        self.waiting_for_100_continue = False
        status = message["status"]
        headers = message.get("headers", ())
        if self.default_headers:
            headers = [*self.default_headers, *headers]
        # uvicorn's check of each value (HEADER_VALUE_RE) in one go: what is left of all values joined by a tab
        # (allowed in a value) once the allowed bytes are taken out.
        if b"\t".join(map(VALUE, headers)).translate(None, VALUE_BYTES):
            raise_invalid(headers)
        content = [STATUS_LINE[status]]
        closes = False
        for name, value in headers:
            name = LOWERED.get(name) or checked_name(name)
            if name in FRAMING:
                if name == b"content-length":
                    if self.chunked_encoding is None:
                        self.expected_content_length = int(value.decode())
                        self.chunked_encoding = False
                elif name == b"transfer-encoding":
                    if value.lower() == b"chunked":
                        self.expected_content_length = 0
                        self.chunked_encoding = True
                elif b"close" in [token.lower().strip() for token in value.split(b",")]:
                    self.keep_alive = False
                    closes = True
            content += (name, b": ", value, b"\r\n")
        if not self.keep_alive and not closes:
            content.append(b"connection: close\r\n")
        if self.chunked_encoding is None and self.scope["method"] != "HEAD" and status not in (204, 304):
            self.chunked_encoding = True
            content.append(b"transfer-encoding: chunked\r\n")
        content.append(b"\r\n")
        return b"".join(content)


# The header names an answer may have (uvicorn's check), lowered, by the name as the app gave it: an app
# answers with the same few names again and again, so each is checked once, not once an answer.
LOWERED: dict[bytes, bytes] = {}
LOWERED_MOST = 1000   # past it (an app making up names), names are checked every time
VALUE = itemgetter(1)
VALUE_BYTES = bytes(byte for byte in range(256) if not HEADER_VALUE_RE.match(bytes((byte,))))
FRAMING = frozenset((b"content-length", b"transfer-encoding", b"connection"))   # what the head's state follows


def raise_invalid(headers: Any) -> None:
    """uvicorn's error for the first invalid header: its name checked, then its value."""
    for name, value in headers:
        if HEADER_RE.search(name):
            raise RuntimeError("Invalid HTTP header name.")
        if HEADER_VALUE_RE.search(value):
            raise RuntimeError("Invalid HTTP header value.")


def checked_name(name: bytes) -> bytes:
    """``name`` lowered, once checked to be a header name (a token), as uvicorn checks it."""
    if HEADER_RE.search(name):
        raise RuntimeError("Invalid HTTP header name.")
    lowered = name.lower()
    if len(LOWERED) < LOWERED_MOST:
        LOWERED[name] = lowered
    return lowered


class Whole(Cycle):
    """A request whose body came whole before its app started (its ``body``, bytes, set by the protocol).

    Its first ``receive`` returns that body, as uvicorn's would. The head of an answer with a
    ``content-length`` (not to a HEAD request) is held and written with the body's first ``send`` in one
    write. Whoever reaches for the cycle's ``transport`` (uvicorn's own code, a disconnect fault that aborts
    it) gets the held head written first, so the bytes and their order are what uvicorn would write. No
    ``asyncio.Event`` unless something waits: uvicorn's protocol and code find ``message_event`` made on use.
    """

    # uvicorn's cycle state, as it starts for such a request (set on the instance when it changes)
    more_body = False
    disconnected = False
    waiting_for_100_continue = False
    response_started = False
    response_complete = False
    chunked_encoding: bool | None = None
    expected_content_length = 0
    access_log = False    # the protocol serves a request this way only without an access log
    holds_head = True     # doors/server.one_write: no OneWrite around it

    def __init__(self, scope: Any, protocol: HttpToolsProtocol, keep_alive: bool, upload: bool) -> None:
        self.scope = scope
        self.upload = upload          # a multipart body: served in a Task (doors/eager.needs_task)
        self.flow = protocol.flow
        self.logger = protocol.logger
        self.access_logger = protocol.access_logger
        self.default_headers = protocol.server_state.default_headers
        self.on_response = protocol.on_response_complete
        self.keep_alive = keep_alive
        self.body = b""   # type: ignore[assignment]  # bytes: handed over as they came
        self._transport = protocol.transport
        self._held = b""              # the answer's head, until its body goes with it
        self._unread = True           # the body has not been handed over
        self._event: asyncio.Event | None = None

    @property
    def transport(self) -> asyncio.Transport:   # type: ignore[override]
        held = self._held
        if held:
            self._held = b""
            self._transport.write(held)
        return self._transport

    @property
    def message_event(self) -> asyncio.Event:   # type: ignore[override]
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    async def receive(self) -> Any:
        if self._unread and not self.disconnected and not self.response_complete:
            self._unread = False
            if self.flow.read_paused:   # as uvicorn's receive does
                self.flow.resume_reading()
            return {"type": "http.request", "body": self.body, "more_body": False}
        self._unread = False
        return await super().receive()

    async def send(self, message: Any) -> None:
        held = self._held
        if held and message["type"] == "http.response.body" and not self.flow.write_paused \
                and not self.disconnected:
            body = message.get("body", b"")
            left = self.expected_content_length - len(body)
            more_body = message.get("more_body", False)
            if left >= 0:   # else uvicorn's error, before any write
                self._held = b""
                self.expected_content_length = left
                self._transport.writelines((held, body))
                if not more_body:
                    if left:   # uvicorn's error, after the write
                        raise RuntimeError("Response content shorter than Content-Length")
                    # what uvicorn does once the body is all written
                    self.response_complete = True
                    if self._event is not None:
                        self._event.set()
                    if not self.keep_alive:
                        self._transport.close()
                    self.on_response()
                return
        elif not self.response_started and not self.flow.write_paused and not self.disconnected \
                and message["type"] == "http.response.start":
            head = self.head(message)
            if self.chunked_encoding is False and self.scope["method"] != "HEAD":
                self._held = head
            else:
                self._transport.write(head)
            return
        await super().send(message)   # uvicorn's: an error to raise, a stream's chunk, a wait to drain
