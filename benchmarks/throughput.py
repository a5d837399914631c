"""Throughput of the standalone server on run retrieves, 32 concurrent keep-alive clients,
vs the bare Starlette app answering the same bytes.

    python -m benchmarks.throughput [--seconds 3] [--connections 32]

The load comes from a separate process: a minimal asyncio HTTP/1.1 client (keep-alive,
one request in flight per connection), so the figure is the server's, not an SDK's.
Slices of fake and bare alternate; the figure is the ratio of the median rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit

from benchmarks.servers import bare_server, fakeopenai_server


async def _load(url: str, headers: dict[str, str], connections: int, seconds: float) -> float:
    parts = urlsplit(url)
    request = (f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head[:200])
            length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            await reader.readexactly(length)
            done += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return done / (time.perf_counter() - started)


def load_rate(url: str, headers: dict[str, str], connections: int, seconds: float) -> float:
    """Requests per second (run in a child process: ``python -m benchmarks.throughput --child``)."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.throughput", "--child", url, json.dumps(headers),
                          str(connections), str(seconds)], check=True, capture_output=True, text=True)
    return float(out.stdout)


def measure(seconds: float = 3.0, connections: int = 32, slices: int = 3) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": "Bearer sk-throughput"}
    with fakeopenai_server() as (_, fake_url):
        assistant = httpx.post(fake_url + "/assistants", headers=headers, json={"model": "gpt-4o"}).json()
        run = httpx.post(fake_url + "/threads/runs", headers=headers, json={"assistant_id": assistant["id"]}).json()
        run_url = f"{fake_url}/threads/{run['thread_id']}/runs/{run['id']}"
        for _ in range(5):  # to its terminal state: every further read is the same answer
            answer = httpx.get(run_url, headers=headers)
        recording = [{"body": answer.text, "content_type": "application/json",
                      "headers": {"openai-poll-after-ms": "0", "x-request-id": answer.headers["x-request-id"]}}]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(recording, handle)
        with bare_server(handle.name) as (_, bare_url):
            bare_run_url = bare_url + run_url[len(fake_url):]
            fake_rates, bare_rates = [], []
            for _ in range(slices):
                fake_rates.append(load_rate(run_url, headers, connections, seconds))
                bare_rates.append(load_rate(bare_run_url, headers, connections, seconds))
    fake_rps, bare_rps = statistics.median(fake_rates), statistics.median(bare_rates)
    return {"name": f"throughput, run retrieves, {connections} keep-alive clients", "fake_rps": fake_rps,
            "bare_rps": bare_rps, "ratio": fake_rps / bare_rps, "target": ">= 0.7x",
            "passed": fake_rps / bare_rps >= 0.7}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        url, headers, connections, seconds = sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        print(asyncio.run(_load(url, headers, connections, seconds)))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    result = measure(args.seconds, args.connections)
    print(f"{result['name']}: fake {result['fake_rps']:.0f} req/s, bare {result['bare_rps']:.0f} req/s, "
          f"ratio {result['ratio']:.2f}x (target {result['target']})")


if __name__ == "__main__":
    main()
