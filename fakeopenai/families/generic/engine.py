"""The generic family's engine: the tenant's objects of every operation no hand-built family
serves, by role (``operations.Operation.role``). No HTTP here: handlers give a :class:`Call` and
get an :class:`Answer`.

* create / derive / create_many: a new object in the collection (under its parents, which must
  exist), its id of the kind's prefix (or named by the body: a vector store file is its File's
  id), its fields from the request, its lifecycle started (``lifecycle.py``);
* list: the collection's objects, paged by the spec's cursor (``after``/``before``/``limit``/
  ``order``), filtered by the query parameters that name a field (``status``, ``filter``);
* retrieve (one lifecycle step per read), update (the body's fields merged), delete (the spec's
  deleted shape), action (cancel, pause, resume, complete, archive ...), content (bytes);
* singleton_get / _set / _delete: one object per parent (data retention, spend limits);
* bulk: activate or deactivate the objects a body names; compute: an answer nothing stores.

An id the tenant does not hold is the API's 404 (``No vector store found with id 'vs_x'.``, naming
the path parameter), or under ``unknown_ids: generate`` an object made for it, then stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakeopenai.core import registry
from fakeopenai.core.errors import InvalidRequestError, WrongStateError, not_found
from fakeopenai.core.store import PageQuery
from fakeopenai.families.generic import facts, lifecycle, media, schemas
from fakeopenai.families.generic.operations import CollectionInfo, Operation, parent_of, table
from fakeopenai.families.generic.world import GObj, Key, world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

PAGING = frozenset({"limit", "order", "after", "before", "order_by", "include", "page", "cursor"})
FILTER_ALIASES = {"filter": "status"}
UPLOAD_LIFETIME = 3600


@dataclass(slots=True)
class Call:
    """One request to a generic operation, as the handler read it."""

    op: Operation
    path: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    page: PageQuery | None = None
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)   # form name -> (filename, bytes, type)
    raw: bytes = b""          # a body that is not JSON nor a form (an SDP offer)


@dataclass(slots=True)
class Answer:
    data: Any = None                          # JSON
    kind: str | None = None                   # what the compat profile calls it
    content: bytes | None = None              # bytes (with media)
    media: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    empty: bool = False                       # the spec documents no content


def answer(state: TenantState, call: Call) -> Answer:
    return ROLES[call.op.role](state, call)


# ----------------------------------------------------------------------------- finding objects
def wants_stream(body: dict[str, Any]) -> bool:
    """``stream: true`` (a form sends it as text), or speech's ``stream_format: sse``."""
    return body.get("stream") in (True, "true", "True") or body.get("stream_format") == "sse"


def _generate(state: TenantState) -> bool:
    return state.scenario.unknown_ids == "generate"


def parents(state: TenantState, path: str, values: dict[str, str], *, make_missing: bool = False) -> tuple[str, ...]:
    """The ids of the objects above ``path`` (a collection or an operation's path), each checked: an
    unknown one is the 404 naming its parameter (or, under ``unknown_ids: generate`` or with
    ``make_missing``, made)."""
    chain = []
    here = path
    while (above := parent_of(here)) is not None:
        chain.append(above)
        here = above[0]
    ids: tuple[str, ...] = ()
    for collection, param in reversed(chain):
        value = values.get(param, "")
        info = table().collections.get(collection)
        if info is not None and info.checked:
            if make_missing and world(state).collection((info.path, ids)).get(value) is None:
                make(state, info, ids, key=value, body={}, unknown=True)
            find(state, info, ids, value)
        ids = (*ids, value)
    return ids


def find(state: TenantState, info: CollectionInfo, parent_ids: tuple[str, ...], key: str) -> GObj:
    """The object ``key`` of the collection, or the API's 404 (``unknown_ids: generate``: made now)."""
    found = world(state).collection((info.path, parent_ids)).get(key)
    if found is not None:
        return found
    if _generate(state):
        made = make(state, info, parent_ids, key=key, body={}, unknown=True)
        if made._cursor is not None:
            made._cursor.seen = 0   # the read that made it shows its first step
        return made
    raise not_found(facts.noun_for(info.kind, info.item_param), key, param=info.item_param)


def item_shape(info: CollectionInfo) -> schemas.Shape | None:
    op = info.retrieve_op or next((o for o in info.ops if o.role in ("create", "derive") and o.schema), None)
    if op is not None and op.schema:
        return schemas.shape(op.schema)
    if info.list_op is not None and info.list_op.schema:
        item = schemas.shape(info.list_op.schema).item_pointer
        return schemas.shape(item) if item else None
    return None


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


# ----------------------------------------------------------------------------- making objects
def make(state: TenantState, info: CollectionInfo, parent_ids: tuple[str, ...], *, key: str | None = None,
         body: dict[str, Any], kind: str | None = None, extra: dict[str, Any] | None = None,
         unknown: bool = False, lifecycle_body: dict[str, Any] | None = None) -> GObj:
    """A new object in the collection: its fields (nullable ones null until set, times from the fake
    clock, its parents' ids, the request's fields), its id, its lifecycle; stored."""
    kind = kind or info.kind
    now = state.clock.tick()
    if key is None:
        key = state.ids.new(facts.prefix_for(kind))
    else:
        state.ids.reserve(key)
    shape = item_shape(info)
    fields: dict[str, Any] = {}
    if shape is not None:
        for name in shape.nullable:
            fields[name] = None
        for name in shape.times:
            if name == "expires_at" and name not in shape.nullable:
                fields[name] = now + UPLOAD_LIFETIME
            elif name not in shape.nullable or name in ("created_at", "created", "added_at", "updated_at",
                                                          "last_active_at"):
                fields[name] = now
    if kind:
        fields["object"] = kind
    for name, value in zip(info.params, parent_ids, strict=False):
        fields[name] = value
    fields.update({k: v for k, v in body.items() if not k.startswith("_")})
    if extra:
        fields.update(extra)
    if info.id_field:
        fields[info.id_field] = key
    fields["id"] = key
    if info.item_param:
        fields.setdefault(info.item_param, key)
    home: Key = (info.path, parent_ids)
    obj = GObj(key=key, kind=kind, home=home, fields=fields, seed=str(state.scenario.seed))
    world(state).collection(home).add(key, obj)
    state.log_change("%s %s (%s)", key, "made for an unknown id" if unknown else "created", kind or info.path)
    lifecycle.start(state, obj, lifecycle_body if lifecycle_body is not None else body,
                    shape.statuses if shape is not None else ())
    return obj


def show(state: TenantState, obj: GObj, pointer: str | None) -> Any:
    """The object through the schema at ``pointer`` (cached until it changes), then the profile."""
    if pointer is None:
        return None
    lifecycle.before_show(state, obj)
    cached = obj._shown.get(pointer)
    if cached is not None and cached[0] == obj.version:
        data = cached[1]
    else:
        data = schemas.project(pointer, obj.seed, obj.fields)
        obj._shown[pointer] = (obj.version, data)
    return state.profile.apply(obj.kind or "object", data) if obj.kind else data


def _json_or_empty(state: TenantState, op: Operation, obj: GObj, headers: dict[str, str] | None = None) -> Answer:
    if op.schema is None:
        return Answer(empty=True, status=op.status, headers=headers or {})
    return Answer(data=show(state, obj, op.schema), kind=obj.kind, status=op.status, headers=headers or {})


def _poll_headers(state: TenantState) -> dict[str, str]:
    return {"openai-poll-after-ms": str(state.scenario.poll_after_ms)}


# ----------------------------------------------------------------------------- the roles
def create(state: TenantState, call: Call) -> Answer:
    op = call.op
    info = table().collections[op.collection or ""]
    parent_ids = parents(state, op.collection or "", call.path)
    body = _carried(call)
    key = None
    if op.key_from_body and isinstance(call.body.get(op.key_from_body), str):
        key = call.body[op.key_from_body]
        existing = world(state).collection((info.path, parent_ids)).get(key)
        if existing is not None:   # attaching the same thing again: the live API answers the object
            return _json_or_empty(state, op, existing)
    obj = make(state, info, parent_ids, key=key, body=body, kind=op.kind if op.kind != info.kind else None)
    _after_create(state, call, obj)
    if "application/sdp" in op.media:
        return Answer(content=media.sdp_answer(obj.key), media="application/sdp", status=op.status,
                      headers={"location": f"/v1{op.collection}/{obj.key}"})
    return _json_or_empty(state, op, obj)


def create_many(state: TenantState, call: Call) -> Answer:
    op = call.op
    info = table().collections[op.collection or ""]
    parent_ids = parents(state, op.collection or "", call.path)
    values = next(((name, v) for name, v in call.body.items() if isinstance(v, list) and all(
        isinstance(x, str) for x in v)), None)
    made = []
    field_name = values[0].removesuffix("s") if values else ""   # project_ids -> one object per project_id
    for value in (values[1] if values else [None]):
        made.append(make(state, info, parent_ids, body={k: v for k, v in call.body.items()
                                                         if not isinstance(v, list)},
                         extra={field_name: value} if values else {}))
    return _page_answer(state, op, made, has_more=False)


def derive(state: TenantState, call: Call) -> Answer:
    """A new object made from another (a video's remix) or of a kind that lives elsewhere (an edited video
    goes to /videos)."""
    op = call.op
    info = table().collections[op.collection or ""]
    parent_ids = parents(state, op.collection or "", call.path) if op.source_param is None else ()
    body = _carried(call)
    extra: dict[str, Any] = {}
    if op.source_param is not None:
        source = find(state, info, (), call.path[op.source_param])
        body = {**{k: v for k, v in source.fields.items() if k in ("model", "size", "seconds", "prompt")}, **body}
        extra[f"remixed_from_{facts.singular(info.path.rsplit('/', 1)[-1])}_id"] = source.key
    obj = make(state, info, parent_ids, body=body, extra=extra)
    return _json_or_empty(state, op, obj)


def retrieve(state: TenantState, call: Call) -> Answer:
    op = call.op
    obj = _target(state, call)
    lifecycle.observe(state, obj)
    return _json_or_empty(state, op, obj, _poll_headers(state))


def update(state: TenantState, call: Call) -> Answer:
    op = call.op
    obj = _target(state, call)
    for name, value in _carried(call).items():
        obj.fields[name] = value
    obj.fields["updated_at"] = state.clock.tick()
    obj.changed()
    state.log_change("%s updated (%s)", obj.key, ", ".join(sorted(call.body)) or "nothing")
    return _json_or_empty(state, op, obj)


def delete(state: TenantState, call: Call) -> Answer:
    op = call.op
    obj = _target(state, call)
    _forget(state, obj)
    if op.schema is None:
        return Answer(empty=True, status=op.status)
    info = table().collections[op.collection or ""]
    fields = {"id": obj.key, "deleted": True, **dict(zip(info.params, obj.home[1], strict=False))}
    if op.item_param:
        fields[op.item_param] = obj.key
    data = schemas.project(op.schema, obj.seed, fields)
    return Answer(data=data, kind=f"{obj.kind}.deleted" if obj.kind else None, status=op.status)


def action(state: TenantState, call: Call) -> Answer:
    op = call.op
    obj = _target(state, call)
    verb = op.verb or ""
    if verb == "cancel":
        lifecycle.cancel(state, obj)
    elif verb == "pause":
        lifecycle.pause(state, obj, True)
    elif verb == "resume":
        lifecycle.pause(state, obj, False)
    elif verb == "complete":
        _complete_upload(state, obj, call.body)
    elif verb == "archive":
        now = state.clock.tick()
        obj.fields.update(status="archived", archived_at=now)
        obj.status = "archived"
        obj.changed()
        state.log_change("%s archived", obj.key)
    else:
        obj.fields[f"last_{verb}"] = state.clock.tick()
        state.log_change("%s %s", obj.key, verb)
    return _json_or_empty(state, op, obj)


def content(state: TenantState, call: Call) -> Answer:
    op = call.op
    obj = _target(state, call)
    variant = call.query.get("variant")
    kind = media.pick(op.media, variant)
    if obj.kind == "video" and obj.status not in (None, "completed"):
        raise WrongStateError(f"Video {obj.key} is not ready: it is {obj.status}; its content can be "
                              "downloaded once it is completed.", param="video_id", code="video_not_ready")
    data = obj.content if obj.content is not None and kind in ("application/octet-stream", "") else \
        media.bytes_for(kind, obj.key, name=str(obj.fields.get("name") or obj.key))
    return Answer(content=data, media=kind or "application/octet-stream", status=op.status)


def list_objects(state: TenantState, call: Call) -> Answer:
    op = call.op
    parent_ids = parents(state, op.collection or op.path, call.path)
    if not op.stored:
        return _generated(state, call, parent_ids)
    info = table().collections[op.collection or ""]
    home = (info.path, parent_ids)
    mine = world(state)
    if info.ambient and home not in mine.seeded:
        mine.seeded.add(home)
        make(state, info, parent_ids, body={})
    page = call.page or PageQuery(limit=20, order="desc")
    where = _filters(op, call.query)
    items = mine.collection(home)
    cursors = [cursor for cursor in (page.after, page.before) if cursor is not None]
    if _generate(state) and any(items.get(cursor) is None for cursor in cursors):
        # unknown_ids: generate: a cursor this tenant never listed names an object as if it existed, past
        # the ones it holds: the page after (or before) it is empty.
        return _page_answer(state, op, [], has_more=False)
    found = items.page(page, where=where, id_of=lambda o: o.key)
    for obj in found.data:
        lifecycle.refresh(state, obj)
    return _page_answer(state, op, found.data, found.has_more)


def singleton_get(state: TenantState, call: Call) -> Answer:
    obj = _singleton(state, call, create=True)
    assert obj is not None   # create=True makes it
    return _json_or_empty(state, call.op, obj)


def singleton_set(state: TenantState, call: Call) -> Answer:
    obj = _singleton(state, call, create=True)
    assert obj is not None
    obj.fields.update(_carried(call))
    obj.changed()
    state.log_change("%s set", call.op.path)
    return _json_or_empty(state, call.op, obj)


def singleton_delete(state: TenantState, call: Call) -> Answer:
    op = call.op
    obj = _singleton(state, call, create=False)
    if obj is not None:
        world(state).singletons.pop(obj.home, None)
        state.log_change("%s deleted", op.path)
    if op.schema is None:
        return Answer(empty=True, status=op.status)
    return Answer(data=schemas.project(op.schema, str(state.scenario.seed), {"deleted": True}),
                  status=op.status)


def bulk(state: TenantState, call: Call) -> Answer:
    op = call.op
    info = table().collections[op.collection or ""]
    parent_ids = parents(state, op.collection or "", call.path)
    ids = next((v for v in call.body.values() if isinstance(v, list)), [])
    active = op.verb == "activate"
    items = []
    for key in ids:
        if not isinstance(key, str):
            continue
        home = world(state).collection((info.path, parent_ids))
        obj = home.get(key)
        if obj is None and info.checked and not _generate(state):
            raise not_found(facts.noun_for(info.kind), key, param=next(iter(call.body), None))
        if obj is None:
            obj = make(state, info, parent_ids, key=key, body={}, unknown=True)
        obj.fields["active"] = active
        obj.changed()
        items.append(obj)
    item = schemas.shape(op.schema).item_pointer if op.schema else None
    data = {"data": [show(state, o, item) for o in items]}
    return Answer(data=schemas.project(op.schema, str(state.scenario.seed), data) if op.schema else None,
                  status=op.status)


def compute(state: TenantState, call: Call) -> Answer:
    """An answer nothing stores (images, audio, a completion, a search, usage): generated from the
    seed, the path and the body, with the body's own fields and the clock's time."""
    op = call.op
    parents(state, op.path, call.path)
    key = f"{state.scenario.seed}|{op.path}|{digest([call.body, call.query, call.path])}"
    binary = media.binary_kind(op.media, call.body)
    if binary is not None and not (wants_stream(call.body) and op.stream_schema):
        return Answer(content=media.bytes_for(binary, key, fmt=call.body.get("response_format")), media=binary,
                      status=op.status)
    seed = str(state.scenario.seed)
    if op.schema is None:
        return Answer(empty=True, status=op.status)
    now = state.clock.now
    shape = schemas.shape(op.schema)
    fields: dict[str, Any] = {k: v for k, v in _carried(call).items()}
    for name in shape.times:
        fields[name] = now + (60 if name == "expires_at" else 0)
    if shape.has("id"):
        fields["id"] = state.ids.new(facts.prefix_for(op.kind or shape.object_fixed))
    data = schemas.project(op.schema, seed, {**facts.NEWER_FIELDS.get(op.kind or "", {}), **fields})
    media.fill_images(data, call.body, key)
    return Answer(data=data, kind=op.kind, status=op.status)


# ----------------------------------------------------------------------------- helpers
def _target(state: TenantState, call: Call) -> GObj:
    """The object an item operation names (its parents checked first)."""
    op = call.op
    info = table().collections[op.collection or ""]
    parent_ids = parents(state, info.path, call.path)
    key = call.path.get(op.item_param or "", "")
    if not info.checked:
        found = world(state).collection((info.path, parent_ids)).get(key)
        return found if found is not None else make(state, info, parent_ids, key=key, body={}, unknown=True)
    return find(state, info, parent_ids, key)


def _singleton(state: TenantState, call: Call, *, create: bool) -> GObj | None:
    op = call.op
    parent_ids = parents(state, op.path, call.path)
    home: Key = (op.path, parent_ids)
    mine = world(state)
    obj = mine.singletons.get(home)
    if obj is None and create:
        fields: dict[str, Any] = {"object": op.kind} if op.kind else {}
        obj = GObj(key=op.path, kind=op.kind, home=home, fields=fields, seed=str(state.scenario.seed))
        mine.singletons[home] = obj
    return obj


def _carried(call: Call) -> dict[str, Any]:
    """The request's fields an object takes: the body's (a form's files as their name and size)."""
    body = {k: v for k, v in call.body.items() if not isinstance(v, media.Upload)}
    for upload in call.body.values():
        if isinstance(upload, media.Upload):
            body.setdefault("filename", upload.filename)
            body.setdefault("bytes", len(upload.data))
    return body


def _after_create(state: TenantState, call: Call, obj: GObj) -> None:
    """What a create does besides storing the object: a container file's or upload part's bytes."""
    uploads = [v for v in call.body.values() if isinstance(v, media.Upload)]
    if uploads:
        obj.content = uploads[0].data
        if obj.kind == "container.file":
            obj.fields.setdefault("path", f"/mnt/data/{uploads[0].filename}")
            obj.fields["path"] = obj.fields.get("path") or f"/mnt/data/{uploads[0].filename}"
            obj.fields["source"] = "user"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _complete_upload(state: TenantState, upload: GObj, body: dict[str, Any]) -> None:
    if upload.status != "pending":
        raise WrongStateError(f"Cannot complete upload {upload.key}: it is already {upload.status}.",
                              param="upload_id", code="upload_not_pending")
    parts = world(state).collection(("/uploads/{upload_id}/parts", (upload.key,)))
    total = 0
    listed: list[GObj] = []
    for index, part_id in enumerate(_listed(body.get("part_ids"))):
        part = parts.get(part_id) if isinstance(part_id, str) else None
        if part is None:
            raise InvalidRequestError(f"Invalid 'part_ids[{index}]': upload {upload.key} has no part with id "
                                      f"'{part_id}'.", param=f"part_ids[{index}]", code="invalid_value")
        listed.append(part)
        total += len(part.content or b"")
    expected = upload.fields.get("bytes")
    if isinstance(expected, int) and total != expected:
        raise InvalidRequestError(f"The parts add up to {total} bytes; upload {upload.key} was created for "
                                  f"{expected} bytes.", param="part_ids", code="invalid_value")
    content = b"".join(part.content or b"" for part in listed)
    md5, actual = body.get("md5"), hashlib.md5(content, usedforsecurity=False).hexdigest()
    if isinstance(md5, str) and md5 and md5.lower() != actual:
        raise InvalidRequestError(f"The md5 checksum of the parts ({actual}) does not match the given one "
                                  f"({md5}).", param="md5", code="invalid_value")
    filename, purpose = str(upload.fields.get("filename") or "upload"), str(upload.fields.get("purpose") or "")
    made = registry.store_file(state, content, filename, purpose)   # a File of the Files API, as live
    upload.fields["file"] = made if made is not None else {
        "id": state.ids.new("file-"), "object": "file", "bytes": total, "created_at": state.clock.tick(),
        "expires_at": None, "filename": filename, "purpose": purpose, "status": "processed", "status_details": None}
    lifecycle.settle(state, upload, "completed")


def _forget(state: TenantState, obj: GObj) -> None:
    mine = world(state)
    mine.collection(obj.home).remove(obj.key)
    if mine.scripted.get(obj.key) is obj:
        del mine.scripted[obj.key]
    state.log_change("%s deleted", obj.key)


def _filters(op: Operation, query: dict[str, str]) -> Any:
    tests = []
    for name, value in query.items():
        if name in PAGING or name not in op.query or value == "":
            continue
        field_name = FILTER_ALIASES.get(name, name)
        tests.append((field_name, value))
    if not tests:
        return None

    def where(obj: GObj) -> bool:
        for name, value in tests:
            have = obj.fields.get(name, obj.status if name == "status" else None)
            if have is None:
                continue   # a field the object does not carry filters nothing
            if str(have).lower() != value.lower():
                return False
        return True

    return where


def _page_answer(state: TenantState, op: Operation, items: list[GObj], has_more: bool) -> Answer:
    if op.schema is None:
        return Answer(empty=True, status=op.status)
    item = schemas.shape(op.schema).item_pointer
    data = [show(state, obj, item) for obj in items]
    first = items[0].key if items else None
    last = items[-1].key if items else None
    fields = {"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": has_more,
              "next": last if has_more else None, "next_page": last if has_more else None}
    return Answer(data=_envelope(op.schema, str(state.scenario.seed), fields), status=op.status)


def _envelope(pointer: str, key: str, fields: dict[str, Any]) -> Any:
    base = schemas.template(pointer, key)
    out = {name: fields.get(name, value) if name in fields else value for name, value in base.items()}
    if not schemas.valid(pointer, out):
        out = schemas.project(pointer, key, fields)
    return out


def _generated(state: TenantState, call: Call, parent_ids: tuple[str, ...]) -> Answer:
    """A list nothing stores (usage buckets, a file's parsed content): one generated page."""
    op = call.op
    if op.schema is None:
        return Answer(empty=True, status=op.status)
    data = schemas.project(op.schema, str(state.scenario.seed), {"has_more": False, "next_page": None, "next": None})
    return Answer(data=data, status=op.status)


ROLES = {
    "create": create, "create_many": create_many, "derive": derive, "list": list_objects, "retrieve": retrieve,
    "update": update, "delete": delete, "action": action, "content": content, "singleton_get": singleton_get,
    "singleton_set": singleton_set, "singleton_delete": singleton_delete, "bulk": bulk, "compute": compute,
}
