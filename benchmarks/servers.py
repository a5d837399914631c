"""Servers for side-by-side measurements: fakeopenai and a bare Starlette app, each in its
own process, served the same way (uvicorn, same config, same socket setup).

    python -m benchmarks.servers bare RECORDING.json   # prints "bare serving on http://.../v1"
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def process(*argv: str, env: dict[str, str] | None = None,
            cwd: str | None = None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start a server process and yield it with its base URL (read from its ready line)."""
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        line = proc.stdout.readline().strip()  # type: ignore[union-attr]
        if " serving on " not in line:
            raise RuntimeError(f"server did not start: {line!r}")
        yield proc, line.split()[-1]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:   # reported, but the run does not hang on it
            proc.kill()
            proc.wait()
            raise
        proc.stdout.close()  # type: ignore[union-attr]


@contextmanager
def fakeopenai_server(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    with process("-m", "fakeopenai", "serve", "--port", "0", "--log-level", "warning", *args) as server:
        yield server


@contextmanager
def bare_server(recording: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    with process("-m", "benchmarks.servers", "bare", recording) as server:
        yield server


def bare_app(responses: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    """A Starlette app that answers the i-th request with the i-th recorded response, and
    nothing else: the cost floor of an HTTP answer of that size through the same stack."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    bodies = [(r["body"].encode(), r["content_type"], r.get("headers", {})) for r in responses]
    position = [0]

    async def answer(request: Request) -> Response:
        await request.body()
        body, content_type, headers = bodies[position[0] % len(bodies)]
        position[0] += 1
        return Response(body, media_type=content_type, headers=headers)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST", "DELETE"])])


def serve_bare(recording: str, port: int = 0) -> None:
    import asyncio

    import uvicorn

    from fakeopenai.doors.server import http_protocol, listen_socket, loop_factory, one_write

    with open(recording, encoding="utf-8") as handle:
        answers = bare_app(json.load(handle))

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await one_write(answers, scope, receive, send)  # as `fakeopenai serve` writes its answers
    app.one_go = True   # type: ignore[attr-defined]  # and serves them (doors/http11.py), no Task when it can
    sock = listen_socket("127.0.0.1", port)
    # Served as `fakeopenai serve` serves: the same HTTP parser, protocol and event loop.
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", loop="asyncio",
                            http=http_protocol(), proxy_headers=False)
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.005)
        print(f"bare serving on http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
        await task

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(run())


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        serve_bare(sys.argv[2])
