"""A pytest plugin for the fixture-overhead benchmark: per-test setup+call+teardown time.

Enabled with ``-p benchmarks._timing_plugin``; writes a JSON list of seconds per test to
the file named by ``FAKEOPENAI_TIMINGS``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

_durations: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: Any) -> None:
    _durations[report.nodeid] += report.duration


def pytest_sessionfinish(session: Any) -> None:
    target = os.environ.get("FAKEOPENAI_TIMINGS")
    if target:
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(_durations, handle)
