"""Our OpenAPI document: the official definitions of the endpoints we serve.

It is assembled from parts: ``fakeopenai/spec/openapi.json`` (the document's head and the
schemas every family uses) and each registered family's ``openapi.json`` (its paths and
every component they reach). ``scripts/build_openapi.py`` generates them all from the
vendored official spec (``spec/``), so they cannot drift from it (a test rebuilds them and
compares). The document is served at ``/openapi.json`` and drives request-body validation,
so a body the official schema rejects gets the same 400 here.

:func:`normalize` turns the official document into what the live API really
does, in these documented ways and no others. Rules about one family's schemas are that family's
(``Family.openapi_normalize``, read from the registry), the rest are here:

1. OpenAPI 3.0 ``nullable: true`` (mixed into the 3.1 document) allows null.
2. A list envelope's ``first_id``/``last_id`` are null when ``data`` is empty, in every list of the
   spec (found by their shape: ``data`` an array, beside ``has_more`` and ``first_id``/``last_id``).
3. A ``discriminator`` without a ``mapping`` gets the mapping its members spell out. Without
   one, OpenAPI reads the values as the member schemas' names, which the spec's are not
   (``ChatCompletionMessageToolCall`` is ``type: function``, ``Message`` is ``type: message``):
   each member's own one-value property gives the mapping; where a member does not tell its
   value, the discriminator goes and the ``oneOf`` alone decides. (Validation ignores
   discriminators; a tool that reads them, such as schemathesis, then agrees with it.)
4. OpenAPI 3.0's boolean ``exclusiveMinimum: true`` (beside ``minimum: X``, mixed into the 3.1
   document: fine-tuning hyperparameters) is 3.1's ``exclusiveMinimum: X``; read as 3.1, ``true``
   would be the number 1 (and JSON Schema validators refuse the schema).
5. A ``required`` list names each property once (``ContainerResource`` lists five twice, which
   JSON Schema forbids and schemathesis refuses).
6. OpenAPI 3.0's nullable reference, ``allOf: [{$ref: X}, {nullable: true}]`` (an Upload's ``file``, a
   run's ``truncation_strategy`` and ``tool_choice``), is X or null; read as 3.1, the ``allOf`` still
   requires X and the object's own ``null`` (an Upload until it completes) is refused.

The families' rules (``families/<name>/openapi_rules.py``): the batches family's unset optional
``Batch``/``OpenAIFile`` fields are null and a File's ``purpose`` is any upload purpose; the
responses family's ``Response`` carries ``usage``/``user`` null until set and its function tool may
leave out ``strict``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

# Schemas every family's answers use (errors), in the core part of the document.
CORE_SCHEMAS = ("ErrorResponse", "Error")



def allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``schema`` widened to also accept null."""
    schema = dict(schema)
    schema.pop("nullable", None)
    kind = schema.get("type")
    if isinstance(kind, str) and not ({"$ref", "anyOf", "oneOf", "allOf"} & schema.keys()):
        schema["type"] = [kind, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if isinstance(kind, list):
        if "null" not in kind:
            schema["type"] = [*kind, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _normalize_node(node: Any) -> Any:
    if isinstance(node, list):
        return [_normalize_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    parts = node.get("allOf")
    if isinstance(parts, list) and len(parts) == 2 and "$ref" in parts[0] and isinstance(parts[1], dict) \
            and parts[1].get("nullable") is True and set(parts[1]) <= {"nullable", "description", "title"}:
        # rule 11
        node = {**{k: v for k, v in node.items() if k != "allOf"}, **parts[1], "anyOf": [parts[0], {"type": "null"}]}
        node.pop("nullable")
    out = {key: _normalize_node(value) for key, value in node.items() if key != "x-oaiMeta"}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool):   # rule 4
            if out.pop(bound) and limit in out:
                out[bound] = out.pop(limit)
    if isinstance(out.get("required"), list):   # rule 5
        out["required"] = list(dict.fromkeys(out["required"]))
    if out.get("nullable") is True:
        out = allow_null(out)
    else:
        out.pop("nullable", None)
    return out


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """Apply the live-API rules above to a whole OpenAPI document (a copy)."""
    doc = _normalize_node(copy.deepcopy(doc))
    schemas = doc.get("components", {}).get("schemas", {})
    from fakeopenai.core.registry import families

    for family in families():   # each family's rules about its own schemas
        if family.openapi_normalize is not None:
            family.openapi_normalize(schemas)
    for schema in schemas.values():
        properties = schema.get("properties", {})
        if _is_list_envelope(properties):   # rule 2
            for prop in ("first_id", "last_id"):
                if prop in properties:
                    properties[prop] = allow_null(properties[prop])
    _map_discriminators(schemas, schemas)
    return dict(doc)


def _is_list_envelope(properties: dict[str, Any]) -> bool:
    data = properties.get("data")
    return isinstance(data, dict) and data.get("type") == "array" and "has_more" in properties and (
        "first_id" in properties or "last_id" in properties)


def _map_discriminators(node: Any, schemas: dict[str, Any]) -> None:
    """Rule 3, everywhere in ``node``."""
    if isinstance(node, list):
        for item in node:
            _map_discriminators(item, schemas)
        return
    if not isinstance(node, dict):
        return
    discriminator = node.get("discriminator")
    if isinstance(discriminator, dict) and "mapping" not in discriminator:
        mapping: dict[str, str] = {}
        for member in node.get("oneOf") or node.get("anyOf") or ():
            ref = member.get("$ref", "") if isinstance(member, dict) else ""
            values = _own_values(schemas, ref.rsplit("/", 1)[-1], discriminator.get("propertyName")) if ref else []
            if not values or any(mapping.get(value, ref) != ref for value in values):
                mapping = {}   # untold, or told by two members
                break
            mapping.update(dict.fromkeys(values, ref))
        if mapping:
            discriminator["mapping"] = mapping
        else:
            node.pop("discriminator")
    for value in node.values():
        _map_discriminators(value, schemas)


def _own_values(schemas: dict[str, Any], name: str, prop: Any) -> list[Any]:
    """The values schema ``name`` allows for ``prop`` (an ``enum`` or ``const``), else []."""
    for part in schema_parts(schemas, name):
        sub = part.get("properties", {}).get(prop)
        if isinstance(sub, dict):
            if "const" in sub:
                return [sub["const"]]
            return [value for value in sub.get("enum", ()) if value is not None]
    return []


def schema_parts(schemas: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A schema and the parts its allOf brings in, by reference or inline."""
    schema = schemas.get(name)
    if schema is None:
        return []
    parts = [schema]
    for part in schema.get("allOf", ()):
        ref = part.get("$ref", "")
        parts.extend(schema_parts(schemas, ref.rsplit("/", 1)[1]) if ref else [part])
    return parts


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def build_part(official: dict[str, Any], legacy: dict[str, Any], paths: Iterable[str],
               schemas: Iterable[str] = ()) -> dict[str, Any]:
    """One part of our document: ``paths`` (official, served under /v1), the schemas named in
    ``schemas`` (from the official spec, else the 2025-04-29 one) and every component they
    reach, normalized."""
    served = {"/v1" + path: official["paths"][path] for path in paths}
    components: dict[str, dict[str, Any]] = {}
    pending = [*_refs(served), *(f"#/components/schemas/{name}" for name in schemas)]
    while pending:
        ref = pending.pop()
        _, _, section, name = ref.split("/", 3)
        if name in components.setdefault(section, {}):
            continue
        source = official["components"][section].get(name)
        if source is None:
            source = legacy["components"][section][name]
        components[section][name] = source
        pending.extend(_refs(source))
    for section in components:
        components[section] = dict(sorted(components[section].items()))
    return normalize({"paths": served, "components": components})


def build_core(official: dict[str, Any], legacy: dict[str, Any]) -> dict[str, Any]:
    """The document's head, and the schemas every family's answers use."""
    part = build_part(official, legacy, (), CORE_SCHEMAS)
    return {
        "openapi": official["openapi"],
        "info": {
            "title": "fakeopenai",
            "description": "The endpoints fakeopenai serves, with the official OpenAI definitions "
                           f"(openai-openapi {official['info'].get('version', '')}), normalized as the "
                           "live API behaves: nullable fields allow null, unset optional Batch/File fields "
                           "are null, empty lists have null first_id/last_id.",
            "version": official["info"].get("version", ""),
        },
        "servers": [{"url": "/"}],
        "security": official.get("security", []),
        "paths": {},
        # Every scheme the spec names: the admin API's operations ask for AdminApiKeyAuth (a bearer key too).
        "components": {**part["components"], "securitySchemes": dict(official["components"]["securitySchemes"])},
    }


def merge(core: dict[str, Any], parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The served document: the core plus every family's part (a component two parts share is
    the same definition, taken once)."""
    doc = {**core, "paths": dict(core["paths"]), "components": {k: dict(v) for k, v in core["components"].items()}}
    for part in parts:
        doc["paths"].update(part.get("paths", {}))
        for section, items in part.get("components", {}).items():
            doc["components"].setdefault(section, {}).update(items)
    for section, items in doc["components"].items():
        doc["components"][section] = dict(sorted(items.items()))
    return doc


def document() -> dict[str, Any]:
    """The served OpenAPI document: the core and every registered family's part (built once
    per set of families)."""
    from fakeopenai.core.registry import families

    return _document(families())


@lru_cache(maxsize=4)
def _document(family_list: tuple[Any, ...]) -> dict[str, Any]:
    core = json.loads(resources.files("fakeopenai.spec").joinpath("openapi.json").read_text("utf-8"))
    return merge(core, (family.openapi() for family in family_list if family.openapi is not None))


def document_bytes() -> bytes:
    from fakeopenai.core.registry import families

    return _document_bytes(families())


@lru_cache(maxsize=4)
def _document_bytes(family_list: tuple[Any, ...]) -> bytes:
    return json.dumps(_document(family_list), separators=(",", ":")).encode()
