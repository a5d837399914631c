"""The Batch family's stored objects (files and batches). Public fields are the API's fields
(rendered by :mod:`fakeopenai.families.batches.render`); fields starting with ``_`` are engine
state."""

from __future__ import annotations

import builtins  # the type: File has a field called bytes
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakeopenai.scripting.stepper import Cursor

if TYPE_CHECKING:
    from fakeopenai.families.batches.scenario import BatchResponse


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
    _content: builtins.bytes | tuple[builtins.bytes, ...] = b""   # a big output file: its parts, in order


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
    # engine state (fakeopenai.families.batches.batches); the per-line data is compact on purpose
    _cursor: Cursor = None        # type: ignore[assignment]  # where the batch is in its script
    _input: Any = None            # BatchInput: the validated file (offsets, not parsed lines)
    _finished: int = 0            # lines answered so far, in input order
    _output_expires: int | None = None   # output_expires_after.seconds
    _answers: dict[int, BatchResponse] = field(default_factory=dict)  # request index -> scripted answer
    _failing: list[int] = field(default_factory=list)   # sorted indices of requests that will fail
    _cancel_requested: bool = False   # the client cancelled: the next read ends it cancelled
    _prepared: Any = None         # batch_output.Results built ahead for the read that ends it
    _preparing: bool = False      # a request is building them (in steps)
