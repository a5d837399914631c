"""The recording proxy's cost: the same requests straight to ``fakeopenai serve`` and through
``fakeopenai record --upstream`` in front of it (each server its own process).

    python -m benchmarks.record_proxy [--rounds 200]

A round is one small POST /v1/responses and one GET of it, over one keep-alive httpx client per
side; rounds alternate between the two; the figure is the difference of the medians per request.
``proxy_cpu_ms`` is the proxy process's own CPU time per request (user + system, with psutil): it
varies less than the latencies with what else the machine runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.servers import fakeopenai_server

TARGET_MS = 1.0


def _round(client: Any, base: str) -> float:
    started = time.perf_counter()
    answer = client.post(base + "/responses", json={"model": "gpt-4o", "input": "Hello"})
    client.get(base + "/responses/" + answer.json()["id"])
    return (time.perf_counter() - started) / 2


def measure(rounds: int = 200) -> dict[str, Any]:
    import httpx

    with fakeopenai_server() as (_, upstream), tempfile.TemporaryDirectory() as folder:
        proxy = subprocess.Popen([sys.executable, "-m", "fakeopenai", "record", "--upstream", upstream, "--out",
                                  str(Path(folder) / "bench.yaml")], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        try:
            line = proxy.stdout.readline()  # type: ignore[union-attr]
            if "recording on" not in line:
                raise RuntimeError(f"the proxy did not start: {line!r}")
            through = line.split()[3]
            headers = {"authorization": "Bearer sk-bench"}
            direct_times: list[float] = []
            proxy_times: list[float] = []
            cpu = _cpu(proxy.pid)
            with httpx.Client(headers=headers) as direct, httpx.Client(headers=headers) as proxied:
                for _ in range(5):  # warm-up
                    _round(direct, upstream)
                    _round(proxied, through)
                used = cpu()
                for _ in range(rounds):
                    direct_times.append(_round(direct, upstream))
                    proxy_times.append(_round(proxied, through))
                used = cpu() - used
        finally:
            proxy.terminate()
            proxy.wait(10)
            proxy.stdout.close()  # type: ignore[union-attr]
    direct_ms = statistics.median(direct_times) * 1000
    proxy_ms = statistics.median(proxy_times) * 1000
    added = proxy_ms - direct_ms
    return {"direct_ms": direct_ms, "proxy_ms": proxy_ms, "added_ms": added, "target": f"<= {TARGET_MS:g} ms",
            "passed": added <= TARGET_MS, "proxy_cpu_ms": used / (2 * rounds) * 1000 if used == used else None}


def _cpu(pid: int) -> Any:
    """The process's CPU seconds so far (a function; NaN without psutil)."""
    try:
        import psutil
    except ImportError:
        return lambda: float("nan")
    process = psutil.Process(pid)

    def used() -> float:
        times = process.cpu_times()
        return float(times.user + times.system)
    return used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    print(json.dumps(measure(parser.parse_args().rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
