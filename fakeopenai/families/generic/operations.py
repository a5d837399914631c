"""The operation table (``operations.json``, made at build time by ``spec_tables.py``) as objects,
read once: each generic operation, each collection of objects (its kind, where its items are
answered, its parent) and each kind's statuses.

Usage::

    table = operations.table()
    op = table.by_label["POST /v1/vector_stores"]
    table.collections["/vector_stores/{vector_store_id}/files"].parent   # ("/vector_stores", "vector_store_id")
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from fakeopenai.families.generic import facts


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str                     # the spec's path (``/vector_stores/{vector_store_id}``)
    operation_id: str
    summary: str
    role: str                     # see spec_tables: create, list, retrieve, update, delete, action ...
    status: int                   # the success status (200, 201)
    media: tuple[str, ...]        # the success answer's media types ("" for none)
    schema: str | None            # JSON pointer of the JSON answer's schema
    stream_schema: str | None
    body_json: str | None
    body_multipart: str | None
    body_other: tuple[str, ...]
    body_required: bool
    params: tuple[str, ...]
    query: dict[str, dict[str, Any]]
    collection: str | None = None
    item_param: str | None = None
    kind: str | None = None
    id_field: str | None = None
    verb: str | None = None
    key_from_body: str | None = None
    stored: bool = True
    source_param: str | None = None

    @property
    def route(self) -> str:
        return "/v1" + self.path

    @property
    def label(self) -> str:
        return f"{self.method} /v1{self.path}"

    @property
    def item_path(self) -> str | None:
        return f"{self.collection}/{{{self.item_param}}}" if self.collection and self.item_param else None


@dataclass(slots=True)
class CollectionInfo:
    """Objects under one list path (parents' ids in it): ``/vector_stores/{vector_store_id}/files``."""

    path: str
    kind: str | None = None
    item_param: str | None = None
    id_field: str | None = None
    params: tuple[str, ...] = ()              # the parents' id params, outermost first
    parent: tuple[str, str] | None = None     # (parent collection, its item param)
    creates: bool = False                     # some operation makes its objects
    retrievable: bool = False                 # GET .../{id} answers one
    list_op: Operation | None = None
    retrieve_op: Operation | None = None
    ops: list[Operation] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        """Whether an id in a path under it must name a stored object (else any id is taken)."""
        return (self.creates or self.retrievable) and self.path not in facts.OPEN_COLLECTIONS

    @property
    def ambient(self) -> bool:
        """Objects nobody creates through the API (the organization's users, audit logs): the first
        read of the collection finds one, generated."""
        return not self.creates and self.list_op is not None and self.list_op.stored


@dataclass(slots=True)
class Table:
    rows: list[dict[str, Any]]                        # every spec operation (the docs table)
    operations: list[Operation]                       # this family's
    by_label: dict[str, Operation]
    collections: dict[str, CollectionInfo]
    kinds: dict[str, dict[str, Any]]
    spec_version: str

    def statuses(self, kind: str) -> tuple[str, ...]:
        allowed = tuple(self.kinds.get(kind, {}).get("statuses") or ())
        return allowed or facts.FREE_STATUSES.get(kind, ())

    def home(self, kind: str, given: set[str]) -> CollectionInfo | None:
        """The collection objects of ``kind`` live in, choosing among several by the parent ids given."""
        homes = [self.collections[c] for c in self.kinds.get(kind, {}).get("collections", ())
                 if c in self.collections]
        fitting = [c for c in homes if set(c.params) <= given]
        fitting.sort(key=lambda c: -len(c.params))
        return fitting[0] if fitting else None


def parent_of(collection: str) -> tuple[str, str] | None:
    """``/a/{a_id}/b`` -> (``/a``, ``a_id``); a top-level collection has none."""
    segments = collection.split("/")[1:]
    for index in range(len(segments) - 1, 0, -1):
        if segments[index].startswith("{"):
            return "/" + "/".join(segments[:index]), segments[index][1:-1]
    return None


@cache
def table() -> Table:
    data = json.loads(resources.files(__package__).joinpath("operations.json").read_text("utf-8"))
    operations = []
    for row in data["operations"]:
        if "role" not in row:
            continue
        body = row.get("body") or {}
        operations.append(Operation(
            method=row["method"], path=row["path"], operation_id=row.get("operation_id") or "",
            summary=row.get("summary") or "", role=row["role"], status=row.get("status", 200),
            media=tuple(row.get("media") or ()), schema=row.get("schema"), stream_schema=row.get("stream_schema"),
            body_json=body.get("json"), body_multipart=body.get("multipart"), body_other=tuple(body.get("other") or ()),
            body_required=bool(body.get("required")), params=tuple(row.get("params") or ()),
            query=dict(row.get("query") or {}), collection=row.get("collection"), item_param=row.get("item_param"),
            kind=row.get("kind"), id_field=row.get("id_field"), verb=row.get("verb"),
            key_from_body=row.get("key_from_body"), stored=row.get("stored", True),
            source_param=row.get("source_param")))
    by_label = {f"{op.method} {op.path}": op for op in operations}
    for alias, target in facts.SDK_ALIASES.items():
        if target in by_label:
            method, path = alias.split(" ", 1)
            operations.append(replace(by_label[target], method=method, path=path,
                                      operation_id=by_label[target].operation_id + "-sdk-path"))
    collections: dict[str, CollectionInfo] = {}
    for op in operations:
        if not op.collection or op.role in ("compute",):
            continue
        info = collections.get(op.collection)
        if info is None:
            parent = parent_of(op.collection)
            params = tuple(s[1:-1] for s in op.collection.split("/") if s.startswith("{"))
            info = collections[op.collection] = CollectionInfo(path=op.collection, params=params, parent=parent)
        info.ops.append(op)
        if info.kind is None or op.role == "retrieve":
            info.kind = op.kind or info.kind
        info.item_param = info.item_param or op.item_param
        info.id_field = info.id_field or op.id_field
        if op.role in ("create", "create_many", "derive"):
            info.creates = True
        elif op.role == "retrieve":
            info.retrievable = True
            info.retrieve_op = op
            info.id_field = op.id_field or info.id_field
        elif op.role == "list":
            info.list_op = op
    # Objects some lifecycle makes (fine-tuning events and checkpoints, eval output items) are not ambient.
    for made in ("/fine_tuning/jobs/{fine_tuning_job_id}/events", "/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
                 "/evals/{eval_id}/runs/{run_id}/output_items",
                 "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files"):
        if made in collections:
            collections[made].creates = True
    return Table(rows=data["operations"], operations=operations, by_label={op.label: op for op in operations},
                 collections=collections, kinds=data.get("kinds") or {}, spec_version=data.get("spec_version", ""))
