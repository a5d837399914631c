"""The scenario model: immutable, validated, free of YAML and HTTP.

A :class:`Scenario` is built by :mod:`fakeopenai.scenario.loader`. What is common to every
API family lives here (seed, clock, compat, faults); each family keeps its own part
(``Scenario.parts[family]``, its scripts under ``Scenario.scripts[key]``). Mutable progress
(how often a script was used, where each run is) lives in the tenant's state, so one scenario
object can serve many tenants.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fakeopenai.core.clock import DEFAULT_START


@dataclass(frozen=True, slots=True)
class StreamOptions:
    chunk_words: int = 3
    chunk_chars: int = 16


class Positioned(Protocol):
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Fault:
    index: int
    name: str
    method: str | None = None
    path: str | None = None
    body: dict[str, Any] | None = None
    after: int = 0
    times: int | None = 1
    status: int | None = None
    error: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    disconnect: bool = False
    raw_body: str | None = None
    after_events: int | None = None  # a stream fault: the effect comes after this many events
    stall: float | None = None       # a stream fault: seconds of silence after after_events
    malformed: bool = False          # a stream fault: a frame that is not valid SSE JSON
    close: int | None = None         # a stream fault in a WebSocket: the close code (an HTTP stream disconnects)
    line: int | None = None          # where the fault is in the scenario's text (None: a dict)
    column: int | None = None

    @property
    def in_stream(self) -> bool:
        return self.after_events is not None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded, validated scenario. Build one with :func:`fakeopenai.load_scenario`.

    ``scripts`` maps a top-level key (``runs``, ``batches``) to its scripts; they read as
    attributes too (``scenario.runs``). ``parts`` maps a family name to what else the family
    read from the scenario (seed objects, options).
    """

    name: str = "default"
    description: str = ""
    source: str = "<default>"
    seed: int | str = 0
    compat: str = "openai"
    clock_start: int = DEFAULT_START
    clock_step: int = 1
    poll_after_ms: int = 0
    unmatched: str = "default"
    unknown_models: str = "allow"    # or "error": fakeopenai.core.known_models.check_model
    unknown_params: str = "warn"     # or "error": fakeopenai.http.params.check
    unknown_ids: str = "error"       # or "generate": the generic family makes what an unknown id names
    strict: bool = False
    stream: StreamOptions = StreamOptions()
    faults: tuple[Fault, ...] = ()
    scripts: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    parts: Mapping[str, Any] = field(default_factory=dict)
    entries: tuple[Any, ...] = ()   # the families' part entries a test is meant to use (Built.entries)
    reads_disk: bool = False         # a seed file used `path:`; such a scenario is never cached
    pinned: frozenset[str] = frozenset()   # of seed and compat, those the scenario itself gives

    def __getattr__(self, name: str) -> tuple[Any, ...]:
        # Only reached for names that are not fields: a family's scripts by their key.
        scripts = object.__getattribute__(self, "scripts")
        if name in scripts:
            return scripts[name]
        raise AttributeError(f"Scenario has no attribute or scripts {name!r}")

    def part(self, family: str, default: Any = None) -> Any:
        return self.parts.get(family, default)

    def all_scripts(self) -> list[Any]:
        return [script for scripts in self.scripts.values() for script in scripts]


def position(source: str, item: Positioned | None) -> str | None:
    """``file:line:column`` of a script or step, or None when the scenario had no text
    (a dict) or the item is not the scenario's (the default script)."""
    if item is None or item.line is None:
        return None
    return f"{source}:{item.line}:{item.column}"
