"""The Chat Completions family's HTTP handlers: create (sync or ``stream: true``) and the stored
completions (retrieve, list, update metadata, delete, messages). The engine is ``completions.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.core.errors import APIError, InvalidRequestError
from fakeopenai.core.family import BatchLines
from fakeopenai.core.store import Collection, PageQuery
from fakeopenai.families.chat import completions, generated
from fakeopenai.families.chat.events import chunks
from fakeopenai.families.chat.render import RENDER, stored_message
from fakeopenai.families.chat.world import world
from fakeopenai.http.params import check, check_metadata, drop_unknown, enum_query, int_query, json_body
from fakeopenai.http.rendering import deleted, json_response, page, tenant
from fakeopenai.http.streaming import sse_response
from fakeopenai.scripting.stepper import scripts_for

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

async def create_completion(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateChatCompletionRequest")
    completions.check_request(body)
    completion = completions.create_completion(state, body)
    if not body.get("stream"):
        return json_response(RENDER.one(state, completion))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    return sse_response(request.scope, chunks(state, completion, include_usage))

UPDATE_BODY = frozenset({"metadata"})   # POST /chat/completions/{id} updates only its metadata


def _page_query(request: Request) -> PageQuery:
    return PageQuery(limit=int_query(request, "limit", default=20, low=1, high=100),
                     order=enum_query(request, "order", ("asc", "desc"), "asc"),
                     after=request.query_params.get("after") or None)


def _metadata_filter(request: Request) -> dict[str, str]:
    """``metadata[key]=value`` query parameters (how the SDKs send the ``metadata`` filter)."""
    wanted = {}
    for name, value in request.query_params.multi_items():
        if name.startswith("metadata[") and name.endswith("]"):
            wanted[name[len("metadata["):-1]] = value
        elif name == "metadata":
            raise InvalidRequestError("Invalid value for 'metadata': expected a map of key-value pairs, as "
                                      "metadata[key]=value.", param="metadata", code="invalid_type")
    return wanted


async def list_completions(request: Request) -> Response:
    state = tenant(request)
    model = request.query_params.get("model")
    wanted = _metadata_filter(request)
    query = _page_query(request)
    found = world(state).completions.page(query, where=lambda c: (model is None or c.model == model) and all(
        c.metadata.get(k) == v for k, v in wanted.items()))
    return json_response(_ids_as_strings(RENDER.many(state, found.data, found.has_more, "chat.completion")))


def _ids_as_strings(listed: dict[str, object]) -> dict[str, object]:
    """The spec makes ``first_id`` and ``last_id`` strings even for an empty list."""
    return {**listed, "first_id": listed["first_id"] or "", "last_id": listed["last_id"] or ""}


async def retrieve_completion(request: Request) -> Response:
    state = tenant(request)
    return json_response(RENDER.one(state, completions.get_completion(state, request.path_params["completion_id"])))


async def update_completion(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request)
    if "metadata" not in body:
        raise InvalidRequestError("Missing required parameter: 'metadata'.", param="metadata",
                                  code="missing_required_parameter")
    drop_unknown(body, UPDATE_BODY, state)
    metadata = body["metadata"]
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidRequestError("Invalid type for 'metadata': expected an object, but got "
                                  f"{type(metadata).__name__} instead.", param="metadata", code="invalid_type")
    if metadata:
        check_metadata(metadata)
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise InvalidRequestError(f"Invalid type for 'metadata.{key}': expected a string, but got "
                                          f"{type(value).__name__} instead.", param=f"metadata.{key}",
                                          code="invalid_type")
    completion = completions.update_completion(state, request.path_params["completion_id"], metadata)
    return json_response(RENDER.one(state, completion))


async def delete_completion(request: Request) -> Response:
    state = tenant(request)
    completion_id = completions.delete_completion(state, request.path_params["completion_id"])
    return json_response(deleted(completion_id, "chat.completion.deleted"))


async def list_messages(request: Request) -> Response:
    state = tenant(request)
    completion = completions.get_completion(state, request.path_params["completion_id"])
    messages: Collection[dict[str, object]] = Collection()
    for message in completion._messages:
        messages.add(str(message["id"]), message)
    found = messages.page(_page_query(request), id_of=lambda m: str(m["id"]))
    return json_response(_ids_as_strings(page((stored_message(m) for m in found.data), found.has_more)))


def batch_answerer(state: TenantState, endpoint: str) -> BatchLines | None:
    """``/v1/chat/completions`` batch lines answered as ``POST /chat/completions`` answers them (the
    ``Family.batch_answerer`` hook), not stored and not streamed: a line a ``chat:`` / ``conversations:``
    script takes is played by it (a tool call ends it with ``finish_reason: tool_calls``, a ``failed``
    step or a bad line is its HTTP error); every other line gets :func:`generated.answer`, the default
    script's first turn (the usual line through :func:`generated.planned`, from what validation kept)."""
    if endpoint != "/v1/chat/completions":
        return None
    seed = state.scenario.seed
    scripted = bool(scripts_for(state, "chat"))

    def answer(body: dict[str, Any], key: str, created: int, content: str | None) -> tuple[int, dict[str, Any]]:
        line = {name: value for name, value in body.items() if name not in ("stream", "stream_options", "store")}
        try:
            if content is None and scripted and completions.scripted_batch_line(state, line):
                check(line, "CreateChatCompletionRequest", state)
                completions.check_request(line)
                return 200, RENDER.one(state, completions.create_completion(state, line))
            completions.check_request(line)
        except APIError as error:
            return error.status_code, error.to_dict()
        return 200, generated.answer(line, ids_key=key, created=created, text_key=generated.text_key(seed, line),
                                     content=content)

    return BatchLines(answer=answer, plan=lambda body: generated.plan(body, seed),
                      planned=None if scripted else generated.planned, pure=not scripted, required=("messages",))

