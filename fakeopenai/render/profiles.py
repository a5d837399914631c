"""Compat profiles: which client library must read our JSON (SPEC section 8).

A profile is declarative data over the same objects: per object kind, a list of
field rewrites applied after rendering, plus the few state-machine facts a
client cannot express (e.g. oxillama has no ``cancelling``). The default
``openai`` profile has no rewrites at all, so it costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from fakeopenai.scenario.model import Scenario

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]

PROFILE_NAMES = ("openai", "zio-openai", "api-openai", "async-openai", "oxillama", "portable")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    instant_cancel: bool = False          # cancel goes straight to cancelled
    rewrites: dict[str, Rewrite] = field(default_factory=dict)   # object kind -> rewrite

    def apply(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        rewrite = self.rewrites.get(kind)
        return rewrite(data) if rewrite is not None else data


_PROFILES: dict[str, Profile] = {"openai": Profile("openai")}


def get_profile(name: str) -> Profile:
    return _PROFILES.get(name) or _PROFILES["openai"]


def scenario_conflicts(scenario: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """(key path, message) for what ``scenario`` asks that its profile cannot express."""
    return []
