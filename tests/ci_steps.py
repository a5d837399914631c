"""The tests that run as their own steps of ``.ci/run``, not in the README's test command.

The README's command (``python -m pytest``) is what a contributor runs after each change: it stays
near two and a half minutes on two cores. Tests that take minutes of one core each (other clients'
environments, the benchmarks, the load and soak run) are steps of ``.ci/run`` before it, each failing CI
when it fails; without their variable they skip, and the skip names the command that runs them::

    @ci_step("load")
    def test_concurrent_clients(): ...

``tests/test_lint.py`` checks that ``.ci/run`` runs every step listed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Step:
    variable: str
    command: str
    why: str

    @property
    def enabled(self) -> bool:
        return os.environ.get(self.variable) == "1"


STEPS = {
    "frameworks": Step("FAKEOPENAI_FRAMEWORKS",
                       "FAKEOPENAI_FRAMEWORKS=1 python -m pytest -n 0 tests/test_framework_matrix.py",
                       "the framework matrix takes minutes"),
    "sdk1": Step("FAKEOPENAI_SDK1_MATRIX",
                 "FAKEOPENAI_SDK1_MATRIX=1 python -m pytest -n 0 tests/test_client_matrix.py -k openai_1x",
                 "the openai 1.x run takes half a minute of one core"),
    "benchmarks": Step("FAKEOPENAI_BENCHMARKS",
                       "FAKEOPENAI_BENCHMARKS=1 python -m pytest -n 0 tests/test_benchmarks.py",
                       "the benchmarks' quick mode takes forty seconds of both cores"),
    "load": Step("FAKEOPENAI_LOAD", "FAKEOPENAI_LOAD=1 python -m pytest -n 0 tests/test_load.py",
                 "the load and soak run takes half a minute of both cores"),
    "types": Step("FAKEOPENAI_TYPES", "FAKEOPENAI_TYPES=1 python -m pytest -n 0 tests/test_types.py",
                  "the type check takes ~23 s of one core with a cold cache"),
    "fuzz": Step("FAKEOPENAI_FUZZ", "FAKEOPENAI_FUZZ=1 python -m pytest tests/test_schemathesis.py -k test_operation",
                 "schemathesis over every operation takes a minute of one core"),
    "docs": Step("FAKEOPENAI_DOCS", "FAKEOPENAI_DOCS=1 python -m pytest -n 0 tests/test_docs.py -k code_blocks_run",
                 "running every document's code blocks takes two minutes of one core (a process per block)"),
}


def ci_step(name: str) -> pytest.MarkDecorator:
    """Skip unless the step's variable is set, naming the command that runs it."""
    step = STEPS[name]
    return pytest.mark.skipif(not step.enabled, reason=f"{step.why}: its own step of .ci/run, {step.command}")
