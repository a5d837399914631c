"""Threads and messages: storage rules with no HTTP in them.

Bodies arrive already validated against the official request schemas (see
:mod:`fakeopenai.http.params`); what is checked here is state: ids that exist, a thread that
is busy with a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import WrongStateError
from fakeopenai.core.unknown_ids import made_for
from fakeopenai.families.assistants.objects import Message, Thread
from fakeopenai.families.assistants.world import world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

ACTIVE_RUN_STATUSES = frozenset({"queued", "in_progress", "requires_action", "cancelling"})


# ----------------------------------------------------------------------------- threads

def create_thread(state: TenantState, body: dict[str, Any], *, object_id: str | None = None) -> Thread:
    now = state.clock.tick()
    thread = Thread(id=object_id or state.ids.new("thread_"), created_at=now,
                    tool_resources=body.get("tool_resources"), metadata=dict(body.get("metadata") or {}))
    world(state).threads.add(thread.id, thread)
    for message in body.get("messages") or []:
        add_message(state, thread, message, created_at=now)
    state.log_change("%s created with %d message(s)", thread.id, len(thread._messages))
    return thread


def get_thread(state: TenantState, thread_id: str, *, param: str | None = None) -> Thread:
    found = world(state).threads.get(thread_id) or made_for(
        state, thread_id, "thread", lambda key: create_thread(state, {}, object_id=key))
    return found or world(state).threads.require(thread_id, "thread", param=param)


def modify_thread(state: TenantState, thread_id: str, body: dict[str, Any]) -> Thread:
    thread = get_thread(state, thread_id)
    if "metadata" in body:
        thread.metadata = dict(body["metadata"] or {})
    if "tool_resources" in body:
        thread.tool_resources = body["tool_resources"]
    return thread


def delete_thread(state: TenantState, thread_id: str) -> str:
    get_thread(state, thread_id)
    world(state).threads.remove(thread_id)
    state.log_change("%s deleted", thread_id)
    return thread_id


def ensure_idle(thread: Thread, action: str) -> None:
    run = thread._active_run
    if run is not None and run.status in ACTIVE_RUN_STATUSES:
        raise WrongStateError(f"Can't {action} {thread.id} while a run {run.id} is active.")


# ----------------------------------------------------------------------------- messages

def content_parts(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A create-message ``content`` (string or parts) as MessageObject content."""
    if isinstance(content, str):
        return [text_part(content)]
    parts = []
    for part in content:
        kind = part["type"]
        if kind == "text":
            parts.append(text_part(part["text"]))
        elif kind == "image_file":
            parts.append({"type": "image_file", "image_file": {"detail": "auto", **part["image_file"]}})
        elif kind == "image_url":
            parts.append({"type": "image_url", "image_url": {"detail": "auto", **part["image_url"]}})
    return parts


def text_part(value: str) -> dict[str, Any]:
    return {"type": "text", "text": {"value": value, "annotations": []}}


def add_message(state: TenantState, thread: Thread, body: dict[str, Any], *, created_at: int | None = None,
                object_id: str | None = None) -> Message:
    """Store a user (or client-written assistant) message; no state check."""
    now = created_at if created_at is not None else state.clock.tick()
    message = Message(
        id=object_id or state.ids.new("msg_"), created_at=now, thread_id=thread.id,
        role=body.get("role", "user"), content=content_parts(body["content"]), completed_at=None,
        attachments=list(body.get("attachments") or []), metadata=dict(body.get("metadata") or {}))
    thread._messages.add(message.id, message)
    return message


def create_message(state: TenantState, thread_id: str, body: dict[str, Any]) -> Message:
    thread = get_thread(state, thread_id)
    ensure_idle(thread, "add messages to")
    return add_message(state, thread, body)


def get_message(state: TenantState, thread_id: str, message_id: str) -> Message:
    thread = get_thread(state, thread_id)
    found = thread._messages.get(message_id) or made_for(
        state, message_id, "message", lambda key: add_message(state, thread, {"content": "Hello"}, object_id=key))
    return found or thread._messages.require(message_id, "message")


def modify_message(state: TenantState, thread_id: str, message_id: str, body: dict[str, Any]) -> Message:
    message = get_message(state, thread_id, message_id)
    if "metadata" in body:
        message.metadata = dict(body["metadata"] or {})
    return message


def delete_message(state: TenantState, thread_id: str, message_id: str) -> str:
    thread = get_thread(state, thread_id)
    get_message(state, thread_id, message_id)
    thread._messages.remove(message_id)
    return message_id


def last_user_text(thread: Thread) -> str | None:
    for message in reversed(list(thread._messages)):
        if message.role == "user":
            return message.text()
    return None
