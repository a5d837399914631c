"""Stored objects -> API JSON (dicts), in the official schema's field order.

Every field of the official schema is present (null where unset). Compat
profiles (:mod:`fakeopenai.render.profiles`) post-process these dicts; the
default ``openai`` profile uses them as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fakeopenai.engine.objects import Assistant, Batch, File, Message, Run, RunStepObj, Thread


def assistant(a: Assistant) -> dict[str, Any]:
    return {
        "id": a.id, "object": "assistant", "created_at": a.created_at, "name": a.name,
        "description": a.description, "model": a.model, "instructions": a.instructions, "tools": a.tools,
        "tool_resources": a.tool_resources if a.tool_resources is not None else {},
        "metadata": a.metadata, "temperature": a.temperature, "top_p": a.top_p,
        "response_format": a.response_format,
    }


def thread(t: Thread) -> dict[str, Any]:
    return {"id": t.id, "object": "thread", "created_at": t.created_at,
            "tool_resources": t.tool_resources if t.tool_resources is not None else {}, "metadata": t.metadata}


def message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id, "object": "thread.message", "created_at": m.created_at, "thread_id": m.thread_id,
        "status": m.status, "incomplete_details": m.incomplete_details, "completed_at": m.completed_at,
        "incomplete_at": m.incomplete_at, "role": m.role, "content": m.content, "assistant_id": m.assistant_id,
        "run_id": m.run_id, "attachments": m.attachments, "metadata": m.metadata,
    }


def run(r: Run) -> dict[str, Any]:
    out = {
        "id": r.id, "object": "thread.run", "created_at": r.created_at, "thread_id": r.thread_id,
        "assistant_id": r.assistant_id, "status": r.status, "required_action": r.required_action,
        "last_error": r.last_error, "expires_at": r.expires_at, "started_at": r.started_at,
        "cancelled_at": r.cancelled_at, "failed_at": r.failed_at, "completed_at": r.completed_at,
        "incomplete_details": r.incomplete_details, "model": r.model, "instructions": r.instructions,
        "tools": r.tools, "metadata": r.metadata, "usage": r.usage, "temperature": r.temperature,
        "top_p": r.top_p, "max_prompt_tokens": r.max_prompt_tokens,
        "max_completion_tokens": r.max_completion_tokens, "truncation_strategy": r.truncation_strategy,
        "tool_choice": r.tool_choice, "parallel_tool_calls": r.parallel_tool_calls,
        "response_format": r.response_format,
    }
    if r.extra:
        out.update(r.extra)
    return out


def run_step(s: RunStepObj) -> dict[str, Any]:
    return {
        "id": s.id, "object": "thread.run.step", "created_at": s.created_at, "assistant_id": s.assistant_id,
        "thread_id": s.thread_id, "run_id": s.run_id, "type": s.type, "status": s.status,
        "step_details": s.step_details, "last_error": s.last_error, "expired_at": s.expired_at,
        "cancelled_at": s.cancelled_at, "failed_at": s.failed_at, "completed_at": s.completed_at,
        "metadata": s.metadata, "usage": s.usage,
    }


def file(f: File) -> dict[str, Any]:
    return {"id": f.id, "object": "file", "bytes": f.bytes, "created_at": f.created_at,
            "expires_at": f.expires_at, "filename": f.filename, "purpose": f.purpose, "status": f.status,
            "status_details": f.status_details}


def batch(b: Batch) -> dict[str, Any]:
    return {
        "id": b.id, "object": "batch", "endpoint": b.endpoint, "model": b.model, "errors": b.errors,
        "input_file_id": b.input_file_id, "completion_window": b.completion_window, "status": b.status,
        "output_file_id": b.output_file_id, "error_file_id": b.error_file_id, "created_at": b.created_at,
        "in_progress_at": b.in_progress_at, "expires_at": b.expires_at, "finalizing_at": b.finalizing_at,
        "completed_at": b.completed_at, "failed_at": b.failed_at, "expired_at": b.expired_at,
        "cancelling_at": b.cancelling_at, "cancelled_at": b.cancelled_at,
        "request_counts": dict(b.request_counts), "usage": b.usage, "metadata": b.metadata,
    }


def deleted(object_id: str, kind: str) -> dict[str, Any]:
    return {"id": object_id, "object": kind, "deleted": True}


RENDERERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    Assistant: assistant, Thread: thread, Message: message, Run: run, RunStepObj: run_step, File: file,
    Batch: batch,
}


def register(kind: type, renderer: Callable[[Any], dict[str, Any]]) -> None:
    RENDERERS[kind] = renderer


def to_dict(obj: Any) -> dict[str, Any]:
    return RENDERERS[type(obj)](obj)


def page(items: Iterable[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    data = list(items)
    return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None, "has_more": has_more}
