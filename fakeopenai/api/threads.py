"""/v1/threads and /v1/threads/{thread_id}/messages"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.api.common import json_response, render, render_list, tenant
from fakeopenai.api.params import json_body, page_query
from fakeopenai.engine import threads
from fakeopenai.render.objects import deleted


async def create(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateThreadRequest", required=False)
    return json_response(render(state, threads.create_thread(state, body)))


async def retrieve(request: Request) -> Response:
    state = tenant(request)
    return json_response(render(state, threads.get_thread(state, request.path_params["thread_id"])))


async def modify(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "ModifyThreadRequest", required=False)
    return json_response(render(state, threads.modify_thread(state, request.path_params["thread_id"], body)))


async def delete(request: Request) -> Response:
    state = tenant(request)
    return json_response(deleted(threads.delete_thread(state, request.path_params["thread_id"]), "thread.deleted"))


async def create_message(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateMessageRequest")
    return json_response(render(state, threads.create_message(state, request.path_params["thread_id"], body)))


async def list_messages(request: Request) -> Response:
    state = tenant(request)
    thread = threads.get_thread(state, request.path_params["thread_id"])
    query = page_query(request)
    run_id = request.query_params.get("run_id")
    where = (lambda m: m.run_id == run_id) if run_id else None
    page = thread._messages.page(query, where=where)
    return json_response(render_list(state, page.data, page.has_more, "message"))


async def retrieve_message(request: Request) -> Response:
    state = tenant(request)
    params = request.path_params
    return json_response(render(state, threads.get_message(state, params["thread_id"], params["message_id"])))


async def modify_message(request: Request) -> Response:
    state = tenant(request)
    params = request.path_params
    body = json_body(request, "ModifyMessageRequest", required=False)
    return json_response(render(state, threads.modify_message(state, params["thread_id"], params["message_id"],
                                                              body)))


async def delete_message(request: Request) -> Response:
    state = tenant(request)
    params = request.path_params
    object_id = threads.delete_message(state, params["thread_id"], params["message_id"])
    return json_response(deleted(object_id, "thread.message.deleted"))
