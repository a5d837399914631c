"""The fields an item, and a part of a message's content, has when the API lists it, by its ``type``:
read from the family's part of the spec (the members of ``ConversationItem`` and ``ItemResource``, and
the content parts of their messages).

A request may carry more than that (the schemas of input items allow any other key), and the live API
keeps only what its item types define when it stores an item: an input item or a conversation item
listed back is that item's declared fields, never a key the client made up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from fakeopenai.core.family import package_json
from fakeopenai.spec.generate import schema_instance

T = TypeVar("T")
# Of a schema: its required properties that have a default (with it), and each property's object branch.
_Defaults = tuple[tuple[tuple[str, Any], ...], dict[str, dict[str, Any]]]

ITEM_UNIONS = ("ConversationItem", "ItemResource")
MESSAGE_SCHEMAS = ("Message", "OutputMessage", "InputMessageResource")


@dataclass(frozen=True, slots=True)
class _Shape:
    """How one item (or content part) type is listed, worked out once from the spec."""

    tag: str
    fields: frozenset[str]            # what the type lists: a request's other keys are dropped
    defaults: _Defaults               # of its schema
    # What the listed shape requires, bar the id: (field, its schema, whether it is a status that can be completed).
    server_fields: tuple[tuple[str, dict[str, Any], bool], ...]


def project(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with only the fields its type lists (an unknown type is left as it is), and the defaults
    of what it left out filled in; its message parts the same way."""
    out = _listed(item, _item_shapes())
    content = out.get("content")
    if isinstance(content, list):
        shapes = _part_shapes()
        out = {**out, "content": [_listed(part, shapes) if isinstance(part, dict) else part for part in content]}
    return out


def _listed(value: dict[str, Any], shapes: dict[str, _Shape]) -> dict[str, Any]:
    shape = shapes.get(str(value.get("type")))
    if shape is None:
        return value
    fields = shape.fields
    out = _fill_defaults({key: part for key, part in value.items() if key in fields}, shape.defaults, 0)
    for name, _, _ in shape.server_fields:
        if name not in out:
            _fill_server_fields(out, shape)
            break
    return out


def _fill_server_fields(out: dict[str, Any], shape: _Shape) -> None:
    """What the listed shape requires and the input shape did not ask for (the spec's input and listed shapes
    of an item differ: a ``tool_search_call`` sent without ``call_id`` is listed with one): filled in the
    way the server fills it, ``status`` completed, anything else a generated value of its schema. The
    ``id`` is the store's to give."""
    for name, declared, completed in shape.server_fields:
        if name in out:
            continue
        if completed:
            out[name] = "completed"
        else:
            out[name] = schema_instance({**declared, "components": {"schemas": _schemas()}}, f"{shape.tag}.{name}")


def _shapes(fields: dict[str, frozenset[str]], schemas: dict[str, Any]) -> dict[str, _Shape]:
    shapes = {}
    for tag, names in fields.items():
        schema = schemas[tag]
        properties = _properties(schema)
        server = []
        for name in schema.get("required", ()):
            if name != "id":
                declared = properties.get(name, {"type": "string"})   # required but undeclared: a spec slip, a string
                server.append((name, declared, name == "status" and "completed" in _enum_values(_resolve(declared))))
        shapes[tag] = _Shape(tag=tag, fields=names, defaults=_defaults_plan(schema), server_fields=tuple(server))
    return shapes


def _enum_values(schema: dict[str, Any]) -> list[Any]:
    values = list(schema.get("enum", ()))
    for branch in schema.get("anyOf") or schema.get("oneOf") or ():
        values += _resolve(branch).get("enum", [])
    return values


def _with_defaults(value: Any, schema: Any, depth: int = 0) -> Any:
    """A required property the client left out gets the spec's default (``mode: explicit`` of a prompt cache
    breakpoint, ``detail: auto`` of an image), in ``value`` and the objects it holds (copied)."""
    if not isinstance(value, dict) or depth > 8:
        return value
    return _fill_defaults(dict(value), _defaults_plan(schema), depth)


def _fill_defaults(out: dict[str, Any], plan: _Defaults, depth: int) -> dict[str, Any]:
    """:func:`_with_defaults` into ``out``, a dict of the caller's own."""
    defaults, branches = plan
    for name, default in defaults:
        if name not in out:
            out[name] = default
    for name, sub in out.items():
        if isinstance(sub, dict) and name in branches:
            out[name] = _with_defaults(sub, branches[name], depth + 1)
    return out


def _by_identity(work: Callable[[Any], T]) -> Callable[[Any], T]:
    """``work(schema)`` worked out once per schema object: the spec's schemas live as long as the process,
    and every stored item is projected (a regular expression over a description, dicts of properties
    merged through ``allOf``: tens of microseconds an item, each time)."""
    done: dict[int, tuple[Any, T]] = {}

    def once(schema: Any) -> T:
        if not schema:   # an empty dict may be a temporary one: kept, it would pin a new entry each time
            return work(schema)
        hit = done.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
        value = work(schema)
        done[id(schema)] = (schema, value)
        return value

    return once


@_by_identity
def _default(schema: Any) -> Any:
    resolved = _resolve(schema)
    for candidate in (schema, resolved):
        if isinstance(candidate, dict) and "default" in candidate:
            return candidate["default"]
    text = str((schema if isinstance(schema, dict) else {}).get("description", ""))
    said = re.search(r"[Dd]efaults to `([^`]+)`", text)
    return said.group(1) if said else None


@_by_identity
def _object_branch(schema: Any) -> dict[str, Any]:
    schema = _resolve(schema)
    for branch in schema.get("anyOf") or schema.get("oneOf") or ():
        branch = _resolve(branch)
        if branch.get("type") == "object" or "properties" in branch:
            return branch
    return schema


@_by_identity
def _defaults_plan(schema: Any) -> _Defaults:
    """What :func:`_fill_defaults` does for ``schema``: its required properties that have a default, with it,
    and each property's object branch (the schema of a dict value, itself filled)."""
    schema = _resolve(schema)
    properties = _properties(schema)
    defaults = []
    for name in schema.get("required", ()):
        if name in properties:
            default = _default(properties[name])
            if default is not None:
                defaults.append((name, default))
    return tuple(defaults), {name: _object_branch(sub) for name, sub in properties.items()}


@cache
def _schemas() -> dict[str, Any]:
    return dict(package_json("fakeopenai.families.responses", "openapi.json")["components"]["schemas"])


def _item_members() -> list[dict[str, Any]]:
    return [member for union in ITEM_UNIONS for member in _members(_schemas().get(union, {}))]


def _part_members() -> list[dict[str, Any]]:
    return [member for name in MESSAGE_SCHEMAS
            for member in _members(_resolve(_properties(_schemas().get(name, {})).get("content", {}).get("items", {})))]


@cache
def _item_fields() -> dict[str, frozenset[str]]:
    return _fields(_item_members())


@cache
def _part_fields() -> dict[str, frozenset[str]]:
    return _fields(_part_members())


@cache
def _item_schemas() -> dict[str, Any]:
    return _first_by_tag(_item_members())


@cache
def _part_schemas() -> dict[str, Any]:
    return _first_by_tag(_part_members())


@cache
def _item_shapes() -> dict[str, _Shape]:
    return _shapes(_item_fields(), _item_schemas())


@cache
def _part_shapes() -> dict[str, _Shape]:
    return _shapes(_part_fields(), _part_schemas())


def _fields(members: list[dict[str, Any]]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for schema in members:
        for tag in _tags(schema):
            found.setdefault(tag, set()).update(_properties(schema), schema.get("required", ()))
    return {tag: frozenset(names) for tag, names in found.items()}


def _first_by_tag(members: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for schema in members:
        for tag in _tags(schema):
            found.setdefault(tag, schema)
    return found


def _tags(schema: dict[str, Any]) -> list[str]:
    tag = _resolve(_properties(schema).get("type", {}))
    return [str(value) for value in [*tag.get("enum", ()), *([tag["const"]] if "const" in tag else [])]]


def _members(schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema)
    members = schema.get("oneOf") or schema.get("anyOf") or []
    return [_resolve(member) for member in members]


@_by_identity
def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema's properties, with those of its ``allOf`` parts (read only: the result is shared)."""
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", ()):
        properties.update(_properties(_resolve(part)))
    return properties


def _resolve(schema: Any) -> dict[str, Any]:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        schema = _schemas().get(schema["$ref"].rsplit("/", 1)[1], {})
    return schema if isinstance(schema, dict) else {}
