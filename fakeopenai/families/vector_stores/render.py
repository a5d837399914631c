"""The vector stores family's JSON (the spec's VectorStoreObject, VectorStoreFileObject,
VectorStoreFileBatchObject and search results page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.families.vector_stores.objects import FileBatch, StoreFile, VectorStore
from fakeopenai.families.vector_stores.stores import batch_files, counts, store_status, usage_bytes

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def store(state: TenantState, item: VectorStore) -> dict[str, Any]:
    return state.profile.apply("vector_store", {
        "id": item.id, "object": "vector_store", "created_at": item.created_at, "name": item.name,
        **({"description": item.description} if item.description is not None else {}),
        "usage_bytes": usage_bytes(item), "file_counts": counts(item._files),
        "status": store_status(state, item), **({"expires_after": item.expires_after} if item.expires_after else {}),
        "expires_at": item.expires_at,
        "last_active_at": item.last_active_at, "metadata": item.metadata})


def store_file(state: TenantState, item: StoreFile) -> dict[str, Any]:
    return state.profile.apply("vector_store.file", {
        "id": item.id, "object": "vector_store.file", "usage_bytes": item.usage_bytes, "created_at": item.created_at,
        "vector_store_id": item.vector_store_id, "status": item.status, "last_error": item.last_error,
        "chunking_strategy": item.chunking_strategy, "attributes": item.attributes})


def batch(state: TenantState, owner: VectorStore, item: FileBatch) -> dict[str, Any]:
    return state.profile.apply("vector_store.files_batch", {
        "id": item.id, "object": "vector_store.files_batch", "created_at": item.created_at,
        "vector_store_id": item.vector_store_id, "status": item.status,
        "file_counts": counts(batch_files(owner, item))})


def search_page(queries: list[str], results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "vector_store.search_results.page", "search_query": queries, "data": results,
            "has_more": False, "next_page": None}


def content_page(item: StoreFile) -> dict[str, Any]:
    return {"object": "vector_store.file_content.page", "data": [{"type": "text", "text": item._text}],
            "has_more": False, "next_page": None}
