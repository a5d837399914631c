"""The recording proxy: a Starlette app that forwards every ``/v1`` request to the upstream with httpx
(streams passed through chunk by chunk, as they arrive) and keeps each exchange for the scenario.

``POST /_fake/record/stop`` (or the process's SIGINT/SIGTERM, see ``run``) writes the scenario file.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from fakeopenai.record.convert import ConvertOptions, scenario_from, scenario_yaml
from fakeopenai.record.exchange import Exchange

# Request headers never forwarded as they came (hop by hop, or remade by httpx).
_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "upgrade",
        "te", "trailer", "proxy-authorization", "proxy-connection"}
# Answer headers never passed back (httpx decoded the body; the server sets its own framing).
_HOP_OUT = {"content-length", "connection", "keep-alive", "transfer-encoding", "content-encoding", "date", "server"}
# Request headers never kept in an exchange: credentials and account ids.
SECRET_HEADERS = {"authorization", "api-key", "openai-organization", "openai-project", "cookie", "x-api-key",
                  "proxy-authorization"}


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
    _client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout, connect=10.0))
        return self._client

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
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- forwarding -------------------------------------------------------------------------------

    async def forward(self, request: Request) -> Response:
        number = next(self._numbers)
        path = request.url.path
        tail = path[len("/v1"):] if path.startswith("/v1") else path
        target = self.upstream.rstrip("/") + tail
        if request.url.query:
            target += "?" + request.url.query
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        headers["accept-encoding"] = "identity"
        if self.upstream_key is not None:
            headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "api-key")}
            headers["authorization"] = f"Bearer {self.upstream_key}"
        body = await request.body()
        exchange = Exchange(request.method, path.rstrip("/") or "/", dict(request.query_params),
                            {k.lower(): v for k, v in request.headers.items()
                             if k.lower() not in SECRET_HEADERS and k.lower() not in _HOP}, body)
        client = self.client()
        try:
            upstream = await client.send(client.build_request(request.method, target, headers=headers,
                                                              content=body), stream=True)
        except httpx.HTTPError as exc:
            exchange.broken = True
            exchange.status = 502
            self.exchanges[number] = exchange
            return JSONResponse({"error": {"message": f"fakeopenai record: the upstream did not answer ({exc!r})",
                                           "type": "server_error", "param": None, "code": "upstream_error"}},
                                status_code=502)
        exchange.status = upstream.status_code
        exchange.response_headers = {k.lower(): v for k, v in upstream.headers.items()}
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_OUT}
        if "text/event-stream" not in upstream.headers.get("content-type", ""):
            try:
                exchange.response_body = await upstream.aread()
            except httpx.HTTPError:
                exchange.broken = True
            finally:
                await upstream.aclose()
            self.exchanges[number] = exchange
            return Response(exchange.response_body, status_code=upstream.status_code, headers=out_headers)

        async def relay() -> AsyncIterator[bytes]:
            chunks: list[bytes] = []
            try:
                async for chunk in upstream.aiter_bytes():
                    chunks.append(chunk)
                    yield chunk
            except httpx.HTTPError:
                exchange.broken = bool(not chunks)
            finally:
                exchange.response_body = b"".join(chunks)
                self.exchanges[number] = exchange
                await upstream.aclose()

        return StreamingResponse(relay(), status_code=upstream.status_code, headers=out_headers)


def _lifespan(recorder: Recorder) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await recorder.close()

    return lifespan


def create_proxy(recorder: Recorder) -> Starlette:
    """The proxy app: ``/_fake/record/stop`` and ``/_fake/record/scenario``; every other path forwarded."""

    async def stop(request: Request) -> Response:
        path = recorder.write()
        if recorder.on_stop is not None:
            recorder.on_stop()
        return JSONResponse({"written": str(path) if path else None, "exchanges": len(recorder.exchanges)})

    async def scenario(request: Request) -> Response:
        return Response(recorder.text(), media_type="application/yaml")

    async def forward(request: Request) -> Response:
        return await recorder.forward(request)

    methods = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route("/_fake/record/stop", stop, methods=["POST"]),
                            Route("/_fake/record/scenario", scenario, methods=["GET"]),
                            Route("/{path:path}", forward, methods=methods)],
                    lifespan=_lifespan(recorder))
    app.state.recorder = recorder
    return app


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
