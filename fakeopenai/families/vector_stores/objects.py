"""The vector stores family's objects: a store, a file attached to it (with the chunks it was cut
into), a file batch. API fields are public; engine state is ``_private``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeopenai.core.store import Collection


@dataclass(slots=True)
class Chunk:
    text: str
    vector: list[float] | None = None   # its embedding, made at the first search that needs it


@dataclass(frozen=True, slots=True)
class FileStep:
    """One step of a file's processing: its status, and how many reads see it before the next."""

    status: str
    reads: int = 1
    last_error: dict[str, str] | None = None


@dataclass(slots=True)
class StoreFile:
    id: str                      # the File's id
    created_at: int
    vector_store_id: str
    chunking_strategy: dict[str, Any]
    attributes: dict[str, Any] | None
    status: str = "in_progress"
    usage_bytes: int = 0
    last_error: dict[str, str] | None = None
    _filename: str = ""
    _text: str = ""              # the text it indexes (empty when it failed)
    _chunks: list[Chunk] = field(default_factory=list)
    _steps: tuple[FileStep, ...] = ()
    _pos: int = 0
    _seen: int = 1               # reads of the current step (the create's answer is the first)
    _batch_id: str | None = None


@dataclass(slots=True)
class FileBatch:
    id: str
    created_at: int
    vector_store_id: str
    status: str = "in_progress"
    _file_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class VectorStore:
    id: str
    created_at: int
    name: str
    metadata: dict[str, str] | None
    last_active_at: int
    description: str | None = None
    expires_after: dict[str, Any] | None = None
    _files: Collection[StoreFile] = field(default_factory=Collection)
    _batches: Collection[FileBatch] = field(default_factory=Collection)

    @property
    def expires_at(self) -> int | None:
        if not self.expires_after:
            return None
        return self.last_active_at + int(self.expires_after.get("days", 0)) * 86400
