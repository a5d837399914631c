"""The recording proxy: a bare ASGI app that forwards every request to the upstream with its own small
HTTP/1.1 client (``upstream.py``: keep-alive connections, streams passed through chunk by chunk, as they
arrive) and keeps each exchange for the scenario. Bare ASGI and a client of its own rather than
Starlette and httpx: the proxy must add well under a millisecond per request.

``POST /_fake/record/stop`` (or the process's SIGINT/SIGTERM, see ``run``) writes the scenario file;
``GET /_fake/record/scenario`` shows the scenario so far. No ``/_fake`` path is ever forwarded: another
method on those two is a 405, any other ``/_fake`` path a 404, both the proxy's own (nothing recorded).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from fakeopenai.faults.stream import disconnect
from fakeopenai.record.convert import ConvertOptions, Recording, recording, scenario_yaml, write_recording
from fakeopenai.record.exchange import Exchange
from fakeopenai.record.upstream import NETWORK_ERRORS, Upstream

# Request headers never forwarded as they came (hop by hop, or remade here).
_HOP = {b"host", b"content-length", b"connection", b"keep-alive", b"transfer-encoding", b"accept-encoding", b"upgrade",
        b"te", b"trailer", b"proxy-authorization", b"proxy-connection", b"expect"}
# Answer headers never passed back (the server sets its own framing).
_HOP_OUT = {b"content-length", b"connection", b"keep-alive", b"transfer-encoding", b"date", b"server"}
# Request headers never kept in an exchange: credentials and account ids.
SECRET_HEADERS = {"authorization", "api-key", "openai-organization", "openai-project", "cookie", "x-api-key",
                  "proxy-authorization"}
_SECRET = {name.encode() for name in SECRET_HEADERS}
_KEYS = {b"authorization", b"api-key"}


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
    _client: Upstream | None = None

    def client(self) -> Upstream:
        if self._client is None:
            self._client = Upstream(self.upstream)
        return self._client

    def recorded(self) -> Recording:
        """The scenario so far and its media files (in ``<out's stem>.media/`` beside ``out``)."""
        options = self.options
        if self.out is not None and options.media is None:
            options = replace(options, media=f"{self.out.stem}.media")
        return recording([self.exchanges[n] for n in sorted(self.exchanges)], options)

    def scenario(self) -> dict[str, Any]:
        return self.recorded().scenario

    def text(self, recorded: Recording | None = None) -> str:
        return scenario_yaml((recorded or self.recorded()).scenario,
                             f"Recorded by fakeopenai record from {safe_url(self.upstream)}.\n"
                             "Ids and times are the fake's own (tool call ids are kept); edit "
                             "freely, then: fakeopenai validate THIS_FILE")

    def write(self) -> Path | None:
        if self.out is None or self.written:
            return None
        recorded = self.recorded()
        write_recording(self.out, self.text(recorded), recorded.media)
        self.written = True
        return self.out

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- forwarding -------------------------------------------------------------------------------

    async def forward(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        number = next(self._numbers)
        client = self.client()
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        tail = path[3:] if path.startswith("/v1") else path
        target = tail.encode() + (b"?" + query if query else b"")
        message = await receive()
        body = message.get("body", b"")
        if message.get("more_body"):
            parts = [body]
            while message.get("more_body"):
                message = await receive()
                parts.append(message.get("body", b""))
            body = b"".join(parts)
        kept: dict[str, str] = {}
        headers: list[tuple[bytes, bytes]] = [(b"accept-encoding", b"identity")]
        replace_key = self.upstream_key is not None
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.lower()
            if name in _HOP or (replace_key and name in _KEYS):
                continue
            headers.append((raw_name, raw_value))
            if name not in _SECRET:
                kept[name.decode("latin-1")] = raw_value.decode("latin-1")
        if self.upstream_key is not None:   # replace_key
            headers.append((b"authorization", b"Bearer " + self.upstream_key.encode()))
        method: str = scope["method"]
        if body or method in ("POST", "PUT", "PATCH"):
            headers.append((b"content-length", str(len(body)).encode()))
        exchange = Exchange(method, path.rstrip("/") or "/", dict(parse_qsl(query.decode("latin-1"))) if query else {},
                            kept, body)
        try:
            upstream = await client.request(method, target, headers, body, self.timeout)
        except NETWORK_ERRORS as exc:
            exchange.broken = True
            exchange.status = 502
            self.exchanges[number] = exchange
            await _answer(send, 502, {"error": {"message": f"fakeopenai record: the upstream did not answer "
                                                           f"({type(exc).__name__}: {exc})", "type": "server_error",
                                                "param": None, "code": "upstream_error"}})
            return
        exchange.status = upstream.status
        exchange.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in upstream.headers}
        out = [(k, v) for k, v in upstream.headers if k not in _HOP_OUT]
        streamed = "text/event-stream" in exchange.response_headers.get("content-type", "")
        chunks: list[bytes] = []
        started = False
        try:
            if not streamed:
                async for chunk in upstream.body():
                    chunks.append(chunk)
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                out.append((b"content-length", str(len(data)).encode()))
                await send({"type": "http.response.start", "status": upstream.status, "headers": out})
                started = True
                await send({"type": "http.response.body", "body": data})
            else:
                await send({"type": "http.response.start", "status": upstream.status, "headers": out})
                started = True
                async for chunk in upstream.body():
                    chunks.append(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except NETWORK_ERRORS:
            exchange.broken = True
            if started:     # the client's connection drops too, as it would have without the proxy
                await disconnect(scope, send)
                return
            await _answer(send, 502, {"error": {"message": "fakeopenai record: the upstream closed the "
                                                "connection", "type": "server_error", "param": None,
                                                "code": "upstream_error"}})
        finally:
            upstream.close()
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            encoding = exchange.response_headers.get("content-encoding")
            exchange.response_body = _decoded(data, encoding) if encoding else data
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


# The proxy's own paths and their one method each; nothing under /_fake goes upstream.
CONTROL = {"/_fake/record/stop": "POST", "/_fake/record/scenario": "GET"}


def _own(path: str) -> bool:
    return path == "/_fake" or path.startswith("/_fake/")


async def _refuse(send: Any, method: str, path: str) -> None:
    """A ``/_fake`` request the proxy does not serve: a 405 (with ``Allow``) for a known path, else a 404,
    in the OpenAI error shape."""
    allowed = CONTROL.get(path)
    if allowed is not None:
        status, code = 405, "method_not_allowed"
        message = f"Invalid method for URL ({method} {path}): allowed methods are {allowed}."
    else:
        status, code = 404, "unknown_url"
        message = (f"Invalid URL ({method} {path}): the recording proxy serves "
                   + " and ".join(f"{verb} {known}" for known, verb in CONTROL.items())
                   + "; it forwards no /_fake path upstream.")
    data = json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                 "code": code}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if allowed is not None:
        headers.append((b"allow", allowed.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class ProxyApp:
    """The proxy (ASGI): ``POST /_fake/record/stop`` and ``GET /_fake/record/scenario``, any other ``/_fake``
    request refused; every other path forwarded."""

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
        elif _own(path):
            await _refuse(send, method, path)
        else:
            await recorder.forward(scope, receive, send)


def create_proxy(recorder: Recorder) -> ProxyApp:
    return ProxyApp(recorder)


def run(recorder: Recorder, sock: Any, host: str) -> int:
    """Serve the proxy on a listening socket until SIGINT/SIGTERM or ``POST /_fake/record/stop``, then
    write the scenario."""
    import uvicorn

    bound = sock.getsockname()[1]
    # no X-Forwarded-For rewriting (a middleware around every request; the proxy uses no client address)
    config = uvicorn.Config(create_proxy(recorder), log_level="warning", access_log=False, lifespan="on",
                            proxy_headers=False)
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
