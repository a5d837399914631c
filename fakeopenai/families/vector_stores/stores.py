"""Vector stores, their files and file batches (no HTTP).

Attaching a File reads its bytes through ``registry.read_file`` (the Files API is another family's),
extracts its text and cuts it into chunks by the request's ``chunking_strategy``. The file then
follows its processing steps, one per read of the file, its batch or its store (``in_progress``,
then ``completed``; ``failed`` with a ``last_error`` for a file the fake cannot index or a
``vector_store_files:`` script says so). Only completed files are searched; ``usage_bytes`` is the
size of the text they index and ``file_counts`` count the files by status.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fakeopenai.core import registry
from fakeopenai.core.errors import InvalidRequestError, not_found
from fakeopenai.core.unknown_ids import made_for
from fakeopenai.families.vector_stores.chunking import AUTO, chunk_text, extract
from fakeopenai.families.vector_stores.objects import Chunk, FileBatch, FileStep, StoreFile, VectorStore
from fakeopenai.families.vector_stores.scenario import NAME, FileScript, VectorStoresPart
from fakeopenai.families.vector_stores.world import world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

DEFAULT_STEPS = (FileStep("in_progress"), FileStep("completed"))
STATUSES = ("in_progress", "completed", "failed", "cancelled")


# ----------------------------------------------------------------------------- stores

def create_store(state: TenantState, body: dict[str, Any], *, object_id: str | None = None) -> VectorStore:
    strategy = chunking(body.get("chunking_strategy"))
    now = state.clock.tick()
    store = VectorStore(id=object_id or state.ids.new("vs_"), created_at=now, name=body.get("name") or "",
                        metadata=body.get("metadata") or {}, last_active_at=now,
                        description=body.get("description"), expires_after=body.get("expires_after"))
    files = [_read(state, file_id, "file_ids") for file_id in body.get("file_ids") or ()]
    world(state).stores.add(store.id, store)
    for file_id, found in zip(body.get("file_ids") or (), files, strict=True):
        attach(state, store, file_id, found, strategy, None)
    state.log_change("%s created (%d files)", store.id, len(files))
    return store


def get_store(state: TenantState, store_id: str, *, param: str = "vector_store_id") -> VectorStore:
    store = world(state).stores.get(store_id) or made_for(
        state, store_id, "vector store", lambda key: create_store(state, {}, object_id=key)) or \
        world(state).stores.require(store_id, "vector store", param=param)
    prune(state, store)
    return store


def prune(state: TenantState, store: VectorStore) -> None:
    """Files whose File is gone (deleted, or expired on the fake clock) leave the store, as the live API
    removes a deleted File from every vector store."""
    for item in store._files:
        if registry.read_file(state, item.id) is None:
            store._files.remove(item.id)
            state.log_change("%s left %s (its File is gone)", item.id, store.id)


def update_store(state: TenantState, store: VectorStore, body: dict[str, Any]) -> VectorStore:
    if "name" in body:
        store.name = body["name"] or ""
    if "metadata" in body:
        store.metadata = body["metadata"] or {}
    if "expires_after" in body:
        store.expires_after = body["expires_after"]
    store.last_active_at = state.clock.tick()
    return store


def delete_store(state: TenantState, store_id: str) -> str:
    get_store(state, store_id)
    world(state).stores.remove(store_id)
    state.log_change("%s deleted", store_id)
    return store_id


def store_status(state: TenantState, store: VectorStore) -> str:
    if store.expires_at is not None and state.clock.now >= store.expires_at:
        return "expired"
    return "in_progress" if any(f.status == "in_progress" for f in store._files) else "completed"


def observe_store(state: TenantState, store: VectorStore) -> None:
    """A read of the store: its files being processed move on a step."""
    for item in store._files:
        observe(state, item)


def counts(files: Iterable[StoreFile]) -> dict[str, int]:
    found = dict.fromkeys(STATUSES, 0)
    for item in files:
        found[item.status] += 1
    return {**found, "total": sum(found.values())}


def usage_bytes(store: VectorStore) -> int:
    return sum(item.usage_bytes for item in store._files)


# ----------------------------------------------------------------------------- files

def chunking(value: Any, param: str = "chunking_strategy") -> dict[str, Any]:
    """The file's ``chunking_strategy`` as the API shows it (``auto`` is static 800/400)."""
    if not isinstance(value, dict) or value.get("type") != "static":
        return {"type": "static", "static": dict(AUTO)}
    static = value.get("static") or {}
    size, overlap = static.get("max_chunk_size_tokens"), static.get("chunk_overlap_tokens")
    if isinstance(size, int) and isinstance(overlap, int) and overlap > size // 2:
        raise InvalidRequestError(f"Invalid '{param}.static.chunk_overlap_tokens': the overlap ({overlap}) must "
                                  f"not exceed half of max_chunk_size_tokens ({size}).",
                                  param=f"{param}.static.chunk_overlap_tokens", code="invalid_value")
    if isinstance(overlap, int) and overlap < 0:
        raise InvalidRequestError(f"Invalid '{param}.static.chunk_overlap_tokens': it must be 0 or more, but got "
                                  f"{overlap}.", param=f"{param}.static.chunk_overlap_tokens", code="invalid_value")
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def _read(state: TenantState, file_id: str, param: str) -> tuple[str, bytes]:
    found = registry.read_file(state, file_id)
    if found is None:   # under unknown_ids: generate, a File made elsewhere: a short text of its own
        found = made_for(state, file_id, "file", lambda key: (f"{key}.txt", f"The text of {key}.".encode()))
    if found is None:
        raise not_found("file", file_id, param=param)
    return found


def attach_new(state: TenantState, store: VectorStore, body: dict[str, Any]) -> StoreFile:
    strategy = chunking(body.get("chunking_strategy"))
    found = _read(state, body["file_id"], "file_id")
    store.last_active_at = state.clock.now
    return attach(state, store, body["file_id"], found, strategy, body.get("attributes"))


def attach(state: TenantState, store: VectorStore, file_id: str, found: tuple[str, bytes],
           strategy: dict[str, Any], attributes: dict[str, Any] | None, batch_id: str | None = None) -> StoreFile:
    """``file_id`` (its name and bytes ``found``) attached to ``store``: indexed now, shown
    ``in_progress`` until its steps say otherwise (a file attached again starts over)."""
    filename, content = found
    text, error = extract(filename, content)
    static = strategy["static"]
    chunks = [Chunk(piece) for piece in chunk_text(text, max_tokens=static["max_chunk_size_tokens"],
                                                   overlap=static["chunk_overlap_tokens"])] if text else []
    steps = _steps(state, store.id, filename, error)
    item = StoreFile(id=file_id, created_at=state.clock.tick(), vector_store_id=store.id,
                     chunking_strategy=strategy, attributes=dict(attributes) if attributes is not None else {},
                     _filename=filename, _text=text, _chunks=chunks, _steps=steps, _batch_id=batch_id)
    store._files.remove(file_id)
    store._files.add(file_id, item)
    _enter(item, steps[0])
    state.log_change("%s attached to %s (%d chunks)", file_id, store.id, len(chunks))
    return item


def _steps(state: TenantState, store_id: str, filename: str, error: dict[str, str] | None) -> tuple[FileStep, ...]:
    part: VectorStoresPart | None = state.scenario.parts.get(NAME)
    script = next((s for s in part.files if _fits(s, store_id, filename)), None) if part is not None else None
    if script is not None:
        steps = [FileStep(s["status"], s.get("reads", 1), s.get("last_error") or (
            {"code": "server_error", "message": f"Processing failed ({script.name})."} if s["status"] == "failed"
            else None)) for s in script.steps]
        if steps[0].status != "in_progress":   # every file is created in_progress, as on the live API
            steps.insert(0, FileStep("in_progress"))
        return tuple(steps)
    if error is not None:
        return FileStep("in_progress"), FileStep("failed", last_error=error)
    return DEFAULT_STEPS


def _fits(script: FileScript, store_id: str, filename: str) -> bool:
    if script.vector_store_id is not None and script.vector_store_id != store_id:
        return False
    return script.filename is None or script.filename.test(filename)


def _enter(item: StoreFile, step: FileStep) -> None:
    item.status = step.status
    item.last_error = dict(step.last_error) if step.last_error else None
    item.usage_bytes = len(item._text.encode("utf-8")) if step.status == "completed" else 0


def observe(state: TenantState, item: StoreFile) -> None:
    """A read of the file (or of its batch or store): once its step was read ``reads`` times, the next."""
    if item.status != "in_progress" or item._pos + 1 >= len(item._steps):
        return
    if item._seen < item._steps[item._pos].reads:
        item._seen += 1
        return
    item._pos += 1
    item._seen = 1
    _enter(item, item._steps[item._pos])
    state.log_change("%s in %s: %s", item.id, item.vector_store_id, item.status)


def get_file(state: TenantState, store: VectorStore, file_id: str) -> StoreFile:
    return store._files.get(file_id) or made_for(
        state, file_id, "vector store file",
        lambda key: attach(state, store, key, _read(state, key, "file_id"), chunking(None), None)) or \
        store._files.require(file_id, "vector store file", param="file_id")


def update_attributes(state: TenantState, store: VectorStore, file_id: str, attributes: dict[str, Any]) -> StoreFile:
    item = get_file(state, store, file_id)
    item.attributes = dict(attributes or {})
    return item


def detach(state: TenantState, store: VectorStore, file_id: str) -> str:
    get_file(state, store, file_id)
    store._files.remove(file_id)
    state.log_change("%s detached from %s", file_id, store.id)
    return file_id


def with_status(status: str | None) -> Any:
    return None if status is None else (lambda item: item.status == status)


# ----------------------------------------------------------------------------- file batches

def create_batch(state: TenantState, store: VectorStore, body: dict[str, Any], *,
                 object_id: str | None = None) -> FileBatch:
    if "files" in body and "file_ids" in body:
        raise InvalidRequestError("Give either 'file_ids' or 'files', not both.", param="files",
                                  code="invalid_value")
    shared = chunking(body.get("chunking_strategy"))
    entries = [(f["file_id"], chunking(f.get("chunking_strategy"), f"files[{i}].chunking_strategy")
                if "chunking_strategy" in f else chunking(None), f.get("attributes"), f"files[{i}].file_id")
               for i, f in enumerate(body.get("files") or ())] or \
              [(file_id, shared, body.get("attributes"), "file_ids") for file_id in body.get("file_ids") or ()]
    found = [_read(state, file_id, param) for file_id, _, _, param in entries]
    batch = FileBatch(id=object_id or state.ids.new("vsfb_"), created_at=state.clock.tick(), vector_store_id=store.id)
    store._batches.add(batch.id, batch)
    for (file_id, strategy, attributes, _), item in zip(entries, found, strict=True):
        attach(state, store, file_id, item, strategy, attributes, batch.id)
        batch._file_ids.append(file_id)
    store.last_active_at = state.clock.now
    return batch


def get_batch(state: TenantState, store: VectorStore, batch_id: str) -> FileBatch:
    return store._batches.get(batch_id) or made_for(
        state, batch_id, "vector store file batch", lambda key: create_batch(state, store, {}, object_id=key)) or \
        store._batches.require(batch_id, "vector store file batch", param="batch_id")


def batch_files(store: VectorStore, batch: FileBatch) -> list[StoreFile]:
    return [item for item in store._files if item._batch_id == batch.id]


def observe_batch(state: TenantState, store: VectorStore, batch: FileBatch) -> None:
    for item in batch_files(store, batch):
        observe(state, item)
    refresh_batch(store, batch)


def refresh_batch(store: VectorStore, batch: FileBatch) -> None:
    if batch.status == "in_progress" and not any(i.status == "in_progress" for i in batch_files(store, batch)):
        batch.status = "completed"


def cancel_batch(state: TenantState, store: VectorStore, batch: FileBatch) -> FileBatch:
    """The batch's files still being processed are cancelled (their chunks never searched)."""
    if batch.status != "in_progress":
        raise InvalidRequestError(f"Cannot cancel a vector store file batch that is {batch.status}.",
                                  param="batch_id", code="invalid_state")
    for item in batch_files(store, batch):
        if item.status == "in_progress":
            item._pos = len(item._steps)
            _enter(item, FileStep("cancelled"))
    batch.status = "cancelled"
    return batch


# ----------------------------------------------------------------------------- seeding

def seed(state: TenantState) -> None:
    """The stores ``objects.vector_stores`` pins, their files stored as Files (or the seeded Files
    they name) and indexed at once."""
    part: VectorStoresPart | None = state.scenario.parts.get(NAME)
    for data in part.stores if part is not None else ():
        if data.get("id"):
            state.ids.reserve(data["id"])
        store = create_store(state, {k: v for k, v in data.items() if k in ("name", "metadata", "description",
                                                                             "expires_after")},
                             object_id=data.get("id"))
        for file in data.get("files") or ():
            if "file_id" in file:
                found = _read(state, file["file_id"], "file_id")
                file_id = file["file_id"]
            else:
                made = registry.store_file(state, file["content"], file["filename"], "assistants")
                if made is None:
                    continue
                file_id, found = made["id"], (file["filename"], file["content"])
            item = attach(state, store, file_id, found, chunking(file.get("chunking_strategy")),
                          file.get("attributes"))
            while item.status == "in_progress" and item._pos + 1 < len(item._steps):
                item._seen = item._steps[item._pos].reads
                observe(state, item)
