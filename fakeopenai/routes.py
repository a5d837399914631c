"""The route table, as data (moto's ``urls.py``): path, handler, methods."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeopenai import openapi
from fakeopenai.api import assistants, batches, control, files, runs, threads

RUN = "/v1/threads/{thread_id}/runs/{run_id}"

API = [  # the hottest routes first: Starlette tries them in order
    (RUN, runs.retrieve, ["GET"]),
    (RUN, runs.modify, ["POST"]),
    (RUN + "/steps", runs.list_steps, ["GET"]),
    (RUN + "/submit_tool_outputs", runs.submit_tool_outputs, ["POST"]),
    (RUN + "/cancel", runs.cancel, ["POST"]),
    (RUN + "/steps/{step_id}", runs.retrieve_step, ["GET"]),
    ("/v1/threads/{thread_id}/runs", runs.create, ["POST"]),
    ("/v1/threads/{thread_id}/runs", runs.list_, ["GET"]),
    ("/v1/threads/{thread_id}/messages", threads.create_message, ["POST"]),
    ("/v1/threads/{thread_id}/messages", threads.list_messages, ["GET"]),
    ("/v1/threads/{thread_id}/messages/{message_id}", threads.retrieve_message, ["GET"]),
    ("/v1/threads/{thread_id}/messages/{message_id}", threads.modify_message, ["POST"]),
    ("/v1/threads/{thread_id}/messages/{message_id}", threads.delete_message, ["DELETE"]),
    ("/v1/threads/runs", runs.create_thread_and_run, ["POST"]),
    ("/v1/threads", threads.create, ["POST"]),
    ("/v1/threads/{thread_id}", threads.retrieve, ["GET"]),
    ("/v1/threads/{thread_id}", threads.modify, ["POST"]),
    ("/v1/threads/{thread_id}", threads.delete, ["DELETE"]),
    ("/v1/batches/{batch_id}", batches.retrieve, ["GET"]),
    ("/v1/batches", batches.create, ["POST"]),
    ("/v1/batches", batches.list_, ["GET"]),
    ("/v1/files", files.create, ["POST"]),
    ("/v1/files", files.list_, ["GET"]),
    ("/v1/files/{file_id}", files.retrieve, ["GET"]),
    ("/v1/files/{file_id}", files.delete, ["DELETE"]),
    ("/v1/files/{file_id}/content", files.content, ["GET"]),
    ("/v1/assistants", assistants.create, ["POST"]),
    ("/v1/assistants", assistants.list_, ["GET"]),
    ("/v1/assistants/{assistant_id}", assistants.retrieve, ["GET"]),
    ("/v1/assistants/{assistant_id}", assistants.modify, ["POST"]),
    ("/v1/assistants/{assistant_id}", assistants.delete, ["DELETE"]),
    ("/v1/batches/{batch_id}/cancel", batches.cancel, ["POST"]),
]

CONTROL = [
    ("/_fake/health", control.health, ["GET"]),
    ("/_fake/reset", control.reset, ["POST"]),
    ("/_fake/tenant", control.drop_tenant, ["DELETE"]),
    ("/_fake/scenario", control.get_scenario, ["GET"]),
    ("/_fake/scenario", control.put_scenario, ["PUT", "POST"]),
    ("/_fake/clock", control.clock, ["GET", "POST"]),
    ("/_fake/requests", control.requests, ["GET"]),
    ("/_fake/violations", control.violations, ["GET"]),
]


async def openapi_json(request: Request) -> Response:
    return Response(openapi.document_bytes(), media_type="application/json")


def _merge(table: list[tuple[str, object, list[str]]]) -> list[Route]:
    """One Route per path, dispatching on method, so a wrong method is a 405 (not a 404)."""
    by_path: dict[str, dict[str, object]] = {}
    for path, handler, methods in table:
        for method in methods:
            by_path.setdefault(path, {})[method] = handler
    return [Route(path, _dispatch(handlers), methods=list(handlers)) for path, handlers in by_path.items()]


def _dispatch(handlers: dict[str, object]) -> object:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method) or handlers["GET"]  # HEAD is served by GET
        return await handler(request)  # type: ignore[operator,no-any-return]

    return endpoint


def routes(*, control: bool = True) -> list[Route]:
    table = API + (CONTROL if control else [])
    return [*_merge(table), Route("/openapi.json", openapi_json, methods=["GET"])]
