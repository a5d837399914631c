"""The spec read as the live API reads a request: what request bodies are validated against.

The official document describes answers and requests with the same schemas, and a literal
reading of it refuses requests the live API takes (and that the SDKs and the frameworks built
on them send every day). :func:`request_view` turns the served document (``openapi.document()``)
into the one request bodies are checked against, in six rules and no others:

1. ``oneOf`` is read as ``anyOf``. A Responses input message ``{"role": "user", "content":
   [{"type": "input_text", ...}]}`` fits both ``EasyInputMessage`` and ``InputMessage``; the live
   API takes it (it is the shape of OpenAI's own docs), a literal ``oneOf`` refuses it.
2. The fields the server sets on an output item are optional when the item is sent back as input
   (``id``, ``status``, ``annotations``, ``logprobs``): the Agents SDK's sessions strip ``id``,
   langchain sends no ``status``, and the live API fills them in. Only in the items a Responses
   input or a conversation takes (``InputItem``); an ``item_reference`` still needs its ``id``.
3. A required property with a default in the spec is optional (``input_image``'s ``detail``,
   "Defaults to `auto`"): the SDKs' types leave it out, and the live API applies the default.
4. An ``EasyInputMessage`` (a message without ``type``) may carry output parts (``output_text``,
   ``refusal``): that is how an assistant turn is sent back by langchain and LiteLLM.
5. A required property the schema does not declare is a slip of the spec, not required:
   ``mcp_approval_response`` requires an undeclared ``request_id`` that no SDK type has (the
   Agents SDK's MCP approvals send ``approval_request_id``), ``local_shell_call_output`` a
   ``call_id``. (A member of an ``allOf`` is left alone: its siblings declare what it requires.)
6. A field the spec requires and the official SDK (newer than the spec) lets a caller leave out is
   optional (:data:`SDK_OPTIONAL`: ``client.skills.create()`` sends no ``files``; a voice made from a
   ``prompt`` has no ``audio_sample``): openai-python's own tests send these requests.

The places where the fake stays stricter than this (on purpose) are listed in
``docs/requests.md``, each with the live API's wording.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

SERVER_SET_FIELDS = frozenset({"id", "status", "annotations", "logprobs"})
RESENT_ITEMS_ROOT = "InputItem"            # what a Responses input and a conversation's items take
KEEP_REQUIRED = frozenset({"ItemReferenceParam"})   # a reference is its id
EASY_MESSAGE = "EasyInputMessage"
INPUT_PARTS = "InputContent"
OUTPUT_PARTS = "OutputMessageContent"
# Rule 5: schema -> the required fields openai-python 3.63 may leave out.
SDK_OPTIONAL: dict[str, frozenset[str]] = {
    "CreateSkillBody": frozenset({"files"}), "CreateSkillVersionBody": frozenset({"files"}),
    "CreateVoiceRequest": frozenset({"audio_sample", "consent"}),
}


def request_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as requests are checked against it (a copy; ``doc`` is left as it is)."""
    doc = copy.deepcopy(doc)
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    for name in _reachable(schemas, RESENT_ITEMS_ROOT) - KEEP_REQUIRED:
        _drop_required(schemas[name], SERVER_SET_FIELDS)
    for schema in schemas.values():
        _defaults_optional(schema)
        _undeclared_optional(schema)
    for name, optional in SDK_OPTIONAL.items():
        if isinstance(schemas.get(name, {}).get("required"), list):
            schemas[name]["required"] = [field for field in schemas[name]["required"] if field not in optional]
    easy = schemas.get(EASY_MESSAGE, {}).get("properties", {})
    if "content" in easy and INPUT_PARTS in schemas and OUTPUT_PARTS in schemas:
        # One flat list of part shapes, so a bad part's error still names its type and the values it takes.
        parts = [member for name in (INPUT_PARTS, OUTPUT_PARTS)
                 for member in schemas[name].get("oneOf") or schemas[name].get("anyOf") or ()]
        easy["content"] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"anyOf": parts}}]}
    return _any_of(doc)


def _undeclared_optional(node: Any) -> None:
    """Rule 5, in ``node`` and the objects it declares (not in the members of an ``allOf``)."""
    if isinstance(node, list):
        for item in node:
            _undeclared_optional(item)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict) and isinstance(node.get("required"), list) and "allOf" not in node:
        node["required"] = [name for name in node["required"] if name in properties]
    for key, value in node.items():
        if key != "allOf":
            _undeclared_optional(value)


@lru_cache(maxsize=4)
def _cached(family_list: tuple[Any, ...]) -> dict[str, Any]:
    from fakeopenai.spec import openapi
    return request_view(openapi._document(family_list))


def document() -> dict[str, Any]:
    """The request view of the served document (built once per set of families)."""
    from fakeopenai.core.registry import families

    return _cached(families())


DOCUMENT_URI = "urn:fakeopenai:openapi"


def source_of(schema_name: str) -> str:
    """Where a body schema is validated from: the URI of the request view of the first family part that
    holds it (``schema_name`` a component's name, or a ``#/paths/...`` pointer), else the whole document's.
    A part holds every component its paths reach, so it is a document of its own; validating from it, a
    request to one family never builds the view of the others (the generic family's is most of the spec)."""
    from fakeopenai.core.registry import families

    return _source_of(families(), schema_name)


@lru_cache(maxsize=1024)
def _source_of(family_list: tuple[Any, ...], schema_name: str) -> str:
    from urllib.parse import unquote

    path = unquote(schema_name[2:].split("/")[1]).replace("~1", "/") if schema_name.startswith("#/paths/") else None
    for family in family_list:
        if family.openapi is None:
            continue
        part = family.openapi()
        held = part.get("paths", {}) if path is not None else part.get("components", {}).get("schemas", {})
        if (path if path is not None else schema_name) in held:
            return f"{DOCUMENT_URI}:{family.name}"
    return DOCUMENT_URI


def view(uri: str) -> dict[str, Any]:
    """The request view at ``uri`` (from :func:`source_of`), built once."""
    from fakeopenai.core.registry import families

    return _view(families(), uri)


@lru_cache(maxsize=32)
def _view(family_list: tuple[Any, ...], uri: str) -> dict[str, Any]:
    if uri == DOCUMENT_URI:
        return _cached(family_list)
    name = uri[len(DOCUMENT_URI) + 1:]
    family = next(f for f in family_list if f.name == name)
    return request_view(family.openapi())


def _any_of(node: Any) -> Any:
    """Rule 1, everywhere in ``node`` (discriminators go with the ``oneOf``: validation ignores them)."""
    if isinstance(node, list):
        return [_any_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _any_of(value) for key, value in node.items() if key != "discriminator"}
    if "oneOf" in out:
        members = out.pop("oneOf")
        out["anyOf"] = [*out.pop("anyOf", []), *members] if "anyOf" in out else members
    return out


def _drop_required(node: Any, fields: frozenset[str]) -> None:
    """Rule 2 in one schema and its inline parts (the parts it references are reached on their own)."""
    if isinstance(node, list):
        for item in node:
            _drop_required(item, fields)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("required"), list):
        node["required"] = [name for name in node["required"] if name not in fields]
    for key, value in node.items():
        if key != "required":
            _drop_required(value, fields)


def _defaults_optional(node: Any) -> None:
    """Rule 3 (a ``type`` tag stays required: it says which shape the value is)."""
    if isinstance(node, list):
        for item in node:
            _defaults_optional(item)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(node.get("required"), list) and isinstance(properties, dict):
        node["required"] = [name for name in node["required"]
                            if name == "type" or not _has_default(properties.get(name))]
    for value in node.values():
        _defaults_optional(value)


def _has_default(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    return "default" in schema or "defaults to" in str(schema.get("description", "")).lower()


def _reachable(schemas: dict[str, Any], root: str) -> set[str]:
    seen: set[str] = set()
    pending = [root]
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return seen


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.append(ref.rsplit("/", 1)[1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
