"""Compat profiles: JSON that a given client library can read (docs/compat.md).

A leaf: it imports nothing of the families, the scenario code or rendering; the families
ask it what a profile's clients cannot read (:meth:`Profile.who_cannot_read`) and hand it
their rendered dicts (:meth:`Profile.apply`).

Every fact here comes from the seed client libraries' own types, version by version:
docs/compat.md says what each profile changes, and ``tests/compat_rules.py`` holds each
client's reading rules as executable checks (its ``oxillama_run``, ``api_openai_run``,
``zio_run`` ... name the type each rule comes from). Each seed client is data:

* the run statuses its status enum rejects and the ``last_error.code`` values it
  decodes (engine and load-time facts: what a scenario may ask for);
* per object kind, the fields to *fill* when the live API sends null or nothing
  (``expires_at`` after the run ends, ``usage`` before it ends, ``file_ids``), and
  the nested values to *reshape* (the tool list, metadata values).

A profile is the union of its clients' rules, compiled once, at import, into one
small rewrite per object kind. The default ``openai`` profile has no clients and
no rewrites, so :meth:`Profile.apply` hands back the very dict the renderer made.

Rewrites never touch the engine's objects: the renderers return fresh top-level
dicts whose nested values (``tools``, ``metadata``, ``step_details``) are the
stored ones, so a rewrite copies the top level and builds new nested values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fakeopenai.core.clock import MAX_TIMESTAMP

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]
Reshape = Callable[[Any], Any]

PROFILE_NAMES = ("openai", "zio-openai", "api-openai", "async-openai", "oxillama", "portable")

LIST_KINDS = ("assistant", "thread", "message", "run", "step", "file", "batch")
ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
ZERO_COUNTS = {"total": 0, "completed": 0, "failed": 0}
# What an omitted ``parameters`` means to the API: a function without arguments.
EMPTY_PARAMETERS = {"type": "object", "properties": {}}


# ----------------------------------------------------------------------------- rules as data

# A run may wait this long for tool outputs: expires_at = created_at + 600 (the assistants
# family's RUN_LIFETIME; tests/test_profiles.py checks the two agree).
RUN_LIFETIME = 600


@dataclass(frozen=True, slots=True)
class From:
    """A fill taken from another field of the same object (plus ``plus`` seconds; a timestamp
    never passes the 32-bit cap the fake clock keeps)."""

    field: str
    plus: int = 0

    def value(self, data: dict[str, Any]) -> Any:
        value = data.get(self.field)
        return min(value + self.plus, MAX_TIMESTAMP) if self.plus and value is not None else value


@dataclass(frozen=True, slots=True)
class KindRules:
    """What one client needs changed on one object kind."""

    fill: Mapping[str, Any] = field(default_factory=dict)     # field -> value (or From) when null/missing
    reshape: Mapping[str, str] = field(default_factory=dict)  # field -> name of a RESHAPES entry


@dataclass(frozen=True, slots=True)
class Client:
    """One seed client library: what its types reject, and what it needs changed per object kind."""

    name: str                          # as users know it: "zio-openai"
    seed: str                          # the type that was checked: "zio-openai 0.4.1 RunObject"
    cannot_read: frozenset[str]        # run statuses its status type rejects
    error_codes: frozenset[str] | None  # run last_error.code values it decodes; None = any string
    rules: Mapping[str, KindRules]

    def describe(self) -> str:
        return f"the {self.name} client ({self.seed})"


def _every_list(rules: KindRules) -> dict[str, KindRules]:
    return {f"list:{kind}": rules for kind in LIST_KINDS}


# The live API sends null first_id/last_id on an empty list; these clients' list
# types need strings.
_STRING_LIST_IDS = KindRules(fill={"first_id": "", "last_id": ""})
_STRING_METADATA = KindRules(reshape={"metadata": "string_values"})

# oxillama reads only id/object/thread_id/model/created_at/status/last_error of a run.
# The sibling RunStep (same crate) needs `step_type` and `step_details.message_id`,
# and its Batch a non-null `request_counts`.
OXILLAMA = Client(
    name="oxillama", seed="oxillama-server 0.1.3 Run",
    cannot_read=frozenset({"requires_action", "cancelling", "incomplete"}), error_codes=None,
    rules={
        "step": KindRules(fill={"step_type": From("type")}, reshape={"step_details": "message_id_alias"}),
        "batch": KindRules(fill={"request_counts": ZERO_COUNTS}),
    })

# api_openai (one crate for runs and batches): required `tools` (flat function tools), required
# `parallel_tool_calls`, string-only metadata; its run/step list types need string ids.
API_OPENAI = Client(
    name="api_openai", seed="api_openai 0.3.0 RunObject and Batch",
    cannot_read=frozenset(), error_codes=None,
    rules={
        "run": KindRules(fill={"tools": [], "parallel_tool_calls": True},
                         reshape={"tools": "flat", "metadata": "string_values"}),
        "assistant": KindRules(reshape={"tools": "flat", "metadata": "string_values"}),
        "step": _STRING_METADATA, "batch": _STRING_METADATA, "thread": _STRING_METADATA,
        "message": _STRING_METADATA,
        **_every_list(_STRING_LIST_IDS),
    })

# async-openai: the live v2 step already decodes (i32 seconds: the clock stays below
# 2^31; step last_error codes are server_error/rate_limit_exceeded). The sibling
# RunObject of the same crate needs a string `instructions`.
ASYNC_OPENAI = Client(
    name="async-openai", seed="async-openai 0.23-0.30.1 RunStepObject",
    cannot_read=frozenset(), error_codes=frozenset({"server_error", "rate_limit_exceeded", "invalid_prompt"}),
    rules={"run": KindRules(fill={"instructions": ""})})

# zio-openai follows the 2024-02 spec: `expires_at`, `instructions`, `file_ids`, `usage` and
# `tools` are required and non-null; v1 tools (retrieval, nested functions); the
# sibling RunStepObject requires `usage`; lists need string ids. No Batch type.
ZIO_OPENAI = Client(
    name="zio-openai", seed="zio-openai 0.4.1 RunObject",
    cannot_read=frozenset({"incomplete"}), error_codes=frozenset({"server_error", "rate_limit_exceeded"}),
    rules={
        "run": KindRules(fill={"expires_at": From("created_at", RUN_LIFETIME), "instructions": "", "tools": [],
                               "file_ids": [], "usage": ZERO_USAGE},
                         reshape={"tools": "zio_v1"}),
        "assistant": KindRules(reshape={"tools": "zio_v1"}),
        "step": KindRules(fill={"usage": ZERO_USAGE}),
        **_every_list(_STRING_LIST_IDS),
    })

CLIENTS = (OXILLAMA, API_OPENAI, ASYNC_OPENAI, ZIO_OPENAI)

# Profile name -> (its clients, how it settles reshapes the clients disagree on).
# portable: no single tool list suits api_openai (flat) and zio-openai (nested),
# except the hybrid function tool that carries both shapes.
_DEFINITIONS: dict[str, tuple[tuple[Client, ...], Mapping[str, str]]] = {
    "openai": ((), {}),
    "zio-openai": ((ZIO_OPENAI,), {}),
    "api-openai": ((API_OPENAI,), {}),
    "async-openai": ((ASYNC_OPENAI,), {}),
    "oxillama": ((OXILLAMA,), {}),
    "portable": (CLIENTS, {"tools": "hybrid"}),
}


# ----------------------------------------------------------------------------- reshapes

def _string_values(metadata: Any) -> Any:
    """api_openai's Metadata is HashMap<String, String>: JSON-encode other values."""
    if not isinstance(metadata, dict) or all(isinstance(v, str) for v in metadata.values()):
        return metadata
    return {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for k, v in metadata.items()}


def _message_id_alias(details: Any) -> Any:
    """oxillama's RunStep reads ``step_details.message_id``."""
    if isinstance(details, dict) and details.get("type") == "message_creation":
        return {**details, "message_id": (details.get("message_creation") or {}).get("message_id")}
    return details


def _flat_function(tool: dict[str, Any]) -> dict[str, Any]:
    """api_openai's FunctionTool: ``{type, name, parameters (required), description?, strict?}``."""
    function = tool.get("function") or {}
    flat: dict[str, Any] = {"type": "function", "name": function.get("name")}
    if function.get("description") is not None:
        flat["description"] = function["description"]
    parameters = function.get("parameters")
    flat["parameters"] = parameters if parameters is not None else dict(EMPTY_PARAMETERS)
    if function.get("strict") is not None:
        flat["strict"] = function["strict"]
    return flat


def _hybrid_function(tool: dict[str, Any]) -> dict[str, Any]:
    """Flat and nested at once: api_openai, zio-openai and async-openai all read it."""
    return {**_flat_function(tool), "function": tool.get("function") or {}}


def _same(tool: dict[str, Any]) -> dict[str, Any]:
    return tool


def _retrieval(tool: dict[str, Any]) -> dict[str, Any]:
    return {"type": "retrieval"}


def _bare_file_search(tool: dict[str, Any]) -> dict[str, Any]:
    return {"type": "file_search"}


@dataclass(frozen=True, slots=True)
class ToolStyle:
    """How one tool-list shape maps each v2 tool type; a type it lacks is left out."""

    maps: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]
    missing: Mapping[str, str]  # tool type -> why the style cannot carry it (for load-time messages)

    def __call__(self, tools: Any) -> Any:
        if not isinstance(tools, list):
            return tools
        out = []
        for tool in tools:
            convert = self.maps.get(tool.get("type", "")) if isinstance(tool, dict) else None
            if convert is not None:
                out.append(convert(tool))
        return out


TOOL_STYLES: dict[str, ToolStyle] = {
    # Tool is tagged over the Responses-API set; a unit-struct file_search.
    "flat": ToolStyle({"function": _flat_function, "file_search": _bare_file_search},
                      {"code_interpreter": "the api_openai client (api_openai 0.3.0 RunObject) has no "
                                           "code_interpreter tool variant"}),
    # code_interpreter | retrieval | nested function; file_search is v1's retrieval.
    "zio_v1": ToolStyle({"function": _same, "code_interpreter": _same, "file_search": _retrieval}, {}),
    # only [] or the hybrid function tool is read by every client.
    "hybrid": ToolStyle({"function": _hybrid_function},
                        {"code_interpreter": "the api_openai client (api_openai 0.3.0 RunObject) has no "
                                             "code_interpreter tool variant",
                         "file_search": "the zio-openai client (zio-openai 0.4.1 RunObject) rejects file_search "
                                        "and the api_openai client rejects its stand-in, retrieval"}),
}

RESHAPES: dict[str, Reshape] = {
    "string_values": _string_values,
    "message_id_alias": _message_id_alias,
    **TOOL_STYLES,
}


# ----------------------------------------------------------------------------- compiling

def _fresh(value: Any) -> Any:
    """Fill constants are flat dicts/lists: copy them so no two objects share one."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _compile(rules: KindRules) -> Rewrite:
    fills = tuple(rules.fill.items())
    reshapes = tuple((name, RESHAPES[shape]) for name, shape in rules.reshape.items())

    def rewrite(data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for name, value in fills:
            if out.get(name) is None:
                out[name] = value.value(out) if isinstance(value, From) else _fresh(value)
        for name, reshape in reshapes:
            if out.get(name) is not None:
                out[name] = reshape(out[name])
        return out

    return rewrite


def _merge(profile: str, clients: Iterable[Client], settle: Mapping[str, str]) -> dict[str, KindRules]:
    """The union of the clients' rules; a disagreement must be settled by the profile."""
    fills: dict[str, dict[str, Any]] = {}
    reshapes: dict[str, dict[str, str]] = {}
    for client in clients:
        for kind, rules in client.rules.items():
            kind_fills = fills.setdefault(kind, {})
            for name, value in rules.fill.items():
                if kind_fills.get(name, value) != value:
                    raise ValueError(f"profile {profile}: clients disagree on {kind}.{name}")
                kind_fills[name] = value
            kind_reshapes = reshapes.setdefault(kind, {})
            for name, shape in rules.reshape.items():
                if name in settle:
                    shape = settle[name]
                elif kind_reshapes.get(name, shape) != shape:
                    raise ValueError(f"profile {profile}: clients disagree on {kind}.{name}; settle it")
                kind_reshapes[name] = shape
    return {kind: KindRules(fill=fills.get(kind, {}), reshape=reshapes.get(kind, {}))
            for kind in sorted(fills.keys() | reshapes.keys()) if fills.get(kind) or reshapes.get(kind)}


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    instant_cancel: bool = False          # cancel goes straight to cancelled
    rewrites: dict[str, Rewrite] = field(default_factory=dict)   # object kind -> rewrite
    clients: tuple[Client, ...] = ()      # whose reading rules it guarantees
    rules: dict[str, KindRules] = field(default_factory=dict)    # the data the rewrites were compiled from

    def apply(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        rewrite = self.rewrites.get(kind)
        return rewrite(data) if rewrite is not None else data

    def who_cannot_read(self, status: str) -> list[Client]:
        return [c for c in self.clients if status in c.cannot_read]

    def who_rejects_code(self, code: str) -> list[Client]:
        return [c for c in self.clients if c.error_codes is not None and code not in c.error_codes]

    def tool_style(self) -> ToolStyle | None:
        shape = self.rules["run"].reshape.get("tools") if "run" in self.rules else None
        return TOOL_STYLES.get(shape) if shape else None


def _build(name: str) -> Profile:
    clients, settle = _DEFINITIONS[name]
    rules = _merge(name, clients, settle)
    return Profile(name=name, instant_cancel=any("cancelling" in c.cannot_read for c in clients),
                   rewrites={kind: _compile(r) for kind, r in rules.items()}, clients=clients, rules=rules)


_PROFILES: dict[str, Profile] = {name: _build(name) for name in PROFILE_NAMES}


def get_profile(name: str) -> Profile:
    return _PROFILES.get(name) or _PROFILES["openai"]


def is_profile(name: str) -> bool:
    return name in _PROFILES


def profiles_that_read(status: str) -> str:
    """The profile names whose clients all read run status ``status`` (for load-time messages)."""
    return ", ".join(p for p in PROFILE_NAMES if not get_profile(p).who_cannot_read(status))


def who(clients: Iterable[Client]) -> str:
    """``the zio-openai client (zio-openai 0.4.1 RunObject) and ...``, for load-time messages."""
    return " and ".join(c.describe() for c in clients)


