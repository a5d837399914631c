"""The Responses family's objects -> API JSON, with every field the SDKs' strict parsing reads."""

from __future__ import annotations

from typing import Any

from fakeopenai.families.responses.objects import Conversation, Response
from fakeopenai.http.rendering import Kinds


def response(r: Response) -> dict[str, Any]:
    out = {
        "id": r.id, "object": "response", "created_at": r.created_at, "status": r.status,
        "background": r.background, "completed_at": r.completed_at, "error": r.error,
        "incomplete_details": r.incomplete_details, "instructions": r.instructions,
        "max_output_tokens": r.max_output_tokens, "max_tool_calls": r.max_tool_calls, "model": r.model,
        "output": r.output, "parallel_tool_calls": r.parallel_tool_calls,
        "previous_response_id": r.previous_response_id, "prompt_cache_key": r.prompt_cache_key,
        "reasoning": r.reasoning, "safety_identifier": r.safety_identifier, "service_tier": r.service_tier,
        "store": r.store, "temperature": r.temperature, "text": r.text, "tool_choice": r.tool_choice,
        "tools": r.tools, "top_logprobs": r.top_logprobs, "top_p": r.top_p, "truncation": r.truncation,
        "usage": r.usage, "user": r.user, "metadata": r.metadata,
    }
    if r.conversation is not None:
        out["conversation"] = {"id": r.conversation}
    if r.extra:
        out.update(r.extra)
    return out


def conversation(c: Conversation) -> dict[str, Any]:
    return {"id": c.id, "object": "conversation", "created_at": c.created_at, "metadata": c.metadata}


RENDER = Kinds({Response: ("response", response), Conversation: ("conversation", conversation)})
