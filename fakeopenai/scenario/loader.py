"""Load scenarios from YAML (safely), with positions in every error.

Validation runs in two passes: the shipped JSON Schema (``scenario.schema.json``)
checks shapes, keys and values; :mod:`fakeopenai.scenario.build` checks what a
schema cannot say (a step needs exactly one kind, usage only on terminal steps)
and builds the immutable model. Every problem names ``file:line:column``, the key
path, the allowed values and, for typos, a "did you mean".
"""

from __future__ import annotations

import difflib
import gc
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fakeopenai.scenario.model import Scenario
from fakeopenai.schema_branches import meant_shape

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario, with where it is."""

    source: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where + ': ' if where else ''}{self.path + ': ' if self.path else ''}{self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded. ``str()`` lists every problem, one per line::

        x.yaml:7:15: runs[0].steps[1].status: invalid value 'complete'; allowed: ... (did you mean 'completed'?)
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Positions:
    """Where each key path of a YAML document starts (1-based line and column).

    Looked up lazily from the composed node tree, so a valid scenario pays nothing
    for positions it never needs.
    """

    def __init__(self, source: str, root: yaml.Node | None = None) -> None:
        self.source = source
        self.root = root

    def of(self, path: Path_, *, key: bool = False) -> tuple[int, int] | tuple[None, None]:
        node = self.root
        if node is None:
            return (None, None)
        mark = node.start_mark
        last = len(path) - 1
        for index, part in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value
                              if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
                if match is None:
                    break
                key_node, node = match
                mark = key_node.start_mark if key and index == last else node.start_mark
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                mark = node.start_mark
            else:
                break
        return (mark.line + 1, mark.column + 1)

    def item_positions(self, path: Path_) -> list[tuple[int, int]]:
        """Where each item of the sequence at ``path`` starts, or ``[]`` when unknown (a dict
        source, or a path the document does not spell out). One walk for the whole list: the
        builder keeps each script's and step's position for reports at this cost."""
        node = self.root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)),
                            None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                return []
        if not isinstance(node, yaml.SequenceNode):
            return []
        return [(item.start_mark.line + 1, item.start_mark.column + 1) for item in node.value]

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        line, column = self.of(path, key=key)
        return Problem(self.source, line, column, format_path(path), message)


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def did_you_mean(value: Any, choices: Iterable[Any]) -> str:
    options = [str(c) for c in choices]
    close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format: the common keys and every registered family's."""
    from fakeopenai.scenario.schema import assembled

    return assembled()


def _validator() -> Any:
    from fakeopenai.registry import families

    return _validators(families())[1]


def _fast_validator() -> Any:
    from fakeopenai.registry import families

    return _validators(families())[0]


@lru_cache(maxsize=4)
def _validators(family_list: tuple[Any, ...]) -> tuple[Any, Any]:
    # One pair per set of registered families (a test may register one of its own).
    # jsonschema-rs answers "is it valid?" in well under a millisecond for a 1,000-step
    # scenario (the pure-Python validator takes ~50 ms); only an invalid scenario goes on to
    # the pure-Python validator, whose errors carry what the messages need.
    import jsonschema_rs

    schema = scenario_schema()
    return jsonschema_rs.validator_for(schema), _LazyValidator(schema)


class _LazyValidator:
    """The pure-Python validator, built (and jsonschema imported) only when a scenario is invalid."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._validator: Any = None

    def iter_errors(self, data: Any) -> Any:
        if self._validator is None:
            import jsonschema

            self._validator = jsonschema.validators.validator_for(self.schema)(self.schema)
        return self._validator.iter_errors(data)


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_PLAIN_SCALARS = frozenset({_STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                            "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"})


MAX_SCENARIO_NODES = 100_000  # values a scenario may expand to through aliases (each built-in: < 100)


def _check_aliases(root: yaml.Node, source: str) -> None:
    """Refuse YAML whose aliases expand past :data:`MAX_SCENARIO_NODES` values, or into themselves.

    A few hundred bytes of nested anchors (the "billion laughs") expand to billions of values;
    building and checking them would hold the event loop, and so every tenant, for minutes."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if children_done:
            visiting.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), MAX_SCENARIO_NODES + 1)
            continue
        if id(node) in sizes:
            continue
        visiting.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in visiting:
                raise ScenarioError([Problem(source, child.start_mark.line + 1, child.start_mark.column + 1, "",
                                             "a YAML alias refers to the node that contains it")])
            if id(child) not in sizes:
                stack.append((child, False))
    if sizes.get(id(root), 0) > MAX_SCENARIO_NODES:
        raise ScenarioError([Problem(source, None, None, "", f"the scenario expands (through YAML aliases) to "
                                     f"more than {MAX_SCENARIO_NODES:,} values; fakeopenai loads at most that many")])


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _Fallback(Exception):
    """The document uses something the fast construction leaves to PyYAML (merge keys, tags)."""


def _construct(node: yaml.Node, scalar: Any) -> Any:
    """``safe_load``'s result for a plain document, built straight from the composed nodes
    (about three times faster than PyYAML's generic constructor)."""
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        if tag == _STR:
            return node.value
        if tag not in _PLAIN_SCALARS:
            raise _Fallback
        return scalar(node)
    if isinstance(node, yaml.SequenceNode):
        if tag != _SEQ:
            raise _Fallback
        return [_construct(item, scalar) for item in node.value]
    if tag != _MAP:
        raise _Fallback
    out = {}
    for key_node, value_node in node.value:
        if key_node.tag not in _PLAIN_SCALARS:  # merge keys (<<), complex keys
            raise _Fallback
        key = _construct(key_node, scalar)
        if key in out:
            raise _DuplicateKey(key, node, key_node)
        out[key] = _construct(value_node, scalar)
    return out


class _DuplicateKey(Exception):
    """A key given twice in one mapping: PyYAML would keep the last silently, losing the first."""

    def __init__(self, key: Any, mapping: yaml.MappingNode, second: yaml.Node) -> None:
        self.key, self.second = key, second
        self.first = next(k for k, _ in mapping.value if k.value == second.value)


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str, source: str) -> Problem:
    """PyYAML's complaint, with where the construct began and a hint for the usual causes."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    message = f"invalid YAML: {exc.problem or exc.context}"
    context = exc.context_mark
    if exc.problem and exc.context and context and (context.line, context.column) != (mark.line, mark.column):
        message += f" ({exc.context} at line {context.line + 1}, column {context.column + 1})"
    if mark is not None and text[mark.index:mark.index + 1] == "\t":
        message += "; this is a tab: YAML indents with spaces only"
    elif exc.problem and ("expected '-'" in exc.problem or "expected <block end>" in exc.problem
                          or "mapping values are not allowed" in exc.problem):
        message += "; check this line's indentation against the lines above it"
    elif exc.context and "quoted scalar" in exc.context:
        message += "; a quote that is never closed?"
    return Problem(source, line, column, "", message)


def parse_yaml(text: str, source: str) -> tuple[Any, Positions]:
    """``yaml.safe_load`` semantics, plus the position of every key and value (looked up lazily)."""
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and "*" in text:  # aliases: check what they expand to before building it
            _check_aliases(node, source)
        if node is None:
            data = None
        else:
            constructors = loader.yaml_constructors
            try:
                data = _construct(node, lambda n: constructors[n.tag](loader, n))
            except (_Fallback, RecursionError, TypeError):
                data = loader.construct_document(node)
    except _DuplicateKey as dup:
        first, second = dup.first.start_mark, dup.second.start_mark
        raise ScenarioError([Problem(source, second.line + 1, second.column + 1, "",
                                     f"duplicate key {dup.key!r} (first at line {first.line + 1}, column "
                                     f"{first.column + 1}): YAML would keep only this one and drop the first; "
                                     "remove one, or merge them")]) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_yaml_problem(exc, text, source)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(source, None, None, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, Positions(source, node)


def schema_problems(data: Any, positions: Positions) -> list[Problem]:
    problems: list[Problem] = []
    if data is None:
        data = {}
    try:
        if _fast_validator().is_valid(data):
            return problems
    except (TypeError, ValueError):
        pass  # YAML types JSON lacks (dates, say): the full validator names them

    errors = sorted(_validator().iter_errors(data), key=lambda e: positions.of(tuple(e.absolute_path)))
    for error in errors:
        problems.extend(_explain(error, positions))
    return problems


def _explain(error: Any, positions: Positions) -> list[Problem]:
    path: Path_ = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        extension = " (and any key starting with x-, which is ignored)" if "^x-" in patterns else ""
        out = []
        for key in instance:
            if key not in allowed and not any(re.search(p, str(key)) for p in patterns):
                if not allowed:
                    message = f"unknown key {key!r}; {error.message}"
                else:
                    message = (f"unknown key {key!r}; allowed keys: {', '.join(allowed)}{extension}"
                               f"{did_you_mean(key, allowed)}")
                out.append(positions.problem(path + (key,), message, key=True))
        if out:
            return out
    if kind == "enum":
        allowed = schema.get("enum", [])
        message = (f"invalid value {instance!r}; allowed values: {', '.join(map(str, allowed))}"
                   f"{did_you_mean(instance, allowed)}")
        return [positions.problem(path, message)]
    if kind == "required":
        missing = [k for k in schema.get("required", []) if isinstance(instance, dict) and k not in instance]
        return [positions.problem(path, f"missing required key {k!r}") for k in missing] or [
            positions.problem(path, error.message)]
    if kind == "type":
        wanted = schema.get("type")
        wanted_text = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        message = f"expected {_article(wanted_text)}, got {_describe(instance)}"
        if "minimum" in schema or "maximum" in schema:
            message = f"expected {_range(schema)}, got {_describe(instance)}"
        if "x-expected" in schema:
            message = f"expected {schema['x-expected']}, got {_describe(instance)}"
        return [positions.problem(path, message)]
    if kind in ("anyOf", "oneOf"):
        hint = schema.get("x-expected")
        meant = meant_shape(error)
        if meant is not None and meant.tag_error is not None:
            tag = meant.tag_error
            message = (f"invalid value {tag.instance!r}; allowed values: {', '.join(map(str, meant.tag_values))}"
                       f"{did_you_mean(tag.instance, meant.tag_values)}")
            return [positions.problem(tuple(tag.absolute_path), message)]
        # A mapping or a list: the problems of the shape it was meant to have (an unknown key, a
        # number out of range) say what to fix. A scalar: the union's own hint says it best.
        if meant is not None and (isinstance(instance, (dict, list)) or not hint):
            inner = [problem for sub in meant.errors for problem in _explain(sub, positions)]
            if inner:
                return inner
        return [positions.problem(path, f"expected {hint or error.message}, got {_describe(instance)}")]
    if kind in ("minimum", "maximum") and not schema.get("x-expected"):
        return [positions.problem(path, f"expected {_range(schema)}, got {_describe(instance)}")]
    if kind in ("minimum", "maximum", "minItems", "maxItems", "minProperties", "maxProperties",
                "pattern", "const"):
        hint = schema.get("x-expected")
        message = error.message if not hint else f"expected {hint}, got {_describe(instance)}"
        return [positions.problem(path, message)]
    return [positions.problem(path, error.message)]


def _range(schema: dict[str, Any]) -> str:
    """``an integer from 1 to 10000``, ``a number >= 0``: a bounded number's schema, in words."""
    wanted = schema.get("type")
    noun = _article(wanted if isinstance(wanted, str) else "number")
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{noun} from {low} to {high}"
    return f"{noun} >= {low}" if low is not None else f"{noun} <= {high}"


def _article(text: str) -> str:
    if " or " in text:
        return text
    return ("an " if text[:1] in "aeiou" else "a ") + text


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# --------------------------------------------------------------------------- sources

def builtin_dir() -> Path:
    """The folder of the built-in scenarios (``scenarios/`` in a checkout, in the wheel too)."""
    return Path(str(resources.files("fakeopenai.scenarios")))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


def find_named(name: str, scenario_dirs: Iterable[str | os.PathLike[str]] = ()) -> Path | None:
    """The file of the scenario called ``name``: the built-ins first, then each of ``scenario_dirs`` in
    order, so a file of a scenario folder with a built-in's name is never found by that name
    (:func:`shadowed_builtins` lists them; the pytest plugin and ``serve`` warn about them)."""
    for folder in [builtin_dir(), *map(Path, scenario_dirs)]:
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def shadowed_builtins(scenario_dirs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files of ``scenario_dirs`` that a built-in scenario of the same name hides from
    :func:`find_named`."""
    builtins = set(builtin_names())
    return [path for folder in scenario_dirs for suffix in (".yaml", ".yml")
            for path in sorted(Path(folder).glob(f"*{suffix}")) if path.stem in builtins]


def load_scenario(source: Any = None, *, scenario_dirs: Iterable[str | os.PathLike[str]] = (),
                  allow_paths: bool = True, seed: int | str | None = None,
                  compat: str | None = None, strict: bool | None = None) -> Scenario:
    """Load a scenario from a built-in name, a file path, YAML text, a dict or a Scenario.

    Usage::

        scenario = load_scenario("requires_action_then_complete")
        scenario = load_scenario("tests/scenarios/weather.yaml")
        scenario = load_scenario({"runs": [{"steps": [{"status": "failed"}]}]})

    ``seed``, ``compat`` and ``strict`` override the scenario's own values (the
    marker's arguments and ``serve --seed`` use this). ``allow_paths=False``
    refuses ``path:`` file references (scenarios that arrive over HTTP).
    Raises :class:`ScenarioError` naming ``file:line:column`` for every problem.
    """
    from fakeopenai.scenario.build import build_scenario

    scenario_dirs = list(scenario_dirs)
    if isinstance(source, Scenario):
        scenario = source
    elif source is None:
        scenario = _load_file(find_named("default") or builtin_dir() / "default.yaml", allow_paths)
    elif isinstance(source, dict):
        scenario = build_scenario(source, Positions("<dict>"), base_dir=None, allow_paths=allow_paths,
                                  default_name="scenario")
    elif isinstance(source, os.PathLike):
        scenario = _load_file(Path(source), allow_paths)
    elif isinstance(source, str):
        scenario = _load_string(source, scenario_dirs, allow_paths)
    else:
        raise ScenarioError([Problem("<scenario>", None, None, "",
                                     f"cannot load a scenario from {type(source).__name__}; "
                                     "give a name, a path, YAML text or a dict")])
    return _override(scenario, seed=seed, compat=compat, strict=strict)


def _override(scenario: Scenario, **changes: Any) -> Scenario:
    from dataclasses import replace

    from fakeopenai.scenario.build import check_compat

    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return scenario
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
            raise ScenarioError([Problem(stripped, None, None, "", "no such scenario file")])
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
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(str(path), None, None, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        before = exc.object[:exc.start]
        line, column = before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1
        raise ScenarioError([Problem(str(path), line, column, "", "this byte is not UTF-8 text; save the file "
                                     "as UTF-8")]) from None
    return parse_scenario_text(text, str(path), base_dir=path.parent, default_name=path.stem,
                               allow_paths=allow_paths)


# The fixture loads the same few scenarios for test after test: a parsed, validated
# Scenario is immutable, so it is kept by its text (unless it read other files from disk).
_PARSED: dict[tuple[Any, ...], Scenario] = {}
_PARSED_LIMIT = 128


def parse_scenario_text(text: str, source: str, *, base_dir: Path | None = None,
                        default_name: str = "scenario", allow_paths: bool = True) -> Scenario:
    """Parse YAML (or JSON, which is YAML) text into a validated Scenario."""
    from fakeopenai.registry import families
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
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = scenario
    return scenario
