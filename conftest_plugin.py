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


SHOWN_CHARS = 200  # of what the client sent; the rest is counted, not shown
_HINTS = {  # the report's last line, by kind of violation
    "expect_outputs": "make the code under test submit the tool output the scenario expects, or change "
                      "the expectation at the position above if the scenario is what is wrong",
    "unmatched": "change a script's match: so it fits (each script's reason is listed above), add a script, or "
                 "set unmatched: default so that unscripted runs and batches get the default script",
}


def _hint(kind: str) -> str:
    from fakeopenai.registry import families

    for family in families():
        if kind in family.report_hints:
            return family.report_hints[kind]
    return _HINTS.get(kind, "fix the code under test, or the scenario")


def _report(state: Any) -> str:
    if state is None:  # the test never talked to the fake
        return ""
    scenario = state.scenario
    lines: list[str] = []
    if state.violations:
        count = len(state.violations)
        lines.append(f"fakeopenai: {count} scenario violation{'s' if count != 1 else ''} in scenario "
                     f"{scenario.name!r} ({scenario.source}):")
        hints: list[str] = []
        for number, violation in enumerate(state.violations, 1):
            lines.append("")
            lines.extend(_violation_lines(number, violation))
            hint = _hint(violation["kind"])
            if hint not in hints:
                hints.append(hint)
        lines.append("")
        lines.append(f"What to do: {'; '.join(hints)}. fake_openai.requests lists every request the test made.")
    unused = state.unused() if scenario.strict else []
    if unused:
        if lines:
            lines.append("")
        lines.append(f"fakeopenai: strict scenario {scenario.name!r} ({scenario.source}) has "
                     f"{len(unused)} script{'s' if len(unused) != 1 else ''} the test never used:")
        lines.extend(f"  - {_script_label(script, scenario.source)}" for script in unused)
        lines.append("What to do: make the test use them, remove them from the scenario, or drop strict.")
    idle = [f for f in scenario.faults if not state.fault_fired.get(f.index)] if scenario.strict else []
    if idle:
        if lines:
            lines.append("")
        lines.append(f"fakeopenai: strict scenario {scenario.name!r} ({scenario.source}) has "
                     f"{len(idle)} fault{'s' if len(idle) != 1 else ''} that never fired:")
        lines.extend(f"  - {_fault_label(fault, state.fault_hits.get(fault.index, 0), scenario.source)}"
                     for fault in idle)
        lines.append("What to do: make the test send the requests they match (a stream fault matches streaming "
                     "requests only), fix their match or after, remove them from the scenario, or drop strict.")
    return "\n".join(lines)


def _fault_label(fault: Any, matched: int, source: str) -> str:
    """``faults[0] 'slow' at x.yaml:3:5 (POST /v1/threads/*/runs): matched no request``."""
    from fakeopenai.scenario.model import position

    key = f"faults[{fault.index}]"
    name = "" if fault.name == key else f" {fault.name!r}"
    at = position(source, fault)
    match = " ".join(filter(None, [fault.method or "any method", fault.path or "any path",
                                   "with body " + repr(fault.body) if fault.body else "",
                                   "(streaming)" if fault.in_stream else ""]))
    seen = f"matched {matched} request{'s' if matched != 1 else ''}" if matched else "matched no request"
    if matched and fault.after:
        seen += f", and after: {fault.after} lets the first {fault.after} through"
    return f"{key}{name}{f' at {at}' if at else ''} ({match}): {seen}"


def _violation_lines(number: int, v: dict[str, Any]) -> list[str]:
    """One violation as the report shows it: where in the scenario, which object and request, what was
    expected, what the client sent, and what the fake did about it. The object's family says what it
    is called and how a client sees it fail (``fakeopenai.family.ScriptKind``)."""
    from fakeopenai.registry import kind_of_violation

    kind = kind_of_violation(v)
    noun = kind.noun if kind is not None else "object"
    object_id = v.get(kind.id_field) if kind is not None else None
    at = f" at {v['at']}" if v.get("at") else ""
    if v["kind"] == "expect_outputs":
        lines = [f"  {number}. {v['where']}{at}",
                 f"     {noun + ':':<10}{object_id} (script {v.get('script')}), tool call {v.get('tool_call_id')} "
                 f"({v.get('function')})"]
    elif v["kind"] == "unmatched":
        lines = [f"  {number}. {v['where']}: no {noun} script matched {object_id} (unmatched: error)"]
    else:
        lines = [f"  {number}. {v['where']}{at}: {v['message']}"]
    if v.get("request"):
        lines.append(f"     request:  {v['request']}")
    if v["kind"] == "expect_outputs":
        lines.append(f"     expected: an output {v['expected']}")
        lines.append(f"     sent:     {_clip(v['actual'])}")
    else:
        lines.append(f"     expected: {v['expected']}")
        lines.append(f"     sent:     {_clip(v['actual']) if v['kind'] != 'unmatched' else v['actual']}")
    tried = v.get("tried")
    if tried is not None:
        lines.append("     scripts tried:" if tried else "     scripts tried: none (the scenario has no such scripts)")
        for entry in tried:
            name = "" if entry["script"] == entry["key"] else f" {entry['script']!r}"
            where = f" at {entry['at']}" if entry.get("at") else ""
            lines.append(f"       - {entry['key']}{name}{where}: {entry['reason']}")
    if object_id and kind is not None and v["kind"] in ("expect_outputs", "unmatched"):
        lines.append(f"     The fake failed {object_id} ({kind.failed_field} server_error): the code under test saw a "
                     f"failed {noun}.")
    return lines


def _clip(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return repr(text)
    return f"{text[:SHOWN_CHARS]!r}… ({len(text)} characters in all)"


def _script_label(script: Any, source: str) -> str:
    """``runs[1] 'never_used' at weather.yaml:9:5``: the key path, the name when it has one, the position."""
    from fakeopenai.scenario.model import position

    key = f"{script.key}[{script.index}]"
    name = "" if script.name == key else f" {script.name!r}"
    at = position(source, script)
    return f"{key}{name}{f' at {at}' if at else ''}"
