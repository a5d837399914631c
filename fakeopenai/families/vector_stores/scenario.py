"""The vector stores family's part of the scenario format: ``search:`` entries (pinned results for
the queries they match), ``vector_store_files:`` entries (how a file's processing goes: its
statuses one per read, a ``failed`` end with its ``last_error``) and ``objects.vector_stores``
(stores that exist from the start, their files indexed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Built, package_json
from fakeopenai.scripting.matching import TextMatch

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

NAME = "vector_stores"
FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class SearchEntry:
    index: int
    query: TextMatch | None                   # None: every query
    vector_store_id: str | None
    results: tuple[dict[str, Any], ...]
    line: int | None = None
    column: int | None = None

    key = "search"   # how a strict teardown names an entry no search used: search[0]

    @property
    def name(self) -> str:
        return f"search[{self.index}]"


@dataclass(frozen=True, slots=True)
class FileScript:
    index: int
    filename: TextMatch | None
    vector_store_id: str | None
    steps: tuple[dict[str, Any], ...]         # {status, reads, last_error}
    line: int | None = None
    column: int | None = None

    key = "vector_store_files"

    @property
    def name(self) -> str:
        return f"vector_store_files[{self.index}]"


@dataclass(frozen=True, slots=True)
class VectorStoresPart:
    search: tuple[SearchEntry, ...] = ()
    files: tuple[FileScript, ...] = ()
    stores: tuple[dict[str, Any], ...] = field(default_factory=tuple)   # objects.vector_stores, files' bytes read


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    searches = []
    at = builder.positions.item_positions(("search",))
    for index, item in enumerate(data.get("search") or []):
        match = item.get("match") or {}
        builder.check_regex(("search", index, "match", "query"), match.get("query"))
        searches.append(SearchEntry(index=index, query=builder.text_match(match.get("query")),
                                    vector_store_id=match.get("vector_store_id"),
                                    results=tuple(dict(r) for r in item["results"]),
                                    line=builder.nth(at, index)[0], column=builder.nth(at, index)[1]))
    scripts = []
    at = builder.positions.item_positions(("vector_store_files",))
    for index, item in enumerate(data.get("vector_store_files") or []):
        path: tuple[str | int, ...] = ("vector_store_files", index)
        match = item.get("match") or {}
        builder.check_regex(path + ("match", "filename"), match.get("filename"))
        steps = [dict(step) for step in item["steps"]]
        for i, step in enumerate(steps):
            if "last_error" in step and step["status"] != "failed":
                builder.error(path + ("steps", i, "last_error"), "last_error belongs on a step with status: failed",
                              key=True)
            if step["status"] != "in_progress" and i != len(steps) - 1:
                builder.error(path + ("steps", i + 1), f"unreachable: step {i} (status {step['status']}) ends "
                              "the file's processing")
        scripts.append(FileScript(index=index, filename=builder.text_match(match.get("filename")),
                                  vector_store_id=match.get("vector_store_id"), steps=tuple(steps),
                                  line=builder.nth(at, index)[0], column=builder.nth(at, index)[1]))
    stores = []
    for index, item in enumerate((data.get("objects") or {}).get(NAME) or []):
        path = ("objects", NAME, index)
        builder.pin(path, item)
        files = []
        for i, file in enumerate(item.get("files") or []):
            if "file_id" in file:
                if {"content", "path", "filename"} & file.keys():
                    builder.error(path + ("files", i), "a file names a seeded File (file_id) or brings its own "
                                  "content (content or path, with a filename), not both")
                files.append(dict(file))
            else:
                files.append(builder.seed_file(path + ("files", i), {"filename": "document.txt", **file}))
        stores.append({**item, "files": files})
    part = VectorStoresPart(search=tuple(searches), files=tuple(scripts), stores=tuple(stores))
    if not (searches or scripts or stores):
        return Built()
    return Built(part=part, entries=tuple(searches))
