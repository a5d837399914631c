"""Load scenarios from YAML (safely), with positions in every error.

Validation runs in two passes: the scenario JSON Schema (:mod:`fakeopenai.scenario.validation`)
checks shapes, keys and values; :mod:`fakeopenai.scenario.build` checks what a schema cannot
say (a step needs exactly one kind, usage only on terminal steps) and builds the immutable
model. Every problem names ``file:line:column``, the key path, the allowed values and, for
typos, a "did you mean" (:mod:`fakeopenai.scenario.problems`); the YAML is read by
:mod:`fakeopenai.scenario.yaml_text`.
"""

from __future__ import annotations

import difflib
import gc
import os
import time
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fakeopenai.scenario.model import Scenario
from fakeopenai.scenario.problems import Positions, Problem, ScenarioError, did_you_mean, format_path
from fakeopenai.scenario.validation import scenario_schema, schema_problems
from fakeopenai.scenario.yaml_text import parse_yaml

__all__ = ["Positions", "Problem", "ScenarioError", "did_you_mean", "format_path", "load_scenario",
           "parse_scenario_text", "parse_yaml", "scenario_schema", "schema_problems"]


# --------------------------------------------------------------------------- sources

@cache
def builtin_dir() -> Path:
    """The folder of the built-in scenarios (``scenarios/`` in a checkout, in the wheel too): found once (the
    fixture loads a scenario by name test after test)."""
    return Path(str(resources.files("fakeopenai.scenarios")))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


def find_named(name: str, scenario_dirs: Iterable[str | os.PathLike[str]] = ()) -> Path | None:
    """The file of the scenario called ``name``: the built-ins first, then each of ``scenario_dirs`` in
    order, so a file of a scenario folder with a built-in's name is never found by that name
    (:func:`shadowed_builtins` lists them; the pytest plugin and ``serve`` warn about them)."""
    for folder in (_builtin_folder(), *(os.fspath(d) for d in scenario_dirs)):   # os.path: a third of pathlib's time
        for suffix in (".yaml", ".yml"):
            candidate = os.path.join(folder, name + suffix)
            if os.path.isfile(candidate):
                return Path(candidate)
    return None


@cache
def _builtin_folder() -> str:
    return str(builtin_dir())


def missing_file_hint(text: str, scenario_dirs: Iterable[str | os.PathLike[str]] = ()) -> str:
    """For a scenario file that is not there: a bare file name whose stem is a scenario's name
    (``chat_tool_loop.yaml``) was meant as that name; else a close name, if there is one."""
    path = Path(str(text).strip())
    if path.parent != Path(".") or not path.suffix:
        return ""
    if find_named(path.stem, scenario_dirs) is not None:
        return f" {path.stem!r} is a scenario's name: give the name, without {path.suffix!r}."
    names = builtin_names() + [p.stem for d in scenario_dirs for p in Path(d).glob("*.y*ml")]
    close = difflib.get_close_matches(path.stem, names, n=1, cutoff=0.6)
    return f" Did you mean the scenario named {close[0]!r} (a name, without {path.suffix!r})?" if close else ""


def looks_like_path(scenario: Any) -> bool:
    """Whether a scenario argument names a file (a path object, or a one-line string with a scenario
    file's suffix or a folder in it), not a name, YAML text or a dict."""
    if isinstance(scenario, os.PathLike):
        return True
    if not isinstance(scenario, str):
        return False
    text = scenario.strip()
    if not text or "\n" in text or ":" in text or "{" in text:  # YAML text (or a Windows drive: absolute)
        return False
    return "/" in text or os.sep in text or ("." in text and Path(text).suffix in (".yaml", ".yml", ".json"))


def find_relative_file(scenario: Any, places: Iterable[tuple[Path, str]],
                       scenario_dirs: Iterable[str | os.PathLike[str]] = ()) -> Any:
    """The rule for a relative scenario path in pytest, the marker's and ``fake_openai.load``'s alike: the
    first of ``places`` (a folder, and what to call it) where it is a file, shown relative to the current
    directory when it is under it. Anything but a relative path (a name, YAML text, a dict, an absolute
    path) comes back as it is. Not found: a :class:`ScenarioError` that lists every place it looked."""
    if not looks_like_path(scenario) or Path(scenario).is_absolute():
        return scenario
    relative = Path(str(scenario).strip())
    places = list(places)
    looked: dict[Path, list[str]] = {}
    for folder, what in places:
        candidate = (folder / relative).resolve()
        if candidate.is_file():
            cwd = Path.cwd().resolve()
            return str(candidate.relative_to(cwd)) if candidate.is_relative_to(cwd) else str(candidate)
        looked.setdefault(candidate, []).append(what)
    hint = missing_file_hint(str(scenario), list(scenario_dirs))
    order = ", then ".join(dict.fromkeys(what for _, what in places))
    raise ScenarioError([Problem("", None, None, "", (
        f"no scenario file {str(scenario)!r}; looked for it at:\n"
        + "\n".join(f"  {path} ({', '.join(names)})" for path, names in looked.items())
        + (f"\n{hint.strip()}" if hint else "") + f"\nA relative path is looked up from {order}."))])


def shadowed_builtins(scenario_dirs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files of ``scenario_dirs`` that a built-in scenario of the same name hides from
    :func:`find_named`."""
    builtins = set(builtin_names())
    return [path for folder in scenario_dirs for suffix in (".yaml", ".yml")
            for path in sorted(Path(folder).glob(f"*{suffix}")) if path.stem in builtins]


def load_scenario(source: Any = None, *, scenario_dirs: Iterable[str | os.PathLike[str]] = (),
                  allow_paths: bool = True, seed: int | str | None = None,
                  compat: str | None = None, strict: bool | None = None,
                  unknown_ids: str | None = None) -> Scenario:
    """Load a scenario from a built-in name, a file path, YAML text, a dict or a Scenario.

    Usage::

        scenario = load_scenario("requires_action_then_complete")
        scenario = load_scenario("tests/scenarios/weather.yaml")
        scenario = load_scenario({"runs": [{"steps": [{"status": "failed"}]}]})

    ``seed``, ``compat``, ``strict`` and ``unknown_ids`` override the scenario's own values (the
    marker's arguments and ``serve --seed`` use this). ``allow_paths=False``
    refuses ``path:`` file references (scenarios that arrive over HTTP).
    Raises :class:`ScenarioError` naming ``file:line:column`` for every problem.
    """
    scenario_dirs = list(scenario_dirs)
    if isinstance(source, Scenario):
        scenario = source
    elif isinstance(source, str):   # a name or a path, most often (the fixture's marker): the first test
        scenario = _load_string(source, scenario_dirs, allow_paths)
    elif source is None:
        scenario = _load_file(find_named("default") or builtin_dir() / "default.yaml", allow_paths)
    elif isinstance(source, dict):
        from fakeopenai.scenario.build import build_scenario

        scenario = build_scenario(source, Positions("<dict>"), base_dir=None, allow_paths=allow_paths,
                                  default_name="scenario")
    elif isinstance(source, os.PathLike):
        scenario = _load_file(Path(source), allow_paths)
    else:
        raise ScenarioError([Problem("<scenario>", None, None, "",
                                     f"cannot load a scenario from {type(source).__name__}; "
                                     "give a name, a path, YAML text or a dict")])
    if unknown_ids is not None and unknown_ids not in ("error", "generate"):
        raise ScenarioError([Problem("unknown_ids", None, None, "", f"invalid value {unknown_ids!r}; allowed "
                                     "values: error, generate")])
    return _override(scenario, seed=seed, compat=compat, strict=strict, unknown_ids=unknown_ids)


def _override(scenario: Scenario, **changes: Any) -> Scenario:
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return scenario
    from dataclasses import replace

    from fakeopenai.scenario.build import check_compat
    if "compat" in changes and changes["compat"] != scenario.compat:
        updated = replace(scenario, **changes)
        problems = check_compat(updated, Positions(scenario.source))
        if problems:
            raise ScenarioError(problems)
        return updated
    return replace(scenario, **changes)


def _load_string(text: str, scenario_dirs: list[Any], allow_paths: bool) -> Scenario:
    stripped = text.strip()
    looks_like_name = stripped and "\n" not in stripped and ":" not in stripped and "{" not in stripped
    if looks_like_name:
        named = find_named(stripped, scenario_dirs)
        if named is not None:
            return _load_file(named, True)
        as_path = Path(stripped)
        if as_path.suffix in (".yaml", ".yml", ".json") or os.sep in stripped or "/" in stripped:
            if allow_paths and as_path.is_file():
                return _load_file(as_path, True)
            if not allow_paths:
                raise ScenarioError([Problem("<scenario>", None, None, "",
                                             f"cannot read {stripped!r}: scenarios loaded over HTTP "
                                             "may not read files from disk; send the YAML itself")])
            raise ScenarioError([Problem(stripped, None, None, "", f"no such scenario file (looked for "
                                         f"{as_path.resolve()}).{missing_file_hint(stripped, scenario_dirs)}")])
        names = builtin_names() + [p.stem for d in scenario_dirs for p in Path(d).glob("*.y*ml")]
        found_in = "".join(f" In {d}: {', '.join(sorted(p.stem for p in Path(d).glob('*.y*ml'))) or 'none'}."
                           for d in scenario_dirs)
        raise ScenarioError([Problem("", None, None, "",
                                     f"unknown scenario {stripped!r}{did_you_mean(stripped, names)}. "
                                     f"Built-in scenarios: {', '.join(builtin_names())}.{found_in} Give one of "
                                     "these names, or the path of a YAML scenario file.")])
    return parse_scenario_text(text, "<string>", allow_paths=allow_paths)


def _load_file(path: Path, allow_paths: bool) -> Scenario:
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    from fakeopenai.core.registry import families

    key = (str(path), allow_paths, families())
    cached = _FILES.get(key)
    if cached is not None and stat is not None and cached[0] == _signature(stat):
        return cached[1]
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(str(path), None, None, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        before = exc.object[:exc.start]
        line, column = before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1
        raise ScenarioError([Problem(str(path), line, column, "", "this byte is not UTF-8 text; save the file "
                                     "as UTF-8")]) from None
    scenario = parse_scenario_text(text, str(path), base_dir=path.parent, default_name=path.stem,
                                   allow_paths=allow_paths)
    if stat is not None and not scenario.reads_disk and stat.st_mtime < time.time() - _SETTLED_SECONDS:
        _keep(_FILES, key, (_signature(stat), scenario))
    return scenario


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """``cache[key] = value``, the oldest entry dropped past :data:`_PARSED_LIMIT`. Loads run on several
    threads (the fixture's on the test's, the control API's in a worker): another one may change the cache
    between finding its oldest entry and dropping it."""
    if len(cache) >= _PARSED_LIMIT:
        try:
            cache.pop(next(iter(cache)), None)
        except (RuntimeError, StopIteration):
            pass
    cache[key] = value


# The fixture loads the same scenario file (a built-in by name, most often) test after test: it is read and
# parsed again only when its size, modification time or inode changed. A file written in the last seconds is
# not kept: a second write within the file system's clock granularity can leave its time and size alone.
_FILES: dict[tuple[Any, ...], tuple[tuple[int, ...], Scenario]] = {}
_SETTLED_SECONDS = 2.0


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    return stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_dev


# The fixture loads the same few scenarios for test after test: a parsed, validated
# Scenario is immutable, so it is kept by its text (unless it read other files from disk).
_PARSED: dict[tuple[Any, ...], Scenario] = {}
_PARSED_LIMIT = 128


def parse_scenario_text(text: str, source: str, *, base_dir: Path | None = None,
                        default_name: str = "scenario", allow_paths: bool = True) -> Scenario:
    """Parse YAML (or JSON, which is YAML) text into a validated Scenario."""
    from fakeopenai.core.registry import families
    from fakeopenai.scenario.build import build_scenario

    key = (text, source, base_dir, default_name, allow_paths, families())
    cached = _PARSED.get(key)
    if cached is not None:
        return cached
    # Parsing builds tens of thousands of small, acyclic objects: a cyclic-GC pass meanwhile
    # (which walks every object in the process, a test suite's included) only costs time.
    paused = gc.isenabled()
    gc.disable()
    try:
        data, positions = parse_yaml(text, source)
        scenario = build_scenario(data, positions, base_dir=base_dir, allow_paths=allow_paths,
                                  default_name=default_name)
    finally:
        if paused:
            gc.enable()
    if not scenario.reads_disk:
        _keep(_PARSED, key, scenario)
    return scenario
