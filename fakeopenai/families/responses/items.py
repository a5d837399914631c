"""Input and output items: what a request's ``input`` becomes when stored (with ids), and the
facts a script matches on. No HTTP here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.families.responses.shapes import project
from fakeopenai.spec.generate import count_tokens

if TYPE_CHECKING:
    from fakeopenai.core.ids import IdFactory

_ID_PREFIX = {"message": "msg_", "function_call": "fc_", "function_call_output": "fco_"}


def parse_input(value: Any) -> list[dict[str, Any]]:
    """``input`` (a string or a list of items, already schema-checked) as item dicts, without ids."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}]
    items = []
    for item in value:
        kind = item.get("type", "message")
        if kind in ("item_reference", None) or ("type" not in item and "role" not in item and "id" in item):
            items.append({"type": "item_reference", "id": item.get("id")})   # resolved by the engine
            continue
        if kind == "message":
            content = item.get("content")
            role = item.get("role", "user")
            if isinstance(content, str):
                part = "output_text" if role == "assistant" else "input_text"
                content = [{"type": part, "text": content}]
            items.append({**{k: v for k, v in item.items() if k not in ("type", "content")},
                          "type": "message", "role": role, "content": list(content or [])})
        else:
            items.append(dict(item))
    return items


def store_items(items: list[dict[str, Any]], ids: IdFactory) -> list[dict[str, Any]]:
    """The items as stored resources: each with an ``id`` (kept when given) and a ``status``."""
    stored = []
    for item in items:
        kind = item.get("type", "message")
        prefix = _ID_PREFIX.get(kind, "item_")
        item_id = item.get("id") or ids.new(prefix)
        entry = {"id": item_id, **project(item)}
        entry["id"] = item_id   # first, whatever the item said
        if kind in _ID_PREFIX:
            entry.setdefault("status", "completed")
        if kind == "message":
            entry["content"] = [_as_listed(part) for part in entry.get("content") or ()]
        stored.append(entry)
    return stored


def _as_listed(part: Any) -> Any:
    """A content part as the API lists it: an assistant's text with its annotations and logprobs (the
    defaults of the spec, such as an image's ``detail: auto``, are filled by ``shapes.project``)."""
    if not isinstance(part, dict):
        return part
    if part.get("type") == "output_text":
        return {**part, "annotations": part.get("annotations") or [], "logprobs": part.get("logprobs") or []}
    return part


def text_of(item: dict[str, Any]) -> str:
    """The text of a message item (its text parts joined)."""
    return "\n".join(part.get("text", "") for part in item.get("content") or ()
                     if isinstance(part, dict) and part.get("type") in ("input_text", "output_text", "text"))


def last_user_text(items: list[dict[str, Any]]) -> str | None:
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            return text_of(item)
    return None


def input_tokens(instructions: Any, items: list[dict[str, Any]]) -> int:
    """The tokens of a response's input (``usage.input_tokens``, ``POST /responses/input_tokens``)."""
    total = count_tokens(instructions_text(instructions) or "")
    for item in items:
        total += count_tokens(text_of(item) if item.get("type") == "message" else
                              str(item.get("output") or item.get("arguments") or ""))
    return total


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [t["name"] for t in tools if isinstance(t, dict) and t.get("type") == "function" and "name" in t]


def instructions_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return "\n".join(text_of(item) for item in value if isinstance(item, dict))
