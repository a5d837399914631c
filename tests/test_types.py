"""The package type-checks clean under mypy (configured in pyproject.toml: ``fakeopenai/`` and the pytest
plugin, every ``# type: ignore`` still needed). ``py.typed`` ships, so users' checkers read these types too.

A cold check costs ~23 s of CPU (mostly reading Starlette's and the standard library's stubs), over the
README suite's budget: it is its own step of ``.ci/run`` (tests/ci_steps.py) and skips otherwise.
The cache is kept in the system's temporary folder, so a second run on one machine takes about a second.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.ci_steps import ci_step

ROOT = Path(__file__).resolve().parent.parent


@ci_step("types")
def test_mypy_is_clean() -> None:
    cache = Path(tempfile.gettempdir()) / "fakeopenai-mypy-cache"
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout, result.stdout
