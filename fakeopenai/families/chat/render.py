"""The Chat Completions family's objects -> API JSON, with every field the SDKs' strict parsing reads."""

from __future__ import annotations

from typing import Any

from fakeopenai.families.chat.generated import SYSTEM_FINGERPRINT
from fakeopenai.families.chat.objects import Completion
from fakeopenai.http.rendering import Kinds


def completion(c: Completion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id, "object": "chat.completion", "created": c.created, "model": c.model, "choices": c.choices,
        "usage": c.usage, "service_tier": c.service_tier, "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if c._messages:   # stored: retrieve and list show the metadata
        out["metadata"] = c.metadata
    if c.extra:
        out.update(c.extra)
    return out


def stored_message(message: dict[str, Any]) -> dict[str, Any]:
    """A request message as ``GET /chat/completions/{id}/messages`` lists it."""
    content = message.get("content")
    parts = content if isinstance(content, list) else None
    text = content if isinstance(content, str) else (
        "\n".join(p.get("text", "") for p in content or () if isinstance(p, dict) and p.get("type") == "text")
        if content is not None else None)
    out = {"id": message["id"], "role": message.get("role"), "content": text, "refusal": None,
           "name": message.get("name"), "content_parts": parts}
    if message.get("tool_calls"):
        out["tool_calls"] = message["tool_calls"]
    return out


RENDER = Kinds({Completion: ("chat.completion", completion)})
