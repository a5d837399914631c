"""The stored objects. Public fields are the API's fields (rendered by
:mod:`fakeopenai.render.objects`); fields starting with ``_`` are engine state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeopenai.engine.store import Collection
from fakeopenai.scenario.model import BatchResponse, BatchScript, RunScript


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
class RunStepObj:
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
    _script: RunScript | None = None
    _pos: int = 0                 # index of the current script step
    _seen: int = 0                # reads that observed the current step
    _entered_at: int = 0          # clock time the current step began
    _deadline: int = 0            # created_at + 600: requires_action past it expires
    _steps: Collection[RunStepObj] = field(default_factory=Collection)
    _pending: list[dict[str, Any]] = field(default_factory=list)   # tool calls awaiting outputs
    _tool_step: RunStepObj | None = None
    _number: int = 0              # the tenant's run counter, for generated text
    _stream_error: dict[str, Any] | None = None


@dataclass(slots=True)
class Thread:
    id: str
    created_at: int
    tool_resources: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    _messages: Collection[Message] = field(default_factory=Collection)
    _runs: Collection[Run] = field(default_factory=Collection)
    _active_run: Run | None = None


@dataclass(slots=True)
class File:
    id: str
    created_at: int
    filename: str
    purpose: str
    bytes: int
    expires_at: int | None = None
    status: str = "processed"
    status_details: str | None = None
    _content: bytes = b""


@dataclass(slots=True)
class Batch:
    id: str
    created_at: int
    endpoint: str
    input_file_id: str
    completion_window: str
    status: str = "validating"
    model: str | None = None
    errors: dict[str, Any] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: dict[str, int] = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})
    usage: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    # engine state (fakeopenai.engine.batches); the per-line data is compact on purpose
    _script: BatchScript | None = None
    _pos: int = 0                 # index of the current script step
    _seen: int = 0                # reads that observed the current step
    _entered_at: int = 0          # clock time the current step began
    _input: Any = None            # BatchInput: the validated file (offsets, not parsed lines)
    _finished: int = 0            # lines answered so far, in input order
    _output_expires: int | None = None   # output_expires_after.seconds
    _answers: dict[int, BatchResponse] = field(default_factory=dict)  # request index -> scripted answer
    _failing: list[int] = field(default_factory=list)   # sorted indices of requests that will fail
    _cancel_requested: bool = False   # the client cancelled: the next read ends it cancelled
