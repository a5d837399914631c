"""What is wrong with a scenario, and where: :class:`Problem` (``file:line:column``, the key
path, the message), :class:`ScenarioError`, and :class:`Positions`, which maps key paths to
their place in the YAML text."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

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
