"""The generic family: every operation of the official spec that no hand-built family claims,
answered from the spec (registered last; a hand-built family registered with a spec path takes it
over, and nothing else changes).

Answers are instances of the operation's response schema (deterministic: seed, object, path,
body), with ids of the kind's prefix, times from the fake clock and the request's own fields
carried in. Objects are stored per tenant (create, retrieve, list with the spec's pagination,
update, delete, sub-actions, nested collections under their parent); an object with a status
follows a lifecycle (``facts.LIFECYCLES``, or a ``lifecycles:`` script) one step per read.

The engine is ``operations.py`` (the operation table, ``operations.json``, made at build time by
``spec_tables.py``), ``schemas.py`` (instances and projections of the response schemas),
``engine.py`` (the tenant's objects), ``lifecycle.py`` and ``media.py`` (binary answers); the
handlers are ``api.py``; the scenario part ``scenario.py`` with ``scenario.schema.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Family, ScriptKind, package_json
from fakeopenai.families.generic import api, completions, facts, openapi_rules, scenario, spec_tables
from fakeopenai.families.generic.world import NAME, new_world, world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def served_paths(spec_paths: Sequence[str]) -> list[str]:
    """Every spec path no other registered family claims (a ``?beta=true`` variant of a claimed path
    is that family's too)."""
    from fakeopenai.core.registry import families

    claimed = spec_tables.claimed_paths(families())
    return [path for path in spec_paths if path.split("?", 1)[0] not in claimed]


def openapi() -> dict[str, Any]:
    """The family's part of /openapi.json, without the paths a family registered since claims."""
    from fakeopenai.core.registry import families

    return _openapi(families())


@lru_cache(maxsize=4)
def _openapi(family_list: tuple[Family, ...]) -> dict[str, Any]:
    """The shipped part, with the paths the SDK calls for an operation the spec places elsewhere
    (``facts.SDK_ALIASES``, each marked ``x-fakeopenai-alias-of``), less the paths a family registered
    since claims."""
    part = package_json(__name__, "openapi.json")
    paths = dict(part["paths"])
    for alias, target in facts.SDK_ALIASES.items():
        method, path = alias.split(" ", 1)
        target_method, target_path = target.split(" ", 1)
        original = paths.get("/v1" + target_path, {}).get(target_method.lower())
        if original is not None:
            operation_id = f"{original.get('operationId')}-sdk-path"
            paths["/v1" + path] = {method.lower(): {**original, "operationId": operation_id,
                                                     "x-fakeopenai-alias-of": f"{target_method} /v1{target_path}"}}
    claimed = {"/v1" + p for p in spec_tables.claimed_paths(family_list, but=FAMILY)}
    return {**part, "paths": {p: v for p, v in paths.items() if p not in claimed}}


def seed(state: TenantState) -> None:
    from fakeopenai.families.generic.seeding import seed_objects

    seed_objects(state)


FAMILY = Family(
    name=NAME,
    routes=api.Routes(),
    openapi=openapi,
    openapi_normalize=openapi_rules.normalize,
    openapi_paths=served_paths,
    openapi_tables=spec_tables.tables,
    scenario_schema=scenario.schema,
    docs_sections=(("Lifecycle script", "lifecycle_script"), ("Lifecycle step", "lifecycle_step"),
                   ("Seeded object (generic)", "seed_object")),
    build=scenario.build,
    kinds=(ScriptKind(key="lifecycles", noun="object", plural="objects", id_field="object_id",
                      failed_field="error.code", find=lambda state, object_id: world(state).scripted.get(object_id),
                      describe=lambda obj: {"kind": obj.kind}),),
    new_world=new_world,
    batch_answerer=completions.batch_answerer,
    seed=seed,
)
