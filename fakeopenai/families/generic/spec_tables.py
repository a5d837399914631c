"""The generic family's operation table, made from the official spec at build time
(``scripts/build_openapi.py`` calls :func:`tables` through ``Family.openapi_tables``).

Every operation of the spec gets a row (``operations.json``): its method, path, operationId and
summary (the docs' table of who serves what); the operations of this family's part also get what
the engine needs to answer them without reading the spec at server start:

* ``role``: what the operation does to the tenant's objects, read from the path's shape and the
  response schema: ``create`` (POST on a collection, a path with ``/{id}`` children), ``list``,
  ``retrieve`` / ``update`` / ``delete`` (on ``.../{id}``), ``action`` (POST ``.../{id}/cancel``:
  the same object back), ``content`` (GET ``.../{id}/content``), ``singleton_get`` / ``_set`` /
  ``_delete`` (one object per parent: ``/organization/data_retention``), ``bulk`` (activate and
  deactivate a list of ids), ``derive`` (a new object made from one: a video's remix) and
  ``compute`` (an answer nothing stores: images, audio, completions, usage);
* ``collection`` (the list path objects live under, parents' ids in it) and ``item_param``;
* ``kind``: the object's ``object`` value (``vector_store.file``), and ``id_field``;
* the answer: status code, media types, the JSON schema (a pointer into the served document),
  the schema of its stream; the request body's schemas (JSON, multipart, other);
* the query parameters with their defaults and bounds (pagination).

``kinds`` lists each kind with the statuses its schema allows (the lifecycle scripts are checked
against them at load time) and where its objects live.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fakeopenai.families.generic import facts

METHODS = ("get", "post", "put", "patch", "delete")
LIST_MARKERS = ("has_more", "first_id", "last_id", "next_page", "next")


def tables(official: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    return {"operations.json": Tables(official, part).build()}


def pointer(*parts: str) -> str:
    """A JSON pointer into the served document, as a URI fragment (``{`` and ``}`` percent-encoded)."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D")
                           for p in parts)


class Tables:
    def __init__(self, official: dict[str, Any], part: dict[str, Any]) -> None:
        self.official = official
        self.part = part
        self.schemas: dict[str, Any] = part.get("components", {}).get("schemas", {})
        self.spec_paths = [p.split("?", 1)[0] for p in official["paths"]]

    # ------------------------------------------------------------------ schema reading
    def resolve(self, schema: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            schema = self.schemas.get(schema["$ref"].rsplit("/", 1)[1], {})
            seen += 1
        return schema if isinstance(schema, dict) else {}

    def properties(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """Its properties, with those of its allOf parts, and of its anyOf/oneOf branches (a union:
        a ChatKit thread item is one of several shapes, each with its id)."""
        schema = self.resolve(schema)
        out: dict[str, Any] = {}
        if depth > 4:
            return out
        for sub in [*schema.get("anyOf", ()), *schema.get("oneOf", ())]:
            for name, value in self.properties(sub, depth + 1).items():
                out.setdefault(name, value)
        for sub in schema.get("allOf", ()):
            out.update(self.properties(sub, depth + 1))
        out.update(schema.get("properties") or {})
        return out

    def values(self, schema: Any) -> list[Any]:
        """The values a property allows (its const or enum, through anyOf/oneOf), else []."""
        schema = self.resolve(schema)
        if "const" in schema:
            return [schema["const"]]
        if schema.get("enum"):
            return [v for v in schema["enum"] if v is not None]
        out: list[Any] = []
        for branch in [*schema.get("anyOf", ()), *schema.get("oneOf", ())]:
            out += [v for v in self.values(branch) if v not in out]
        return out

    def is_list(self, schema: Any) -> bool:
        props = self.properties(schema)
        data = self.resolve(props.get("data"))
        return data.get("type") == "array" and any(m in props for m in LIST_MARKERS)

    def item_schema(self, schema: Any) -> Any:
        return self.resolve(self.properties(schema).get("data")).get("items")

    def kind_of(self, schema: Any, path: str) -> str | None:
        """The ``object`` value of objects of ``schema`` (when it allows several, the one whose words
        the path shares most: ``organization.project.certificate`` under ``/organization/projects``)."""
        values = [v for v in self.values(self.properties(schema).get("object")) if isinstance(v, str)]
        if not values:
            return None
        words = set(path.replace("{", "").replace("}", "").replace("/", " ").replace("_", " ").split())
        words |= {w.rstrip("s") for w in words}

        def score(value: str) -> float:
            parts = value.replace(".", " ").replace("_", " ").split()
            hits = sum(p in words for p in parts)
            return hits - 0.5 * (len(parts) - hits)

        return max(values, key=lambda v: (score(v), -len(v)))

    def statuses(self, schema: Any) -> list[str]:
        return [v for v in self.values(self.properties(schema).get("status")) if isinstance(v, str)]

    # ------------------------------------------------------------------ the paths' shape
    def has_children(self, path: str) -> bool:
        return any(p.startswith(path + "/{") for p in self.spec_paths)

    def op(self, path: str, method: str) -> dict[str, Any] | None:
        item = self.official["paths"].get(path) or {}
        return item.get(method)

    @staticmethod
    def success(op: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for code, answer in (op.get("responses") or {}).items():
            if str(code).startswith("2"):
                return int(code), answer or {}
        return 200, {}

    def answer_schema(self, path: str, method: str) -> Any:
        op = self.part["paths"].get("/v1" + path, {}).get(method) or self.op(path, method)
        if op is None:
            return None
        _, answer = self.success(op)
        return (answer.get("content") or {}).get("application/json", {}).get("schema")

    def item_kind(self, collection: str) -> tuple[str | None, Any]:
        """The kind (and schema) of the objects under ``collection``: what its items' GET answers, else
        its list's items, else its create."""
        for probe in [p for p in self.spec_paths if p.startswith(collection + "/{") and p.count("/") ==
                      collection.count("/") + 1]:
            schema = self.answer_schema(probe, "get")
            if schema is not None:
                return self.kind_of(schema, collection), schema
        schema = self.answer_schema(collection, "get")
        if schema is not None and self.is_list(schema):
            item = self.item_schema(schema)
            return self.kind_of(item, collection), item
        schema = self.answer_schema(collection, "post")
        if schema is not None and not self.is_list(schema):
            return self.kind_of(schema, collection), schema
        return None, None

    # ------------------------------------------------------------------ one row
    def build(self) -> dict[str, Any]:
        rows = []
        kinds: dict[str, dict[str, Any]] = {}
        served = set(self.part.get("paths", {}))
        for path, item in self.official["paths"].items():
            for method in METHODS:
                op = item.get(method)
                if op is None:
                    continue
                row: dict[str, Any] = {"method": method.upper(), "path": path,
                                       "operation_id": op.get("operationId"),
                                       "summary": " ".join(str(op.get("summary") or "").split())}
                if "/v1" + path in served:
                    row.update(self.describe(path, method, self.part["paths"]["/v1" + path][method]))
                    self.note_kind(kinds, row)
                rows.append(row)
        return {"spec_version": self.official.get("info", {}).get("version", ""), "operations": rows,
                "kinds": dict(sorted(kinds.items()))}

    def note_kind(self, kinds: dict[str, dict[str, Any]], row: dict[str, Any]) -> None:
        kind = row.get("kind")
        if not kind or row["role"] not in ("create", "retrieve", "list", "derive", "singleton_get"):
            return
        entry = kinds.setdefault(kind, {"statuses": [], "collections": []})
        for status in row.pop("_statuses", ()):
            if status not in entry["statuses"]:
                entry["statuses"].append(status)
        collection = row.get("collection")
        if collection and row["role"] != "singleton_get" and collection not in entry["collections"]:
            entry["collections"].append(collection)

    def describe(self, path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
        status, answer = self.success(op)
        content = answer.get("content") or {}
        base = ("paths", "/v1" + path, method, "responses", str(status), "content")
        out: dict[str, Any] = {"status": status, "media": list(content)}
        json_schema = content.get("application/json", {}).get("schema")
        if json_schema is not None:
            out["schema"] = json_schema["$ref"] if "$ref" in json_schema else pointer(*base, "application/json",
                                                                                      "schema")
        stream = content.get("text/event-stream", {}).get("schema")
        if stream is not None:
            out["stream_schema"] = stream["$ref"] if "$ref" in stream else pointer(*base, "text/event-stream",
                                                                                   "schema")
        out["body"] = self.body(path, method, op)
        segments = path.split("/")[1:]
        out["params"] = [s[1:-1] for s in segments if s.startswith("{")]
        out["query"] = self.query(op)
        out.update(self.role(path, method, op, json_schema))
        return out

    def body(self, path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
        request = op.get("requestBody") or {}
        out: dict[str, Any] = {"required": bool(request.get("required", False)), "json": None, "multipart": None,
                               "other": []}
        for media, spec in (request.get("content") or {}).items():
            schema = spec.get("schema") or {}
            where = schema["$ref"] if "$ref" in schema else pointer("paths", "/v1" + path, method, "requestBody",
                                                                    "content", media, "schema")
            if media == "application/json":
                out["json"] = where
            elif media == "multipart/form-data":
                out["multipart"] = where
            else:
                out["other"].append(media)
        return out

    def query(self, op: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for param in op.get("parameters") or ():
            param = self.resolve(param) if "$ref" in param else param
            if param.get("in") != "query":
                continue
            schema = self.resolve(param.get("schema") or {})
            entry: dict[str, Any] = {key: schema[key] for key in ("default", "minimum", "maximum", "enum", "type")
                                     if key in schema}
            entry["required"] = bool(param.get("required"))
            out[param["name"]] = entry
        return out

    def role(self, path: str, method: str, op: dict[str, Any], schema: Any) -> dict[str, Any]:
        segments = path.split("/")[1:]
        last = segments[-1]
        parent = "/" + "/".join(segments[:-1]) if len(segments) > 1 else ""
        last_is_param = last.startswith("{")
        parent_is_param = len(segments) > 1 and segments[-2].startswith("{")
        listing = schema is not None and self.is_list(schema)
        out: dict[str, Any] = {}

        def item_of(collection: str, item_param: str | None = None) -> None:
            kind, item_schema = self.item_kind(collection)
            out["collection"] = collection
            out["item_param"] = item_param or self.child_param(collection)
            out["kind"] = kind
            out["id_field"] = self.id_field(item_schema, out["item_param"])
            out["_statuses"] = self.statuses(item_schema) if item_schema is not None else []

        if method == "get":
            if last_is_param:
                out["role"] = "retrieve"
                item_of(parent, last[1:-1])
            elif listing:
                out["role"] = "list"
                item_of(path)
                out["stored"] = self.stored_list(path, schema)
            elif last == "content" and parent_is_param:
                out["role"] = "content"
                item_of("/" + "/".join(segments[:-2]), segments[-2][1:-1])
            else:
                out["role"] = "singleton_get"
                out["kind"] = self.kind_of(schema, path) if schema is not None else None
        elif method == "delete":
            if last_is_param:
                out["role"] = "delete"
                item_of(parent, last[1:-1])
            else:
                out["role"] = "singleton_delete"
        elif last_is_param:   # POST on an item
            out["role"] = "action" if "cancel" in str(op.get("operationId", "")).lower() else "update"
            if out["role"] == "action":
                out["verb"] = "cancel"
            item_of(parent, last[1:-1])
        elif self.has_children(path) or self.op(path, "get") is not None and listing:
            out["role"] = "create_many" if listing else "create"
            item_of(path)
            if listing:
                out["kind"] = self.kind_of(self.item_schema(schema), path) or out.get("kind")
            create_body = self.resolve(self.schemas.get(
                (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema", {})
                .get("$ref", "#/x").rsplit("/", 1)[1], {}))
            key = out.get("item_param")
            if key and key in self.properties(create_body) and path not in facts.OWN_IDS:
                out["key_from_body"] = key
        elif self.op(path, "get") is not None and not listing:
            out["role"] = "singleton_set"
            out["kind"] = self.kind_of(schema, path) if schema is not None else None
        elif last in ("activate", "deactivate") and (self.has_children(parent) or self.is_list(
                self.answer_schema(parent, "get"))):
            out["role"] = "bulk"
            out["verb"] = last
            item_of(parent)
        elif parent_is_param and not listing:
            collection = "/" + "/".join(segments[:-2])
            item_kind, _ = self.item_kind(collection)
            answer_kind = self.kind_of(schema, path) if schema is not None else None
            if last == "remix":
                out["role"] = "derive"
                item_of(collection, segments[-2][1:-1])
                out["source_param"] = segments[-2][1:-1]
            elif schema is None or answer_kind == item_kind:
                out["role"] = "action"
                out["verb"] = last
                item_of(collection, segments[-2][1:-1])
            elif answer_kind is not None or "id" in self.properties(schema):
                out["role"] = "create"
                item_of(path)
                out["kind"] = answer_kind or out.get("kind")
                out["id_field"] = "id" if "id" in self.properties(schema) else None
            else:
                out["role"] = "compute"
        else:
            answer_kind = self.kind_of(schema, path) if schema is not None and not listing else None
            home = self.home_of(answer_kind) if answer_kind else None
            if home is not None:
                out["role"] = "derive"
                item_of(home)
            else:
                out["role"] = "compute"
                out["kind"] = answer_kind
        if out.get("collection") and not out.get("kind"):
            out["kind"] = self.derived_kind(out["collection"])
        return out

    def derived_kind(self, collection: str) -> str:
        """A name for objects whose schema does not fix ``object``: the collection's last word in the
        singular, after its parent's kind when it is nested (``/containers/{id}/files``: container.file)."""
        segments = collection.split("/")[1:]
        word = facts.singular(segments[-1])
        if len(segments) > 2 and segments[-2].startswith("{"):
            parent = "/" + "/".join(segments[:-2])
            kind, _ = self.item_kind(parent)
            return f"{kind or self.derived_kind(parent)}.{word}"
        return word

    def child_param(self, collection: str) -> str | None:
        for probe in self.spec_paths:
            rest = probe[len(collection) + 1:] if probe.startswith(collection + "/{") else ""
            if rest:
                return rest.split("/", 1)[0][1:-1]
        return None

    def id_field(self, schema: Any, item_param: str | None) -> str | None:
        props = self.properties(schema) if schema is not None else {}
        if "id" in props:
            return "id"
        if item_param and item_param in props:
            return item_param
        return None

    def stored_list(self, path: str, schema: Any) -> bool:
        """Whether a list's items are the tenant's objects (with ids) rather than a generated page
        (usage buckets, a file's parsed content)."""
        item = self.properties(self.item_schema(schema))
        return "id" in item or (self.child_param(path) or "-") in item

    def home_of(self, kind: str) -> str | None:
        """The one top-level collection holding objects of ``kind`` (``/videos`` for ``video``)."""
        homes = []
        for path in dict.fromkeys(self.spec_paths):
            if path.count("{") == 0 and self.has_children(path):
                if self.item_kind(path)[0] == kind:
                    homes.append(path)
        return homes[0] if len(homes) == 1 else None


def claimed_paths(families: Iterable[Any], *, but: Any = None) -> frozenset[str]:
    """The spec paths the families other than ``but`` claim (``Family.openapi_paths``)."""
    out: set[str] = set()
    for family in families:
        if family is but or callable(family.openapi_paths):
            continue
        out.update(family.openapi_paths)
    return frozenset(out)
