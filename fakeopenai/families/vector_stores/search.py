"""Searching vector stores (no HTTP): the chunks of their completed files ranked by the cosine
similarity of their embeddings with the query's, the same vectors ``POST /v1/embeddings`` gives
for :data:`MODEL` (through ``registry.embed``: the Embeddings family's vectors, where texts that share words
are near).

Usage::

    queries, results = search(state, [store], {"query": "refund policy", "max_num_results": 3})
    results[0]    # {"file_id", "filename", "score", "attributes", "content": [{"type": "text", "text"}]}

A ``search:`` scenario entry whose match fits the query pins the results instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fakeopenai.core import registry
from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.families.vector_stores.objects import VectorStore
from fakeopenai.families.vector_stores.scenario import NAME, SearchEntry, VectorStoresPart
from fakeopenai.spec.generate import content_words

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

MODEL, DIMENSIONS = "text-embedding-3-large", 3072   # the model file search embeds with
DEFAULT_RESULTS = 10


def _embed(text: str) -> list[float]:
    vector = registry.embed(MODEL, text, DIMENSIONS)
    if vector is None:
        raise RuntimeError("searching a vector store needs the Embeddings family registered (registry.embed)")
    return vector


def rewritten(query: str) -> str:
    """What ``rewrite_query`` makes of a query: its content words, the way a search engine keeps them."""
    return " ".join(content_words(query)) or query


def search(state: TenantState, stores: Sequence[VectorStore], body: dict[str, Any]) -> \
        tuple[list[str], list[dict[str, Any]]]:
    """The search's queries (as run) and its results, best first."""
    query = body.get("query")
    queries = [query] if isinstance(query, str) else [str(q) for q in query or ()]
    if not queries or not any(q.strip() for q in queries):
        raise InvalidRequestError("Invalid 'query': the query must not be empty.", param="query",
                                  code="invalid_value")
    if body.get("rewrite_query"):
        queries = [rewritten(q) for q in queries]
    limit = int(body.get("max_num_results") or DEFAULT_RESULTS)   # the schema takes 6.0 as an integer
    threshold = float((body.get("ranking_options") or {}).get("score_threshold") or 0)
    check_filter(body.get("filters"), "filters")
    for store in stores:
        store.last_active_at = state.clock.now
    entry = _entry(state, stores, queries)
    if entry is not None:
        state.record_entry_use(entry)
        return queries, _pinned(stores, entry, threshold)[:limit]
    vectors = [_embed(q) for q in queries]
    scored: list[Any] = []
    for store in stores:
        for item in store._files:
            if item.status != "completed" or not matches(body.get("filters"), item.attributes or {}):
                continue
            for number, chunk in enumerate(item._chunks):
                if chunk.vector is None:
                    chunk.vector = _embed(chunk.text)
                score = max(_cosine(vector, chunk.vector) for vector in vectors)
                score = round(min(1.0, max(0.0, score)), 6)
                if score >= threshold:
                    scored.append((-score, len(scored), number, item, chunk))
    scored.sort(key=lambda row: row[:2])
    return queries, [{"file_id": item.id, "filename": item._filename, "score": -negative,
                      "attributes": dict(item.attributes or {}), "content": [{"type": "text", "text": chunk.text}]}
                     for negative, _, _, item, chunk in scored[:limit]]


def _cosine(a: list[float], b: list[float]) -> float:
    return math.fsum(map(float.__mul__, a, b))


def _entry(state: TenantState, stores: Sequence[VectorStore], queries: list[str]) -> SearchEntry | None:
    part: VectorStoresPart | None = state.scenario.parts.get(NAME)
    if part is None:
        return None
    ids = {store.id for store in stores}
    for entry in part.search:
        if entry.vector_store_id is not None and entry.vector_store_id not in ids:
            continue
        if entry.query is None or any(entry.query.test(q) for q in queries):
            return entry
    return None


def _pinned(stores: Sequence[VectorStore], entry: SearchEntry, threshold: float) -> list[dict[str, Any]]:
    """The entry's results: a result naming a file of the stores (by file_id or filename) takes its id,
    name and attributes from it; scores default to 0.9, 0.8 ... in the given order."""
    files = [item for store in stores for item in store._files]
    out = []
    for i, result in enumerate(entry.results):
        known = next((f for f in files if f.id == result.get("file_id")
                      or (result.get("file_id") is None and f._filename == result.get("filename"))), None)
        file_id = result.get("file_id") or (known.id if known else f"file-{entry.name}-{i}")
        filename = result.get("filename") or (known._filename if known else f"{file_id}.txt")
        attributes = result.get("attributes", known.attributes if known else {})
        score = float(result.get("score", round(max(0.1, 0.9 - 0.1 * i), 4)))
        if score >= threshold:
            out.append({"file_id": file_id, "filename": filename, "score": score, "attributes": dict(attributes or {}),
                        "content": [{"type": "text", "text": result["text"]}]})
    return out


# ----------------------------------------------------------------------------- attribute filters

COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")


def check_filter(spec: Any, param: str) -> None:
    """The 400 for a filter the schema lets through but cannot be applied."""
    if not isinstance(spec, dict):
        return
    kind = spec.get("type")
    if kind in ("and", "or"):
        for i, inner in enumerate(spec.get("filters") or ()):
            check_filter(inner, f"{param}.filters[{i}]")
    elif kind in ("in", "nin") and not isinstance(spec.get("value"), list):
        raise InvalidRequestError(f"Invalid '{param}.value': the '{kind}' comparison takes an array of values.",
                                  param=f"{param}.value", code="invalid_type")


def matches(spec: Any, attributes: dict[str, Any]) -> bool:
    """Whether a file's ``attributes`` pass the filter (comparison, or compound ``and`` / ``or``). A
    file without the key fails every comparison but ``ne`` and ``nin``."""
    if not isinstance(spec, dict):
        return True
    kind = spec.get("type", "eq")
    if kind == "and":
        return all(matches(inner, attributes) for inner in spec.get("filters") or ())
    if kind == "or":
        return any(matches(inner, attributes) for inner in spec.get("filters") or ())
    wanted, key = spec.get("value"), spec.get("key")
    if key not in attributes:
        return kind in ("ne", "nin")
    have = attributes[key]
    if kind == "eq":
        return bool(have == wanted)
    if kind == "ne":
        return bool(have != wanted)
    if kind == "in":
        return have in (wanted or ())
    if kind == "nin":
        return have not in (wanted or ())
    if not _comparable(have, wanted):
        return False
    return {"gt": have > wanted, "gte": have >= wanted, "lt": have < wanted, "lte": have <= wanted}[kind]


def _comparable(a: Any, b: Any) -> bool:
    number = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return (isinstance(a, number) and isinstance(b, number)) or (isinstance(a, str) and isinstance(b, str))
