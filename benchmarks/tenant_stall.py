"""A second tenant's worst wait while one tenant's big batch goes to ``completed``.

    python -m benchmarks.tenant_stall                  # 50,000 lines
    python -m benchmarks.tenant_stall --lines 20000 --repeat 3

One ``fakeopenai serve`` process. Tenant A (its own API key) runs the chat batch flow of
:mod:`benchmarks.batch_scale` through the SDK: upload, create, retrieve until ``completed``,
download the output. Meanwhile tenant B (another key), in its own thread, retrieves a thread
every 5 ms through the SDK and keeps the time of each answer. The figure is B's worst answer
while A's flow ran (its median for context): the longest any request of B waited on A's work.
The server must never hold its event loop for long, so the worst wait stays far under 50 ms
(tests/test_tenant_stall.py fails above that).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.batch_scale import input_file
from benchmarks.servers import process

BOUND_MS = 50.0
PERIOD = 0.005
LINES = 50_000
QUICK_LINES = 2_000


@dataclass
class Stall:
    lines: int
    flow_s: float        # tenant A's whole flow, end to end
    worst_ms: float      # tenant B's slowest answer while the flow ran
    median_ms: float
    reads: int           # tenant B's answers while the flow ran
    window: tuple[float, float] = (0.0, 0.0)   # the flow's start and end (time.monotonic)
    longest_step_ms: float | None = None      # the server loop's longest step in the flow (CPU ms)
    load: float = 0.0    # the machine's 1-minute load average after the run


def batch_flow(client: object, payload: bytes, lines: int) -> None:
    """Upload, create, poll to completed, download (tenant A)."""
    upload = client.files.create(file=("requests.jsonl", payload), purpose="batch")  # type: ignore[attr-defined]
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",  # type: ignore[attr-defined]
                                  completion_window="24h")
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        batch = client.batches.retrieve(batch.id)  # type: ignore[attr-defined]
    if batch.status != "completed" or batch.request_counts.completed != lines:
        raise RuntimeError(f"batch ended {batch.status} with {batch.request_counts}")
    output = client.files.content(batch.output_file_id).read()  # type: ignore[attr-defined]
    written = output.count(b"\n")
    if written != lines:
        raise RuntimeError(f"output has {written} lines, expected {lines}")


def measure_at(base_url: str, lines: int) -> Stall:
    """One run against a server already listening at ``base_url``."""
    import openai

    payload = input_file(lines)
    batcher = openai.OpenAI(base_url=base_url, api_key="sk-stall-batcher", max_retries=0)
    reader = openai.OpenAI(base_url=base_url, api_key="sk-stall-reader", max_retries=0)
    batcher.files.list()  # warm up both tenants and connections
    thread = reader.beta.threads.create()
    for _ in range(5):
        reader.beta.threads.retrieve(thread.id)
    waits: list[float] = []
    running = threading.Event()
    done = threading.Event()

    def read() -> None:
        running.set()
        next_at = time.perf_counter()
        while not done.is_set():
            started = time.perf_counter()
            reader.beta.threads.retrieve(thread.id)
            waits.append(time.perf_counter() - started)
            next_at += PERIOD
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            else:
                next_at = time.perf_counter()

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    running.wait()
    started = time.monotonic()
    try:
        batch_flow(batcher, payload, lines)
    finally:
        ended = time.monotonic()
        done.set()
        worker.join()
        batcher.close()
        reader.close()
    return Stall(lines=lines, flow_s=ended - started, worst_ms=max(waits) * 1000,
                 median_ms=statistics.median(waits) * 1000, reads=len(waits), window=(started, ended),
                 load=os.getloadavg()[0])


@contextmanager
def metered_server() -> Iterator[tuple[str, list[list[float]]]]:
    """``fakeopenai serve`` under :mod:`benchmarks.loop_meter`: yields the base URL and a list that,
    once the server has stopped, holds its long loop steps."""
    steps: list[list[float]] = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "steps.json")
        with process("-m", "benchmarks.loop_meter", path, "serve", "--port", "0", "--log-level", "warning") as \
                (_proc, base_url):
            yield base_url, steps
        with open(path, encoding="utf-8") as saved:
            steps.extend(json.load(saved))


def warm_up(base_url: str) -> None:
    """A 10-line batch flow: the first use of each route loads its schemas, once per server."""
    import openai

    warm = openai.OpenAI(base_url=base_url, api_key="sk-stall-warmup", max_retries=0)
    batch_flow(warm, input_file(10), 10)
    warm.close()


def longest_step(stall: Stall, steps: list[list[float]]) -> float:
    """The longest loop step (CPU ms) that ran while ``stall``'s flow did."""
    start, end = stall.window
    return max((cpu for cpu, _wall, at, _where in steps if start <= at <= end), default=0.0)


def measure(lines: int) -> Stall:
    """One run against a fresh, metered ``fakeopenai serve`` process, warmed up."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # the Assistants API (threads) is deprecated
        with metered_server() as (base_url, steps):
            warm_up(base_url)
            stall = measure_at(base_url, lines)
    stall.longest_step_ms = longest_step(stall, steps)
    if os.environ.get("FAKEOPENAI_SHOW_STEPS"):
        start, end = stall.window
        for step in sorted(steps, key=lambda step: step[2]):
            print(f"  {'in ' if start <= step[2] <= end else 'out'} +{step[2] - start:6.2f} s: {step[0]:.1f} ms CPU, "
                  f"{step[1]:.1f} ms wall: {step[3]}", file=sys.stderr)
    return stall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    worst = 0.0
    for _ in range(args.repeat):
        row = measure(args.lines)
        worst = max(worst, row.worst_ms)
        print(f"{row.lines:,} lines: flow {row.flow_s:.2f} s; tenant B worst wait {row.worst_ms:.1f} ms, "
              f"median {row.median_ms:.1f} ms over {row.reads} reads; server loop's longest step "
              f"{row.longest_step_ms:.1f} ms CPU; load average {row.load:.1f}", flush=True)
    return 0 if worst <= BOUND_MS else 1


if __name__ == "__main__":
    sys.exit(main())
