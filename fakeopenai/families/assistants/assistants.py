"""Assistants: storage rules with no HTTP in them (bodies arrive schema-checked)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.known_models import check_model
from fakeopenai.core.unknown_ids import DEFAULT_MODEL, made_for
from fakeopenai.families.assistants.objects import Assistant
from fakeopenai.families.assistants.world import world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

_ASSISTANT_FIELDS = ("model", "name", "description", "instructions", "tools", "tool_resources", "metadata",
                     "temperature", "top_p", "response_format", "reasoning_effort")


def create_assistant(state: TenantState, body: dict[str, Any], *, object_id: str | None = None) -> Assistant:
    if object_id is None:   # a scenario's pinned assistant is checked when its run names its model
        check_model(state, body["model"])
    now = state.clock.tick()
    assistant = Assistant(id=object_id or state.ids.new("asst_"), created_at=now, model=body["model"])
    _apply_assistant_fields(assistant, body)
    world(state).assistants.add(assistant.id, assistant)
    state.log_change("%s created", assistant.id)
    return assistant


def _apply_assistant_fields(assistant: Assistant, body: dict[str, Any]) -> None:
    for name in _ASSISTANT_FIELDS:
        if name not in body:
            continue
        value = body[name]
        if name == "metadata":
            value = dict(value or {})
        elif name == "tools":
            value = list(value or [])
        elif name in ("temperature", "top_p") and value is None:
            value = 1.0
        elif name == "response_format" and value is None:
            value = "auto"
        setattr(assistant, name, value)


def get_assistant(state: TenantState, assistant_id: str, *, param: str | None = None) -> Assistant:
    found = world(state).assistants.get(assistant_id)
    if found is None:
        found = made_for(state, assistant_id, "assistant",
                         lambda key: create_assistant(state, {"model": DEFAULT_MODEL}, object_id=key))
    return found or world(state).assistants.require(assistant_id, "assistant", param=param)


def modify_assistant(state: TenantState, assistant_id: str, body: dict[str, Any]) -> Assistant:
    assistant = get_assistant(state, assistant_id)
    check_model(state, body.get("model"))
    _apply_assistant_fields(assistant, body)
    return assistant


def delete_assistant(state: TenantState, assistant_id: str) -> str:
    get_assistant(state, assistant_id)
    world(state).assistants.remove(assistant_id)
    state.log_change("%s deleted", assistant_id)
    return assistant_id
