"""The recording proxy: a bare ASGI app that forwards every request to the upstream with httpcore
(httpx's transport: streams passed through chunk by chunk, as they arrive) and keeps each exchange for
the scenario. Bare ASGI and httpcore rather than Starlette and httpx's client: the proxy must add well
under a millisecond per request.

``POST /_fake/record/stop`` (or the process's SIGINT/SIGTERM, see ``run``) writes the scenario file;
``GET /_fake/record/scenario`` shows the scenario so far.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import ssl
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpcore

from fakeopenai.record.convert import ConvertOptions, scenario_from, scenario_yaml
from fakeopenai.record.exchange import Exchange
from fakeopenai.streaming import disconnect

# Request headers never forwarded as they came (hop by hop, or remade here).
_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "upgrade",
        "te", "trailer", "proxy-authorization", "proxy-connection"}
# Answer headers never passed back (the server sets its own framing).
_HOP_OUT = {"content-length", "connection", "keep-alive", "transfer-encoding", "date", "server"}
# Request headers never kept in an exchange: credentials and account ids.
SECRET_HEADERS = {"authorization", "api-key", "openai-organization", "openai-project", "cookie", "x-api-key",
                  "proxy-authorization"}
_NETWORK_ERRORS = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError, OSError)


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


def safe_url(url: str) -> str:
    """The URL without credentials or query (what the file and the banner may show)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass
class Recorder:
    """The proxy's state: the upstream, the exchanges in the order their requests arrived, the output."""

    upstream: str
    out: Path | None = None
    options: ConvertOptions = ConvertOptions()
    upstream_key: str | None = None
    timeout: float = 600.0
    exchanges: dict[int, Exchange] = field(default_factory=dict)
    written: bool = False
    on_stop: Any = None                      # called after the stop endpoint wrote the file
    _numbers: Any = field(default_factory=itertools.count)
    _pool: httpcore.AsyncConnectionPool | None = None
    _base: bytes = b""
    _host: bytes = b""

    def pool(self) -> httpcore.AsyncConnectionPool:
        if self._pool is None:
            self._pool = httpcore.AsyncConnectionPool(ssl_context=_ssl_context(), max_connections=100,
                                                      keepalive_expiry=30)
            parts = urlsplit(self.upstream)
            host = parts.netloc.rsplit("@", 1)[-1]
            self._base = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", "")).encode()
            self._host = host.encode()
        return self._pool

    def scenario(self) -> dict[str, Any]:
        return scenario_from([self.exchanges[n] for n in sorted(self.exchanges)], self.options)

    def text(self) -> str:
        return scenario_yaml(self.scenario(), f"Recorded by fakeopenai record from {safe_url(self.upstream)}.\n"
                                              "Ids and times are the fake's own; edit freely, then: "
                                              "fakeopenai validate THIS_FILE")

    def write(self) -> Path | None:
        if self.out is None or self.written:
            return None
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(self.text(), encoding="utf-8")
        self.written = True
        return self.out

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None

    # --- forwarding -------------------------------------------------------------------------------

    async def forward(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        number = next(self._numbers)
        pool = self.pool()
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        tail = path[3:] if path.startswith("/v1") else path
        target = self._base + tail.encode() + (b"?" + query if query else b"")
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        kept: dict[str, str] = {}
        headers: list[tuple[bytes, bytes]] = [(b"host", self._host), (b"accept-encoding", b"identity")]
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            if name in _HOP:
                continue
            if self.upstream_key is not None and name in ("authorization", "api-key"):
                continue
            headers.append((raw_name, raw_value))
            if name not in SECRET_HEADERS:
                kept[name] = raw_value.decode("latin-1")
        if self.upstream_key is not None:
            headers.append((b"authorization", b"Bearer " + self.upstream_key.encode()))
        if body or scope["method"] in ("POST", "PUT", "PATCH"):
            headers.append((b"content-length", str(len(body)).encode()))
        exchange = Exchange(scope["method"], path.rstrip("/") or "/",
                            dict(parse_qsl(query.decode("latin-1"))), kept, bytes(body))
        request = httpcore.Request(scope["method"], target, headers=headers, content=bytes(body),
                                   extensions={"timeout": {"connect": 10.0, "read": self.timeout,
                                                           "write": self.timeout, "pool": self.timeout}})
        try:
            upstream = await pool.handle_async_request(request)
        except _NETWORK_ERRORS as exc:
            exchange.broken = True
            exchange.status = 502
            self.exchanges[number] = exchange
            await _answer(send, 502, {"error": {"message": f"fakeopenai record: the upstream did not answer "
                                                           f"({type(exc).__name__}: {exc})", "type": "server_error",
                                                "param": None, "code": "upstream_error"}})
            return
        exchange.status = upstream.status
        exchange.response_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in upstream.headers}
        out = [(k.lower(), v) for k, v in upstream.headers if k.decode("latin-1").lower() not in _HOP_OUT]
        streamed = "text/event-stream" in exchange.response_headers.get("content-type", "")
        chunks: list[bytes] = []
        started = False
        try:
            if not streamed:
                async for chunk in upstream.stream:
                    chunks.append(chunk)
                data = b"".join(chunks)
                out.append((b"content-length", str(len(data)).encode()))
                await send({"type": "http.response.start", "status": upstream.status, "headers": out})
                started = True
                await send({"type": "http.response.body", "body": data})
            else:
                await send({"type": "http.response.start", "status": upstream.status, "headers": out})
                started = True
                async for chunk in upstream.stream:
                    chunks.append(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except _NETWORK_ERRORS:
            exchange.broken = True
            if started:     # the client's connection drops too, as it would have without the proxy
                await disconnect(scope, send)
                return
            await _answer(send, 502, {"error": {"message": "fakeopenai record: the upstream closed the "
                                                "connection", "type": "server_error", "param": None,
                                                "code": "upstream_error"}})
        finally:
            await upstream.aclose()
            exchange.response_body = _decoded(b"".join(chunks), exchange.response_headers.get("content-encoding", ""))
            self.exchanges[number] = exchange


def _decoded(body: bytes, encoding: str) -> bytes:
    """An answer's body as the recording keeps it: gzip and deflate undone (the client gets it as sent)."""
    if encoding in ("gzip", "deflate"):
        try:
            return zlib.decompress(body, 47)
        except zlib.error:
            return body
    return body


async def _answer(send: Any, status: int, payload: Any, media_type: bytes = b"application/json") -> None:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media_type), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


class ProxyApp:
    """The proxy (ASGI): ``/_fake/record/stop`` and ``/_fake/record/scenario``; every other path forwarded."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        recorder = self.recorder
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await recorder.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/_fake/record/stop" and method == "POST":
            written = recorder.write()
            if recorder.on_stop is not None:
                recorder.on_stop()
            await _answer(send, 200, {"written": str(written) if written else None,
                                      "exchanges": len(recorder.exchanges)})
        elif path == "/_fake/record/scenario" and method == "GET":
            await _answer(send, 200, recorder.text().encode(), b"application/yaml")
        else:
            await recorder.forward(scope, receive, send)


def create_proxy(recorder: Recorder) -> ProxyApp:
    return ProxyApp(recorder)


def run(recorder: Recorder, sock: Any, host: str) -> int:
    """Serve the proxy on a listening socket until SIGINT/SIGTERM or ``POST /_fake/record/stop``, then
    write the scenario."""
    import uvicorn

    bound = sock.getsockname()[1]
    config = uvicorn.Config(create_proxy(recorder), log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    recorder.on_stop = lambda: setattr(server, "should_exit", True)
    shown = f"[{host}]" if ":" in host else host
    print(f"fakeopenai recording on http://{shown}:{bound}/v1 -> {safe_url(recorder.upstream)}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    path = recorder.write()
    if path is not None:
        print(f"fakeopenai record: wrote {path} ({len(recorder.exchanges)} requests)", file=sys.stderr, flush=True)
    return 0


def key_from_env(name: str | None) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"fakeopenai record: --upstream-key-env {name}: that environment variable is not set")
    return value
