"""A second tenant's worst wait while one tenant's big batch goes to ``completed``.

    python -m benchmarks.tenant_stall                  # 50,000 lines
    python -m benchmarks.tenant_stall --lines 20000 --repeat 3

One ``fakeopenai serve`` process, fresh for each run. Tenant A (its own API key) runs the chat
batch flow of :mod:`benchmarks.batch_scale` through the SDK: upload, create, retrieve until
``completed`` from right after the create (no pause between reads), download the output.
Meanwhile tenant B (another key), from a process of its own (as another job on a shared server
would: no lock of A's client process in its way), retrieves a thread every 5 ms through the SDK
and keeps the time of each answer. The figure is B's worst answer while A's flow ran (its
median for context): the longest any request of B waited on A's work. The server is warmed
only with B's own requests, so any first-use cost of A's flow (a schema, a word table) lands
inside it, as on a server that has not seen a batch yet. The server must never hold its event
loop for long, so the worst wait stays far under 50 ms (tests/test_tenant_stall.py fails above
that).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
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
    worst_at: float = 0.0   # when B's slowest read started, seconds after the flow did


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
    """One run against a server already listening at ``base_url``: tenant B probes from its own
    process (:func:`probe`) while tenant A's flow runs here."""
    import openai

    payload = input_file(lines)
    batcher = openai.OpenAI(base_url=base_url, api_key="sk-stall-batcher", max_retries=0)
    batcher.files.list()  # A's connection (and only that) warmed up
    with prober(base_url) as reads:
        started = time.monotonic()
        try:
            batch_flow(batcher, payload, lines)
        finally:
            ended = time.monotonic()
            batcher.close()
    during = [(wait, at) for at, wait in reads if started <= at <= ended]
    if not during:
        raise RuntimeError("tenant B read nothing while tenant A's flow ran")
    worst, worst_at = max(during)
    return Stall(lines=lines, flow_s=ended - started, worst_ms=worst * 1000,
                 median_ms=statistics.median(wait for wait, _ in during) * 1000, reads=len(during),
                 window=(started, ended), load=os.getloadavg()[0], worst_at=worst_at - started)


@contextmanager
def prober(base_url: str) -> Iterator[list[tuple[float, float]]]:
    """Tenant B in a process of its own (:func:`probe`), reading from when the ``with`` block starts;
    once it ends, the list holds B's reads: ``(time.monotonic() at the start, seconds waited)``
    (the monotonic clock is the machine's, so both processes read the same one)."""
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.tenant_stall", "--probe", base_url],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    reads: list[tuple[float, float]] = []
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if line.strip() != "ready":
            raise RuntimeError(f"tenant B's prober did not start: {line!r}")
        yield reads
        out, _ = proc.communicate("stop\n", timeout=60)
        reads.extend((at, wait) for at, wait in json.loads(out))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def probe(base_url: str) -> None:
    """Tenant B (``python -m benchmarks.tenant_stall --probe URL``): retrieve a thread every
    :data:`PERIOD` through the SDK, from "ready" on stdout until a line arrives on stdin; then
    print its reads as JSON (``[[monotonic start, seconds waited], ...]``)."""
    import openai

    warnings.simplefilter("ignore", DeprecationWarning)   # the Assistants API (threads) is deprecated
    reader = openai.OpenAI(base_url=base_url, api_key="sk-stall-reader", max_retries=0)
    thread = reader.beta.threads.create()
    for _ in range(5):  # B's tenant, route and connection warmed up
        reader.beta.threads.retrieve(thread.id)
    print("ready", flush=True)
    reads: list[tuple[float, float]] = []
    next_at = time.perf_counter()
    while not select.select([sys.stdin], [], [], 0)[0]:
        at, started = time.monotonic(), time.perf_counter()
        reader.beta.threads.retrieve(thread.id)
        reads.append((at, time.perf_counter() - started))
        next_at += PERIOD
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        else:
            next_at = time.perf_counter()
    reader.close()
    print(json.dumps(reads), flush=True)


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


def longest_step(stall: Stall, steps: list[list[float]]) -> float:
    """The longest loop step (CPU ms) that ran while ``stall``'s flow did."""
    start, end = stall.window
    return max((cpu for cpu, _wall, at, _where in steps if start <= at <= end), default=0.0)


def measure(lines: int) -> Stall:
    """One run against a fresh, metered ``fakeopenai serve`` process, warmed up."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # the Assistants API (threads) is deprecated
        with metered_server() as (base_url, steps):
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
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)   # tenant B's process (probe)
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.probe)
        return 0
    worst = 0.0
    for _ in range(args.repeat):
        row = measure(args.lines)
        worst = max(worst, row.worst_ms)
        print(f"{row.lines:,} lines: flow {row.flow_s:.2f} s; tenant B worst wait {row.worst_ms:.1f} ms "
              f"(at +{row.worst_at:.2f} s), median {row.median_ms:.1f} ms over {row.reads} reads; server loop's "
              f"longest step {row.longest_step_ms:.1f} ms CPU; load average {row.load:.1f}", flush=True)
    return 0 if worst <= BOUND_MS else 1


if __name__ == "__main__":
    sys.exit(main())
