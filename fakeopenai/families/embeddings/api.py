"""The Embeddings family's HTTP handler."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.families.embeddings import embeddings
from fakeopenai.http.params import check, json_body
from fakeopenai.http.rendering import json_response, profiled, tenant


async def create_embeddings(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request)
    if "input" in body:
        embeddings.check_request(body)   # the live API's words for empty and too-long inputs
    check(body, "CreateEmbeddingRequest", state)
    return json_response(profiled(state, "embedding_list", embeddings.create_embeddings(state, body)))

