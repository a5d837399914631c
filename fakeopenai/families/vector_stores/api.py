"""The vector stores family's HTTP handlers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.core.unknown_ids import page_or_empty
from fakeopenai.families.vector_stores import render, stores
from fakeopenai.families.vector_stores.search import search
from fakeopenai.families.vector_stores.world import world
from fakeopenai.http.params import enum_query, json_body, page_query
from fakeopenai.http.rendering import deleted, json_response, profiled_page, tenant

_FILTER = ("in_progress", "completed", "failed", "cancelled")


def _store(request: Request) -> stores.VectorStore:
    return stores.get_store(tenant(request), request.path_params["vector_store_id"])


async def create_store(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateVectorStoreRequest")
    return json_response(render.store(state, stores.create_store(state, body)))


async def list_stores(request: Request) -> Response:
    state = tenant(request)
    page = page_or_empty(state, lambda: world(state).stores.page(page_query(request)))
    return json_response(profiled_page(state, "vector_store", (render.store(state, s) for s in page.data),
                                       page.has_more))


async def store(request: Request) -> Response:
    state = tenant(request)
    found = _store(request)
    if request.method == "DELETE":
        return json_response(deleted(stores.delete_store(state, found.id), "vector_store.deleted"))
    if request.method == "POST":
        stores.update_store(state, found, json_body(request, "UpdateVectorStoreRequest"))
    else:
        stores.observe_store(state, found)
    return json_response(render.store(state, found))


async def create_file(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    body = json_body(request, "CreateVectorStoreFileRequest")
    return json_response(render.store_file(state, stores.attach_new(state, owner, body)))


async def list_files(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    status = enum_query(request, "filter", _FILTER, "") if request.query_params.get("filter") else None
    page = page_or_empty(state, lambda: owner._files.page(page_query(request), where=stores.with_status(status)))
    return json_response(profiled_page(state, "vector_store.file", (render.store_file(state, f) for f in page.data),
                                       page.has_more))


async def file(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    file_id = request.path_params["file_id"]
    if request.method == "DELETE":
        return json_response(deleted(stores.detach(state, owner, file_id), "vector_store.file.deleted"))
    if request.method == "POST":
        body = json_body(request, "UpdateVectorStoreFileAttributesRequest")
        return json_response(render.store_file(state, stores.update_attributes(state, owner, file_id,
                                                                               body["attributes"])))
    found = stores.get_file(state, owner, file_id)
    stores.observe(state, found)
    return json_response(render.store_file(state, found))


async def file_content(request: Request) -> Response:
    state = tenant(request)
    found = stores.get_file(state, _store(request), request.path_params["file_id"])
    return json_response(render.content_page(found))


async def create_batch(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    body = json_body(request, "CreateVectorStoreFileBatchRequest")
    return json_response(render.batch(state, owner, stores.create_batch(state, owner, body)))


async def batch(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    found = stores.get_batch(state, owner, request.path_params["batch_id"])
    stores.observe_batch(state, owner, found)
    return json_response(render.batch(state, owner, found))


async def cancel_batch(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    found = stores.get_batch(state, owner, request.path_params["batch_id"])
    return json_response(render.batch(state, owner, stores.cancel_batch(state, owner, found)))


async def batch_files(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    found = stores.get_batch(state, owner, request.path_params["batch_id"])
    status = enum_query(request, "filter", _FILTER, "") if request.query_params.get("filter") else None
    page = page_or_empty(state, lambda: owner._files.page(
        page_query(request), where=lambda f: f._batch_id == found.id and (status is None or f.status == status)))
    return json_response(profiled_page(state, "vector_store.file", (render.store_file(state, f) for f in page.data),
                                       page.has_more))


async def search_store(request: Request) -> Response:
    state = tenant(request)
    owner = _store(request)
    body = json_body(request, "VectorStoreSearchRequest")
    return json_response(render.search_page(*search(state, [owner], body)))

