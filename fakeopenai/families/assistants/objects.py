"""The Assistants family's stored objects. Public fields are the API's fields (rendered by
:mod:`fakeopenai.families.assistants.render`); fields starting with ``_`` are engine state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeopenai.core.store import Collection
from fakeopenai.scripting.stepper import Cursor


@dataclass(slots=True)
class Assistant:
    id: str
    created_at: int
    model: str
    name: str | None = None
    description: str | None = None
    instructions: str | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_resources: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    temperature: float | None = 1.0
    top_p: float | None = 1.0
    response_format: Any = "auto"
    reasoning_effort: str | None = None


@dataclass(slots=True)
class Message:
    id: str
    created_at: int
    thread_id: str
    role: str
    content: list[dict[str, Any]]
    status: str = "completed"
    incomplete_details: dict[str, Any] | None = None
    completed_at: int | None = None
    incomplete_at: int | None = None
    assistant_id: str | None = None
    run_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return "\n".join(part["text"]["value"] for part in self.content if part.get("type") == "text")


@dataclass(slots=True)
class RunStep:
    id: str
    created_at: int
    assistant_id: str
    thread_id: str
    run_id: str
    type: str
    step_details: dict[str, Any]
    status: str = "in_progress"
    last_error: dict[str, str] | None = None
    expired_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] | None = None
    _ordinal: int = 0             # 0 for the run's first step, 1 for the next ... (usage: the first carries the prompt)


@dataclass(slots=True)
class Run:
    id: str
    created_at: int
    thread_id: str
    assistant_id: str
    model: str
    instructions: str
    tools: list[dict[str, Any]]
    status: str = "queued"
    required_action: dict[str, Any] | None = None
    last_error: dict[str, str] | None = None
    expires_at: int | None = None
    started_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    incomplete_details: dict[str, str] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] | None = None
    temperature: float | None = 1.0
    top_p: float | None = 1.0
    max_prompt_tokens: int | None = None
    max_completion_tokens: int | None = None
    truncation_strategy: dict[str, Any] = field(default_factory=lambda: {"type": "auto", "last_messages": None})
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = True
    response_format: Any = "auto"
    extra: dict[str, Any] = field(default_factory=dict)
    # engine state
    _cursor: Cursor = None        # type: ignore[assignment]  # where the run is in its script
    _deadline: int = 0            # created_at + 600: requires_action past it expires
    _steps: Collection[RunStep] = field(default_factory=Collection)
    _pending: list[dict[str, Any]] = field(default_factory=list)   # tool calls awaiting outputs
    _tool_step: RunStep | None = None
    _number: int = 0              # the tenant's run counter, for generated text
    _prompt_tokens: int = 0       # the prompt (instructions and the thread's messages when it started)
    _usage_plan: list[tuple[int, int]] | None = None   # pinned usage split over the script's steps
    _stream_error: dict[str, Any] | None = None
    _citations: list[str] = field(default_factory=list)   # files its file_search steps found, for the next message


@dataclass(slots=True)
class Thread:
    id: str
    created_at: int
    tool_resources: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    _messages: Collection[Message] = field(default_factory=Collection)
    _runs: Collection[Run] = field(default_factory=Collection)
    _active_run: Run | None = None
