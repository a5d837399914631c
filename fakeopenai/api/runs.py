"""/v1/threads/{thread_id}/runs, /v1/threads/runs and run steps."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from fakeopenai.api.common import json_response, render, render_list, run_headers, tenant
from fakeopenai.api.params import json_body, page_query
from fakeopenai.engine import runs, threads
from fakeopenai.engine.objects import Run
from fakeopenai.engine.state import TenantState
from fakeopenai.errors import InvalidRequestError
from fakeopenai.render.sse import EventCollector

INCLUDE_VALUES = ("step_details.tool_calls[*].file_search.results[*].content",)


def _check_include(request: Request) -> None:
    for value in request.query_params.getlist("include[]"):
        if value not in INCLUDE_VALUES:
            raise InvalidRequestError(f"Invalid value for 'include[]': '{value}'. Supported values are: "
                                      f"'{INCLUDE_VALUES[0]}'.", param="include[]", code="invalid_value")


def _run_response(state: TenantState, run: Run) -> Response:
    return json_response(render(state, run), headers=run_headers(state))


def _stream(state: TenantState, events: EventCollector, run: Run) -> Response:
    """Play the run up to its next wait and answer the events as text/event-stream."""
    runs.run_until_wait(state, run, events)
    if run._stream_error is not None:
        events.error(run._stream_error)
    else:
        events.done()
    frames = events.frames
    return StreamingResponse(iter(frames), media_type="text/event-stream",
                             headers={"cache-control": "no-cache"})


async def create(request: Request) -> Response:
    state = tenant(request)
    _check_include(request)
    body = json_body(request, "CreateRunRequest")
    thread = threads.get_thread(state, request.path_params["thread_id"])
    if body.get("stream"):
        events = EventCollector(state)
        return _stream(state, events, runs.create_run(state, thread, body, events))
    return _run_response(state, runs.create_run(state, thread, body))


async def create_thread_and_run(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateThreadAndRunRequest")
    if body.get("stream"):
        events = EventCollector(state)
        _, run = runs.create_thread_and_run(state, body, events)
        return _stream(state, events, run)
    _, run = runs.create_thread_and_run(state, body)
    return _run_response(state, run)


async def list_(request: Request) -> Response:
    state = tenant(request)
    thread = threads.get_thread(state, request.path_params["thread_id"])
    query = page_query(request)
    page = thread._runs.page(query)
    for run in page.data:
        runs.refresh(state, run)
    return json_response(render_list(state, page.data, page.has_more, "run"))


def _run(request: Request) -> tuple[TenantState, Run]:
    state = tenant(request)
    thread = threads.get_thread(state, request.path_params["thread_id"])
    return state, runs.get_run(state, thread, request.path_params["run_id"])


async def retrieve(request: Request) -> Response:
    state, run = _run(request)
    return _run_response(state, runs.observe(state, run))


async def modify(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "ModifyRunRequest", required=False)
    _, run = _run(request)
    return _run_response(state, runs.modify_run(run, body))


async def cancel(request: Request) -> Response:
    state, run = _run(request)
    return _run_response(state, runs.cancel_run(state, run))


async def submit_tool_outputs(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "SubmitToolOutputsRunRequest")
    _, run = _run(request)
    if body.get("stream"):
        events = EventCollector(state)
        return _stream(state, events, runs.submit_tool_outputs(state, run, body["tool_outputs"], events))
    return _run_response(state, runs.submit_tool_outputs(state, run, body["tool_outputs"]))


async def list_steps(request: Request) -> Response:
    _check_include(request)
    state, run = _run(request)
    page = run._steps.page(page_query(request))
    return json_response(render_list(state, page.data, page.has_more, "step"))


async def retrieve_step(request: Request) -> Response:
    _check_include(request)
    state, run = _run(request)
    return json_response(render(state, runs.get_step(run, request.path_params["step_id"])))
