"""/v1/assistants"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.api.common import json_response, render, render_list, tenant
from fakeopenai.api.params import json_body, page_query
from fakeopenai.engine import threads
from fakeopenai.render.objects import deleted


async def create(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateAssistantRequest")
    return json_response(render(state, threads.create_assistant(state, body)))


async def list_(request: Request) -> Response:
    state = tenant(request)
    page = state.assistants.page(page_query(request))
    return json_response(render_list(state, page.data, page.has_more, "assistant"))


async def retrieve(request: Request) -> Response:
    state = tenant(request)
    return json_response(render(state, threads.get_assistant(state, request.path_params["assistant_id"])))


async def modify(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "ModifyAssistantRequest")
    return json_response(render(state, threads.modify_assistant(state, request.path_params["assistant_id"], body)))


async def delete(request: Request) -> Response:
    state = tenant(request)
    object_id = threads.delete_assistant(state, request.path_params["assistant_id"])
    return json_response(deleted(object_id, "assistant.deleted"))
