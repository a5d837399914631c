"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``;
the tables are described in ``fakeopenai/families/responses/testing.py``)."""

from __future__ import annotations

SDK_TEST_MODULES = ("tests/test_vector_stores.py",)

# Every route on a store the tenant does not hold: the 404 names the store.
_ON_AN_UNKNOWN_STORE = [
    ("GET", "", {}), ("POST", "", {"json": {}}), ("DELETE", "", {}),
    ("POST", "/files", {"json": {"file_id": "file-x"}}), ("GET", "/files", {}), ("GET", "/files/file-x", {}),
    ("GET", "/files/file-x/content", {}), ("POST", "/file_batches", {"json": {"file_ids": ["file-x"]}}),
    ("GET", "/file_batches/vsfb_x", {}), ("POST", "/file_batches/vsfb_x/cancel", {}),
    ("GET", "/file_batches/vsfb_x/files", {}), ("POST", "/search", {"json": {"query": "x"}}),
]

ERROR_CASES = [
    ("vector store: name not a string", "POST", "/v1/vector_stores", {"json": {"name": 5}}, 400, "name"),
    ("vector stores: limit 0", "GET", "/v1/vector_stores?limit=0", {}, 400, "limit"),
    *((f"vector store: {method} {rest or '/'} of an unknown store", method, f"/v1/vector_stores/vs_nope{rest}",
       kwargs, 404, "vector_store_id") for method, rest, kwargs in _ON_AN_UNKNOWN_STORE),
]
