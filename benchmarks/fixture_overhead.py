"""What the ``fake_openai`` fixture costs per test, and what the session server costs to start.

    python -m benchmarks.fixture_overhead [--tests 400]

Per-test overhead: trivial tests with the fixture (a fresh tenant, a scenario loaded
from the marker, the teardown checks) and without it, in one pytest process; each test's
setup + call + teardown time is recorded by a small plugin, and the figure is the
difference of the two medians (pytest's own per-test cost cancels out).
Server start: ``create_app()`` plus the uvicorn thread until it accepts connections.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

WITH_FIXTURE = '''
import pytest

@pytest.mark.fake_openai(scenario="requires_action_then_complete")
@pytest.mark.parametrize("n", range({tests}))
def test_with_fixture(fake_openai, n):
    assert fake_openai.api_key
'''

WITHOUT_FIXTURE = '''
import pytest

@pytest.mark.parametrize("n", range({tests}))
def test_without_fixture(n):
    assert n >= 0
'''

# The pytest plugins this project's own test tools bring (a user's project has none of them): they
# would only add to the start-up of the measured pytest run (seconds), not to the per-test figure.
OTHER_PLUGINS_OFF = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:benchmark")

# One fixture test in both files, so the session server starts in both runs and the
# difference is the per-test cost only.
WARM = '''

def test_warm(fake_openai):
    assert fake_openai.api_key
'''


def _per_test_seconds(folder: Path, tests: int) -> tuple[list[float], list[float]]:
    (folder / "test_with.py").write_text(textwrap.dedent(WITH_FIXTURE.format(tests=tests)) + WARM)
    (folder / "test_without.py").write_text(textwrap.dedent(WITHOUT_FIXTURE.format(tests=tests)))
    timings = folder / "timings.json"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *OTHER_PLUGINS_OFF, "-p",
                    "benchmarks._timing_plugin", str(folder)], check=True, capture_output=True, cwd=folder,
                   env={**os.environ, "FAKEOPENAI_TIMINGS": str(timings),
                        "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    durations = json.loads(timings.read_text())
    with_fixture = [v for k, v in durations.items() if "test_with_fixture" in k]
    without = [v for k, v in durations.items() if "test_without_fixture" in k]
    return with_fixture, without


COLD_START = """
import time
started = time.perf_counter()
from fakeopenai.http.app import create_app
from fakeopenai.doors.server import ServerThread
server = ServerThread(create_app()).start()
print((time.perf_counter() - started) * 1000)
server.stop()
"""


def cold_start_ms(repeat: int = 5) -> float:
    """A fresh process: importing fakeopenai (Starlette, uvicorn, PyYAML ...) and starting the server.

    Bytecode caching is on, as for any installed package (a wheel install compiles it; this
    machine sets PYTHONDONTWRITEBYTECODE=1, which would recompile every module each time).
    The first run writes the cache and is not counted."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs = [float(subprocess.run([sys.executable, "-c", COLD_START], check=True, capture_output=True,
                                 text=True, env=env).stdout) for _ in range(repeat + 1)]
    return statistics.median(runs[1:])


def server_start_ms(repeat: int = 7) -> float:
    from fakeopenai.doors.server import ServerThread
    from fakeopenai.http.app import create_app

    ServerThread(create_app()).start().stop()  # imports and first-time caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        server = ServerThread(create_app()).start()
        times.append(time.perf_counter() - started)
        server.stop()
    return statistics.median(times) * 1000


def measure(tests: int = 400, repeat: int = 1) -> dict[str, Any]:
    with_times: list[float] = []
    without_times: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            with_fixture, without = _per_test_seconds(Path(folder), tests)
            with_times += with_fixture
            without_times += without
    per_test_ms = (statistics.median(with_times) - statistics.median(without_times)) * 1000
    start_ms = server_start_ms(2 if tests < 100 else 7)
    cold_ms = cold_start_ms(1 if tests < 100 else 7)
    return {"name": "fixture overhead per test", "tests": tests, "per_test_ms": per_test_ms,
            "server_start_ms": start_ms, "cold_start_ms": cold_ms, "target": "< 2 ms per test, < 300 ms start",
            "passed": per_test_ms < 2 and start_ms < 300}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=400)
    result = measure(parser.parse_args().tests)
    print(f"{result['name']}: {result['per_test_ms']:.2f} ms/test over {result['tests']} tests; "
          f"server start {result['server_start_ms']:.0f} ms ({result['cold_start_ms']:.0f} ms cold, with imports)")


if __name__ == "__main__":
    main()
