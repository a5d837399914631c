"""Load on one server: 52 concurrent clients, then a soak with flat memory.

The server runs as ``python -m fakeopenai serve`` in its own process, so the clients' work does not
share a GIL (or an event loop) with it. Every HTTP answer of every client is counted: a 5xx fails
the test, and so does any error the SDK raises (``max_retries=0``).

* :func:`test_concurrent_clients`: 26 threads with the official SDK and 26 asyncio tasks with
  ``AsyncOpenAI``, half of them on two shared tenants, half on tenants of their own: assistants,
  threads, messages, tool-call runs polled to the end, cancels, paginated lists, file uploads. Then
  every list holds exactly what was created (no object lost or duplicated), and every run's
  observed statuses are exactly its script's walk (derived from the scenario: no step skipped or
  repeated). All clients also read the same few runs at once: together they see each step exactly
  once.
* :func:`test_soak_memory_is_flat`: 3,000 requests of the same kinds on fresh tenants, each
  dropped (``DELETE /_fake/tenant``) as the pytest fixture does; from after a warm-up (the
  allocator's and the caches' growth) to the end, the server's RSS may grow by less than
  :data:`MAX_RSS_GROWTH_PER_REQUEST` per request. A tenant kept after its drop is ~50 KB, ~2.6 KB
  per request of its flow (measured by leaving out the drop: +16 MB over 6,000 requests); with the
  drops the growth is ~0.3 MB over 6,000 requests, and it stays flat up to 20,000.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import psutil
import pytest

from fakeopenai.families.assistants.runs import DEFAULT_SCRIPT
from fakeopenai.families.assistants.scenario import RunScript
from fakeopenai.scenario.conversation import TERMINAL as RUN_TERMINAL
from fakeopenai.scenario.loader import load_scenario
from tests.ci_steps import ci_step
from tests.spec_check import SpecChecker

ROOT = Path(__file__).resolve().parent.parent
THREADS = 26
TASKS = 26
SHARED_TOOLS = "sk-load-shared-tools"      # requires_action_then_complete, shared by half the clients
SHARED_READERS = "sk-load-shared-readers"  # default scenario: runs every client reads at once
READER_RUNS = 4
SOAK_REQUESTS = 3_000
WARM_UP_REQUESTS = 1_000
SOAK_WORKERS = 8
MAX_RSS_GROWTH_PER_REQUEST = 1024  # bytes
# Every client here speaks plain HTTP to 127.0.0.1, yet httpx builds an SSL context for each one it
# makes, loading the whole CA bundle (~20 ms of CPU, far more with 52 clients starting at once): they
# share this one instead (~160 clients).
SSL_CONTEXT = ssl.create_default_context()
LINE = {"method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}}


# ----------------------------------------------------------------------------- the server process

@contextmanager
def serve(*args: str) -> Iterator[tuple[psutil.Process, str]]:
    """``fakeopenai serve`` on a free port; yields its process and origin."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0",
                                    "--log-level", "warning", *args],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = process.stdout.readline().strip()  # type: ignore[union-attr]
            assert line.startswith("fakeopenai serving on "), line
            yield psutil.Process(process.pid), line.split()[-1].removesuffix("/v1")
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()  # type: ignore[union-attr]
            log.seek(0)
            errors = [x for x in log.read().splitlines() if "Traceback" in x or "bug" in x]
        assert not errors, errors


class Statuses:
    """Every status code any client got, from an httpx response hook (thread- and task-safe); each
    answer is also checked against the official spec (a mismatch raises in the client)."""

    def __init__(self, spec: SpecChecker) -> None:
        self.spec = spec
        self.counts: Counter[int] = Counter()
        self.server_errors: list[str] = []
        self._lock = threading.Lock()

    def hook(self, response: httpx.Response) -> None:
        with self._lock:
            self.counts[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{response.request.method} {response.request.url.path} -> "
                                          f"{response.status_code}")
        if response.url.path.startswith("/v1"):
            self.spec.hook(response)

    async def async_hook(self, response: httpx.Response) -> None:
        await response.aread()
        self.hook(response)


# ----------------------------------------------------------------------------- expected walks

def walk(script: RunScript) -> list[list[str]]:
    """The statuses a poller sees, from the create response to the terminal status, one segment per
    wait for tool outputs (a submit answers ``queued`` and starts the next segment). A step is seen
    on ``reads`` reads; a message step shows ``in_progress``."""
    segments: list[list[str]] = [[]]
    for step in script.steps:
        if step.kind == "tool_calls":
            segments[-1].append("requires_action")
            segments.append(["queued"])
        elif step.terminal:
            segments[-1].append(str(step.status))
            return segments
        else:
            segments[-1].extend([step.status if step.kind == "status" else "in_progress"] * step.reads)
    segments[-1].append("completed")  # a script without a terminal step ends completed
    return segments


WEATHER = walk(load_scenario("requires_action_then_complete").conversations[0])
DEFAULT = walk(DEFAULT_SCRIPT)
CANCELLED = [["queued", "in_progress", "cancelling", "cancelled"]]  # cancel after the first read


def test_the_walks_are_the_scripts() -> None:
    assert WEATHER == [["queued", "in_progress", "requires_action"], ["queued", "in_progress", "completed"]]
    assert DEFAULT == [["queued", "in_progress", "in_progress", "completed"]]


# ----------------------------------------------------------------------------- one client's work

class Ledger:
    """What the clients created, per tenant, and what they saw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.created: dict[str, dict[str, list[str]]] = {}
        self.walks: list[tuple[str, list[list[str]], list[list[str]]]] = []  # (run, seen, expected)
        self.reader_reads: dict[str, list[str]] = {}

    def add(self, key: str, kind: str, object_id: str) -> None:
        with self._lock:
            self.created.setdefault(key, {}).setdefault(kind, []).append(object_id)

    def walked(self, run_id: str, seen: list[list[str]], expected: list[list[str]]) -> None:
        with self._lock:
            self.walks.append((run_id, seen, expected))

    def read(self, run_id: str, status: str) -> None:
        with self._lock:
            self.reader_reads.setdefault(run_id, []).append(status)


def sync_client(origin: str, key: str, statuses: Statuses) -> openai.OpenAI:
    http = httpx.Client(event_hooks={"response": [statuses.hook]}, timeout=30, verify=SSL_CONTEXT)
    return openai.OpenAI(api_key=key, base_url=origin + "/v1", max_retries=0, http_client=http)


def sync_work(index: int, origin: str, key: str, tools: bool, reader_runs: list[tuple[str, str]],
              ledger: Ledger, statuses: Statuses) -> None:
    client = sync_client(origin, key, statuses)
    readers = sync_client(origin, SHARED_READERS, statuses)
    try:
        assistant = client.beta.assistants.create(model="gpt-4o", name=f"client {index}",
                                                  metadata={"client": str(index)})
        ledger.add(key, "assistants", assistant.id)
        thread = client.beta.threads.create(messages=[{"role": "user", "content": f"Weather for {index}?"}])
        ledger.add(key, "threads", thread.id)
        for n in range(2):
            message = client.beta.threads.messages.create(thread.id, role="user", content=f"and {n}?")
            ledger.add(key, f"messages {thread.id}", message.id)
        run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        ledger.add(key, f"runs {thread.id}", run.id)
        seen = [[run.status]]
        while run.status not in RUN_TERMINAL:
            if run.status == "requires_action":
                calls = run.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
                run = client.beta.threads.runs.submit_tool_outputs(
                    run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": c.id, "output": "18C"} for c in calls])
                seen.append([run.status])
            else:
                run = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
                seen[-1].append(run.status)
            for run_id, thread_id in reader_runs:
                ledger.read(run_id, readers.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status)
        ledger.walked(run.id, seen, WEATHER if tools else DEFAULT)

        other = client.beta.threads.create()
        ledger.add(key, "threads", other.id)
        run = client.beta.threads.runs.create(thread_id=other.id, assistant_id=assistant.id)
        ledger.add(key, f"runs {other.id}", run.id)
        seen = [[run.status, client.beta.threads.runs.retrieve(run.id, thread_id=other.id).status]]
        seen[0].append(client.beta.threads.runs.cancel(run.id, thread_id=other.id).status)
        seen[0].append(client.beta.threads.runs.retrieve(run.id, thread_id=other.id).status)
        ledger.walked(run.id, seen, CANCELLED)

        upload = client.files.create(file=(f"notes-{index}.txt", f"notes {index}\n".encode()), purpose="assistants")
        ledger.add(key, "files", upload.id)
        listed = [a.id for a in client.beta.assistants.list(limit=2)]  # every page, while others add more
        assert assistant.id in listed and len(listed) == len(set(listed))
    finally:
        client.close()
        readers.close()


async def async_work(index: int, origin: str, key: str, tools: bool, reader_runs: list[tuple[str, str]],
                     ledger: Ledger, statuses: Statuses) -> None:
    http = httpx.AsyncClient(event_hooks={"response": [statuses.async_hook]}, timeout=30, verify=SSL_CONTEXT)
    client = openai.AsyncOpenAI(api_key=key, base_url=origin + "/v1", max_retries=0, http_client=http)
    raw = httpx.AsyncClient(base_url=origin, headers={"Authorization": f"Bearer {SHARED_READERS}"}, timeout=30,
                            verify=SSL_CONTEXT,
                            event_hooks={"response": [statuses.async_hook]})
    try:
        assistant = await client.beta.assistants.create(model="gpt-4o", metadata={"task": str(index)})
        ledger.add(key, "assistants", assistant.id)
        run = await client.beta.threads.create_and_run(
            assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": f"task {index}"}]})
        ledger.add(key, "threads", run.thread_id)
        ledger.add(key, f"runs {run.thread_id}", run.id)
        seen = [[run.status]]
        while run.status not in RUN_TERMINAL:
            if run.status == "requires_action":
                calls = run.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
                run = await client.beta.threads.runs.submit_tool_outputs(
                    run.id, thread_id=run.thread_id,
                    tool_outputs=[{"tool_call_id": c.id, "output": "18C"} for c in calls])
                seen.append([run.status])
            else:
                run = await client.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id)
                seen[-1].append(run.status)
            for run_id, thread_id in reader_runs:
                answer = await raw.get(f"/v1/threads/{thread_id}/runs/{run_id}")
                ledger.read(run_id, answer.json()["status"])
        ledger.walked(run.id, seen, WEATHER if tools else DEFAULT)
        message = await client.beta.threads.messages.create(run.thread_id, role="user", content="thanks")
        ledger.add(key, f"messages {run.thread_id}", message.id)
        upload = await client.files.create(file=(f"task-{index}.txt", b"x\n"), purpose="assistants")
        ledger.add(key, "files", upload.id)
        listed = [a.id async for a in client.beta.assistants.list(limit=3, order="asc")]
        assert assistant.id in listed and len(listed) == len(set(listed))
    finally:
        await client.close()
        await raw.aclose()


# ----------------------------------------------------------------------------- the load test

def _load(origin: str, key: str, name: str) -> None:
    response = httpx.put(origin + "/_fake/scenario", json={"name": name}, headers={"Authorization": f"Bearer {key}"},
                         verify=SSL_CONTEXT)
    assert response.status_code == 200, response.text


def check_tenant(origin: str, key: str, created: dict[str, list[str]], statuses: Statuses) -> None:
    """Every list holds exactly what the clients created: nothing lost, nothing twice."""
    with sync_client(origin, key, statuses) as client:
        assistants = [a.id for a in client.beta.assistants.list(limit=7, order="asc")]
        assert len(assistants) == len(set(assistants)), "an assistant is listed twice"
        assert set(assistants) - {"asst_weather"} == set(created["assistants"])
        assert len(created["assistants"]) == len(set(created["assistants"]))
        files = [f.id for f in client.files.list()]
        assert sorted(files) == sorted(created["files"])
        for thread_id in created["threads"]:
            runs = [r for r in client.beta.threads.runs.list(thread_id=thread_id, limit=1)]
            assert sorted(r.id for r in runs) == sorted(created.get(f"runs {thread_id}", []))
            messages = [m for m in client.beta.threads.messages.list(thread_id=thread_id, limit=2)]
            assert len({m.id for m in messages}) == len(messages)
            mine = [m.id for m in messages if m.role == "user" and m.id in created.get(f"messages {thread_id}", [])]
            assert sorted(mine) == sorted(created.get(f"messages {thread_id}", []))
            written = [m for m in messages if m.role == "assistant"]
            finished = sum(r.status == "completed" for r in runs)
            assert len(written) == finished  # one answer per completed run
        ids = [*assistants, *files, *created["threads"]]
        assert len(ids) == len(set(ids))


@ci_step("load")
def test_concurrent_clients(report: Any, spec: SpecChecker) -> None:
    statuses = Statuses(spec)
    ledger = Ledger()
    with serve() as (_, origin):
        _load(origin, SHARED_TOOLS, "requires_action_then_complete")
        with sync_client(origin, SHARED_READERS, statuses) as readers:
            assistant = readers.beta.assistants.create(model="gpt-4o")
            reader_runs = []
            for _ in range(READER_RUNS):
                run = readers.beta.threads.create_and_run(assistant_id=assistant.id)
                reader_runs.append((run.id, run.thread_id))
        plan = []  # (index, key, tools)
        for index in range(THREADS + TASKS):
            if index % 2 == 0:
                plan.append((index, SHARED_TOOLS, True))
            else:
                tools = index % 4 == 1
                key = f"sk-load-own-{index}"
                if tools:
                    _load(origin, key, "requires_action_then_complete")
                plan.append((index, key, tools))

        async def tasks() -> None:
            await asyncio.gather(*(async_work(i, origin, key, tools, reader_runs, ledger, statuses)
                                   for i, key, tools in plan[THREADS:]))

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            futures = [pool.submit(sync_work, i, origin, key, tools, reader_runs, ledger, statuses)
                       for i, key, tools in plan[:THREADS]]
            asyncio.run(tasks())  # at the same time as the threads
            for future in futures:
                future.result()

        assert not statuses.server_errors, statuses.server_errors[:10]
        for run_id, seen, expected in ledger.walks:
            assert seen == expected, f"{run_id}: saw {seen}, the script walks {expected}"
        assert len(ledger.walks) == 2 * THREADS + TASKS
        for run_id, reads in ledger.reader_reads.items():
            steps = [s for s in reads if s not in RUN_TERMINAL]
            assert Counter(steps) == Counter(DEFAULT[0][1:-1]), f"{run_id}: the reads saw {Counter(reads)}"
            assert set(reads) - set(steps) == {"completed"}
        assert len(ledger.reader_reads) == READER_RUNS
        for key, created in ledger.created.items():
            check_tenant(origin, key, created, statuses)
        assert not statuses.server_errors, statuses.server_errors[:10]
    total = sum(statuses.counts.values())
    report(f"load: {THREADS} SDK threads + {TASKS} AsyncOpenAI tasks on one `fakeopenai serve`, "
           f"{len(ledger.created)} tenants (2 shared), {total} requests, {len(ledger.walks)} run walks, "
           f"answers {dict(sorted(statuses.counts.items()))}")


# ----------------------------------------------------------------------------- the soak

def soak_tenant(client: httpx.Client, key: str) -> int:
    """One fresh tenant through every kind of object, then dropped; returns the requests made."""
    headers = {"Authorization": f"Bearer {key}"}
    count = 0

    def call(method: str, path: str, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        response = client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response.json() if "json" in response.headers.get("content-type", "") else response.content

    assistant = call("POST", "/v1/assistants", json={"model": "gpt-4o", "instructions": "Be brief."})
    run = call("POST", "/v1/threads/runs", json={"assistant_id": assistant["id"],
                                                 "thread": {"messages": [{"role": "user", "content": "Hi"}]}})
    thread = run["thread_id"]
    while run["status"] != "completed":
        run = call("GET", f"/v1/threads/{thread}/runs/{run['id']}")
    call("POST", f"/v1/threads/{thread}/messages", json={"role": "user", "content": "More"})
    call("GET", f"/v1/threads/{thread}/messages")
    call("GET", f"/v1/threads/{thread}/runs/{run['id']}/steps")
    streamed = client.post(f"/v1/threads/{thread}/runs", headers=headers,
                           json={"assistant_id": assistant["id"], "stream": True})
    count += 1
    assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
    lines = b"".join(json.dumps({"custom_id": f"r{i}", **LINE}).encode() + b"\n" for i in range(3))
    upload = call("POST", "/v1/files", files={"file": ("in.jsonl", lines)}, data={"purpose": "batch"})
    batch = call("POST", "/v1/batches", json={"input_file_id": upload["id"], "endpoint": "/v1/chat/completions",
                                              "completion_window": "24h"})
    while batch["status"] != "completed":
        batch = call("GET", f"/v1/batches/{batch['id']}")
    call("GET", f"/v1/files/{batch['output_file_id']}/content")
    call("GET", "/v1/files")
    call("DELETE", f"/v1/files/{upload['id']}")
    call("GET", "/v1/assistants")
    call("DELETE", "/_fake/tenant")
    return count


def soak(origin: str, requests: int, prefix: str) -> tuple[int, int]:
    """Fresh tenants on :data:`SOAK_WORKERS` threads until ``requests`` were made; returns the requests
    and tenants made."""
    done = tenants = 0
    lock = threading.Lock()

    def worker(worker_id: int) -> None:
        nonlocal done, tenants
        with httpx.Client(base_url=origin, timeout=30, verify=SSL_CONTEXT) as client:
            n = 0
            while True:
                with lock:
                    if done >= requests:
                        return
                made = soak_tenant(client, f"sk-{prefix}-{worker_id}-{n}")
                n += 1
                with lock:
                    done += made
                    tenants += 1

    with ThreadPoolExecutor(max_workers=SOAK_WORKERS) as pool:
        for future in [pool.submit(worker, w) for w in range(SOAK_WORKERS)]:
            future.result()
    return done, tenants


@ci_step("load")
def test_soak_memory_is_flat(report: Any) -> None:
    with serve() as (process, origin):
        soak(origin, WARM_UP_REQUESTS, "warm")
        before = process.memory_info().rss
        made, tenants = soak(origin, SOAK_REQUESTS, "soak")
        after = process.memory_info().rss
        health = httpx.get(origin + "/_fake/health", verify=SSL_CONTEXT).json()
    assert made >= SOAK_REQUESTS
    assert health["tenants"] == 0, "a dropped tenant is still held"
    growth = after - before
    report(f"soak: {made} requests on {tenants} fresh tenants, each dropped ({SOAK_WORKERS} workers) "
           f"after {WARM_UP_REQUESTS} warm-up; server RSS {before / 2**20:.1f} MB -> {after / 2**20:.1f} MB "
           f"({growth / 2**20:+.1f} MB, {growth / made:+.0f} bytes per request)")
    assert growth < MAX_RSS_GROWTH_PER_REQUEST * made, (
        f"RSS grew {growth / 2**20:.1f} MB over {made} requests ({growth / made:.0f} bytes per request, "
        f"limit {MAX_RSS_GROWTH_PER_REQUEST})")


@pytest.fixture
def report(figures: Any) -> Any:
    """Print a line of figures in the run's summary (also without -s)."""
    return lambda line: figures("load and soak", line)
