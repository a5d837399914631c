"""The generic family's HTTP handlers: one per operation of the table, made at route-building
time, each reading its request the way the operation's spec says (a JSON body checked with
``params.json_body`` against the official schema, a multipart form, an SDP offer; path and query
parameters with the spec's bounds) and answering the engine's :class:`~engine.Answer` as JSON,
bytes of the declared media type, an empty body, or a stream.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.core.errors import InvalidRequestError, UnsupportedMediaTypeError
from fakeopenai.core.store import PageQuery
from fakeopenai.families.generic import engine, media, schemas
from fakeopenai.families.generic.operations import Operation
from fakeopenai.http.params import body_bytes, drop_unknown, enum_query, int_query, json_body, read_form
from fakeopenai.http.rendering import json_response, tenant
from fakeopenai.spec.request_schema import SDK_OPTIONAL


def handler(op: Operation) -> Any:
    async def handle(request: Request) -> Response:
        state = tenant(request)
        call = engine.Call(op=op, path=dict(request.path_params),
                           query={k: v for k, v in request.query_params.items()})
        if op.role == "list" and op.stored:
            call.page = _page(request, op)
        await _read_body(request, op, call)
        return _response(request, op, call, engine.answer(state, call))

    handle.__name__ = f"generic_{op.method.lower()}_{op.operation_id or op.path}"
    return handle


def _page(request: Request, op: Operation) -> PageQuery:
    limit = op.query.get("limit") or {}
    order = op.query.get("order") or {}
    high = limit.get("maximum")
    return PageQuery(
        limit=int_query(request, "limit", default=int(limit.get("default", 20)), low=int(limit.get("minimum", 1)),
                        high=int(high) if isinstance(high, (int, float)) else 100) if limit else 20,
        order=enum_query(request, "order", tuple(order.get("enum") or ("asc", "desc")),
                         str(order.get("default", "desc"))) if order else "desc",
        after=(request.query_params.get("after") or None) if "after" in op.query else None,
        before=(request.query_params.get("before") or None) if "before" in op.query else None)


def _schema_name(pointer: str) -> str:
    prefix = "#/components/schemas/"
    return pointer[len(prefix):] if pointer.startswith(prefix) else pointer


async def _read_body(request: Request, op: Operation, call: engine.Call) -> None:
    if not (op.body_json or op.body_multipart or op.body_other):
        return   # the operation takes no body
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    raw = body_bytes(request)
    if op.body_multipart and (media_type == "multipart/form-data" or (
            media_type == "application/x-www-form-urlencoded" and not op.body_json)):
        call.body = await _form(request, op)
        return
    if op.body_other and media_type in op.body_other:
        call.raw = raw
        return
    if op.body_json:
        if not raw.strip() and not op.body_required:
            return
        call.body = json_body(request, _schema_name(op.body_json))
        return
    if op.body_multipart:
        raise UnsupportedMediaTypeError(
            f"Invalid content type {media_type or 'none'!r}: this endpoint takes multipart/form-data.",
            param="body", code="unsupported_content_type")
    if op.body_other and raw.strip():
        raise UnsupportedMediaTypeError(
            f"Invalid content type {media_type or 'none'!r}: this endpoint takes {' or '.join(op.body_other)}.",
            param="body", code="unsupported_content_type")
    if op.body_required and op.body_other and not op.body_multipart:
        call.raw = raw



async def _form(request: Request, op: Operation) -> dict[str, Any]:
    """The form's fields (a repeated one, or ``name[]``, as a list; a file as an :class:`media.Upload`),
    checked for the schema's required fields; unknown ones dropped and noted as JSON bodies are."""
    form = await read_form(request, max_files=64, max_fields=256, max_part_size=16 * 1024 * 1024)
    body: dict[str, Any] = {}
    try:
        for name, value in form.multi_items():
            key = name[:-2] if name.endswith("[]") else name
            item: Any = value
            if isinstance(value, UploadFile):
                item = media.Upload(value.filename or "upload", await value.read(),
                                    value.content_type or "application/octet-stream")
            if key in body:
                body[key] = [*body[key], item] if isinstance(body[key], list) else [body[key], item]
            else:
                body[key] = [item] if name.endswith("[]") else item
    finally:
        await form.close()
    schema = schemas.resolve(schemas.node(op.body_multipart or ""))
    properties = schemas.properties(schema)
    known = frozenset(properties)
    for name, value in list(body.items()):   # a list the form sent once (files=...): still a list
        if not isinstance(value, list) and schemas.resolve(properties.get(name)).get("type") == "array":
            body[name] = [value]
    drop_unknown(body, known | {k for k in body if "[" in k}, request.scope.get("fakeopenai.tenant"))
    optional = SDK_OPTIONAL.get((op.body_multipart or "").rsplit("/", 1)[-1], frozenset())
    for name in schema.get("required") or ():
        if name not in optional and (name not in body or body[name] in ("", [])):
            raise InvalidRequestError(f"Missing required parameter: '{name}'.", param=name,
                                      code="missing_required_parameter")
    return body


def _response(request: Request, op: Operation, call: engine.Call, result: engine.Answer) -> Response:
    if engine.wants_stream(call.body) and op.stream_schema and "text/event-stream" in op.media:
        return _stream(op, result)
    if result.empty:
        return Response(b"", status_code=result.status, headers=result.headers or None)
    if result.content is not None:
        return Response(result.content, status_code=result.status, media_type=result.media,
                        headers=result.headers or None)
    return json_response(result.data, status_code=result.status, headers=result.headers or None)


def _stream(op: Operation, result: engine.Answer) -> Response:
    """A stream of the operation's events, one of each shape its stream schema allows, the finishing
    one (``*.completed`` / ``*.done``) last; each event generated from the answer's key."""
    events = stream_events(op.stream_schema or "", "stream")
    text = "".join(f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n" for name, data in events)
    return Response(text.encode(), media_type="text/event-stream")


@lru_cache(maxsize=256)
def _branches(pointer: str) -> tuple[str, ...]:
    schema = schemas.node(pointer)
    resolved = schemas.resolve(schema)
    branches = [*resolved.get("oneOf", ()), *resolved.get("anyOf", ())]
    if not branches:
        return (pointer,)
    out = []
    for index, branch in enumerate(branches):
        if isinstance(branch, dict) and "$ref" in branch:
            out.append(branch["$ref"])
        else:
            base = resolved_pointer(pointer)
            out.append(f"{base}/{'oneOf' if resolved.get('oneOf') else 'anyOf'}/{index}")
    return tuple(out)


def resolved_pointer(pointer: str) -> str:
    node = schemas.node(pointer)
    while "$ref" in node:
        pointer = node["$ref"]
        node = schemas.node(pointer)
    return pointer


def stream_events(pointer: str, key: str) -> list[tuple[str, Any]]:
    events = []
    for branch in _branches(pointer):
        data = schemas.template(branch, key)
        name: Any = data.get("type") if isinstance(data, dict) and isinstance(data.get("type"), str) else "message"
        events.append((name, data))
    events.sort(key=lambda e: e[0].endswith((".completed", ".done")))
    return events

