"""The Responses family's HTTP handlers: create (sync, streamed, background), retrieve (a read
of a background response moves it one step; ``?stream=true`` replays its events), delete,
cancel and input items. The engine (``responses.py``) knows nothing of HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.core.errors import APIError, InvalidRequestError
from fakeopenai.core.family import BatchLines
from fakeopenai.core.state import TenantState
from fakeopenai.core.store import Collection
from fakeopenai.families.responses import batch_lines, compaction, conversations, responses
from fakeopenai.families.responses.events import EventLog
from fakeopenai.families.responses.items import parse_input
from fakeopenai.families.responses.objects import Response as APIResponse
from fakeopenai.families.responses.render import RENDER
from fakeopenai.http.params import check, drop_unknown, int_query, json_body, page_query
from fakeopenai.http.rendering import deleted, json_response, profiled_page, tenant
from fakeopenai.http.streaming import sse_response

ITEMS_BODY = frozenset({"items"})   # POST /conversations/{id}/items takes only its items


async def create_response(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateResponse", required=False)
    if not body.get("stream"):
        response = responses.create_response(state, body)
        if not response.background and response.status not in responses.TERMINAL:
            responses.play(state, response)
        return json_response(RENDER.one(state, response))
    log = EventLog(state)
    response = responses.create_response(state, body, log)
    if response.background and response._recorder is None:
        response._recorder = log
    # A repeated request gets the response it repeats: its events from the start, as recorded.
    return sse_response(request.scope, _stream(state, response, log if response._recorder is None
                                               else response._recorder, 0))


async def _stream(state: TenantState, response: APIResponse, log: EventLog, start: int) -> AsyncIterator[bytes]:
    """The events from ``start`` on, as they are played, to the response's end. Async, so the engine
    runs on the server's loop (Starlette iterates a sync iterator in a thread)."""
    sent = start
    finished = False
    try:
        while sent < len(log.frames):
            sent += 1
            yield log.frames[sent - 1]
        for _ in responses.steps_until_end(state, response, log):
            while sent < len(log.frames):
                sent += 1
                yield log.frames[sent - 1]
        finished = True
    finally:
        if not finished:  # the client left, or a fault cut the stream: the response goes on, as on the live API
            responses.play(state, response, responses.emitter_of(response))


async def retrieve_response(request: Request) -> Response:
    state = tenant(request)
    response = responses.get_response(state, request.path_params["response_id"], EventLog(state))
    stream = request.query_params.get("stream", "false").lower()
    if stream not in ("true", "false"):
        raise InvalidRequestError(f"Invalid value for 'stream': '{stream}'. Supported values are: 'true', 'false'.",
                                  param="stream", code="invalid_value")
    if stream == "true":
        after = int_query(request, "starting_after", default=-1, low=-1, high=10**9)
        if not response.background:
            raise InvalidRequestError("This response cannot be streamed because it was not created with "
                                      "background=true.", param="stream", code="invalid_request_error")
        if response._recorder is None:
            raise InvalidRequestError("This response cannot be streamed because it was not created with "
                                      "stream=true.", param="stream", code="invalid_request_error")
        return sse_response(request.scope, _stream(state, response, response._recorder, after + 1))
    if response.background:
        responses.observe(state, response)
    return json_response(RENDER.one(state, response))


async def delete_response(request: Request) -> Response:
    state = tenant(request)
    return json_response(deleted(responses.delete_response(state, request.path_params["response_id"]), "response"))


async def cancel_response(request: Request) -> Response:
    state = tenant(request)
    response = responses.get_response(state, request.path_params["response_id"], EventLog(state))
    return json_response(RENDER.one(state, responses.cancel_response(state, response)))


async def list_input_items(request: Request) -> Response:
    state = tenant(request)
    response = responses.get_response(state, request.path_params["response_id"], EventLog(state))
    items: Collection[dict[str, object]] = Collection()
    for item in response._history:
        items.add(str(item["id"]), item)
    page = items.page(page_query(request, before=False), id_of=lambda item: str(item["id"]))
    return json_response(profiled_page(state, "response_item", page.data, page.has_more))


async def count_input_tokens(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "TokenCountsBody", required=False)
    return json_response(compaction.count_input_tokens(state, body))


async def compact_response(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CompactResponseMethodPublicBody")
    return json_response(compaction.compact(state, body))


async def create_conversation(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateConversationBody", required=False)
    return json_response(RENDER.one(state, conversations.create_conversation(state, body)))


async def retrieve_conversation(request: Request) -> Response:
    state = tenant(request)
    conversation = conversations.get_conversation(state, request.path_params["conversation_id"])
    return json_response(RENDER.one(state, conversation))


async def update_conversation(request: Request) -> Response:
    state = tenant(request)
    conversation = conversations.get_conversation(state, request.path_params["conversation_id"])
    body = json_body(request, "UpdateConversationBody")
    return json_response(RENDER.one(state, conversations.update_conversation(state, conversation.id, body)))


async def delete_conversation(request: Request) -> Response:
    state = tenant(request)
    conversation_id = conversations.delete_conversation(state, request.path_params["conversation_id"])
    return json_response(deleted(conversation_id, "conversation.deleted"))


async def create_conversation_items(request: Request) -> Response:
    state = tenant(request)
    conversation = conversations.get_conversation(state, request.path_params["conversation_id"])
    body = json_body(request)
    drop_unknown(body, ITEMS_BODY, state)
    if body.get("items") is None:
        raise InvalidRequestError("Missing required parameter: 'items'.", param="items",
                                  code="missing_required_parameter")
    check(body, "CreateConversationBody", state)   # the same items, up to 20
    items = conversations.resolve_references(state, parse_input(body["items"]), "items")
    added = conversations.add_items(state, conversation, items)
    return json_response(profiled_page(state, "conversation_item", added, False))


async def list_conversation_items(request: Request) -> Response:
    state = tenant(request)
    conversation = conversations.get_conversation(state, request.path_params["conversation_id"])
    page = conversation._items.page(page_query(request, before=False), id_of=lambda item: str(item["id"]))
    return json_response(profiled_page(state, "conversation_item", page.data, page.has_more))


async def retrieve_conversation_item(request: Request) -> Response:
    state = tenant(request)
    conversation = conversations.get_conversation(state, request.path_params["conversation_id"])
    return json_response(conversations.get_item(state, conversation, request.path_params["item_id"]))


async def delete_conversation_item(request: Request) -> Response:
    state = tenant(request)
    conversation = conversations.get_conversation(state, request.path_params["conversation_id"])
    conversations.delete_item(state, conversation, request.path_params["item_id"])
    return json_response(RENDER.one(state, conversation))


def batch_answerer(state: TenantState, endpoint: str) -> BatchLines | None:
    """``/v1/responses`` batch lines answered as ``POST /responses`` answers them (the
    ``Family.batch_answerer`` hook): through :func:`batch_lines.batch_line`, not stored."""
    if endpoint != "/v1/responses":
        return None

    def answer(body: dict[str, Any], key: str, created: int, content: str | None) -> tuple[int, dict[str, Any]]:
        try:
            response = batch_lines.batch_line(state, body, key, created, content)
        except APIError as error:
            return error.status_code, error.to_dict()
        return 200, RENDER.one(state, response)

    return BatchLines(answer=answer)

