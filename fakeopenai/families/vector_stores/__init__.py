"""Vector stores that index what they are given: Files attached (one by one or in file batches) are
read through the registry (the Files API is the batches family's), their text cut into chunks by
the request's ``chunking_strategy``, processed through a lifecycle (scriptable, ``failed`` included),
and searched by the cosine similarity of the fake's deterministic embeddings, with attribute filters,
a score threshold and ``search:`` entries that pin results. The Responses family's ``file_search``
reaches the same search through ``registry.search_vector_stores``.

The engine is ``chunking.py``, ``stores.py`` and ``search.py`` (no HTTP), the handlers ``api.py``, the
JSON ``render.py``, the scenario part ``scenario.py`` with ``scenario.schema.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Family, deferred, package_json, routes_of
from fakeopenai.families.vector_stores import scenario
from fakeopenai.families.vector_stores.scenario import NAME

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

API = f"{__name__}.api"
_ID = "/v1/vector_stores/{vector_store_id}"
ROUTES = routes_of(API, [
    ("/v1/vector_stores", "create_store", ["POST"]),
    ("/v1/vector_stores", "list_stores", ["GET"]),
    (_ID, "store", ["GET", "POST", "DELETE"]),
    (_ID + "/files", "create_file", ["POST"]),
    (_ID + "/files", "list_files", ["GET"]),
    (_ID + "/files/{file_id}", "file", ["GET", "POST", "DELETE"]),
    (_ID + "/files/{file_id}/content", "file_content", ["GET"]),
    (_ID + "/file_batches", "create_batch", ["POST"]),
    (_ID + "/file_batches/{batch_id}", "batch", ["GET"]),
    (_ID + "/file_batches/{batch_id}/cancel", "cancel_batch", ["POST"]),
    (_ID + "/file_batches/{batch_id}/files", "batch_files", ["GET"]),
    (_ID + "/search", "search_store", ["POST"]),
])

OPENAPI_PATHS = (
    "/vector_stores", "/vector_stores/{vector_store_id}", "/vector_stores/{vector_store_id}/files",
    "/vector_stores/{vector_store_id}/files/{file_id}", "/vector_stores/{vector_store_id}/files/{file_id}/content",
    "/vector_stores/{vector_store_id}/file_batches", "/vector_stores/{vector_store_id}/file_batches/{batch_id}",
    "/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel",
    "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files", "/vector_stores/{vector_store_id}/search",
)


def vector_search(state: TenantState, store_ids: Sequence[str], request: dict[str, Any]) -> \
        list[dict[str, Any]] | None:
    """Search the stores for another family (a Responses ``file_search``): those of ``store_ids`` the
    tenant holds; None when it holds none of them (the caller makes up results instead)."""
    from fakeopenai.families.vector_stores import stores
    from fakeopenai.families.vector_stores.search import search

    found = [store for store_id in store_ids if (store := state.worlds[NAME].stores.get(store_id)) is not None]
    for store in found:
        stores.prune(state, store)
    return search(state, found, request)[1] if found else None


def seed(state: TenantState) -> None:
    """The stores the scenario pins (``stores.seed``)."""
    part: scenario.VectorStoresPart | None = state.scenario.parts.get(NAME)
    if part is not None and part.stores:   # every tenant is seeded: one with nothing to seed imports no engine
        from fakeopenai.families.vector_stores import stores

        stores.seed(state)


FAMILY = Family(
    name=NAME,
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    scenario_schema=scenario.schema,
    docs_sections=(("Search entry", "search_entry"), ("Search result", "search_result"),
                   ("Vector store file script", "vector_store_file_script"),
                   ("Seeded vector store", "seed_vector_store"),
                   ("Seeded vector store file", "seed_vector_store_file")),
    build=scenario.build,
    new_world=deferred(f"{__name__}.world", "new_world"),
    seed=seed,
    vector_search=vector_search,
)
