"""The socket server's fast path (a request whose body came whole, served by doors/cycle.Whole) against
uvicorn's own protocol and cycle with the same app: the same bytes, in the same writes, the same closes
and aborts, for each request. Each side is fed the request's bytes on a transport that records."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import types
from typing import Any

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from fakeopenai.doors.http11 import Http11Protocol
from fakeopenai.doors.server import ServerHeaders, uvicorn_config
from fakeopenai.http.app import create_app

KEY = b"sk-paths"
SCENARIO = b"""
chat:
  - times: always
    steps:
      - message: Scripted.
faults:
  - {match: {path: /v1/batches}, disconnect: true, times: always}
  - {match: {path: /v1/assistants}, body: '{"id": "asst_1", "obj', times: always}
  - {match: {path: /v1/embeddings}, status: 429, times: always}
  - {match: {path: /v1/chat/completions, body: {model: gpt-4o-mini}}, after_events: 1, disconnect: true, times: always}
"""
CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}).encode()
STREAM = json.dumps({"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}).encode()
UPLOAD = (b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--b\r\n'
          b'Content-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{}\n\r\n--b--\r\n')
DATE = re.compile(rb"\r\ndate: [^\r]*")


def request(method: str, target: str, body: bytes = b"", *, key: bytes = KEY, extra: bytes = b"",
            version: bytes = b"1.1", content_type: bytes = b"application/json") -> bytes:
    head = f"{method} {target} HTTP/".encode() + version + b"\r\nHost: x\r\nAuthorization: Bearer " + key + b"\r\n"
    if body and b"chunked" not in extra:
        head += b"Content-Type: " + content_type + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
    return head + extra + b"\r\n" + body


def chunked(body: bytes) -> bytes:
    half = len(body) // 2
    return b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, body[:half], len(body) - half, body[half:])


# Each case: the pieces a client sends (one data_received each), on a new connection.
CASES: dict[str, list[bytes]] = {
    "chat completion": [request("POST", "/v1/chat/completions", CHAT)],
    "models": [request("GET", "/v1/models")],
    "HEAD": [request("HEAD", "/v1/models")],
    "query": [request("GET", "/v1/models?limit=2&after=x")],
    "percent-encoded path": [request("GET", "/v1/mod%65ls")],
    "not found": [request("GET", "/v1/nothing/here")],
    "no key": [request("GET", "/v1/models", key=b"")],
    "stream": [request("POST", "/v1/chat/completions", STREAM)],
    "stream, then a plain request": [request("POST", "/v1/chat/completions", STREAM) + request("GET", "/v1/models")],
    "HTTP/1.0": [request("GET", "/v1/models", version=b"1.0")],
    "connection: close": [request("GET", "/v1/models", extra=b"Connection: close\r\n")],
    "pipelined": [request("POST", "/v1/chat/completions", CHAT) + request("GET", "/v1/models")
                  + request("POST", "/v1/chat/completions", CHAT)],
    "body in pieces": [(whole := request("POST", "/v1/chat/completions", CHAT))[:40], whole[40:-10], whole[-10:]],
    "expect 100-continue": [request("POST", "/v1/chat/completions", CHAT, extra=b"Expect: 100-continue\r\n")],
    "chunked body": [request("POST", "/v1/chat/completions", chunked(CHAT),
                             extra=b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")],
    "disconnect fault": [request("POST", "/v1/batches", b"{}")],
    "stream fault": [request("POST", "/v1/chat/completions", STREAM.replace(b"gpt-4o", b"gpt-4o-mini"))],
    "truncated body fault": [request("POST", "/v1/assistants", b'{"model": "gpt-4o"}')],
    "status fault": [request("POST", "/v1/embeddings", b'{"model": "text-embedding-3-small", "input": "x"}')],
    "invalid request": [b"GET /v1/models HTTP/1.1\r\nHost x\r\n\r\n"],
    "upload": [request("POST", "/v1/files", UPLOAD, content_type=b"multipart/form-data; boundary=b")],
}


class Recording:
    """A transport that records what a protocol does to it: writes (one entry per write or writelines),
    closes and aborts; it reports the connection lost afterwards, as a real one does."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.protocol: Any = None
        self.events: list[Any] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        if not self.closing:
            self.events.append(DATE.sub(b"\r\ndate: -", bytes(data)))

    def writelines(self, parts: Any) -> None:
        self.write(b"".join(parts))

    def close(self) -> None:
        self._lose("close")

    def abort(self) -> None:
        self._lose("abort")

    def _lose(self, how: str) -> None:
        if not self.closing:
            self.closing = True
            self.events.append(how)
            self.loop.call_soon(self.protocol.connection_lost, None)

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(name, default)

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol


async def serve(protocol_class: type, app: Any, pieces: list[bytes]) -> list[Any]:
    config = uvicorn_config(app)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Recording(asyncio.get_running_loop())
    transport.protocol = protocol
    protocol.connection_made(transport)
    for piece in pieces:
        if transport.closing:
            break
        protocol.data_received(piece)
        await settle()
    await settle()
    return transport.events


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.005)


async def both(app_of: Any, pieces: list[bytes]) -> tuple[list[Any], list[Any]]:
    """(uvicorn's protocol, the fast path's) for the same pieces, each with an app of its own."""
    reference = await serve(HttpToolsProtocol, app_of("uvicorn"), pieces)
    return reference, await serve(Http11Protocol, app_of("fast"), pieces)


def test_the_fast_path_writes_what_uvicorn_writes() -> None:
    async def run() -> None:
        apps = {side: create_app() for side in ("uvicorn", "fast")}
        load = request("PUT", "/_fake/scenario", SCENARIO, content_type=b"application/yaml")
        await both(apps.__getitem__, [load])
        for name, pieces in CASES.items():
            reference, fast = await both(apps.__getitem__, pieces)
            assert reference, name
            assert fast == reference, name

    asyncio.run(run())


def test_the_fast_path_takes_the_requests_it_should() -> None:
    from fakeopenai.doors import cycle

    made: list[str] = []

    class Counted(cycle.Whole):
        def __init__(self, scope: Any, *args: Any) -> None:
            made.append(scope["path"])
            super().__init__(scope, *args)

    async def run() -> None:
        app = create_app()
        for name in ("chat completion", "stream", "expect 100-continue", "chunked body", "pipelined"):
            await serve(Http11Protocol, app, CASES[name])

    original = cycle.Whole
    import fakeopenai.doors.http11 as http11
    http11.Whole = Counted   # type: ignore[misc]
    try:
        asyncio.run(run())
    finally:
        http11.Whole = original   # type: ignore[misc]
    # the chat completion, the stream (in a Task), the pipelined three (each answered before the next is read)
    assert made == ["/v1/chat/completions"] * 3 + ["/v1/models", "/v1/chat/completions"]


class Misbehaving:
    """An app (taken as the fake's own: it has a registry) that answers wrongly, one way per path."""

    state = types.SimpleNamespace(registry=object())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        await receive()
        path = scope["path"]
        start = {"type": "http.response.start", "status": 200,
                 "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")]}
        if path == "/raises":
            raise ValueError("before the answer")
        if path == "/bad-value":
            start["headers"] = [(b"x-ok", b"1"), (b"x-bad", b"a\x01b"), (b"bad name", b"1")]
        if path == "/bad-name":
            start["headers"] = [(b"x-ok", b"1"), (b"bad name", b"1"), (b"x-bad", b"a\x01b")]
        if path == "/lowercase":
            start["headers"] = [(b"Content-Type", b"text/plain"), (b"Content-Length", b"5"),
                                (b"Connection", b"keep-alive, Close")]
        await send(start)
        if path == "/raises-after-start":
            raise ValueError("after the head")
        if path == "/abort-after-head":   # what a disconnect fault does (faults/stream.disconnect)
            send.__self__.transport.abort()
            await asyncio.sleep(0)
            return None
        if path == "/nothing":
            return None
        if path == "/short":
            await send({"type": "http.response.body", "body": b"abc"})
            return None
        if path == "/long":
            await send({"type": "http.response.body", "body": b"abcdefgh"})
            return None
        if path == "/pieces":
            await send({"type": "http.response.body", "body": b"ab", "more_body": True})
            await send({"type": "http.response.body", "body": b"cde"})
            return None
        if path == "/returns":
            await send({"type": "http.response.body", "body": b"hello"})
            return "a value"
        await send({"type": "http.response.body", "body": b"hello"})
        return None


@pytest.mark.parametrize("path", ["/fine", "/raises", "/bad-value", "/bad-name", "/lowercase", "/raises-after-start",
                                  "/abort-after-head", "/nothing", "/short", "/long", "/pieces", "/returns"])
def test_an_app_that_answers_wrongly_is_handled_as_uvicorn_handles_it(path: str, caplog: Any) -> None:
    async def run() -> tuple[list[Any], list[Any]]:
        return await both(lambda side: Misbehaving(), [request("GET", path)] * 2)

    assert ServerHeaders(Misbehaving()).one_go
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        reference, fast = asyncio.run(run())
    assert fast == reference
    logged = [(record.getMessage(), str(record.exc_info and record.exc_info[1])) for record in caplog.records]
    half = len(logged) // 2
    assert logged[:half] == logged[half:]


def test_the_caches_stay_bounded(monkeypatch: Any) -> None:
    from fakeopenai.doors import cycle, http11

    monkeypatch.setattr(http11, "TARGETS", {})
    monkeypatch.setattr(http11, "TARGETS_MOST", 3)
    for number in range(5):
        assert http11.request_target(b"/v1/files/file-%d?x=%d" % (number, number)) == (
            f"/v1/files/file-{number}", b"/v1/files/file-%d" % number, b"x=%d" % number)
    assert len(http11.TARGETS) == 2   # emptied at the fourth, then the fourth and fifth
    long = b"/v1/" + b"a" * http11.TARGET_BYTES
    assert http11.request_target(long)[1] == long and long not in http11.TARGETS
    assert http11.request_target(b"/v1/mod%65ls")[0] == "/v1/models"

    monkeypatch.setattr(cycle, "LOWERED", {})
    monkeypatch.setattr(cycle, "LOWERED_MOST", 2)
    assert [cycle.checked_name(name) for name in (b"A", b"B", b"C")] == [b"a", b"b", b"c"]
    assert cycle.LOWERED == {b"A": b"a", b"B": b"b"}
    with pytest.raises(RuntimeError, match="Invalid HTTP header name"):
        cycle.checked_name(b"bad name")
