"""``/v1/responses`` batch lines, answered as ``POST /responses`` answers the same body (the family's
``Family.batch_answerer``, in ``api.py``): the engine's pieces, with ids derived from the line's key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.ids import derived_id
from fakeopenai.families.responses.items import parse_input
from fakeopenai.families.responses.objects import Chain, Response
from fakeopenai.families.responses.responses import (
    DEFAULT_SCRIPT,
    TERMINAL,
    capped,
    create_response,
    forced_call_script,
    message_text,
    mismatch_of,
    new_response,
    play,
    response_usage,
)
from fakeopenai.scripting.stepper import Cursor, first_match, scripts_for
from fakeopenai.spec.generate import request_key

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def batch_line(state: TenantState, body: dict[str, Any], key: str, created: int, content: str | None) -> Response:
    """A ``/v1/responses`` batch line answered as ``POST /responses`` answers ``body``, not stored: a line
    a script matches, or one that needs the engine (tool outputs, references, a previous response, a
    conversation, a forced tool), played to its end; any other gets the default script's answer built
    here with ids derived from ``key`` (no tenant state changes: a batch has tens of thousands of them).
    ``content`` (a batch script's fixed answer) is the message. Raises the request's 400 as the call does."""
    items = parse_input(body.get("input"))
    plain = content is not None or not (
        body.get("previous_response_id") or body.get("conversation") is not None
        or any(item.get("type") not in ("message", None) for item in items)
        or forced_call_script(body, "") is not None
        or first_match(state, scripts_for(state, "responses"), mismatch_of(body, items), "response",
                       "responses")[0] is not None)
    if not plain:
        response = create_response(state, {**body, "store": False, "background": False, "stream": False})
        return play(state, response) if response.status not in TERMINAL else response
    text_key = request_key(state.scenario.seed, body)
    chain = Chain(id="", _cursor=Cursor(DEFAULT_SCRIPT, pos=2), text_key=text_key)
    response = new_response(body, derived_id("resp_", key), created, chain, background=False, store=False)
    response._history = items
    text = content if content is not None else message_text(response, f"{text_key}|step2", None)
    text, response._capped = capped(response, text)
    response.output.append({"id": derived_id("msg_", key), "type": "message",
                            "status": "incomplete" if response._capped else "completed",
                            "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}],
                            "role": "assistant"})
    if response._capped:
        response.status, response.incomplete_details = "incomplete", {"reason": "max_output_tokens"}
    else:
        response.status, response.completed_at = "completed", created
    response.usage = response_usage(response, None)
    return response
