"""Scenario YAML, read safely and with positions: aliases may not expand past
:data:`MAX_SCENARIO_NODES` values or into themselves, a key given twice is an error, and a
syntax error says where the construct began (with a hint: a tab, the indentation, a quote)."""

from __future__ import annotations

from typing import Any

import yaml

from fakeopenai.scenario.problems import Positions, Problem, ScenarioError

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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

    def __init__(self, key: Any, mapping: yaml.Node, second: yaml.Node) -> None:
        self.key, self.second = key, second
        self.first = next(k for k, _ in mapping.value if k.value == second.value)


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str, source: str) -> Problem:
    """PyYAML's complaint, with where the construct began and a hint for the usual causes."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    message = f"invalid YAML: {exc.problem or exc.context}"
    context = exc.context_mark
    if (exc.problem and exc.context and context and mark
            and (context.line, context.column) != (mark.line, mark.column)):
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
