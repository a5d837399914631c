"""The benchmark command still runs (quick mode: small counts, no thresholds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import batch_scale

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_run_in_quick_mode() -> None:
    have_bench_venv = (ROOT / ".venv-bench" / "bin" / "python").exists()
    if not have_bench_venv and os.environ.get("FAKEOPENAI_REQUIRE_MATRIX") == "1":
        pytest.fail(".venv-bench is missing: .ci/run creates it with python -m benchmarks --setup")
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    batch_rows = [f"5. batch {lines:,} lines" for lines in batch_scale.QUICK_SIZES]
    for row in ("1. SDK tool-call flow", "2. fixture client per call", "3. fixture overhead per test",
                "   session server start", "4. throughput", *batch_rows, "5b. tenant B's worst wait",
                "6. scenario load, 1,000 steps",
                "   compat layer, default path (run)", "   compat layer, default path (step)",
                "7. record proxy, added per request"):
        assert row in table, f"{row!r} missing from:\n{table}"
    if have_bench_venv:
        assert "openai-responses" in table and "skipped" not in table
    print(table)
