"""The fakeopenai pytest plugin (registered through the ``pytest11`` entry point).

Usage::

    def test_weather(fake_openai):
        client = fake_openai.client()        # or any openai.OpenAI(): the env points at the fake
        ...

    @pytest.mark.fake_openai(scenario="requires_action_then_complete", seed=3, strict=True)
    def test_tool_call(fake_openai): ...

One server per session (per xdist worker) on 127.0.0.1, a fresh tenant (API key)
per test. For the test's duration the environment (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``)
and the ``openai`` module's own client (``openai.beta.assistants.create(...)``) point at it.
At teardown, scenario violations - and with ``strict``, scripts that were never used - fail
the test with a report, unless the test already failed; the test's key is then retired (a
request with it gets a 401 that says so).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MARKER_OPTIONS = ("scenario", "seed", "compat", "strict")
_keys = itertools.count(1)


class FakeOpenAIWarning(pytest.PytestWarning):
    """A fakeopenai plugin warning: a marker that does nothing, a scenario file that is never used."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("fakeopenai").addoption(
        "--fake-openai-report", metavar="DIR", default=None,
        help="for each failed test that used the fake_openai fixture, write its timeline page (one "
             "self-contained HTML file, as GET /_fake/ui shows it) into DIR; the failure report names the file")
    parser.addini("fakeopenai_scenario_dirs", "folders where fake_openai scenario names are looked up "
                  "(after the built-ins)", type="paths", default=[])
    group = parser.getgroup("fakeopenai")
    group.addoption("--fake-openai-record", metavar="URL", default=None,
                    help="record each test that uses fake_openai through a proxy to this OpenAI-compatible server "
                         "into <scenario dir>/<test name>.yaml (or the file its marker names)")
    group.addoption("--fake-openai-record-mode", choices=("once", "rewrite"), default="once",
                    help="once: record only the scenario files that do not exist yet (default); rewrite: "
                         "record them all again")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fake_openai(scenario=None, seed=None, compat=None, strict=False): "
                            "scenario and options for the fake_openai fixture")
    # The real key, read before the fixture points OPENAI_API_KEY at the fake: the proxy sends it upstream.
    config.stash[_upstream_key] = os.environ.get("OPENAI_API_KEY")
    dirs = config.getini("fakeopenai_scenario_dirs")
    if not dirs:
        return
    from fakeopenai.scenario.loader import shadowed_builtins

    for path in shadowed_builtins(dirs):
        config.issue_config_time_warning(FakeOpenAIWarning(
            f"fakeopenai_scenario_dirs: {path} is never used by name: the built-in scenario {path.stem!r} has "
            f"that name, and built-ins are looked up first. Rename the file, or give the marker its path."),
            stacklevel=2)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A ``fake_openai`` marker on a test that does not use the fixture does nothing: say so (as the
    test starts, so that ``-W error`` fails that test, not the collection)."""
    marked = any(m.name == "fake_openai" for m in getattr(item, "own_markers", ()))
    if marked and "fake_openai" not in getattr(item, "fixturenames", ()):
        item.warn(FakeOpenAIWarning(
            f"{item.nodeid} has @pytest.mark.fake_openai but does not use the fake_openai fixture, so the "
            "marker does nothing (no fake, no scenario): add a fake_openai argument to the test."))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
        fake = getattr(item, "funcargs", {}).get("fake_openai")
        if report.failed and fake is not None:
            notes = used_up_notes(fake)
            if notes:
                report.sections.append(("fakeopenai", notes))
            path = write_timeline_page(item, fake)
            if path is not None:
                report.sections.append(("fakeopenai timeline", f"timeline page: {path}"))
    return report


def used_up_notes(fake: Any) -> str:
    """For a failed test: the objects the default script answered because the script that fit them
    had used up its ``times`` (what a failure against generated text most often comes from)."""
    server = fake.server
    state = server.call(lambda: server.registry.peek(fake.api_key))
    return _used_up_lines(state) if state is not None else ""


def _used_up_lines(state: Any) -> str:
    """The tenant's used-up notes as the report shows them, or "" when there are none."""
    notes = list(state.used_up)
    lines = list(state.notes)   # what else went wrong on the fake's side (a webhook never delivered)
    if not notes:
        return "\n".join(lines)
    scenario = state.scenario
    lines.append(f"fakeopenai: in scenario {scenario.name!r} ({scenario.source}), {len(notes)} "
                 f"object{'s were' if len(notes) != 1 else ' was'} answered by the default script because the "
                 "script that fits had no uses left:")
    lines.extend(f"  - {note['message']}" for note in notes)
    return "\n".join(lines)


def write_timeline_page(item: pytest.Item, fake: Any) -> Path | None:
    """The test's timeline page (``--fake-openai-report DIR``): the page of ``GET /_fake/ui`` with this
    test's tenant embedded, one self-contained file named after the test; None without the option."""
    import re

    folder = item.config.getoption("--fake-openai-report", None)
    if not folder:
        return None
    from fakeopenai.core import timeline
    from fakeopenai.gateway.request_log import format_request, format_response
    from fakeopenai.http import ui

    server = fake.server
    state = server.call(lambda: _tenant(server.registry, fake.api_key))
    if state is None:
        return None
    data = server.call(lambda: timeline.snapshot(state, format_request, format_response))
    data["test"] = item.nodeid
    path = Path(folder) / (re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid).strip("_")[:180] + ".html")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ui.render(data, title=f"fakeopenai: {item.nodeid}"), encoding="utf-8")
    return path.resolve()


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
    from fakeopenai.doors.server import ServerThread
    from fakeopenai.http.app import create_app

    dirs = [str(p) for p in pytestconfig.getini("fakeopenai_scenario_dirs")]
    server = ServerThread(create_app(scenario_dirs=dirs)).start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(request: pytest.FixtureRequest, _fake_openai_server: Any) -> Iterator[Any]:
    """A :class:`fakeopenai.FakeOpenAI` with a fresh tenant for this test."""
    from fakeopenai.core.tenants import bad_compat
    from fakeopenai.doors.server import FakeOpenAI
    from fakeopenai.scenario.loader import ScenarioError

    options = _marker_options(request)
    key = f"sk-fakeopenai-{os.getpid()}-{next(_keys)}"
    fake = FakeOpenAI.attach(_fake_openai_server, key)
    target, replay = _record_target(request, options)
    if replay:                                     # recorded before (record mode "once"): replay it
        options = {**options, "scenario": str(target)}
        target = None
    elif target is not None:
        options = {k: v for k, v in options.items() if k != "scenario"}
    elif options.get("scenario") is None and os.path.isfile(_recorded_file(request)):
        # no scenario named: the file --fake-openai-record wrote for this test, replayed
        options = {**options, "scenario": str(Path(_recorded_file(request)).resolve())}
    if options:
        overrides = {k: options[k] for k in ("seed", "compat", "strict") if options.get(k) is not None}
        problem = bad_compat(overrides.get("compat"))
        if problem is not None:
            pytest.fail(f"@pytest.mark.fake_openai(compat={overrides['compat']!r}): {problem}. The option is "
                        "the marker's, not the scenario's.", pytrace=False)
        scenario = _resolve_scenario(request, options.get("scenario"))
        try:
            fake._load_first(scenario, **overrides)
        except ScenarioError as exc:
            problem = str(exc)
        if problem is not None:
            pytest.fail(f"fake_openai: cannot load the scenario:\n{problem}", pytrace=False)
    # From here on the test's own fake_openai.load("scenarios/x.yaml") finds a relative path as the marker does.
    fake._find_file = lambda scenario: find_scenario_file(request.node, scenario)
    proxy = None
    if target is not None:
        fake, proxy = _recording(request, fake, target)
    monkeypatch, own_patch = _monkeypatch(request)
    openai = http_before = None
    retired = False
    try:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        openai, http_before = _point_module_client(monkeypatch, fake)
        yield fake
        if not request.node.stash.get(_call_failed, False):
            if proxy is None:
                report, retired = _report_and_retire(fake, request.node.nodeid)
            else:
                _settle_webhooks(fake)
                report = ""
            if report:
                page = write_timeline_page(request.node, fake)
                pytest.fail(report + (f"\n\nfakeopenai timeline page: {page}" if page else ""), pytrace=False)
    finally:
        if proxy is not None:
            _stop_recording(request, fake, proxy)
        if openai is not None:
            _close_module_client(openai, http_before)
        if not retired:
            server = fake.server
            server.call(lambda: server.registry.retire(key, request.node.nodeid))
        if own_patch:
            monkeypatch.undo()


def _monkeypatch(request: pytest.FixtureRequest) -> tuple[pytest.MonkeyPatch, bool]:
    """What sets the test's environment and ``openai`` module settings, and whether the fixture undoes it
    itself (True) or the ``monkeypatch`` fixture does, after this one's teardown (False). A test or fixture
    that uses ``monkeypatch`` gets the one instance: what it sets on top of the fake's values (a variable of
    ``fake_openai.env()`` of its own) is undone before the fake's are, back to what was there before the
    test. Any other test gets a MonkeyPatch of the fixture's own, undone at the end of its teardown: the
    ``monkeypatch`` fixture's own set-up and teardown were a fifth of the fixture's cost per test."""
    if "monkeypatch" in request.fixturenames:
        return request.getfixturevalue("monkeypatch"), False
    return pytest.MonkeyPatch(), True


def _point_module_client(monkeypatch: pytest.MonkeyPatch, fake: Any) -> tuple[Any, Any]:
    """The ``openai`` module's own client (``openai.files.create(...)``) is built once, on first use,
    and keeps the key it was built with: for the test's duration it is forgotten, and its settings
    point at this test's tenant (monkeypatch puts back what was there before). Returns the module
    and its ``http_client`` before the test."""
    try:
        import openai
    except ImportError:
        return None, None
    http_before = getattr(openai, "http_client", None)
    monkeypatch.setattr(openai, "http_client", http_before, raising=False)  # put back after the test
    monkeypatch.setattr(openai, "api_key", fake.api_key, raising=False)
    # With the slash: the module's client joins paths to it as given (openai.OpenAI adds it itself).
    monkeypatch.setattr(openai, "base_url", fake.base_url + "/", raising=False)
    monkeypatch.setattr(openai, "_client", None, raising=False)
    return openai, http_before


def _close_module_client(openai: Any, http_before: Any) -> None:
    """Close the connections of the module's client built during the test (not an HTTP client that
    was there before): the SDK keeps the HTTP client it makes in ``openai.http_client``."""
    http = getattr(openai, "http_client", None)
    built = getattr(openai, "_client", None)
    if http is not None and http is not http_before:
        http.close()
    elif http is None and built is not None:
        built.close()


def _record_target(request: pytest.FixtureRequest, options: dict[str, Any]) -> tuple[Path | None, bool]:
    """Where ``--fake-openai-record`` writes this test's scenario: the file its marker names (found as the
    marker finds it, else next to the test file), else :func:`_recorded_file`; and whether that file is
    to be replayed instead (it exists, mode ``once``); (None, False) when not recording."""
    if request.config.getoption("fake_openai_record", None) is None:
        return None, False
    from fakeopenai.scenario.loader import ScenarioError

    rewrite = request.config.getoption("fake_openai_record_mode") == "rewrite"
    scenario = options.get("scenario")
    if scenario is not None:
        if not _looks_like_path(scenario):
            return None, False              # a built-in name, a dict or YAML text: not recorded
        try:
            path = Path(find_scenario_file(request.node, scenario))
        except ScenarioError:               # not there yet: it is written next to the test file
            path = Path(str(scenario).strip())
            path = path if path.is_absolute() else Path(request.node.path).parent / path
    else:
        path = Path(_recorded_file(request))
    return path.resolve(), path.is_file() and not rewrite


def _recorded_file(request: pytest.FixtureRequest) -> str:
    """The scenario file of a test whose marker names none: ``<first fakeopenai_scenario_dirs folder, or
    scenarios/ next to the test file>/<test name>.yaml``. ``--fake-openai-record`` writes it; a run
    without the option replays it when it exists (looked for in every such test: os.path, not pathlib,
    which took twice as long)."""
    from fakeopenai.record.session import file_name

    dirs = request.config.getini("fakeopenai_scenario_dirs")
    folder = dirs[0] if dirs else os.path.join(os.path.dirname(request.node.path), "scenarios")
    return os.path.join(folder, file_name(request.node.name))


def _recording(request: pytest.FixtureRequest, fake: Any, target: Path) -> tuple[Any, Any]:
    from fakeopenai.doors.server import ServerThread
    from fakeopenai.record import ConvertOptions
    from fakeopenai.record.proxy import Recorder, create_proxy
    from fakeopenai.record.session import RecordingFake

    config = request.config
    recorder = Recorder(config.getoption("fake_openai_record"), target,
                        ConvertOptions(name=target.stem, description=f"Recorded from {request.node.nodeid}."),
                        upstream_key=config.stash.get(_upstream_key, None))
    proxy = ServerThread(create_proxy(recorder)).start()
    return RecordingFake(fake, proxy.base_url, recorder, target), proxy


def _stop_recording(request: pytest.FixtureRequest, fake: Any, proxy: Any) -> None:
    import asyncio

    assert proxy.loop is not None
    asyncio.run_coroutine_threadsafe(fake.recorder.close(), proxy.loop).result()
    proxy.stop()
    if not request.node.stash.get(_call_failed, False):
        fake.recorder.write()


_upstream_key = pytest.StashKey[Any]()


def _looks_like_path(scenario: Any) -> bool:
    from fakeopenai.scenario.loader import looks_like_path

    return looks_like_path(scenario)


def find_scenario_file(node: pytest.Item, scenario: Any) -> Any:
    """The one rule for a relative scenario path in a test, the marker's and ``fake_openai.load``'s: found
    next to the test file, then in pytest's rootdir, then in the current directory (shown relative to the
    current directory when it is under it); anything else as it is. Raises ScenarioError when it is
    nowhere, listing where it looked."""
    from fakeopenai.scenario.loader import find_relative_file, looks_like_path

    if not looks_like_path(scenario):   # a name, YAML text, a dict: as it is (what find_relative_file does)
        return scenario
    places = [(Path(node.path).parent, "the test file's folder"), (Path(node.config.rootpath), "pytest's rootdir"),
              (Path.cwd(), "the current directory")]
    return find_relative_file(scenario, places, [str(d) for d in node.config.getini("fakeopenai_scenario_dirs")])


def _resolve_scenario(request: pytest.FixtureRequest, scenario: Any) -> Any:
    """The marker's scenario by :func:`find_scenario_file`; when it is nowhere, the test fails with where it
    looked and the command that records it."""
    __tracebackhide__ = True
    from fakeopenai.scenario.loader import ScenarioError

    try:
        return find_scenario_file(request.node, scenario)
    except ScenarioError as exc:
        problem = str(exc)
    pytest.fail(f"fake_openai: cannot load the scenario: {problem}\nTo record it from a real server (written next "
                f"to the test file): pytest --fake-openai-record=https://api.openai.com/v1 '{request.node.nodeid}'",
                pytrace=False)


def _settle_webhooks(fake: Any) -> None:
    """Webhook deliveries still being tried are given their last attempts (a few seconds at most), so a
    receiver that never answered 2xx is in the report (docs/webhooks.md)."""
    webhooks = fake.webhooks
    if webhooks.pending():
        with contextlib.suppress(TimeoutError):
            webhooks.wait(timeout=WEBHOOK_SETTLE_SECONDS)


WEBHOOK_SETTLE_SECONDS = 5.0


def _report_and_retire(fake: Any, user: str) -> tuple[str, bool]:
    """The teardown report ("" when nothing went wrong), pending webhook deliveries settled first
    (:func:`_settle_webhooks`); and whether the test's key is retired already. A test that never talked to
    the fake has no tenant: its key is retired here, with no hand-off to the server loop (unless a strict
    scenario waits for it: its scripts are all unused). Else the common case (no delivery pending, nothing
    to report) is one hand-off that also retires the key; a report keeps the tenant for the failure's
    timeline page."""
    from fakeopenai.families.webhooks.handle import pending_deliveries

    server, key = fake.server, fake.api_key
    waiting = server.registry.waiting(key)
    if not (waiting is not None and waiting.strict) and server.registry.retire_unmade(key, user):
        return "", True

    def at_once() -> tuple[str, bool] | None:
        state = server.registry.peek(key)
        waiting = server.registry.waiting(key) if state is None else None
        if waiting is not None and waiting.strict:   # never used, but its scripts are reported unused
            state = server.registry.get(key)
        if pending_deliveries(state):
            return None
        report = _report(state)
        if report:
            return report, False
        server.registry.retire(key, user)
        return "", True

    done = server.call(at_once)
    if done is not None:
        return done
    _settle_webhooks(fake)
    return teardown_report(fake), False


def teardown_report(fake: Any) -> str:
    """What went wrong in the test's scenario, or "" when nothing did."""
    server = fake.server
    return server.call(lambda: _report(_tenant(server.registry, fake.api_key)))


def _tenant(registry: Any, key: str) -> Any:
    """The test's tenant; made now from the marker's scenario if the test never used its key (the fixture
    loads it with ``install_later``); None for a test without a scenario that never talked to the fake."""
    state = registry.peek(key)
    if state is None and registry.waiting(key) is not None:
        state = registry.get(key)
    return state


SHOWN_CHARS = 200  # of what the client sent; the rest is counted, not shown
_HINTS = {  # the report's last line, by kind of violation
    "expect_outputs": "make the code under test submit the tool output the scenario expects, or change "
                      "the expectation at the position above if the scenario is what is wrong",
    "unmatched": "change a script's match: so it fits (each script's reason is listed above), add a script, or "
                 "set unmatched: default so that unscripted requests get the default script",
    "used_up": "give the script more uses (times: N or times: always) if the test means it to serve that object "
               "too, or add a script for it",
}


def _hint(kind: str) -> str:
    from fakeopenai.core.registry import families

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
        entries = sum(1 for item in unused if item in scenario.entries)
        noun = ("script", "scripts") if not entries else ("entry", "entries") if entries == len(unused) \
            else ("script or entry", "scripts or entries")
        lines.append(f"fakeopenai: strict scenario {scenario.name!r} ({scenario.source}) has "
                     f"{len(unused)} {noun[len(unused) != 1]} the test never used:")
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
    notes = _used_up_lines(state) if lines and not scenario.strict else ""   # information: with a failure only
    if notes:
        lines.extend(["", notes])
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
    is called and how a client sees it fail (``fakeopenai.core.family.ScriptKind``)."""
    from fakeopenai.core.registry import kind_of_violation

    kind = kind_of_violation(v)
    noun = kind.noun if kind is not None else "object"
    object_id = v.get(kind.id_field) if kind is not None else None
    at = f" at {v['at']}" if v.get("at") else ""
    if v["kind"] == "expect_outputs":
        lines = [f"  {number}. {v['where']}{at}",
                 f"     {(noun + ':').ljust(9)} {object_id} (script {v.get('script')}), "
                 f"tool call {v.get('tool_call_id')} ({v.get('function')})"]
    elif v["kind"] == "unmatched":
        lines = [f"  {number}. {v['where']}: no {noun} script matched {object_id} (unmatched: error)"]
    elif v["kind"] == "used_up":
        lines = [f"  {number}. {v['where']}{at}: fits {v.get('object')}, but its uses ran out (strict: true); the "
                 "default script answered it"]
    else:
        lines = [f"  {number}. {v['where']}{at}: {v['message']}"]
    if v.get("request"):
        lines.append(f"     request:  {v['request']}")
    if v["kind"] == "expect_outputs":
        lines.append(f"     expected: an output {v['expected']}")
        lines.append(f"     sent:     {_clip(v['actual'])}")
    elif v["kind"] == "used_up":
        lines.append(f"     expected: {v['expected']}")
        lines.append(f"     found:    {v['actual']}")
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
