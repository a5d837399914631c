"""What an API family gives the rest of the house: one :class:`Family` value.

The route table, the served ``/openapi.json``, the scenario JSON Schema and its docs, the
scenario builder, the tenant's objects, the clock, the gateway and the pytest plugin's
teardown report each read :data:`fakeopenai.families.FAMILIES` (through
:func:`fakeopenai.registry.families`) and take what they need from every family in it.
Everything is optional but the name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeopenai.compat.profiles import Profile
    from fakeopenai.errors import APIError
    from fakeopenai.scenario.build import Builder
    from fakeopenai.scenario.model import Scenario
    from fakeopenai.scenario.problems import Problem
    from fakeopenai.state import TenantState

Handler = Callable[..., Any]
Scope = MutableMapping[str, Any]   # an ASGI scope (starlette.types.Scope: this module names no HTTP library)
RouteSpec = tuple[str, Handler, Sequence[str]]   # ("/v1/batches", handler, ["GET"])
Problems = list[tuple[tuple[Any, ...], str]]      # (key path, message)
BatchLineAnswerer = Callable[[dict[str, Any], str, int], "tuple[int, dict[str, Any]] | None"]


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
    # The family's part of the scenario JSON Schema: {"properties": top-level keys,
    # "objects": keys under objects:, "$defs": definitions}, and the docs sections made from it.
    scenario_schema: Callable[[], dict[str, Any]] | None = None
    docs_sections: Sequence[tuple[str, str]] = ()
    build: Callable[[Builder, dict[str, Any]], Built] | None = None
    conflicts: Callable[[Scenario, Profile], Problems] | None = None   # what a compat profile cannot say
    kinds: Sequence[ScriptKind] = ()
    new_world: Callable[[TenantState], Any] | None = None    # the tenant's objects of this family
    seed: Callable[[TenantState], None] | None = None        # objects the scenario pins
    on_clock: Callable[[TenantState], None] | None = None    # what time alone does (expiry)
    before_request: Callable[[TenantState, Scope], APIError | None] | None = None   # a gateway check
    report_hints: dict[str, str] = field(default_factory=dict)  # violation kind -> "What to do"
    # Batch lines of an endpoint this family serves, answered by its scripts: given the tenant and
    # the batch's endpoint, None (the batches family's generator answers every line), or a function
    # of (line body, seeded key, created) -> (status code, answer body), or None for a line no
    # script of the family matches (the generator answers it). Asked once per batch.
    batch_answerer: Callable[[TenantState, str], BatchLineAnswerer | None] | None = None
    # The family that keeps the tenant's Files (the Files API): stores bytes as a File and returns its JSON,
    # for another family that makes one (an Upload, once completed, is a File). Through
    # ``registry.store_file``, so the family making it imports no other.
    file_store: Callable[[TenantState, bytes, str, str], dict[str, Any]] | None = None
    # An object reached a state OpenAI announces by webhook: (tenant, event type, object id, fake time), e.g.
    # (state, "batch.completed", "batch_...", 1735689605). Families say it with ``state.notify``; the webhooks
    # family hears it.
    on_event: Callable[[TenantState, str, str, int], None] | None = None
    # What this server refuses in a scenario given its own options (``TenantState.server``): problems with
    # positions (a webhook target that is not loopback and not allowed). Checked whenever a scenario is loaded.
    admit: Callable[[Scenario, Mapping[str, Any]], list[Problem]] | None = None


@cache
def package_json(package: str, name: str) -> dict[str, Any]:
    """A JSON file shipped in a family's package (its openapi.json, scenario.schema.json)."""
    return dict(json.loads(resources.files(package).joinpath(name).read_text("utf-8")))
