"""The Files API: stored bytes with the real limits and expiry rules.

Usage::

    item = store_file(state, b'{"custom_id": ...}\\n', filename="in.jsonl", purpose="batch")
    item.expires_at          # created_at + 30 days: purpose=batch files expire by default
    get_file(state, item.id) # 404 once deleted, or once the fake clock reached expires_at (clock.has_expired)
    delete_file(state, item.id)

A file's bytes are stored once (``File._content``) and shared, not copied, by
whatever reads them (a batch holds its input's bytes until it has answered).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.core.clock import capped, has_expired
from fakeopenai.core.errors import InvalidRequestError, PayloadTooLargeError, not_found
from fakeopenai.core.unknown_ids import made_for
from fakeopenai.families.batches.objects import File
from fakeopenai.families.batches.world import world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024
BATCH_FILE_LIFETIME = 30 * 24 * 3600  # purpose=batch files expire after 30 days by default


def store_file(state: TenantState, content: bytes | tuple[bytes, ...], *, filename: str, purpose: str,
               expires_after: int | None = None, object_id: str | None = None) -> File:
    """Store ``content`` as a File; ``expires_after`` is seconds after creation. A batch's big output
    file comes as its parts in order (kept so: joined, it would briefly need twice its size)."""
    size = len(content) if isinstance(content, bytes) else sum(map(len, content))
    if size > MAX_FILE_BYTES:
        raise PayloadTooLargeError(f"File is too large: {size} bytes; files can be at most 512 MB.",
                                   param="file", code="file_too_large")
    if purpose == "batch" and size > MAX_BATCH_FILE_BYTES:
        raise InvalidRequestError(f"File is too large: {size} bytes; the Batch API only supports .jsonl "
                                  "files up to 200 MB.", param="file", code="file_too_large")
    state.reserve_bytes(size)
    now = state.clock.tick()
    if expires_after is None and purpose == "batch":
        expires_after = BATCH_FILE_LIFETIME
    item = File(id=object_id or state.ids.new("file-"), created_at=now, filename=filename, purpose=purpose,
                bytes=size, expires_at=capped(now + expires_after) if expires_after is not None else None,
                _content=content)
    world(state).files.add(item.id, item)
    state.log_change("%s stored (%s, %d bytes)", item.id, purpose, size)
    return item


def find_file(state: TenantState, file_id: str) -> File | None:
    """The file, or None when there is none (or it expired on the fake clock)."""
    item = world(state).files.get(file_id)
    if item is not None and has_expired(state.clock.now, item.expires_at):
        _forget(state, item, "expired")
        return None
    return item


def get_file(state: TenantState, file_id: str, *, param: str | None = None) -> File:
    item = find_file(state, file_id) or made_for(state, file_id, "file", lambda key: store_file(
        state, b"Hello", filename=f"{key}.txt", purpose="user_data", object_id=key))
    if item is None:
        raise not_found("file", file_id, param=param)
    return item


def delete_file(state: TenantState, file_id: str) -> str:
    _forget(state, get_file(state, file_id), "deleted")
    return file_id


def expire_files(state: TenantState) -> None:
    """Drop every file whose ``expires_at`` the fake clock has passed (the live API deletes them)."""
    now = state.clock.now
    for item in world(state).files:
        if has_expired(now, item.expires_at):
            _forget(state, item, "expired")


def _forget(state: TenantState, item: File, why: str) -> None:
    world(state).files.remove(item.id)
    state.release_bytes(item.bytes)
    state.log_change("%s %s", item.id, why)
