"""One request's cost: ``fakeopenai serve`` against the fastest peer, aimock (the Node mock server
``@copilotkit/aimock``, pinned in ``benchmarks/aimock/package-lock.json``), and the bare Starlette app.

    python -m benchmarks --setup          # once: installs aimock with npm into benchmarks/aimock/
    python -m benchmarks.peers [--rounds 200] [--before PATH]

Row 8, no SDK: ``POST /v1/chat/completions`` over one keep-alive socket per server, from this
process (a blocking socket, the answer read by its length or its chunks); each server answers the
same chat completion (fakeopenai scripted to it, aimock from a fixture, the bare app replaying
fakeopenai's bytes). Rounds alternate between the servers; a round is ``per_round`` requests on
each; the figure is the median of the rounds' mean time per request.

Under it, through the official SDK (``openai.OpenAI``, one keep-alive connection each): a chat
completion and a Responses create against aimock and the bare app; a run retrieve and a batch
retrieve, which aimock does not serve, against the bare app only (the same bytes, served the same
way: uvicorn, same config, its own process).

``--before PATH`` adds a fourth server: ``fakeopenai serve`` from the source tree at PATH (a
checkout of an earlier commit), with this environment's packages but not the PYTHONPATH of this
run, for before/after figures taken side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.servers import bare_server, fakeopenai_server, process

HERE = Path(__file__).resolve().parent
AIMOCK_DIR = HERE / "aimock"
AIMOCK_CLI = AIMOCK_DIR / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
AIMOCK_VERSION = "1.43.0"   # as benchmarks/aimock/package-lock.json pins it
BARE_TARGET = 1.2           # the fake's cost over an app that only replays bytes (runs and batches: no peer)
KEY = "sk-bench"
ANSWER = "The answer, as scripted."
CHAT_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
RESPONSE_BODY = {"model": "gpt-4o", "input": "Hi"}

SCENARIO = f"""
name: bench_peers
chat:
  - times: always
    steps:
      - message: {ANSWER}
responses:
  - times: always
    steps:
      - message: {ANSWER}
runs:
  - times: always
    steps:
      - message: {ANSWER}
      - status: completed
batches:
  - times: always
    steps:
      - status: validating
      - status: completed
"""
AIMOCK_FIXTURES = {"fixtures": [{"match": {"userMessage": "Hi"}, "response": {"content": ANSWER}}]}


def setup_aimock() -> None:
    """``npm ci`` in benchmarks/aimock (the version the lock file pins)."""
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the aimock rows will be skipped")
        return
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AIMOCK_DIR, check=True)


def aimock_missing() -> str | None:
    """Why the aimock comparison cannot run here, or None."""
    if shutil.which("node") is None:
        return "node not found"
    if not AIMOCK_CLI.exists():
        return "aimock not installed (python -m benchmarks --setup)"
    return None


@contextmanager
def aimock_server() -> Iterator[str]:
    """aimock (its ``llmock`` server, which takes a fixture file), on a free port; yields its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        fixtures = Path(folder) / "bench.json"
        fixtures.write_text(json.dumps(AIMOCK_FIXTURES))
        proc = subprocess.Popen(["node", str(AIMOCK_CLI), "--port", "0", "--fixtures", str(fixtures)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            for line in proc.stdout:  # type: ignore[union-attr]
                if "listening on " in line:
                    yield line.split("listening on ", 1)[1].strip() + "/v1"
                    break
            else:
                raise RuntimeError("aimock did not start")
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()  # type: ignore[union-attr]


@contextmanager
def before_server(tree: str) -> Iterator[str]:
    """``fakeopenai serve`` from another source tree (see ``--before``)."""
    # Run from the tree: `python -m` puts the current directory first on sys.path, before PYTHONPATH.
    root = str(Path(tree).resolve())
    env = {**os.environ, "PYTHONPATH": root}
    with process("-m", "fakeopenai", "serve", "--port", "0", "--log-level", "warning", env=env, cwd=root) as (_, url):
        yield url


class RawClient:
    """One keep-alive HTTP/1.1 connection, blocking: a request out, its whole answer in."""

    def __init__(self, url: str, method: str, path: str, body: bytes = b"") -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname, parts.port)
        self.connect()
        head = (f"{method} {parts.path.removesuffix('/v1')}{path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Authorization: Bearer {KEY}\r\nAccept: application/json\r\n")
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.request = head.encode() + b"\r\n" + body
        self.buffer = b""

    def connect(self) -> None:
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def call(self) -> bytes:
        try:
            return self._call()
        except ConnectionError:   # the server closed an idle connection (aimock after 5 s): as a client does
            self.sock.close()
            self.connect()
            return self._call()

    def _call(self) -> bytes:
        self.sock.sendall(self.request)
        data = self.buffer
        while (end := data.find(b"\r\n\r\n")) < 0:
            data += self._recv()
        head, data = data[:end].lower(), data[end + 4:]
        if not head.startswith(b"http/1.1 200"):
            raise RuntimeError(head[:300])
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            length = int(head[at + 17:head.find(b"\r\n", at + 2) if head.find(b"\r\n", at + 2) > 0 else None])
            while len(data) < length:
                data += self._recv()
            self.buffer = data[length:]
            return data[:length]
        body = b""
        while True:  # chunked
            while (line := data.find(b"\r\n")) < 0:
                data += self._recv()
            size = int(data[:line].split(b";", 1)[0], 16)
            while len(data) < line + 2 + size + 2:
                data += self._recv()
            body += data[line + 2:line + 2 + size]
            data = data[line + 2 + size + 2:]
            if size == 0:
                self.buffer = data
                return body

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def _alternate(sides: dict[str, Callable[[], Any]], rounds: int, per_round: int, warmup: int) -> dict[str, float]:
    """Each side's median, over ``rounds`` alternating rounds, of its mean seconds per call, after
    ``warmup`` calls each (aimock runs on V8: its JIT takes about 2,000 requests to reach its pace)."""
    for _ in range(0, warmup, per_round):   # in alternating rounds too: no connection idles for long
        for call in sides.values():
            for _ in range(per_round):
                call()
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, call in sides.items():
            started = time.perf_counter()
            for _ in range(per_round):
                call()
            times[name].append((time.perf_counter() - started) / per_round)
    return {name: statistics.median(values) for name, values in times.items()}


@contextmanager
def _fakeopenai(before: str | None) -> Iterator[dict[str, str]]:
    """The fakeopenai servers (and the one from ``--before``), each with the scenario loaded for KEY."""
    import httpx

    with ExitStack() as stack:
        urls = {"fakeopenai": stack.enter_context(fakeopenai_server())[1]}
        if before:
            urls["before"] = stack.enter_context(before_server(before))
        for url in urls.values():
            httpx.put(url.removesuffix("/v1") + "/_fake/scenario", content=SCENARIO,
                      headers={"Authorization": f"Bearer {KEY}"}).raise_for_status()
        yield urls


@contextmanager
def _bare(answers: list[tuple[Any, str]]) -> Iterator[str]:
    """The bare app replaying ``answers`` (bodies as fakeopenai sent them, with their x-request-id)."""
    recording = [{"body": body if isinstance(body, str) else body.decode(), "content_type": "application/json",
                  "headers": {"x-request-id": request_id}} for body, request_id in answers]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(recording, handle)
    try:
        with bare_server(handle.name) as (_, url):
            yield url
    finally:
        os.unlink(handle.name)


def measure_raw(rounds: int = 200, per_round: int = 20, before: str | None = None,
                warmup: int = 3000) -> dict[str, Any]:
    """Row 8: POST /v1/chat/completions over one keep-alive socket, no SDK."""
    body = json.dumps(CHAT_BODY).encode()
    missing = aimock_missing()
    with ExitStack() as stack:
        urls = stack.enter_context(_fakeopenai(before))
        probe = RawClient(urls["fakeopenai"], "POST", "/v1/chat/completions", body)
        answer = probe.call()
        probe.close()
        urls["bare"] = stack.enter_context(_bare([(answer, "req_bench")]))
        if missing is None:
            urls["aimock"] = stack.enter_context(aimock_server())
        clients = {name: RawClient(url, "POST", "/v1/chat/completions", body) for name, url in urls.items()}
        try:
            for client in clients.values():
                assert ANSWER.encode() in client.call()
            medians = _alternate({name: client.call for name, client in clients.items()}, rounds, per_round, warmup)
        finally:
            for client in clients.values():
                client.close()
    us = {name: seconds * 1e6 for name, seconds in medians.items()}
    return {"us": us, "aimock_missing": missing, "target": "<= 1.0x aimock",
            "passed": None if missing else us["fakeopenai"] <= us["aimock"]}


def _sdk(url: str) -> Any:
    import openai

    return openai.OpenAI(api_key=KEY, base_url=url, max_retries=0)


def _chat(client: Any) -> None:
    completion = client.chat.completions.create(**CHAT_BODY)
    assert completion.choices[0].message.content == ANSWER, completion


def _response(client: Any) -> None:
    response = client.responses.create(**RESPONSE_BODY)
    assert response.output_text == ANSWER, response


def _ended_run_and_batch(http: Any) -> dict[str, str]:
    """A run and a batch, each read to its end: every further read is the same answer."""
    assistant = http.post("/assistants", json={"model": "gpt-4o"}).json()
    run = http.post("/threads/runs", json={"assistant_id": assistant["id"]}).json()
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": CHAT_BODY}
    upload = http.post("/files", data={"purpose": "batch"}, files={"file": ("in.jsonl", json.dumps(line) + "\n")})
    batch = http.post("/batches", json={"input_file_id": upload.json()["id"], "endpoint": "/v1/chat/completions",
                                        "completion_window": "24h"}).json()
    for _ in range(4):
        run_status = http.get(f"/threads/{run['thread_id']}/runs/{run['id']}").json()["status"]
        batch_status = http.get(f"/batches/{batch['id']}").json()["status"]
    assert (run_status, batch_status) == ("completed", "completed"), (run_status, batch_status)
    return {"run": run["id"], "thread": run["thread_id"], "batch": batch["id"]}


def _bound(call: Callable[[Any, str], None], client: Any, name: str) -> Callable[[], None]:
    return lambda: call(client, name)


def _recorded(call: Callable[[Any, str], None], url: str) -> tuple[str, str]:
    """The answer fakeopenai gives ``call`` (its body and request id), for the bare app to replay."""
    import httpx
    import openai

    recorded: list[tuple[str, str]] = []

    def keep(response: Any) -> None:
        response.read()
        recorded.append((response.text, response.headers["x-request-id"]))

    with httpx.Client(event_hooks={"response": [keep]}) as http:
        call(openai.OpenAI(api_key=KEY, base_url=url, max_retries=0, http_client=http), "fakeopenai")
    return recorded[-1]


def measure_sdk(rounds: int = 200, per_round: int = 10, before: str | None = None,
                warmup: int = 500) -> list[dict[str, Any]]:
    """Through the SDK: chat and a Responses create (aimock and bare), a run and a batch retrieve (bare)."""
    import httpx

    warnings.simplefilter("ignore", DeprecationWarning)
    missing = aimock_missing()
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        urls = stack.enter_context(_fakeopenai(before))
        headers = {"Authorization": f"Bearer {KEY}"}
        targets: dict[str, dict[str, str]] = {}
        for name, url in urls.items():
            with httpx.Client(base_url=url, headers=headers) as http:
                targets[name] = _ended_run_and_batch(http)

        def run_retrieve(client: Any, name: str) -> None:
            got = client.beta.threads.runs.retrieve(thread_id=targets[name]["thread"], run_id=targets[name]["run"])
            assert got.status == "completed", got.status

        def batch_retrieve(client: Any, name: str) -> None:
            got = client.batches.retrieve(targets[name]["batch"])
            assert got.status == "completed", got.status

        cases: list[tuple[str, Callable[[Any, str], None], bool]] = [
            ("chat.completions.create", lambda client, name: _chat(client), True),
            ("responses.create", lambda client, name: _response(client), True),
            ("beta.threads.runs.retrieve", run_retrieve, False),
            ("batches.retrieve", batch_retrieve, False),
        ]
        for label, call, peer in cases:
            with ExitStack() as case:
                sides = {name: _bound(call, _sdk(url), name) for name, url in urls.items()}
                bare_url = case.enter_context(_bare([_recorded(call, urls["fakeopenai"])]))
                sides["bare"] = _bound(call, _sdk(bare_url), "fakeopenai")
                if peer and missing is None:
                    sides["aimock"] = _bound(call, _sdk(case.enter_context(aimock_server())), "aimock")
                medians = _alternate(sides, rounds, per_round, warmup)
            rows.append({"call": label, "us": {name: seconds * 1e6 for name, seconds in medians.items()},
                         "peer": peer, "aimock_missing": missing if peer else None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--before", default=None, help="also serve fakeopenai from this source tree")
    parser.add_argument("--raw-only", action="store_true")
    args = parser.parse_args()
    raw = measure_raw(args.rounds, before=args.before)

    def show(us: dict[str, float]) -> str:
        base = us["fakeopenai"]
        return ", ".join(f"{name} {value:.0f} us" + ("" if name == "fakeopenai" else f" ({base / value:.2f}x)")
                         for name, value in us.items())

    print(f"raw POST /v1/chat/completions, one keep-alive socket: {show(raw['us'])}"
          + (f" [aimock skipped: {raw['aimock_missing']}]" if raw["aimock_missing"] else ""))
    if args.raw_only:
        return
    for row in measure_sdk(max(1, args.rounds // 2), before=args.before):
        print(f"SDK {row['call']}: {show(row['us'])}")


if __name__ == "__main__":
    main()
