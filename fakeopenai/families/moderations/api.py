"""The Moderations family's HTTP handler."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.families.moderations import moderations
from fakeopenai.http.params import json_body
from fakeopenai.http.rendering import json_response, profiled, tenant


async def create_moderation(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateModerationRequest")
    return json_response(profiled(state, "moderation", moderations.create_moderation(state, body)))

