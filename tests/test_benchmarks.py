"""The benchmark command still runs (quick mode: small counts, no thresholds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import batch_scale, media, peers
from tests.ci_steps import ci_step

ROOT = Path(__file__).resolve().parent.parent


@ci_step("benchmarks")
def test_benchmarks_run_in_quick_mode() -> None:
    have_bench_venv = (ROOT / ".venv-bench" / "bin" / "python").exists()
    if not have_bench_venv and os.environ.get("FAKEOPENAI_REQUIRE_MATRIX") == "1":
        pytest.fail(".venv-bench is missing: .ci/run creates it with python -m benchmarks --setup")
    missing = peers.aimock_missing()
    if missing and os.environ.get("FAKEOPENAI_REQUIRE_MATRIX") == "1":
        pytest.fail(f"row 8 cannot compare with aimock ({missing}): .ci/run installs it with python -m benchmarks "
                    "--setup")
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    batch_rows = [f"5. batch {lines:,} lines" for lines in batch_scale.QUICK_SIZES]
    for row in ("1. SDK tool-call flow", "2. fixture client per call", "3. fixture overhead per test",
                "   session server start", "4. throughput", *batch_rows, "5b. tenant B's worst wait",
                "6. scenario load, 1,000 steps",
                "   compat layer, default path (run)", "   compat layer, default path (step)",
                "7. record proxy, added per request", "8. chat completion, raw keep-alive socket",
                "   the same request", "   SDK chat.completions.create", "   SDK responses.create",
                "   SDK beta.threads.runs.retrieve (aimock has none)", "   SDK batches.retrieve (aimock has none)",
                "9. media: images.generate 1024x1024 (gpt-image-1)",
                *(f"   audio.speech.create 10.0 s, {response_format}" for response_format in media.FORMATS)):
        assert row in table, f"{row!r} missing from:\n{table}"
    if have_bench_venv:
        assert "openai-responses" in table and "2. fixture client per call (openai" in table
    # Without node or aimock the aimock rows say why (in quick mode only: .ci/run installs both).
    assert ("aimock skipped" in table) == bool(missing), table
    print(table)
