"""What an API family gives the rest of the house: one :class:`Family` value.

The route table, the served ``/openapi.json``, the scenario JSON Schema and its docs, the
scenario builder, the tenant's objects, the clock, the gateway and the pytest plugin's
teardown report each read :data:`fakeopenai.families.FAMILIES` (through
:func:`fakeopenai.core.registry.families`) and take what they need from every family in it.
Everything is optional but the name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module, resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeopenai.core.compat.profiles import Profile
    from fakeopenai.core.errors import APIError
    from fakeopenai.core.state import TenantState
    from fakeopenai.scenario.build import Builder
    from fakeopenai.scenario.model import Scenario
    from fakeopenai.scenario.problems import Problem

Handler = Callable[..., Any]
Scope = MutableMapping[str, Any]   # an ASGI scope (starlette.types.Scope: this module names no HTTP library)
RouteSpec = tuple[str, Handler, Sequence[str]]   # ("/v1/batches", handler, ["GET"])
SocketSpec = tuple[str, Handler]                  # ("/v1/realtime", handler(websocket))
Problems = list[tuple[tuple[Any, ...], str]]      # (key path, message)
# (line body, key of the line's ids, created, content or None) -> (status code, answer body)
BatchLineAnswer = Callable[[dict[str, Any], str, int, "str | None"], "tuple[int, dict[str, Any]]"]


@dataclass(frozen=True, slots=True)
class BatchLines:
    """How the family that serves an endpoint answers a batch's lines for it: made once per batch by
    ``Family.batch_answerer`` (through ``registry.batch_answerer``, so the batches family imports none).

    ``answer`` is what the direct call answers the line's body with (its scripts, else the family's
    generator), not stored, not streamed; ids inside it derive from the key (the seed and the line's
    custom_id), and ``content`` (a batch script's fixed answer) replaces the generated text or input.
    ``plan``/``planned`` are an optional fast path for the usual line: ``plan(body)`` at validation
    keeps what the answer needs (or None: ``answer`` answers that line), ``planned(model, plan, key,
    created)`` gives the answer as ``json.dumps`` text with its (input tokens, output tokens).
    ``pure``: answering changes no tenant state (no script plays, no entry is used), so a big batch's
    answers may be built ahead, off the read that ends it. Validation: ``required``, the fields a
    line's body must hold (else that line's 400); ``tasks``, how many tasks a body holds when the Batch
    API counts more than one a line (embeddings: its inputs), at most ``max_tasks`` a batch.
    """

    answer: BatchLineAnswer
    plan: Callable[[dict[str, Any]], Any] | None = None
    planned: Callable[[str, Any, str, int], tuple[str, int, int]] | None = None
    pure: bool = False
    required: tuple[str, ...] = ()
    tasks: Callable[[dict[str, Any]], int] | None = None
    max_tasks: int = 0
    task_noun: str = "tasks"
    task_param: str | None = None


@dataclass(frozen=True, slots=True)
class ScriptKind:
    """Scripts under one top-level scenario key, and the objects they serve."""

    key: str                                   # "runs": the scenario key, and ``Script.key``
    noun: str                                  # "run"
    plural: str                                # "runs"
    id_field: str                              # "run_id": how violations name the object
    failed_field: str = "last_error.code"      # where a client sees that the object failed
    find: Callable[[TenantState, str], Any] | None = None     # object by id (None once deleted)
    describe: Callable[[Any], dict[str, Any]] | None = None   # more for GET /_fake/scenario
    # A conversation (one use of a script) that spans several API objects (responses, chat
    # completions): each of them, oldest first, as GET /_fake/scenario lists what the script served
    # ({id, status, step, steps}); None: the found object is the one API object.
    members: Callable[[TenantState, Any], list[dict[str, Any]]] | None = None


@dataclass(frozen=True, slots=True)
class Built:
    """What a family's scenario builder read: scripts by key, and the family's other part."""

    scripts: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    part: Any = None
    # Entries of the part a test is meant to use (scripted vectors, flagged inputs): each has
    # key, index, name, line and column; with strict, the teardown names those never used.
    entries: tuple[Any, ...] = ()


@dataclass(frozen=True, eq=False)  # compared and hashed as itself: caches key on the registered set
class Family:
    """One API family. See ``docs/architecture.md``, "Add a family"."""

    name: str
    routes: Sequence[RouteSpec] = ()
    websockets: Sequence[SocketSpec] = ()   # WebSocket endpoints (the gateway resolves their tenant too)
    # The family's part of /openapi.json: {"paths": {...}, "components": {...}} (served paths
    # carry /v1). Real families ship it as openapi.json, made by scripts/build_openapi.py from
    # the official spec's paths named in openapi_paths (and the schemas in openapi_schemas).
    # openapi_paths may be a function of the official spec's paths instead (the generic family:
    # every path no other family claims).
    openapi: Callable[[], dict[str, Any]] | None = None
    openapi_paths: Sequence[str] | Callable[[Sequence[str]], Sequence[str]] = ()
    openapi_schemas: Sequence[str] = ()
    # More JSON files the family derives from the official spec and its built part, written beside its
    # openapi.json by scripts/build_openapi.py: (official spec, part) -> {file name: data} (the generic
    # family's operation table, read at server start instead of the spec).
    openapi_tables: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    # What the live API does that the official schemas of this family's objects do not say: a function
    # that fixes them in a document's schemas, in place (``openapi.normalize`` applies every family's).
    openapi_normalize: Callable[[dict[str, Any]], None] | None = None
    # The family's part of the scenario JSON Schema: {"properties": top-level keys,
    # "objects": keys under objects:, "$defs": definitions}, and the docs sections made from it.
    scenario_schema: Callable[[], dict[str, Any]] | None = None
    docs_sections: Sequence[tuple[str, str]] = ()
    build: Callable[[Builder, dict[str, Any]], Built] | None = None
    conflicts: Callable[[Scenario, Profile], Problems] | None = None   # what a compat profile cannot say
    kinds: Sequence[ScriptKind] = ()
    # The tenant's objects of this family: made on the first ``state.worlds[name]`` (maybe never), so it only
    # builds empty collections (no ids drawn, nothing logged: ``seed`` does what a scenario's load must do).
    new_world: Callable[[TenantState], Any] | None = None
    seed: Callable[[TenantState], None] | None = None        # objects the scenario pins
    on_clock: Callable[[TenantState], None] | None = None    # what time alone does (expiry)
    before_request: Callable[[TenantState, Scope], APIError | None] | None = None   # a gateway check
    report_hints: dict[str, str] = field(default_factory=dict)  # violation kind -> "What to do"
    # Batch lines of an endpoint this family serves: given the tenant and the batch's endpoint, how
    # its lines are answered (BatchLines), or None (not this family's endpoint). Asked once per batch.
    batch_answerer: Callable[[TenantState, str], BatchLines | None] | None = None
    # The family that keeps the tenant's Files (the Files API): stores bytes as a File and returns its JSON,
    # for another family that makes one (an Upload, once completed, is a File). Through
    # ``registry.store_file``, so the family making it imports no other.
    file_store: Callable[[TenantState, bytes, str, str], dict[str, Any]] | None = None
    # The same family: a File's name and bytes by id (None: the tenant has no such File), for another
    # family that reads Files (a vector store indexes them). Through ``registry.read_file``.
    file_reader: Callable[[TenantState, str], tuple[str, bytes] | None] | None = None
    # The family that keeps vector stores: ``(state, vector store ids, search request)`` -> the ranked
    # results (``vector_store.search_results`` items; None: the tenant holds none of those stores), for
    # another family that searches them (a Responses ``file_search`` call). Through
    # ``registry.search_vector_stores``.
    vector_search: Callable[[TenantState, Sequence[str], dict[str, Any]], list[dict[str, Any]] | None] | None = None
    # The family that answers ``POST /embeddings``: ``(model, input, dimensions)`` -> the vector it gives that
    # input, for another family that ranks by it (a vector store's search). Through ``registry.embed``.
    embedder: Callable[[str, Any, int], list[float]] | None = None
    # An object reached a state OpenAI announces by webhook: (tenant, event type, object id, fake time), e.g.
    # (state, "batch.completed", "batch_...", 1735689605). Families say it with ``state.notify``; the webhooks
    # family hears it.
    on_event: Callable[[TenantState, str, str, int], None] | None = None
    # What this server refuses in a scenario given its own options (``TenantState.server``): problems with
    # positions (a webhook target that is not loopback and not allowed). Checked whenever a scenario is loaded.
    admit: Callable[[Scenario, Mapping[str, Any]], list[Problem]] | None = None
    # The tenant's model ids, for the family that lists models: what ``unknown_models: error`` accepts
    # (``known_models.check_model``, through ``registry.model_ids``).
    model_ids: Callable[[TenantState], list[str]] | None = None
    # What turns recorded exchanges into the family's part of a scenario (``fakeopenai record``): a new
    # converter per conversion (``record.convert.common.Converter``: ``key``, ``feed``, ``entries``), or a
    # list of them (a family with several keys).
    recorder: Callable[[], Any] | None = None


# A server start reads every family's Family value (routes, scenario builders) but runs none of its
# handlers or engine: importing them all (their dataclasses, Pillow ...) was most of a cold start. A
# family names its handlers and its engine's hooks instead, and the first call imports the module.

def deferred(module: str, name: str) -> Callable[..., Any]:
    """A hook that calls ``module.name``, the module imported on the first call (then kept: a hook the
    gateway calls on every request pays one ``None`` check). Also a family's ``recorder``, whose code only
    ``fakeopenai record`` needs."""
    target: Callable[..., Any] | None = None

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal target
        if target is None:
            target = getattr(import_module(module), name)
        return target(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def deferred_handler(module: str, name: str) -> Handler:
    """An HTTP (or WebSocket) endpoint that awaits ``module.name``, the module imported by the first
    request it serves."""
    target: Handler | None = None

    async def call(connection: Any) -> Any:
        nonlocal target
        if target is None:
            target = getattr(import_module(module), name)
        return await target(connection)

    call.__name__ = call.__qualname__ = name
    return call


def routes_of(module: str, table: Sequence[tuple[str, str, Sequence[str]]], *,
              at_start: bool = False) -> list[RouteSpec]:
    """A family's route table, each handler named in ``module`` (its ``api.py``): (path, name, methods).
    ``at_start``: the module is imported now and its handlers served directly, for a family nearly every
    test run calls (chat completions, responses), whose import would otherwise be its first request's."""
    if at_start:
        handlers = import_module(module)
        return [(path, getattr(handlers, name), methods) for path, name, methods in table]
    return [(path, deferred_handler(module, name), methods) for path, name, methods in table]


@cache
def package_json(package: str, name: str) -> dict[str, Any]:
    """A JSON file shipped in a family's package (its openapi.json, scenario.schema.json)."""
    return dict(json.loads(resources.files(package).joinpath(name).read_text("utf-8")))
