"""``POST /responses/input_tokens`` (how many tokens a request's input would be) and
``POST /responses/compact`` (a long conversation compacted into one item). No HTTP here.

The count is the one a response's ``usage.input_tokens`` gives for the same input (instructions,
the conversation or previous response it continues, then its own items), so a test can compare
them. A compaction keeps the user's messages and adds one ``compaction`` item whose
``encrypted_content`` is a digest of what it replaced: deterministic, opaque like the live
API's, and accepted as input by a later response.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.known_models import check_model
from fakeopenai.families.responses.conversations import get_conversation, history, resolve_references
from fakeopenai.families.responses.items import input_tokens, parse_input, store_items
from fakeopenai.families.responses.responses import held_or_made

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def context(state: TenantState, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The items a response created with ``body`` would read: what it continues, then its input."""
    earlier: list[dict[str, Any]] = []
    if body.get("previous_response_id"):
        previous = held_or_made(state, body["previous_response_id"])
        if previous is None:
            raise InvalidRequestError(f"Previous response with id '{body['previous_response_id']}' not found.",
                                      param="previous_response_id", code="previous_response_not_found")
        earlier = previous._history + previous.output
    elif body.get("conversation") is not None:
        ref = body["conversation"]
        earlier = history(get_conversation(state, ref if isinstance(ref, str) else str(ref.get("id")),
                                           param="conversation"))
    return earlier + resolve_references(state, parse_input(body.get("input")))


def count_input_tokens(state: TenantState, body: dict[str, Any]) -> dict[str, Any]:
    check_model(state, body.get("model"))
    return {"object": "response.input_tokens",
            "input_tokens": input_tokens(body.get("instructions"), context(state, body))}


def compact(state: TenantState, body: dict[str, Any]) -> dict[str, Any]:
    check_model(state, body.get("model"))
    items = context(state, body)
    kept = [item for item in items if item.get("type") == "message" and item.get("role") == "user"]
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, ensure_ascii=False).encode()).digest()
    output = [*store_items(kept, state.ids),
              {"id": state.ids.new("cmp_"), "type": "compaction",
               "encrypted_content": "fake-compaction:" + base64.b64encode(digest).decode()}]
    used = input_tokens(body.get("instructions"), items)
    produced = sum(input_tokens(None, [item]) for item in kept)
    return {"id": state.ids.new("resp_"), "object": "response.compaction", "output": output,
            "created_at": state.clock.tick(),
            "usage": {"input_tokens": used, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                      "output_tokens": produced, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": used + produced}}
