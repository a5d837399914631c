"""/v1/batches: create, list, retrieve (one lifecycle step per read), cancel.

The state machine lives in :mod:`fakeopenai.engine.batches`; these handlers parse
the request and render the answer.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.api.common import json_response, render, render_list, tenant
from fakeopenai.api.params import int_query, json_body
from fakeopenai.engine import batches
from fakeopenai.engine.store import PageQuery


async def create(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateBatchRequest")
    return json_response(render(state, batches.create_batch(state, body)))


async def list_(request: Request) -> Response:
    state = tenant(request)
    # GET /batches takes only `after` and `limit`; the live API lists newest first.
    query = PageQuery(limit=int_query(request, "limit", default=20, low=1, high=100), order="desc",
                      after=request.query_params.get("after") or None)
    batches.refresh_all(state)
    page = state.batches.page(query)
    return json_response(render_list(state, page.data, page.has_more, "batch"))


async def retrieve(request: Request) -> Response:
    state = tenant(request)
    batch = batches.get_batch(state, request.path_params["batch_id"])
    return json_response(render(state, batches.observe(state, batch)))


async def cancel(request: Request) -> Response:
    state = tenant(request)
    batch = batches.get_batch(state, request.path_params["batch_id"])
    return json_response(render(state, batches.cancel_batch(state, batch)))
