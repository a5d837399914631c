"""The Files API: stored bytes with the real limits and expiry rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.engine.objects import File
from fakeopenai.errors import InvalidRequestError, not_found

if TYPE_CHECKING:
    from fakeopenai.engine.state import TenantState

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024
BATCH_FILE_LIFETIME = 30 * 24 * 3600  # purpose=batch files expire after 30 days by default


def store_file(state: TenantState, content: bytes, *, filename: str, purpose: str,
               expires_after: int | None = None, object_id: str | None = None) -> File:
    """Store ``content`` as a File; ``expires_after`` is seconds after creation."""
    if len(content) > MAX_FILE_BYTES:
        raise InvalidRequestError("File is too large: files can be at most 512 MB.", param="file")
    if purpose == "batch" and len(content) > MAX_BATCH_FILE_BYTES:
        raise InvalidRequestError("File is too large: the Batch API only supports .jsonl files up to 200 MB.",
                                  param="file")
    state.reserve_bytes(len(content))
    now = state.clock.tick()
    if expires_after is None and purpose == "batch":
        expires_after = BATCH_FILE_LIFETIME
    item = File(id=object_id or state.ids.new("file-"), created_at=now, filename=filename, purpose=purpose,
                bytes=len(content), expires_at=now + expires_after if expires_after is not None else None,
                _content=content)
    state.files.add(item.id, item)
    state.log_change(f"{item.id} stored ({purpose}, {len(content)} bytes)")
    return item


def get_file(state: TenantState, file_id: str, *, param: str | None = None) -> File:
    item = state.files.get(file_id)
    if item is None:
        raise not_found("file", file_id, param=param)
    return item


def delete_file(state: TenantState, file_id: str) -> str:
    item = get_file(state, file_id)
    state.files.remove(file_id)
    state.release_bytes(item.bytes)
    state.log_change(f"{file_id} deleted")
    return file_id
