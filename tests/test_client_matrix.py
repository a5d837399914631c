"""The client matrix: the fake against official clients other than the default SDK.

The default environment runs the whole suite with the latest ``openai`` (3.x). This module
drives two more clients, each in its own environment that ``.ci/run`` installs:

- ``openai==1.109.1`` in ``.venv-sdk1`` (a virtualenv made by ``python -m tests.venvs``: the
  fake and the test dependencies come from the main environment, openai 1.x shadows 3.x):
  the SDK-level test modules (:data:`SDK1_MODULES`) run there, in a subprocess, when
  ``FAKEOPENAI_SDK1_MATRIX=1`` asks (its own step of ``.ci/run``: ``tests/ci_steps.py``);
- the official Node SDK in ``tests/node`` (``npm ci``): ``node --test`` against
  ``fakeopenai serve --port 0``.

Where an environment is missing these tests skip, saying how to install it; with
``FAKEOPENAI_REQUIRE_MATRIX=1`` (set by ``.ci/run``) they fail instead, so CI can never
skip them silently. The counts of each run are printed in a "client matrix" section at
the end of the pytest output.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import openai
import pytest

from tests.ci_steps import ci_step
from tests.spec_check import share_spec_document

ROOT = Path(__file__).resolve().parent.parent
REQUIRE = os.environ.get("FAKEOPENAI_REQUIRE_MATRIX") == "1"

SDK1_VERSION = "1.109.1"
SDK1_VENV = ROOT / ".venv-sdk1"
SDK1_INSTALL = (f"python -m tests.venvs .venv-sdk1 && "
                f".venv-sdk1/bin/python -m pip install openai=={SDK1_VERSION}")
# The modules whose tests are about what the SDK does with the fake's answers: polling
# helpers (runs, clock expiry, expectations), streaming helpers, pagination (threads),
# retries and timeouts (faults), files and batches. Every test in them must pass on 1.x.
SDK1_MODULES = (
    "tests/test_runs.py",
    "tests/test_chat.py",
    "tests/test_streaming.py",
    "tests/test_threads.py",
    "tests/test_faults.py",
    "tests/test_files.py",
    "tests/test_batches.py",
    "tests/test_clock.py",
    "tests/test_expectations.py",
    "tests/test_stream_faults.py",
    "tests/test_responses.py",
    "tests/test_conversations.py",
    "tests/test_embeddings.py",
    "tests/test_models.py",
    "tests/test_moderations.py",
    "tests/test_unknown_models.py",
    "tests/test_batch_scripts.py",
    "tests/test_core_on_new_paths.py",
    "tests/test_hosted_tools.py",
)

# Plugins of the project's test tools that the SDK-level modules do not use.
UNUSED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:benchmark")

NODE_DIR = ROOT / "tests" / "node"
NODE_INSTALL = "cd tests/node && npm ci"
SERVER_START_TIMEOUT = 30.0


# ---------------------------------------------------------------- the summary section
@pytest.fixture
def matrix_summary(figures: Any) -> Any:
    """``matrix_summary(line)``: what a client run counted, in the run's "client matrix" section."""
    return lambda line: figures("client matrix", line)


def _unavailable(what: str, how: str) -> NoReturn:
    __tracebackhide__ = True
    message = f"{what}; install it with: {how}"
    if REQUIRE:
        pytest.fail(f"{message}\n(FAKEOPENAI_REQUIRE_MATRIX=1: the client matrix must run, not skip)",
                    pytrace=False)
    pytest.skip(message)


def _child_env(**extra: str) -> dict[str, str]:
    """The environment for a child run, without what the outer pytest run put there."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "OPENAI_")) and k != "FAKEOPENAI_REQUIRE_MATRIX"}
    env.update(extra)
    return env


# ---------------------------------------------------------------- openai 1.x
# Runs pytest in the venv's interpreter; its report header says which SDK and HTTP library
# the tests imported (in the header hook, after pytest has loaded its plugins: importing
# openai first would import anyio, a plugin, before pytest can rewrite its asserts).
SDK1_RUNNER = """
import sys
import pytest

class ReportSDK:
    def pytest_report_header(self):
        import openai
        http = openai.DefaultHttpxClient.__mro__[1]  # httpx.Client (1.x) or httpx2.Client (3.x)
        lib = sys.modules[http.__module__.split(".")[0]]
        return [f"MATRIX-SDK\\t{openai.__version__}\\t{openai.__file__}",
                f"MATRIX-HTTP\\t{lib.__name__}\\t{lib.__version__}\\t{lib.__file__}"]

sys.exit(pytest.main(sys.argv[1:], plugins=[ReportSDK()]))
"""


def _sdk1_python() -> Path:
    for candidate in (SDK1_VENV / "bin" / "python", SDK1_VENV / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    _unavailable(f"openai {SDK1_VERSION} is not installed (no {SDK1_VENV.name}/)", SDK1_INSTALL)


def _pytest_counts(summary: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) ([a-z]+)", summary)}


@ci_step("sdk1")
def test_sdk_level_modules_pass_on_openai_1x(matrix_summary: Any, tmp_path: Path) -> None:
    python = _sdk1_python()
    missing = [m for m in SDK1_MODULES if not (ROOT / m).is_file()]
    assert not missing, f"SDK-level modules listed in SDK1_MODULES do not exist: {missing}"

    started = time.monotonic()
    # The child checks every answer against the same spec document: this session's parse, handed over
    # in a file (parsing the spec again costs seconds). The modules use none of the plugins that the
    # project's test tools bring (loading them, and rewriting their asserts, costs seconds too). One process
    # (-n 0): the outer run already keeps every core busy.
    result = subprocess.run(
        [str(python), "-c", SDK1_RUNNER, "-p", "no:cacheprovider", "-o", "console_output_style=classic", "-n", "0",
         *UNUSED_PLUGINS, *SDK1_MODULES],
        cwd=ROOT, env=_child_env(**share_spec_document(tmp_path)), capture_output=True, text=True, timeout=300,
        check=False)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr

    sdk = re.search(r"^MATRIX-SDK\t(\S+)\t(.+)$", result.stdout, re.MULTILINE)
    http = re.search(r"^MATRIX-HTTP\t(\S+)\t(\S+)\t(.+)$", result.stdout, re.MULTILINE)
    assert sdk and http, f"the openai 1.x run did not report its SDK:\n{output[-5000:]}"
    version, location = sdk.group(1), Path(sdk.group(2))
    assert version == SDK1_VERSION, (
        f"{python} imported openai {version} from {location}, expected {SDK1_VERSION}: reinstall with "
        f"{SDK1_INSTALL}")
    assert location.resolve().is_relative_to(SDK1_VENV.resolve()), f"openai came from {location}"
    assert http.group(1) == "httpx", f"openai {version} should talk through httpx, not {http.group(1)}"

    collected = re.search(r"^collected (\d+) items?", result.stdout, re.MULTILINE)
    final = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    counts = _pytest_counts(final)
    assert result.returncode == 0 and collected, f"the openai {version} run failed:\n{output[-12000:]}"
    assert counts == {"passed": int(collected.group(1))}, (
        f"every collected test must pass on openai {version}; got {final!r}:\n{output[-12000:]}")
    matrix_summary(f"openai {openai.__version__} (the main environment): every other test of this run")
    matrix_summary(
        f"openai {version} (.venv-sdk1, {http.group(1)} {http.group(2)}): {counts['passed']} passed in "
        f"{len(SDK1_MODULES)} SDK-level modules ({elapsed:.0f}s)")


# ---------------------------------------------------------------- Node SDK
def _node_setup() -> tuple[str, str, str]:
    """The node executable, its version, and the installed openai npm version (== the pinned one)."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not on PATH (the Node SDK tests need Node >= 20)",
                     f"Node 20 and npm, then {NODE_INSTALL}")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        _unavailable(f"node {version} is too old (the openai npm package needs Node >= 20)",
                     "Node 20 or later")
    pinned = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["openai"]
    installed_manifest = NODE_DIR / "node_modules" / "openai" / "package.json"
    if not installed_manifest.exists():
        _unavailable("the openai npm package is not installed in tests/node/node_modules", NODE_INSTALL)
    installed = json.loads(installed_manifest.read_text())["version"]
    if installed != pinned:
        _unavailable(f"tests/node/node_modules has openai {installed}, package.json pins {pinned}",
                     NODE_INSTALL)
    return node, version, installed


@contextlib.contextmanager
def _serve(log_path: Path) -> Iterator[str]:
    """``fakeopenai serve --port 0`` in a subprocess; yields its base URL once it says it serves."""
    with log_path.open("w") as log:
        # `python -m fakeopenai` is the `fakeopenai` CLI; run from the repository root, it serves
        # this tree's code even where the installed console script points at another checkout.
        process = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0",
                                    "--log-level", "warning"], cwd=ROOT, env=_child_env(),
                                   stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert process.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                ready = selector.select(SERVER_START_TIMEOUT)
            line = process.stdout.readline() if ready else ""
            match = re.fullmatch(r"fakeopenai serving on (http://127\.0\.0\.1:\d+/v1)\n", line)
            assert match, (f"fakeopenai serve did not announce itself within {SERVER_START_TIMEOUT:.0f}s "
                           f"(stdout {line!r}); its log:\n{log_path.read_text()}")
            yield match.group(1)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _defined_node_tests() -> int:
    """How many top-level ``test(...)`` the Node test files define: node --test must run them all."""
    return sum(len(re.findall(r"^test\(", path.read_text(), re.MULTILINE))
               for path in NODE_DIR.glob("*.test.mjs"))


def _tap_counts(output: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r"^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$",
                                                   output, re.MULTILINE)}


def test_node_sdk_against_fakeopenai_serve(matrix_summary: Any, tmp_path: Path) -> None:
    node, node_version, sdk_version = _node_setup()
    expected = _defined_node_tests()
    assert expected > 0, "no test(...) in tests/node/*.test.mjs"

    started = time.monotonic()
    with _serve(tmp_path / "serve.log") as base_url:
        result = subprocess.run([node, "--test", "--test-reporter=tap"], cwd=NODE_DIR,
                                env=_child_env(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-node-matrix"),
                                capture_output=True, text=True, timeout=180, check=False)
        server_log = (tmp_path / "serve.log").read_text()
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr

    counts = _tap_counts(result.stdout)
    report = f"{output[-12000:]}\n--- fakeopenai serve log ---\n{server_log[-4000:]}"
    assert result.returncode == 0, f"node --test failed (exit {result.returncode}):\n{report}"
    all_passed = {"tests": expected, "pass": expected, "fail": 0, "cancelled": 0, "skipped": 0, "todo": 0}
    assert counts == all_passed, (
        f"expected all {expected} tests defined in tests/node/*.test.mjs to pass, got {counts}:\n{report}")
    matrix_summary(
        f"openai npm {sdk_version} (node {node_version}, tests/node): {counts['pass']} passed "
        f"({elapsed:.0f}s)")
