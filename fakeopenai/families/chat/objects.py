"""The Chat Completions family's objects. Public fields are the API's fields (rendered by
:mod:`fakeopenai.families.chat.render`); fields starting with ``_`` are engine state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fakeopenai.core.errors import APIError
from fakeopenai.scripting.stepper import Cursor


@dataclass(slots=True)
class Completion:
    """A chat completion: the answer to one request (stored when ``store: true``)."""

    id: str
    created: int
    model: str
    choices: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    service_tier: str = "default"
    extra: dict[str, Any] = field(default_factory=dict)
    # The request's messages, with ids (stored ones). Empty containers that stay empty are tuples: a
    # stored completion (``store: true``) or one a retry may get again stays alive with its tenant, and a
    # list is one more object each pass of the garbage collector walks.
    _messages: Sequence[dict[str, Any]] = ()
    _chain: Chain | None = None
    _stream_error: dict[str, Any] | None = None
    _deltas: tuple[str, ...] = ()     # the turn's one message step's message.deltas: how its content streams


@dataclass(slots=True)
class Turn:
    """One request of a conversation as its chain keeps it: the completion's id and where its request left
    the conversation (GET /_fake/scenario), not the completion. A conversation is kept as long as its
    tenant, and a completion (its choices and usage, six objects the garbage collector walks at each
    pass) is not needed once answered, unless stored (``store: true``) or a retry may get it again."""

    id: str
    # "waiting" (it called tools), "completed" or "failed" (an error answer, or a stream that broke off),
    # at this script step (1-based).
    status: str = "in_progress"
    step: int = 0


@dataclass(slots=True)
class Chain:
    """A conversation a script drives across requests: each request plays it to its next
    ``tool_calls`` step (or its end); the request whose ``tool`` messages answer those calls goes on."""

    id: str
    _cursor: Cursor
    number: int
    status: str = "in_progress"
    pending: tuple[dict[str, Any], ...] = ()   # per choice: call_id -> ToolCallSpec (a tuple: see _messages)
    violation: dict[str, Any] | None = None
    used_up: Any = None           # stepper.UsedUp: fitting scripts whose times ran out (noted with the id)
    latest: Turn | None = None   # the request it is on now (the timeline names its id)
    turns: list[Turn] = field(default_factory=list)   # every request's, oldest first


@dataclass(slots=True)
class Outcome:
    """What a request that answered a conversation's tool calls got. A retry of that request (its
    tool messages answer calls already answered) gets the same: the SDK retries a 500, and a retry
    must not start the conversation over. The error is kept unraised (no traceback holding frames)."""

    completion: Completion | None = None
    error: APIError | None = None
