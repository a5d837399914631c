"""Checks on text a client sends: ``equals``, ``contains``, ``regex``, ``json`` (a subset)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TextMatch:
    """One check on a piece of text: ``equals``, ``contains``, ``regex`` or ``json``.

    >>> TextMatch(contains="Paris").test("18C in Paris")
    True
    """

    equals: str | None = None
    contains: str | None = None
    regex: str | None = None
    json: Any = None
    has_json: bool = False

    def test(self, text: str) -> bool:
        if self.equals is not None and text != self.equals:
            return False
        if self.contains is not None and self.contains not in text:
            return False
        if self.regex is not None and re.search(self.regex, text) is None:
            return False
        if self.has_json:
            try:
                value = json.loads(text)
            except ValueError:
                return False
            if not json_subset(self.json, value):
                return False
        return True

    def describe(self) -> str:
        parts = []
        if self.equals is not None:
            parts.append(f"equal to {self.equals!r}")
        if self.contains is not None:
            parts.append(f"containing {self.contains!r}")
        if self.regex is not None:
            parts.append(f"matching /{self.regex}/")
        if self.has_json:
            parts.append(f"JSON matching {json.dumps(self.json, sort_keys=True)}")
        return " and ".join(parts) or "anything"


def json_subset(expected: Any, actual: Any) -> bool:
    """Objects match when every expected key matches; other values must be equal."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and json_subset(value, actual[key]) for key, value in expected.items())
    return bool(expected == actual)


def differs(name: str, actual: Any, expected: Any) -> str | None:
    """Why a script's ``match`` key does not fit (``"model is 'a', not 'b'"``), or None when it
    fits or the script does not ask (``expected`` is None)."""
    if expected is None or actual == expected:
        return None
    return f"{name} is {actual!r}, not {expected!r}"


def metadata_differs(actual: dict[str, Any], expected: dict[str, Any] | None) -> str | None:
    """The first ``metadata`` key that does not fit: every expected key must be there, equal."""
    for key, value in (expected or {}).items():
        if actual.get(key) != value:
            return f"metadata[{key!r}] is {actual.get(key)!r}, not {value!r}"
    return None


def last_message_differs(actual: str | None, expected: TextMatch | None, missing: str) -> str | None:
    """Why the last user message does not fit a script's ``last_message`` check (``missing`` when
    there is none), or None."""
    if expected is None:
        return None
    if actual is None:
        return missing
    if expected.test(actual):
        return None
    return f"last user message {clip(actual)!r} is not {expected.describe()}"


def instructions_differ(actual: str | None, expected: TextMatch | None, what: str = "instructions") -> str | None:
    """Why the instructions (``what``: a chat's system messages) do not fit a ``instructions`` check, or None."""
    if expected is None or expected.test(actual or ""):
        return None
    return f"{what} {clip(actual or '')!r} are not {expected.describe()}"


def tools_lack(offered: list[str], expected: tuple[str, ...]) -> str | None:
    """Why the offered function tool names do not fit a ``tools`` match (all must be offered), or None."""
    missing = [name for name in expected if name not in offered]
    return f"tools offered {offered} lack {', '.join(missing)}" if missing else None


def clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
