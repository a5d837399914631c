"""A chat batch end to end through the official SDK against ``fakeopenai serve``, by size.

    python -m benchmarks.batch_scale            # 5,000 / 20,000 / 50,000 lines
    python -m benchmarks.batch_scale --quick    # 500 / 2,000 lines (CI)
    python -m benchmarks.batch_scale --sizes 50000 --check   # exit 1 past 10 s or 400 MB

Per size, a fresh server process (``fakeopenai serve --port 0``) and one flow:
upload the JSONL (``files.create``), ``batches.create``, ``batches.retrieve`` until
``completed`` (no sleeps; the last read writes the output file), download the output
(``files.content(...).read()``) and check it has one line per request. The server's
peak RSS is its kernel high-water mark (``VmHWM``) where the platform has one, else
the highest of psutil samples taken every 5 ms; ``server CPU s`` is the server's user
plus system time for the flow (steadier than wall time on a busy machine). The last columns show how the cost
grows: total time per 1,000 lines, and the total relative to the smallest size
scaled by the line ratio (1.00 = linear).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass
from typing import Self

from benchmarks.servers import fakeopenai_server

BUDGET_SECONDS = 10.0
BUDGET_RSS_MB = 400.0
SIZES = (5_000, 20_000, 50_000)
QUICK_SIZES = (500, 2_000)


def request_line(index: int) -> bytes:
    """One chat request of about 200 bytes (50,000 of them make a 10 MB file)."""
    return json.dumps({
        "custom_id": f"request-{index:05d}", "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "max_tokens": 200,
                 "messages": [{"role": "user", "content": f"Summarise catalogue item {index} in one line."}]},
    }, separators=(",", ":")).encode()


def input_file(lines: int) -> bytes:
    return b"\n".join(request_line(i) for i in range(lines)) + b"\n"


class PeakRSS:
    """The peak resident set size of a process, in bytes, while the ``with`` block runs."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.sampled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.sampled = max(self.sampled, self.process.memory_info().rss)
            except Exception:  # noqa: BLE001 - the process may be gone at the very end
                return
            self._stop.wait(0.005)

    def high_water(self) -> int | None:
        """``VmHWM`` from /proc (Linux): the exact peak since the process started."""
        try:
            with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    @property
    def peak(self) -> int:
        return max(self.high_water() or 0, self.sampled)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Row:
    lines: int
    input_mb: float
    upload: float
    create: float
    poll: float
    download: float
    total: float
    output_mb: float
    idle_rss_mb: float
    peak_rss_mb: float
    server_cpu: float


def measure(lines: int) -> Row:
    import openai

    payload = input_file(lines)
    with fakeopenai_server() as (proc, base_url):
        client = openai.OpenAI(base_url=base_url, api_key="sk-bench", max_retries=0, timeout=120)
        client.files.list()  # warm up: tenant, routes, SDK connection
        rss = PeakRSS(proc.pid)
        idle = rss.process.memory_info().rss
        cpu_before = sum(rss.process.cpu_times()[:2])
        with rss:
            started = time.perf_counter()
            upload = client.files.create(file=("requests.jsonl", payload), purpose="batch")
            uploaded = time.perf_counter()
            batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                          completion_window="24h")
            created = time.perf_counter()
            while batch.status not in ("completed", "failed", "expired", "cancelled"):
                batch = client.batches.retrieve(batch.id)
            polled = time.perf_counter()
            output = client.files.content(batch.output_file_id).read()
            done = time.perf_counter()
            server_cpu = sum(rss.process.cpu_times()[:2]) - cpu_before
        client.close()
    if batch.status != "completed" or batch.request_counts.completed != lines:
        raise RuntimeError(f"batch ended {batch.status} with {batch.request_counts}")
    written = output.count(b"\n")
    if written != lines:
        raise RuntimeError(f"output has {written} lines, expected {lines}")
    mb = 1024 * 1024
    return Row(lines=lines, input_mb=len(payload) / mb, upload=uploaded - started, create=created - uploaded,
               poll=polled - created, download=done - polled, total=done - started, output_mb=len(output) / mb,
               idle_rss_mb=idle / mb, peak_rss_mb=rss.peak / mb, server_cpu=server_cpu)


def table(rows: list[Row]) -> str:
    head = (f"{'lines':>7} {'input MB':>8} {'upload s':>8} {'create s':>8} {'poll s':>7} {'download s':>10} "
            f"{'total s':>7} {'server CPU s':>12} {'output MB':>9} {'idle RSS MB':>11} {'peak RSS MB':>11} "
            f"{'s/1k lines':>10} {'vs linear':>9}")
    base = rows[0]
    out = [head, "-" * len(head)]
    for row in rows:
        linear = row.total / (base.total * row.lines / base.lines)
        out.append(f"{row.lines:>7,} {row.input_mb:>8.1f} {row.upload:>8.2f} {row.create:>8.2f} {row.poll:>7.2f} "
                   f"{row.download:>10.2f} {row.total:>7.2f} {row.server_cpu:>12.2f} {row.output_mb:>9.1f} "
                   f"{row.idle_rss_mb:>11.0f} "
                   f"{row.peak_rss_mb:>11.0f} {row.total / row.lines * 1000:>10.3f} {linear:>9.2f}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {', '.join(map(str, QUICK_SIZES))} (CI)")
    parser.add_argument("--sizes", type=int, nargs="+", help="line counts to measure")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 if a size of 50,000 lines or fewer takes over {BUDGET_SECONDS:.0f} s "
                             f"or {BUDGET_RSS_MB:.0f} MB peak RSS")
    args = parser.parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    rows = []
    for lines in sizes:
        rows.append(measure(lines))
        print(f"measured {lines:,} lines: {rows[-1].total:.2f} s", file=sys.stderr, flush=True)
    print(table(rows))
    over = [r for r in rows if r.lines <= 50_000 and (r.total > BUDGET_SECONDS or r.peak_rss_mb > BUDGET_RSS_MB)]
    for row in over:
        print(f"over budget: {row.lines:,} lines took {row.total:.2f} s (budget {BUDGET_SECONDS:.0f} s), "
              f"peak RSS {row.peak_rss_mb:.0f} MB (budget {BUDGET_RSS_MB:.0f} MB)")
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
