"""The generic family's answers as instances of the spec's response schemas.

A stored object is a bag of known field values (``GObj.fields``: what the request gave, what its
lifecycle set); each operation shows it through its own response schema (a vector store file
through ``VectorStoreFileObject``, a role assignment through ``AssignedRoleDetails`` or
``GroupRoleAssignment``): :func:`project` lays the fields over a generated instance of that schema
(deterministic from the object's key), keeps what the schema allows, and checks the result with a
compiled validator, so every answer is valid by construction. The part of the document (this
family's ``openapi.json``) is read on the first request that needs it, not at server start.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote

from fakeopenai.core.family import package_json
from fakeopenai.spec.generate import schema_instance

_URI = "urn:fakeopenai:generic"
_MAX_DEPTH = 32


def part() -> dict[str, Any]:
    return package_json(__package__, "openapi.json")


@cache
def node(pointer: str) -> dict[str, Any]:
    """The schema at a JSON pointer of the part (``#/components/schemas/X`` or ``#/paths/...``)."""
    target: Any = part()
    for piece in pointer[2:].split("/"):
        target = target[unquote(piece).replace("~1", "/").replace("~0", "~")]
    return dict(target)


def resolve(schema: Any) -> dict[str, Any]:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
        schema = node(schema["$ref"])
        seen += 1
    return schema if isinstance(schema, dict) else {}


def properties(schema: Any, depth: int = 0) -> dict[str, Any]:
    """A schema's properties with its allOf parts' (not its anyOf branches': one shape is chosen)."""
    schema = resolve(schema)
    out: dict[str, Any] = {}
    if depth > 6:
        return out
    for sub in schema.get("allOf", ()):
        out.update(properties(sub, depth + 1))
    out.update(schema.get("properties") or {})
    if not out:
        for branch in [*schema.get("anyOf", ()), *schema.get("oneOf", ())]:
            if resolve(branch).get("type") != "null":
                return properties(branch, depth + 1)
    return out


def allows_null(schema: Any) -> bool:
    schema = resolve(schema)
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(allows_null(branch) for branch in [*schema.get("anyOf", ()), *schema.get("oneOf", ())])


def is_integer(schema: Any) -> bool:
    schema = resolve(schema)
    kind = schema.get("type")
    if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
        return True
    return any(is_integer(b) for b in [*schema.get("anyOf", ()), *schema.get("oneOf", ())])


@cache
def shape(pointer: str) -> Shape:
    return Shape(pointer)


class Shape:
    """What the engine asks of one schema, computed once."""

    def __init__(self, pointer: str) -> None:
        self.pointer = pointer
        self.props = properties(node(pointer))
        self.nullable = frozenset(name for name, sub in self.props.items() if allows_null(sub))
        self.times = tuple(name for name, sub in self.props.items()
                           if (name.endswith("_at") or name in ("created", "added_at")) and is_integer(sub))
        data = resolve(self.props.get("data"))
        items = data.get("items") if data.get("type") == "array" else None
        if isinstance(items, dict) and "$ref" in items:
            self.item_pointer: str | None = items["$ref"]
        elif isinstance(items, dict):
            self.item_pointer = _child(pointer, "data", "items")
        else:
            self.item_pointer = None
        status = resolve(self.props.get("status"))
        self.statuses = tuple(v for v in status.get("enum") or () if isinstance(v, str))
        self.object_fixed = _fixed(self.props.get("object"))

    def has(self, name: str) -> bool:
        return name in self.props


def _fixed(schema: Any) -> Any:
    schema = resolve(schema)
    if "const" in schema:
        return schema["const"]
    values = [v for v in schema.get("enum") or () if v is not None]
    return values[0] if len(values) == 1 else None


def _child(pointer: str, *names: str) -> str:
    """A pointer into the ``properties`` of the schema at ``pointer`` (its own, or its allOf part's)."""
    here = node(pointer)
    if "$ref" in here:
        return _child(here["$ref"], *names)
    base = pointer
    for name in names:
        base = f"{base}/properties/{name}" if name != "items" else f"{base}/items"
    return base


# ----------------------------------------------------------------------------- instances
@lru_cache(maxsize=4096)
def template(pointer: str, key: str) -> Any:
    """A generated instance of the schema, made once per schema and key (the scenario's seed): shared,
    so never changed; :func:`project` lays an object's own fields over it in new mappings."""
    root = {"components": part()["components"], **node(pointer)}
    return _tidy(schema_instance(root, key), 0)


_BASE64_IMAGES = frozenset({"b64_json", "partial_image_b64"})


def _tidy(value: Any, depth: int) -> Any:
    """What a generated instance must say beyond its schema: usage totals that add up, and base64 that
    decodes (an image is a PNG, audio silence)."""
    if isinstance(value, list):
        return [_tidy(item, depth + 1) for item in value]
    if not isinstance(value, dict) or depth > 12:
        return value
    out = {name: _tidy(item, depth + 1) for name, item in value.items()}
    for parts, total in ((("input_tokens", "output_tokens"), "total_tokens"),
                         (("prompt_tokens", "completion_tokens"), "total_tokens")):
        if total in out and all(isinstance(out.get(p), int) and not isinstance(out.get(p), bool) for p in parts):
            out[total] = sum(out[p] for p in parts)
    for name, item in out.items():
        if isinstance(item, str) and name in _BASE64_IMAGES:
            from fakeopenai.families.generic.media import png_base64

            out[name] = png_base64(name)
        elif isinstance(item, str) and name == "audio":
            import base64

            out[name] = base64.b64encode(bytes(480)).decode()
    return out


@cache
def validator(pointer: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator({"$ref": _URI + pointer}, registry=_registry(), validate_formats=False)


@cache
def _registry() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Registry([(_URI, part())])


def valid(pointer: str, value: Any) -> bool:
    return bool(validator(pointer).is_valid(value))


def overlay(base: Any, fields: dict[str, Any]) -> Any:
    """``fields`` laid over ``base`` where ``base`` has the key (nested mappings merged)."""
    if not isinstance(base, dict):
        return base
    out = dict(base)
    for name, value in fields.items():
        if name not in out:
            continue
        current = out[name]
        # A mapping with properties (hyperparameters) is merged; a free one (metadata: {} generated) replaced.
        if isinstance(value, dict) and isinstance(current, dict) and value and current:
            out[name] = overlay(current, value)
        else:
            out[name] = value
    return out


def project(pointer: str, key: str, fields: dict[str, Any]) -> Any:
    """An instance of the schema at ``pointer`` (generated from ``key``), with ``fields`` laid over it
    wherever the schema allows their values (a field it refuses keeps the generated value). The result
    shares what it did not change with the cached template: callers must not change it in place."""
    base = template(pointer, key)
    if not isinstance(base, dict):
        return base
    out = overlay(base, fields)
    check = validator(pointer)
    if check.is_valid(out):
        return out
    # Find the fields the schema refuses: the top-level names its errors point at.
    for _ in range(len(fields) + 1):
        bad = {error.instance_path[0] for error in check.iter_errors(out) if error.instance_path}
        bad = {name for name in bad if isinstance(name, str) and name in fields}
        if not bad:
            break
        for name in bad:
            value = fields[name]
            if isinstance(value, dict) and isinstance(base.get(name), dict):
                # Keep what the nested mapping allows, field by field.
                kept = dict(base[name])
                for inner, inner_value in value.items():
                    trial = {**out, name: overlay(kept, {inner: inner_value})}
                    if not any(e.instance_path[:1] == [name] for e in check.iter_errors(trial)):
                        kept = trial[name]
                out[name] = kept
            else:
                out[name] = base[name]
        if check.is_valid(out):
            return out
    return out if check.is_valid(out) else base
