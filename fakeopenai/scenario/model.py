"""The scenario model: immutable, validated, free of YAML and HTTP.

A :class:`Scenario` is built by :mod:`fakeopenai.scenario.loader`. Mutable
progress (how often a script was used, where each run is) lives in the tenant's
engine state, so one scenario object can serve many tenants.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

RUN_TERMINAL = ("completed", "failed", "cancelled", "expired", "incomplete")
BATCH_TERMINAL = ("completed", "failed", "expired", "cancelled")

StepKind = Literal["status", "tool_calls", "message", "stream_error"]


@dataclass(frozen=True, slots=True)
class TextMatch:
    """One check on a piece of text: ``equals``, ``contains``, ``regex`` or ``json``."""

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


@dataclass(frozen=True, slots=True)
class StreamOptions:
    chunk_words: int = 3
    chunk_chars: int = 16


@dataclass(frozen=True, slots=True)
class ToolCallSpec:
    function: str
    arguments: str  # always a JSON string, as the API sends it
    id: str | None = None


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~2 us a field set, x1,000 steps; never mutated
class RunStep:
    kind: StepKind
    where: str                       # "runs[0].steps[2]", for reports
    status: str | None = None        # kind == "status"
    tool_calls: tuple[ToolCallSpec, ...] = ()
    message: str | None = None       # kind == "message"; None means generated
    message_words: int = 12
    stream_error: dict[str, Any] | None = None
    reads: int = 1
    after: float | None = None
    usage: dict[str, int] | None = None
    last_error: dict[str, str] | None = None
    incomplete_details: dict[str, str] | None = None
    expect_outputs: dict[str, TextMatch] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = None          # where the step starts in the scenario's YAML (1-based), for reports
    column: int | None = None

    @property
    def terminal(self) -> bool:
        return self.kind == "status" and self.status in RUN_TERMINAL

    def describe(self) -> str:
        if self.kind == "status":
            return f"status {self.status}"
        if self.kind == "tool_calls":
            return "tool calls " + ", ".join(call.function for call in self.tool_calls)
        if self.kind == "message":
            return "message"
        return "stream error"


@dataclass(frozen=True, slots=True)
class RunMatch:
    assistant_id: str | None = None
    assistant_name: str | None = None
    model: str | None = None
    thread_id: str | None = None
    metadata: dict[str, str] | None = None
    last_message: TextMatch | None = None

    def mismatch(self, *, assistant_id: str, assistant_name: str | None, model: str, thread_id: str,
                 metadata: dict[str, str], last_message: str | None) -> str | None:
        """None when the run matches, else why it does not (for reports)."""
        if self.assistant_id is not None and assistant_id != self.assistant_id:
            return f"assistant_id is {assistant_id!r}, not {self.assistant_id!r}"
        if self.assistant_name is not None and assistant_name != self.assistant_name:
            return f"assistant name is {assistant_name!r}, not {self.assistant_name!r}"
        if self.model is not None and model != self.model:
            return f"model is {model!r}, not {self.model!r}"
        if self.thread_id is not None and thread_id != self.thread_id:
            return f"thread_id is {thread_id!r}, not {self.thread_id!r}"
        if self.metadata:
            for key, value in self.metadata.items():
                if metadata.get(key) != value:
                    return f"metadata[{key!r}] is {metadata.get(key)!r}, not {value!r}"
        if self.last_message is not None:
            if last_message is None:
                return "the thread has no user message"
            if not self.last_message.test(last_message):
                return (f"last user message {_clip(last_message)!r} is not "
                        f"{self.last_message.describe()}")
        return None


@dataclass(frozen=True, slots=True)
class RunScript:
    index: int
    name: str
    match: RunMatch
    times: int | None                # None = always
    steps: tuple[RunStep, ...]
    stream: StreamOptions | None = None
    line: int | None = None          # where the script starts in the scenario's YAML, for reports
    column: int | None = None


@dataclass(frozen=True, slots=True)
class BatchStep:
    status: str
    where: str
    progress: float | None = None
    reads: int = 1
    after: float | None = None
    errors: tuple[dict[str, Any], ...] = ()
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class BatchResponse:
    custom_id: str | None = None
    line: int | None = None
    error: dict[str, str] | None = None
    status_code: int | None = None
    content: str | None = None
    body: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BatchMatch:
    endpoint: str | None = None
    input_file_id: str | None = None
    metadata: dict[str, str] | None = None

    def mismatch(self, *, endpoint: str, input_file_id: str, metadata: dict[str, str]) -> str | None:
        if self.endpoint is not None and endpoint != self.endpoint:
            return f"endpoint is {endpoint!r}, not {self.endpoint!r}"
        if self.input_file_id is not None and input_file_id != self.input_file_id:
            return f"input_file_id is {input_file_id!r}, not {self.input_file_id!r}"
        for key, value in (self.metadata or {}).items():
            if metadata.get(key) != value:
                return f"metadata[{key!r}] is {metadata.get(key)!r}, not {value!r}"
        return None


@dataclass(frozen=True, slots=True)
class BatchScript:
    index: int
    name: str
    match: BatchMatch
    times: int | None
    steps: tuple[BatchStep, ...]
    responses: tuple[BatchResponse, ...] = ()
    output_order: str = "shuffled"
    line: int | None = None
    column: int | None = None


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


@dataclass(frozen=True, slots=True)
class SeedObjects:
    assistants: tuple[dict[str, Any], ...] = ()
    threads: tuple[dict[str, Any], ...] = ()
    files: tuple[dict[str, Any], ...] = ()   # each with bytes under "content"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded, validated scenario. Build one with :func:`fakeopenai.load_scenario`."""

    name: str = "default"
    description: str = ""
    source: str = "<default>"
    seed: int | str = 0
    compat: str = "openai"
    clock_start: int = 1735689600  # 2025-01-01T00:00:00Z
    clock_step: int = 1
    poll_after_ms: int = 0
    unmatched: str = "default"
    strict: bool = False
    require_beta_header: bool = False
    stream: StreamOptions = StreamOptions()
    objects: SeedObjects = SeedObjects()
    runs: tuple[RunScript, ...] = ()
    batches: tuple[BatchScript, ...] = ()
    faults: tuple[Fault, ...] = ()
    reads_disk: bool = False         # objects.files used `path:`; such a scenario is never cached


def position(source: str, item: RunStep | BatchStep | RunScript | BatchScript | None) -> str | None:
    """``file:line:column`` of a script or step, or None when the scenario had no text
    (a dict) or the item is not the scenario's (the default script)."""
    if item is None or item.line is None:
        return None
    return f"{source}:{item.line}:{item.column}"


def moves_on(step: RunStep | BatchStep | None, *, seen: int, entered_at: int, now: int) -> bool:
    """Whether a read moves a run or batch past ``step``: once the fake clock has passed
    ``after`` since the step began, or once the step was observed ``reads`` times."""
    if step is None:
        return True
    if step.after is not None:
        return now >= entered_at + step.after
    return seen >= step.reads


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
