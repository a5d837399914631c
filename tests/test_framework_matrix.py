"""The framework matrix: the frameworks people build on, as real clients of the fake (issue 23).

``tests/frameworks/`` holds a test module per framework (the OpenAI Agents SDK, LangChain, pydantic-ai,
instructor, LiteLLM, LlamaIndex): tool loops, streams, structured output, multi-turn history, image and
file input, on Chat Completions and on Responses. They cannot run in the main environment (the
frameworks are not installed there, and LlamaIndex needs openai < 3), and the main suite never collects
them (tests/conftest.py ignores the folder). Each venv runs them here, in a subprocess, with pytest and
``tests/frameworks/pytest.ini``:

- ``.venv-frameworks``: every framework but LlamaIndex (``tests/frameworks/requirements-frameworks.txt``);
- ``.venv-llamaindex``: LlamaIndex, with openai 2.x (``tests/frameworks/requirements-llamaindex.txt``).

Both are made by ``python -m tests.venvs DIR`` (they see the main environment's packages; their own come
first) and ``pip install -r`` their requirements file, which pins every version (``.ci/run`` does it).

The matrix takes longer than the rest of the suite can afford (importing the frameworks alone is seconds
per venv), so it is its own step of ``.ci/run``, before the README's test command::

    FAKEOPENAI_FRAMEWORKS=1 python -m pytest -n 0 tests/test_framework_matrix.py

Without ``FAKEOPENAI_FRAMEWORKS=1`` these tests skip, saying so. With it, a missing venv is a skip with
the command that installs it, or a failure under ``FAKEOPENAI_REQUIRE_MATRIX=1`` (set by ``.ci/run``).

Each run also captures every request the frameworks sent (as the fake recorded them, secrets redacted):
the request corpus, ``tests/data/framework_requests.jsonl``, which tests/test_request_corpus.py replays
in the main suite. The captured requests must be the corpus's; after a change of the frameworks' pins,
of their tests or of the fake's answers, rewrite it with ``FAKEOPENAI_FRAMEWORK_CORPUS=refresh``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.ci_steps import STEPS, ci_step
from tests.frameworks.corpus import CORPUS, read_corpus, sequences, write_corpus

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ROOT / "tests" / "frameworks"
RUN = STEPS["frameworks"].enabled
REQUIRE = os.environ.get("FAKEOPENAI_REQUIRE_MATRIX") == "1"
REFRESH = os.environ.get("FAKEOPENAI_FRAMEWORK_CORPUS") == "refresh"
STEP = STEPS["frameworks"].command


@dataclass(frozen=True)
class Venv:
    name: str
    requirements: str
    modules: tuple[str, ...]
    # the packages whose versions the run reports (each must be the requirements file's pin)
    reported: tuple[str, ...]

    @property
    def dir(self) -> Path:
        return ROOT / self.name

    @property
    def install(self) -> str:
        return f"python -m tests.venvs {self.name} && {self.name}/bin/python -m pip install -r {self.requirements}"

    def pins(self) -> dict[str, str]:
        pins = {}
        for line in (ROOT / self.requirements).read_text().splitlines():
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", line.strip())
            if match:
                pins[_normal(match.group(1))] = match.group(2)
        return pins


VENVS = {
    "frameworks": Venv(".venv-frameworks", "tests/frameworks/requirements-frameworks.txt",
                       ("tests/frameworks/test_openai_agents.py", "tests/frameworks/test_langchain.py",
                        "tests/frameworks/test_pydantic_ai.py", "tests/frameworks/test_instructor.py",
                        "tests/frameworks/test_litellm.py", "tests/frameworks/test_network_guard.py"),
                       ("openai", "openai-agents", "langchain-openai", "langchain", "langchain-core",
                        "pydantic-ai-slim", "instructor", "litellm")),
    "llamaindex": Venv(".venv-llamaindex", "tests/frameworks/requirements-llamaindex.txt",
                       ("tests/frameworks/test_llamaindex.py",),
                       ("openai", "llama-index-llms-openai", "llama-index-embeddings-openai", "llama-index-core")),
}

# Reports, in the child's header, the version and location of each package the run must have from its venv.
RUNNER = """
import sys
import pytest

class ReportVersions:
    def pytest_report_header(self):
        from importlib.metadata import distribution
        lines = []
        for name in sys.argv[1].split(","):
            dist = distribution(name)
            lines.append(f"MATRIX-PACKAGE\\t{name}\\t{dist.version}\\t{dist.locate_file('')}")
        return lines

sys.exit(pytest.main(sys.argv[2:], plugins=[ReportVersions()]))
"""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _unavailable(what: str, how: str) -> NoReturn:
    __tracebackhide__ = True
    message = f"{what}; install it with: {how}"
    if REQUIRE:
        pytest.fail(f"{message}\n(FAKEOPENAI_REQUIRE_MATRIX=1: the framework matrix must run, not skip)", pytrace=False)
    pytest.skip(message)


def _python(venv: Venv) -> Path:
    for candidate in (venv.dir / "bin" / "python", venv.dir / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    _unavailable(f"the framework venv {venv.name}/ does not exist", venv.install)


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "OPENAI_")) and k not in ("FAKEOPENAI_REQUIRE_MATRIX",)}
    # This checkout's fakeopenai and conftest_plugin, whichever checkout the editable install points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """test id -> (outcome, message) from the child's JUnit XML."""
    results: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        test_id = classname.replace(".", "/") + ".py::" + name
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (element.get("message") or "").splitlines()[0][:300] if element.get("message") else ""
                break
        results[test_id] = (outcome, message)
    return results


@pytest.fixture
def matrix_summary(figures: Any) -> Any:
    return lambda line: figures("framework matrix", line)


@ci_step("frameworks")
@pytest.mark.parametrize("key", VENVS)
def test_framework_matrix(key: str, matrix_summary: Any, tmp_path: Path) -> None:
    venv = VENVS[key]
    python = _python(venv)
    assert not (REFRESH and os.environ.get("PYTEST_XDIST_WORKER")), (
        "refresh the corpus in one process: FAKEOPENAI_FRAMEWORK_CORPUS=refresh " + STEP)
    missing = [m for m in venv.modules if not (ROOT / m).is_file()]
    assert not missing, f"modules listed for {venv.name} do not exist: {missing}"

    captured, junit = tmp_path / "requests.jsonl", tmp_path / "junit.xml"
    started = time.monotonic()
    result = subprocess.run(
        [str(python), "-c", RUNNER, ",".join(venv.reported), "-c", str(FRAMEWORKS / "pytest.ini"),
         "--rootdir", str(ROOT), "--tb=short", "-o", "console_output_style=classic", "-o", "junit_family=xunit1",
         f"--junitxml={junit}", *venv.modules],
        cwd=ROOT, env=_child_env(FAKEOPENAI_CORPUS_OUT=str(captured)), capture_output=True, text=True, timeout=900,
        check=False)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr

    # The run used the venv's own pinned packages.
    reported = {m.group(1): (m.group(2), m.group(3)) for m in
                re.finditer(r"^MATRIX-PACKAGE\t(\S+)\t(\S+)\t(.+)$", result.stdout, re.MULTILINE)}
    assert set(reported) == set(venv.reported), f"the {venv.name} run did not report its packages:\n{output[-5000:]}"
    pins = venv.pins()
    wrong = {name: version for name, (version, _) in reported.items() if pins.get(_normal(name)) != version}
    if wrong:
        _unavailable(f"{venv.name} has {wrong}, {venv.requirements} pins "
                     f"{ {name: pins.get(_normal(name)) for name in wrong} }", f"rm -rf {venv.name} && {venv.install}")
    outside = [name for name, (_, where) in reported.items()
               if not Path(where).resolve().is_relative_to(venv.dir.resolve())]
    assert not outside, f"{outside} came from outside {venv.name} (the venv's own pins must shadow the main env's)"

    assert junit.exists(), f"the {venv.name} run wrote no report (exit {result.returncode}):\n{output[-12000:]}"
    outcomes = _outcomes(junit)
    counts: dict[str, int] = {}
    for outcome, _ in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    matrix_summary(f"{venv.name} ({', '.join(f'{n} {v[0]}' for n, v in reported.items())}): "
                   + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) + f" ({elapsed:.0f}s)")
    for test_id, (outcome, message) in sorted(outcomes.items()):
        if outcome != "passed":
            matrix_summary(f"  {outcome.upper()} {test_id}: {message}")

    problems = []
    if result.returncode != 0 or set(counts) != {"passed"}:
        problems.append(f"every framework test must pass in {venv.name}; got {counts} (exit {result.returncode}):\n"
                        + "\n".join(f"  {outcome.upper()} {test_id}: {message}"
                                     for test_id, (outcome, message) in sorted(outcomes.items())
                                     if outcome != "passed"))

    # The request corpus: this venv's part of it is what the run captured.
    modules = tuple(m + "::" for m in venv.modules)
    mine = sequences(captured) if captured.exists() else {}
    if REFRESH:
        write_corpus({**{t: r for t, r in read_corpus().items() if not t.startswith(modules)}, **mine})
        matrix_summary(f"  {CORPUS.relative_to(ROOT)}: {len(mine)} tests' requests of {venv.name} written")
    else:
        corpus = read_corpus()
        held = {t: r for t, r in corpus.items() if t.startswith(modules)}
        new = sorted(set(map(_key, mine.values())) - set(map(_key, corpus.values())))
        gone = sorted(set(map(_key, held.values())) - set(map(_key, mine.values())))
        if new or gone:
            changed = sorted({t for t, r in {**held, **mine}.items() if _key(r) in set(new) | set(gone)})
            problems.append(f"the requests of {len(changed)} tests differ from {CORPUS.relative_to(ROOT)} "
                            f"({', '.join(changed[:8])}{' ...' if len(changed) > 8 else ''}); if the change is "
                            f"meant, refresh the corpus: FAKEOPENAI_FRAMEWORK_CORPUS=refresh {STEP}")
    assert not problems, "\n".join(problems) + f"\n\nThe run's output (its end):\n{output[-30000:]}"


def _key(requests: list[dict[str, Any]]) -> str:
    return json.dumps(requests, sort_keys=True, ensure_ascii=False)
