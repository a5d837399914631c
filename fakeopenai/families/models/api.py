"""The Models family's HTTP handlers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.families.models import models
from fakeopenai.http.rendering import json_response, profiled, tenant


async def list_models(request: Request) -> Response:
    state = tenant(request)
    return json_response(profiled(state, "list:model", models.list_models(state)))


async def retrieve_model(request: Request) -> Response:
    state = tenant(request)
    return json_response(profiled(state, "model", models.get_model(state, request.path_params["model"])))


async def delete_model(request: Request) -> Response:
    state = tenant(request)
    return json_response(profiled(state, "model.deleted", models.delete_model(state, request.path_params["model"])))

