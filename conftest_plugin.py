"""The fakeopenai pytest plugin (registered through the ``pytest11`` entry point).

Usage::

    def test_weather(fake_openai):
        client = fake_openai.client()        # or any openai.OpenAI(): the env points at the fake
        ...

    @pytest.mark.fake_openai(scenario="requires_action_then_complete", seed=3, strict=True)
    def test_tool_call(fake_openai): ...

One server per session (per xdist worker) on 127.0.0.1, a fresh tenant (API key)
per test. At teardown, scenario violations - and with ``strict``, scripts that were
never used - fail the test with a report, unless the test already failed.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest

MARKER_OPTIONS = ("scenario", "seed", "compat", "strict")
_keys = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("fakeopenai_scenario_dirs", "folders where fake_openai scenario names are looked up "
                  "(after the built-ins)", type="paths", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fake_openai(scenario=None, seed=None, compat=None, strict=False): "
                            "scenario and options for the fake_openai fixture")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


_call_failed = pytest.StashKey[bool]()


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    __tracebackhide__ = True
    options: dict[str, Any] = {}
    for marker in request.node.iter_markers("fake_openai"):  # nearest first: it wins
        kwargs = dict(marker.kwargs)
        if marker.args:
            if len(marker.args) > 1 or "scenario" in kwargs:
                pytest.fail("@pytest.mark.fake_openai takes at most one positional argument, the scenario",
                            pytrace=False)
            kwargs["scenario"] = marker.args[0]
        unknown = sorted(set(kwargs) - set(MARKER_OPTIONS))
        if unknown:
            pytest.fail(f"@pytest.mark.fake_openai got unknown option(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(MARKER_OPTIONS)}", pytrace=False)
        options = {**kwargs, **options}
    return options


@pytest.fixture(scope="session")
def _fake_openai_server(pytestconfig: pytest.Config) -> Iterator[Any]:
    from fakeopenai.app import create_app
    from fakeopenai.server import ServerThread

    dirs = [str(p) for p in pytestconfig.getini("fakeopenai_scenario_dirs")]
    server = ServerThread(create_app(scenario_dirs=dirs)).start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(request: pytest.FixtureRequest, _fake_openai_server: Any,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A :class:`fakeopenai.FakeOpenAI` with a fresh tenant for this test."""
    from fakeopenai.scenario.loader import ScenarioError
    from fakeopenai.server import FakeOpenAI

    options = _marker_options(request)
    key = f"sk-fakeopenai-{os.getpid()}-{next(_keys)}"
    fake = FakeOpenAI.attach(_fake_openai_server, key)
    if options:
        overrides = {k: options[k] for k in ("seed", "compat", "strict") if options.get(k) is not None}
        problem = None
        try:
            fake.load(options.get("scenario"), **overrides)
        except ScenarioError as exc:
            problem = str(exc)
        if problem is not None:
            pytest.fail(f"fake_openai: cannot load the scenario:\n{problem}", pytrace=False)
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    try:
        yield fake
        if not request.node.stash.get(_call_failed, False):
            report = teardown_report(fake)
            if report:
                pytest.fail(report, pytrace=False)
    finally:
        fake.drop()


def teardown_report(fake: Any) -> str:
    """What went wrong in the test's scenario, or "" when nothing did."""
    server = fake.server
    return server.call(lambda: _report(server.registry.peek(fake.api_key)))  # type: ignore[no-any-return]


def _report(state: Any) -> str:
    if state is None:  # the test never talked to the fake
        return ""
    name = state.scenario.name
    lines = []
    if state.violations:
        lines.append(f"fakeopenai: {len(state.violations)} scenario violation(s) in scenario {name!r}:")
        for v in state.violations:
            lines.append(f"  - {v['where']}: expected {v['expected']}; the client sent {v['actual']!r}")
            lines.append(f"    {v['message']}")
        lines.append("Fix the code under test, or the scenario's expectations. fake_openai.requests shows every "
                     "request the test made.")
    unused = state.unused_scripts() if state.scenario.strict else []
    if unused:
        lines.append(f"fakeopenai: strict scenario {name!r} has scripts that were never used:")
        lines.extend(f"  - {script}" for script in unused)
        lines.append("Make the test use them, remove them from the scenario, or drop strict.")
    return "\n".join(lines)
