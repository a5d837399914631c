"""Request parsing: JSON bodies checked against the official request schemas,
query parameters, and the live API's wording for every problem.

A body the official schema rejects is a 400 naming the ``param`` (dotted path,
e.g. ``tools[0].function.name``), worded as the live API words it::

    Missing required parameter: 'assistant_id'.
    Invalid type for 'limit': expected an integer, but got a string instead.
    Unrecognized request argument supplied: foo
"""

from __future__ import annotations

import json
import re
from contextlib import aclosing
from functools import cache
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from fakeopenai.core.errors import InvalidRequestError, UnsupportedMediaTypeError
from fakeopenai.core.store import PageQuery
from fakeopenai.core.timeline import warn
from fakeopenai.spec import request_schema
from fakeopenai.spec.jsonstrict import loads_strict
from fakeopenai.spec.schema_branches import expected_types, meant_shape

_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
               "object": "an object", "array": "an array", "null": "null"}


@cache
def _registry(uri: str) -> Any:
    # jsonschema and referencing are imported on the first validated body, not at server start.
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(request_schema.view(uri), default_specification=DRAFT202012)
    return Registry().with_resource(uri, resource)


@cache
def _fast_registry(uri: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.Registry([(uri, request_schema.view(uri))])


def _ref(schema_name: str) -> str:
    """Where a schema is, in the request view that holds it: its name, or a JSON pointer (``#/paths/...``:
    a body schema given inline)."""
    uri = request_schema.source_of(schema_name)
    if schema_name.startswith("#/"):
        return f"{uri}{schema_name}"
    return f"{uri}#/components/schemas/{schema_name}"


def schema_node(schema_name: str) -> dict[str, Any]:
    """The schema of that name (or at that JSON pointer), as requests are checked against it."""
    doc = request_schema.view(request_schema.source_of(schema_name))
    if not schema_name.startswith("#/"):
        return dict(doc["components"]["schemas"][schema_name])
    from urllib.parse import unquote

    node: Any = doc
    for part in schema_name[2:].split("/"):
        node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
    return dict(node)


@cache
def _validator(schema_name: str) -> Any:
    schema = {"$ref": _ref(schema_name)}
    import jsonschema

    return jsonschema.Draft202012Validator(schema, registry=_registry(request_schema.source_of(schema_name)))


@cache
def _fast_validator(schema_name: str) -> Any:
    """The same schema compiled by jsonschema-rs: a few microseconds for a body that jsonschema takes
    milliseconds over (CreateResponse's input items are a deep oneOf). It only says whether a body is
    valid; jsonschema still finds and words the problem of one that is not."""
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator({"$ref": _ref(schema_name)},
                                              registry=_fast_registry(request_schema.source_of(schema_name)),
                                              validate_formats=False)


@cache
def _known_fields(schema_name: str) -> frozenset[str]:
    """The body's fields: the schema's properties, those of its allOf parts included (CreateResponse)."""
    schemas = request_schema.view(request_schema.source_of(schema_name))["components"]["schemas"]

    def fields(schema: dict[str, Any]) -> set[str]:
        found = set(schema.get("properties", {}))
        for part in schema.get("allOf", ()):
            ref = part.get("$ref", "")
            found |= fields(schemas[ref.rsplit("/", 1)[1]] if ref else part)
        return found

    return frozenset(fields(schema_node(schema_name)))


def body_bytes(request: Request) -> bytes:
    """The request body, read once by the gateway."""
    return request.scope.get("fakeopenai.body", b"")


def json_body(request: Request, schema_name: str | None = None, *, required: bool = True,
              any_content_type: bool = False) -> dict[str, Any]:
    """Parse the JSON body and check it against ``components.schemas[schema_name]``.

    ``any_content_type``: read the body as JSON whatever its declared type (the control API, so that
    ``curl -d '{...}'``, which declares a form, works as the docs show it)."""
    raw = body_bytes(request)
    if not raw or raw.isspace():   # (not raw.strip(), without copying the body)
        if required and schema_name is not None:   # checked as {}: what it requires is missing
            body: Any = {}
        else:
            return {}
    else:
        content_type = _first_header(request.scope, b"content-type")
        media = content_type if content_type == "application/json" else content_type.split(";", 1)[0].strip().lower()
        if media and media != "application/json" and not media.endswith("+json") and not any_content_type:
            raise UnsupportedMediaTypeError(
                f"Unsupported content type: '{media}'. This endpoint takes a JSON body with "
                "'Content-Type: application/json'.", param="body", code="unsupported_content_type")
        try:
            body = loads_strict(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidRequestError(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
                f"valid JSON: {exc})", param="body", code="invalid_json") from None
    if not isinstance(body, dict):
        raise InvalidRequestError(f"Invalid body: expected a JSON object, but got {_kind(body)} instead.",
                                  param="body", code="invalid_type")
    if schema_name is not None:
        check(body, schema_name, request.scope.get("fakeopenai.tenant"))
    return body


def _first_header(scope: Any, name: bytes) -> str:
    """The first header ``name`` (lower-case) of the request, or "" (``request.headers.get``, without
    making Starlette's Headers)."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def check(body: dict[str, Any], schema_name: str, state: Any = None) -> None:
    """Raise the live API's 400 for the first problem ``body`` has against the schema.

    A top-level parameter the spec does not know is taken out of ``body`` and noted
    (:func:`fakeopenai.core.timeline.warn`): SDKs add parameters every month, and the spec the fake
    ships is older than the SDKs its users run. Under the tenant's ``unknown_params: error`` it is
    the live API's 400."""
    drop_unknown(body, _known_fields(schema_name), state)
    if not _fast_validator(schema_name).is_valid(body):
        from jsonschema.exceptions import best_match

        error = best_match(_validator(schema_name).iter_errors(body), key=_relevance)
        if error is not None:
            raise _as_api_error(error)
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        check_metadata(metadata)


def drop_unknown(body: dict[str, Any], known: frozenset[str], state: Any = None) -> None:
    """Take the top-level parameters not in ``known`` out of ``body``, each noted as a warning; under the
    tenant's ``unknown_params: error``, the live API's 400 for the first."""
    if known.issuperset(body):   # the usual body: every key known (a loop in C)
        return
    unknown = [key for key in body if key not in known]
    if state is not None and state.scenario.unknown_params == "error":
        raise InvalidRequestError(f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0],
                                  code="unknown_parameter")
    for key in unknown:
        del body[key]
        warn(f"Unrecognized request argument supplied: {key} (accepted: the spec fakeopenai ships does not "
             "know it; a scenario's unknown_params: error refuses it)")


def check_metadata(metadata: dict[str, Any], param: str = "metadata") -> None:
    if len(metadata) > 16:
        raise InvalidRequestError(
            f"Invalid '{param}': too many properties. Expected an object with at most 16 properties, but got "
            f"an object with {len(metadata)} properties instead.", param=param, code="object_above_max_properties")
    for key, value in metadata.items():
        if len(key) > 64:
            raise InvalidRequestError(f"Invalid '{param}': keys can be at most 64 characters long.",
                                      param=f"{param}.{key}", code="invalid_metadata")
        if isinstance(value, str) and len(value) > 512:
            raise InvalidRequestError(f"Invalid '{param}.{key}': string too long. Expected a string with "
                                      f"maximum length 512, but got a string with length {len(value)} instead.",
                                      param=f"{param}.{key}", code="string_above_max_length")


def _relevance(error: Any) -> Any:
    # Prefer the deepest error and "required" ones: they name the exact field to fix.
    return (-len(error.path), error.validator != "required")


def _param(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _as_api_error(error: Any) -> InvalidRequestError:
    param = _param(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "required":
        missing = next((k for k in schema.get("required", []) if k not in (error.instance or {})), "")
        full = f"{param}.{missing}" if param else missing
        return InvalidRequestError(f"Missing required parameter: '{full}'.", param=full,
                                   code="missing_required_parameter")
    if kind == "type":
        wanted: Any = schema.get("type")
        return _invalid_type(param, wanted if isinstance(wanted, list) else [wanted], error.instance)
    if kind in ("enum", "const"):
        return _invalid_value(param, error.instance, schema.get("enum", [schema.get("const")]))
    if kind in ("maxItems", "minItems"):
        bound = schema.get(kind)
        above = kind == "maxItems"
        return InvalidRequestError(
            f"Invalid '{param}': array too {'long' if above else 'short'}. Expected an array with "
            f"{'maximum' if above else 'minimum'} length {bound}, but got an array with length "
            f"{len(error.instance)} instead.", param=param,
            code=f"array_{'above_max' if above else 'below_min'}_length")
    if kind in ("maximum", "minimum"):
        bound = schema.get(kind)
        above = kind == "maximum"
        # The live API words it by the parameter's type: "decimal" for a number, even when 3 is sent.
        declared = schema.get("type")
        declared = declared if isinstance(declared, list) else [declared] if declared else []
        integer = "integer" in declared and "number" not in declared
        number = "integer" if integer or (not declared and isinstance(error.instance, int)) else "decimal"
        return InvalidRequestError(
            f"Invalid '{param}': {number} {'above maximum' if above else 'below minimum'} value. Expected a "
            f"value {'<=' if above else '>='} {bound}, but got {error.instance} instead.", param=param,
            code=f"{number}_{'above_max' if above else 'below_min'}_value")
    if kind in ("maxLength", "minLength"):
        bound = schema.get(kind)
        return InvalidRequestError(
            f"Invalid '{param}': string too {'long' if kind == 'maxLength' else 'short'}. Expected a string with "
            f"{'maximum' if kind == 'maxLength' else 'minimum'} length {bound}, but got a string with length "
            f"{len(error.instance)} instead.", param=param,
            code=f"string_{'above_max' if kind == 'maxLength' else 'below_min'}_length")
    if kind == "additionalProperties":
        extra = [k for k in (error.instance or {}) if k not in schema.get("properties", {})]
        where = f"{param}.{extra[0]}" if param and extra else (extra[0] if extra else param)
        return InvalidRequestError(f"Unrecognized request argument supplied: {where}", param=where,
                                   code="unknown_parameter")
    if kind in ("oneOf", "anyOf"):
        alternatives = _required_alternatives(schema.get(kind), error.instance)
        if alternatives:   # {"anyOf": [{"required": ["file_ids"]}, {"required": ["files"]}]}
            full = [f"{param}.{name}" if param else name for name in alternatives]
            return InvalidRequestError(f"Missing required parameter: one of {', '.join(repr(n) for n in full)}.",
                                       param=full[0], code="missing_required_parameter")
        meant = meant_shape(error)
        if meant is not None and meant.tag_error is not None:
            return _invalid_value(_param(meant.tag_error.absolute_path), meant.tag_error.instance, meant.tag_values)
        if meant is not None:
            from jsonschema.exceptions import best_match

            inner = best_match(meant.errors, key=_relevance)
            if inner is not None:
                return _as_api_error(inner)
        types = expected_types(error)
        if types is not None:
            return _invalid_type(param, types, error.instance)
        return InvalidRequestError(f"Invalid value for '{param}': {json.dumps(error.instance)[:200]} does not "
                                   "match any of the allowed shapes.", param=param, code="invalid_value")
    return InvalidRequestError(f"Invalid '{param}': {error.message}", param=param or None, code="invalid_value")


def _required_alternatives(branches: Any, instance: Any) -> list[str]:
    """The fields of an anyOf whose branches only say which field is required (one of them must be given),
    when the body has none of them; else []."""
    if not isinstance(branches, list) or not isinstance(instance, dict) or not branches:
        return []
    names = []
    for branch in branches:
        if not isinstance(branch, dict) or set(branch) != {"required"} or len(branch["required"]) != 1:
            return []
        names.append(branch["required"][0])
    return [] if any(name in instance for name in names) else names


def _invalid_type(param: str, types: list[str], value: Any) -> InvalidRequestError:
    names = [_TYPE_NAMES.get(t, t) for t in types]
    return InvalidRequestError(f"Invalid type for '{param}': expected {' or '.join(names)}, but got {_kind(value)} "
                               "instead.", param=param, code="invalid_type")


def _invalid_value(param: str, value: Any, allowed: list[Any]) -> InvalidRequestError:
    shown = ", ".join(repr(v) for v in allowed if v is not None)
    return InvalidRequestError(f"Invalid value for '{param}': {value!r}. Supported values are: {shown}.",
                               param=param, code="invalid_value")


# ----------------------------------------------------------------------------- query

_INTEGER = re.compile(r"-?[0-9]{1,12}")


def int_query(request: Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not _INTEGER.fullmatch(raw):  # int() would also take "5_0", "+5", " 5" and non-ASCII digits
        raise InvalidRequestError(f"Invalid type for '{name}': expected an integer, but got '{raw}' instead.",
                                  param=name, code="invalid_type")
    value = int(raw)
    if value < low:
        raise InvalidRequestError(f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, "
                                  f"but got {value} instead.", param=name, code="integer_below_min_value")
    if value > high:
        raise InvalidRequestError(f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, "
                                  f"but got {value} instead.", param=name, code="integer_above_max_value")
    return value


def enum_query(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name) or default
    if value not in allowed:
        raise InvalidRequestError(f"Invalid value for '{name}': '{value}'. Supported values are: "
                                  f"{', '.join(repr(a) for a in allowed)}.", param=name, code="invalid_value")
    return value


def page_query(request: Request, *, max_limit: int = 100, default_limit: int = 20, before: bool = True,
               order: bool = True) -> PageQuery:
    """``limit``/``order``/``after``/``before`` as the endpoint's spec allows them."""
    return PageQuery(
        limit=int_query(request, "limit", default=default_limit, low=1, high=max_limit),
        order=enum_query(request, "order", ("asc", "desc"), "desc") if order else "asc",
        after=request.query_params.get("after") or None,
        before=(request.query_params.get("before") or None) if before else None,
    )


class _InMemoryParser(MultiPartParser):
    """Starlette's multipart parser, keeping file parts in memory (the whole body already is, bounded by the
    gateway): past its default 1 MB it would write each part to a temporary file, on the event loop."""

    spool_max_size = 1 << 62


async def read_form(request: Request, *, max_files: int, max_fields: int, max_part_size: int,
                    param: str = "body") -> FormData:
    """``request.form(...)`` with file parts kept in memory; the body arrives in pieces (the gateway's replay
    pauses between them), so a big upload is parsed in steps. A body that does not parse is the API's 400
    naming ``param``."""
    limits: dict[str, Any] = {"max_files": max_files, "max_fields": max_fields, "max_part_size": max_part_size}
    try:
        if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() == "multipart/form-data":
            async with aclosing(request.stream()) as stream:
                return await _InMemoryParser(request.headers, stream, **limits).parse()
        return await request.form(**limits)
    except (MultiPartException, HTTPException) as exc:
        detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
        raise InvalidRequestError(f"Could not parse the multipart/form-data body: {detail}", param=param,
                                  code="invalid_multipart") from None
