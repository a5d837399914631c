"""The Assistants family's HTTP handlers (assistants, threads, messages, runs, run steps):
parse the request, call the engine, render the answer.

The engine (``assistants.py``, ``threads.py``, ``runs.py``) knows nothing of HTTP; the route
table is :data:`ROUTES`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.state import TenantState
from fakeopenai.families.assistants import assistants, runs, threads
from fakeopenai.families.assistants.events import EventCollector
from fakeopenai.families.assistants.objects import Run
from fakeopenai.families.assistants.render import RENDER
from fakeopenai.families.assistants.world import world
from fakeopenai.http.params import json_body, page_query
from fakeopenai.http.rendering import deleted, json_response, tenant
from fakeopenai.http.streaming import sse_response


async def create_assistant(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateAssistantRequest")
    return json_response(RENDER.one(state, assistants.create_assistant(state, body)))


async def list_assistants(request: Request) -> Response:
    state = tenant(request)
    page = world(state).assistants.page(page_query(request))
    return json_response(RENDER.many(state, page.data, page.has_more, "assistant"))


async def retrieve_assistant(request: Request) -> Response:
    state = tenant(request)
    return json_response(RENDER.one(state, assistants.get_assistant(state, request.path_params["assistant_id"])))


async def modify_assistant(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "ModifyAssistantRequest")
    assistant = assistants.modify_assistant(state, request.path_params["assistant_id"], body)
    return json_response(RENDER.one(state, assistant))


async def delete_assistant(request: Request) -> Response:
    state = tenant(request)
    object_id = assistants.delete_assistant(state, request.path_params["assistant_id"])
    return json_response(deleted(object_id, "assistant.deleted"))


async def create_thread(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateThreadRequest", required=False)
    return json_response(RENDER.one(state, threads.create_thread(state, body)))


async def retrieve_thread(request: Request) -> Response:
    state = tenant(request)
    return json_response(RENDER.one(state, threads.get_thread(state, request.path_params["thread_id"])))


async def modify_thread(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "ModifyThreadRequest", required=False)
    return json_response(RENDER.one(state, threads.modify_thread(state, request.path_params["thread_id"], body)))


async def delete_thread(request: Request) -> Response:
    state = tenant(request)
    return json_response(deleted(threads.delete_thread(state, request.path_params["thread_id"]), "thread.deleted"))


async def create_message(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateMessageRequest")
    return json_response(RENDER.one(state, threads.create_message(state, request.path_params["thread_id"], body)))


async def list_messages(request: Request) -> Response:
    state = tenant(request)
    thread = threads.get_thread(state, request.path_params["thread_id"])
    query = page_query(request)
    run_id = request.query_params.get("run_id")
    where = (lambda m: m.run_id == run_id) if run_id else None
    page = thread._messages.page(query, where=where)
    return json_response(RENDER.many(state, page.data, page.has_more, "message"))


async def retrieve_message(request: Request) -> Response:
    state = tenant(request)
    params = request.path_params
    return json_response(RENDER.one(state, threads.get_message(state, params["thread_id"], params["message_id"])))


async def modify_message(request: Request) -> Response:
    state = tenant(request)
    params = request.path_params
    body = json_body(request, "ModifyMessageRequest", required=False)
    return json_response(RENDER.one(state, threads.modify_message(state, params["thread_id"], params["message_id"],
                                                              body)))


async def delete_message(request: Request) -> Response:
    state = tenant(request)
    params = request.path_params
    object_id = threads.delete_message(state, params["thread_id"], params["message_id"])
    return json_response(deleted(object_id, "thread.message.deleted"))


INCLUDE_VALUES = ("step_details.tool_calls[*].file_search.results[*].content",)


def _check_include(request: Request) -> None:
    for value in request.query_params.getlist("include[]"):
        if value not in INCLUDE_VALUES:
            raise InvalidRequestError(f"Invalid value for 'include[]': '{value}'. Supported values are: "
                                      f"'{INCLUDE_VALUES[0]}'.", param="include[]", code="invalid_value")


def _run_response(state: TenantState, run: Run) -> Response:
    return json_response(RENDER.one(state, run), headers=_poll_headers(state))


def _stream(request: Request, state: TenantState, events: EventCollector, run: Run) -> Response:
    """The run's events as text/event-stream, each step's as it is played, up to its next wait."""
    return sse_response(request.scope, _play(state, events, run))


async def _play(state: TenantState, events: EventCollector, run: Run) -> AsyncIterator[bytes]:
    # Async, so the engine runs on the server's loop (Starlette iterates a sync iterator in a thread).
    finished = False
    try:
        for frame in events.take():
            yield frame
        for _ in runs.steps_until_wait(state, run, events):
            for frame in events.take():
                yield frame
        if run._stream_error is not None:
            events.error(run._stream_error)
        else:
            events.done()
        finished = True
        for frame in events.take():
            yield frame
    finally:
        if not finished:  # the client left, or a fault cut the stream: the run goes on, as on the live API
            runs.run_until_wait(state, run)


async def create_run(request: Request) -> Response:
    state = tenant(request)
    _check_include(request)
    body = json_body(request, "CreateRunRequest")
    thread = threads.get_thread(state, request.path_params["thread_id"])
    if body.get("stream"):
        events = EventCollector(state)
        return _stream(request, state, events, runs.create_run(state, thread, body, events))
    return _run_response(state, runs.create_run(state, thread, body))


async def create_thread_and_run(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateThreadAndRunRequest")
    if body.get("stream"):
        events = EventCollector(state)
        _, run = runs.create_thread_and_run(state, body, events)
        return _stream(request, state, events, run)
    _, run = runs.create_thread_and_run(state, body)
    return _run_response(state, run)


async def list_runs(request: Request) -> Response:
    state = tenant(request)
    thread = threads.get_thread(state, request.path_params["thread_id"])
    query = page_query(request)
    page = thread._runs.page(query)
    for run in page.data:
        runs.refresh(state, run)
    return json_response(RENDER.many(state, page.data, page.has_more, "run"))


def _run(request: Request) -> tuple[TenantState, Run]:
    state = tenant(request)
    thread = threads.get_thread(state, request.path_params["thread_id"])
    return state, runs.get_run(state, thread, request.path_params["run_id"])


async def retrieve_run(request: Request) -> Response:
    state, run = _run(request)
    return _run_response(state, runs.observe(state, run))


async def modify_run(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "ModifyRunRequest", required=False)
    _, run = _run(request)
    return _run_response(state, runs.modify_run(run, body))


async def cancel_run(request: Request) -> Response:
    state, run = _run(request)
    return _run_response(state, runs.cancel_run(state, run))


async def submit_tool_outputs(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "SubmitToolOutputsRunRequest")
    _, run = _run(request)
    if body.get("stream"):
        events = EventCollector(state)
        return _stream(request, state, events, runs.submit_tool_outputs(state, run, body["tool_outputs"], events))
    return _run_response(state, runs.submit_tool_outputs(state, run, body["tool_outputs"]))


async def list_steps(request: Request) -> Response:
    _check_include(request)
    state, run = _run(request)
    page = run._steps.page(page_query(request))
    return json_response(RENDER.many(state, page.data, page.has_more, "step"))


async def retrieve_step(request: Request) -> Response:
    _check_include(request)
    state, run = _run(request)
    return json_response(RENDER.one(state, runs.get_step(state, run, request.path_params["step_id"])))


def _poll_headers(state: TenantState) -> dict[str, str]:
    """Run reads tell the SDK's poll helpers how long to wait (default 0 ms)."""
    return {"openai-poll-after-ms": str(state.scenario.poll_after_ms)}

