"""The Responses family's stored objects. Public fields are the API's fields (rendered by
:mod:`fakeopenai.families.responses.render`); fields starting with ``_`` are engine state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeopenai.core.store import Collection
from fakeopenai.scripting.stepper import Cursor


@dataclass(slots=True)
class Response:
    id: str
    created_at: int
    model: str
    status: str = "in_progress"
    background: bool = False
    store: bool = True
    completed_at: int | None = None
    error: dict[str, Any] | None = None
    incomplete_details: dict[str, Any] | None = None
    instructions: Any = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    output: list[dict[str, Any]] = field(default_factory=list)
    parallel_tool_calls: bool = True
    previous_response_id: str | None = None
    prompt_cache_key: str | None = None
    reasoning: dict[str, Any] = field(default_factory=lambda: {"effort": None, "summary": None})
    safety_identifier: str | None = None
    service_tier: str = "default"
    temperature: float | None = 1.0
    text: dict[str, Any] = field(default_factory=lambda: {"format": {"type": "text"}, "verbosity": "medium"})
    tool_choice: Any = "auto"
    tools: list[dict[str, Any]] = field(default_factory=list)
    top_logprobs: int = 0
    top_p: float | None = 1.0
    truncation: str = "disabled"
    usage: dict[str, Any] | None = None
    user: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    conversation: str | None = None   # the id of the conversation it was created in
    # engine state
    _chain: Chain = None          # type: ignore[assignment]  # the scripted conversation it belongs to
    _input: list[dict[str, Any]] = field(default_factory=list)     # its input items, stored (with ids)
    _history: list[dict[str, Any]] = field(default_factory=list)   # input items of the whole chain, oldest first
    _stream: bool = False         # created with stream: true (a background one may be streamed again)
    _capped: bool = False         # its text was cut at max_output_tokens: it ends incomplete
    _recorder: Any = None         # a background stream's event log, for GET ?stream=true (events.py)
    _conversation: Conversation | None = None   # where its output items go once it ends
    _step: int = 0                # the script step its conversation reached while it played (1-based)
    _include: frozenset[str] = frozenset()   # the request's include: what hosted tool items carry
    _reasoning_tokens: int = 0    # its reasoning items' tokens (usage.output_tokens_details)
    _approved: list[Any] = field(default_factory=list)   # (mcp step, approval id, approve) its input decided

    @property
    def _cursor(self) -> Cursor:
        """Where its conversation is in the script (the stepper reads it)."""
        return self._chain._cursor


@dataclass(slots=True)
class Chain:
    """A scripted conversation: the responses one script serves, linked by previous_response_id,
    by a conversation, or by the history a stateless client resends."""

    id: str                       # the first response's id (its timeline lane; GET /_fake/scenario's conversation)
    _cursor: Cursor
    status: str = "in_progress"   # the latest response's status; "waiting" while its calls await outputs
    number: int = 0               # the tenant's chain counter
    text_key: str = ""            # what its generated text is keyed by (unscripted: the request, see request_key)
    latest: Response | None = None
    responses: list[Response] = field(default_factory=list)   # every response of it, oldest first
    pending: dict[str, Any] = field(default_factory=dict)   # call_id -> ToolCallSpec awaiting its output
    violation: dict[str, Any] | None = None   # unmatched: error, recorded once the first response has its id
    used_up: Any = None           # stepper.UsedUp: fitting scripts whose times ran out, noted with that id too
    approvals: dict[str, Any] = field(default_factory=dict)   # mcp_approval_request id -> its mcp Step, waiting
    mcp_listed: set[str] = field(default_factory=set)   # MCP server labels whose tools it listed
    citations: list[dict[str, Any]] = field(default_factory=list)   # what its searches found, for the next message
    passage: str | None = None   # the best passage a search of a real vector store found: an unscripted answer's text
    container: str | None = None  # its code interpreter container


@dataclass(slots=True)
class Conversation:
    """A conversation (the successor of threads): its items, oldest first, and the scripted
    conversation its latest response played."""

    id: str
    created_at: int
    metadata: dict[str, str] = field(default_factory=dict)
    # engine state
    _items: Collection[dict[str, Any]] = field(default_factory=Collection)
    _chain: Chain | None = None
