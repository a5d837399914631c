"""Shared fixtures: SDK clients whose every response is validated against the official spec."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.spec_check import SpecChecker

pytest_plugins = ["pytester"]

# The framework matrix's tests import frameworks this environment does not have: they run in their own
# venvs, driven by tests/test_framework_matrix.py, with their own configuration (tests/frameworks/pytest.ini).
collect_ignore = ["frameworks"]


@pytest.fixture(scope="session")
def _socket_modules_imported(_fake_openai_server: Any) -> None:
    """pytester's in-process runs take the modules first imported inside them out of ``sys.modules`` when
    they end. The HTTP stack imports its socket modules on the first socket request; if that happened in an
    inner run, later tests get fresh copies whose exception classes the SDK no longer catches (an httpcore2
    ReadTimeout instead of APITimeoutError). One socket request before pytester takes its snapshot keeps
    them imported. Not through the fake_openai fixture: its environment would reach the inner runs."""
    with openai.OpenAI(base_url=_fake_openai_server.origin + "/v1", api_key="sk-warm-up", max_retries=0) as sdk:
        sdk.beta.assistants.list()


@pytest.fixture
def pytester(_socket_modules_imported: None, pytester: pytest.Pytester,
              monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester, set up after :func:`_socket_modules_imported` (it snapshots ``sys.modules``).

    Its in-process runs are not xdist workers: left in the environment, ``PYTEST_XDIST_WORKER`` makes
    pytest-benchmark (where installed) warn inside them, and the suite's ``filterwarnings = error`` turns
    that into an INTERNALERROR."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    return pytester


@pytest.fixture(scope="session")
def spec() -> SpecChecker:
    return SpecChecker()


@pytest.fixture
def make_client(fake_openai: Any, spec: SpecChecker) -> Iterator[Callable[..., openai.OpenAI]]:
    """Build official SDK clients bound to the fake, every response spec-checked."""
    made: list[openai.OpenAI] = []

    def make(*, socket: bool = False, **kwargs: Any) -> openai.OpenAI:
        """In-process (what ``fake_openai.client()`` gives users) unless ``socket=True``."""
        transport = None if socket else fake_openai.transport()
        http = openai.DefaultHttpxClient(event_hooks={"response": [spec.hook]}, transport=transport)
        sdk = fake_openai.client(http_client=http, **kwargs)
        made.append(sdk)
        return sdk

    yield make
    for sdk in made:
        sdk.close()


@pytest.fixture
def checked_http(spec: SpecChecker) -> Iterator[Callable[..., httpx.Client]]:
    """Build raw httpx clients whose every /v1 answer is checked against the spec."""
    made: list[httpx.Client] = []

    def make(**kwargs: Any) -> httpx.Client:
        made.append(httpx.Client(event_hooks={"response": [spec.hook]}, **kwargs))
        return made[-1]

    yield make
    for http_client in made:
        http_client.close()


@pytest.fixture
def http(fake_openai: Any, checked_http: Callable[..., httpx.Client]) -> httpx.Client:
    """Raw HTTP to the fake's origin as this test's tenant (paths start with /v1 or /_fake)."""
    return checked_http(base_url=fake_openai.server.origin,
                        headers={"Authorization": f"Bearer {fake_openai.api_key}"})


@pytest.fixture
def client(make_client: Callable[..., openai.OpenAI]) -> openai.OpenAI:
    """The official SDK client (no retries, so a stray error is never hidden)."""
    return make_client(max_retries=0)


@pytest.fixture
async def async_client(fake_openai: Any, spec: SpecChecker) -> AsyncIterator[openai.AsyncOpenAI]:
    http = openai.DefaultAsyncHttpxClient(event_hooks={"response": [spec.async_hook]},
                                          transport=fake_openai.transport())
    sdk = fake_openai.async_client(http_client=http, max_retries=0)
    yield sdk
    await sdk.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ------------------------------------------------------------------ figures in the run's summary
FIGURE = "fakeopenai-figure"
TALLY = "fakeopenai-tally"
_figures: dict[str, list[str]] = {}
_tallies: dict[str, dict[str, Any]] = {}


def tally(node: pytest.Item, section: str, counts: dict[str, Any]) -> None:
    """Add ``counts`` (numbers, or one level of named numbers) to the section's totals over the whole run,
    shown as one line in the run's summary (summed across pytest-xdist workers)."""
    node.user_properties.append((TALLY, (section, counts)))


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``figures(section, line)``: a line of figures in a section of the run's summary. It travels with
    the test's report, so it shows under pytest-xdist too (a worker's own terminal output does not)."""
    return lambda section, line: request.node.user_properties.append((FIGURE, (section, line)))


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package's and the tests' bytecode once, in the controlling process, before the workers
    start. Where PYTHONDONTWRITEBYTECODE is set (this machine kind sets it), no import writes a .pyc: every
    process the suite starts (a server, a docs sandbox's pytest, a CLI test) would compile every module from
    source again, about 100 ms a process. compileall writes them whatever that variable says."""
    if hasattr(config, "workerinput"):   # an xdist worker: the controller did it
        return
    import compileall

    root = Path(__file__).resolve().parent.parent
    for folder in ("fakeopenai", "tests", "benchmarks"):
        compileall.compile_dir(root / folder, quiet=1, workers=0 if folder == "fakeopenai" else 1)
    compileall.compile_file(root / "conftest_plugin.py", quiet=1)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":   # the last report of a test: it carries every line the test added
        for name, value in report.user_properties:
            if name == FIGURE:
                section, line = value
                _figures.setdefault(section, []).append(line)
            elif name == TALLY:
                section, counts = value
                totals = _tallies.setdefault(section, {})
                for key, count in counts.items():
                    if isinstance(count, dict):
                        inner = totals.setdefault(key, {})
                        for name_, n in count.items():
                            inner[name_] = inner.get(name_, 0) + n
                    else:
                        totals[key] = totals.get(key, 0) + count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for section, totals in sorted(_tallies.items()):
        _figures.setdefault(section, []).append(", ".join(
            f"{key}: " + (", ".join(f"{k} {n}" for k, n in sorted(count.items())) if isinstance(count, dict)
                          else f"{count:g}") for key, count in totals.items()))
    for section, lines in sorted(_figures.items()):
        terminalreporter.ensure_newline()
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)

