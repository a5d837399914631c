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

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Family, ScriptKind, deferred, package_json
from fakeopenai.families.generic import facts, openapi_rules, scenario, spec_tables
from fakeopenai.families.generic.operations import Operation, table

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "generic"   # world.NAME: the world module (and the engine) is imported when first used


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
    part = state.scenario.part(NAME)
    if part is None or not part.objects:
        return   # every tenant is seeded: one with nothing to seed imports none of the engine
    from fakeopenai.families.generic.seeding import seed_objects

    seed_objects(state)


class Routes(Sequence[tuple[str, Any, list[str]]]):
    """The family's route table, read from the operation table when the app is built: every operation
    whose path no other registered family claims (a test's family registered later takes its paths),
    literal paths before templated ones (``/organization/certificates/activate`` before
    ``/organization/certificates/{certificate_id}``)."""

    def _routes(self) -> list[tuple[str, Any, list[str]]]:
        from fakeopenai.core.registry import families

        return _built(families())

    def __iter__(self) -> Iterator[tuple[str, Any, list[str]]]:
        return iter(self._routes())

    def __len__(self) -> int:
        return len(self._routes())

    def __getitem__(self, index: Any) -> Any:
        return self._routes()[index]


@lru_cache(maxsize=4)
def _built(family_list: tuple[Any, ...]) -> list[tuple[str, Any, list[str]]]:
    mine = next((f for f in family_list if f.name == "generic"), None)
    claimed = spec_tables.claimed_paths(family_list, but=mine)
    ops = [op for op in table().operations if op.path not in claimed]
    ops.sort(key=lambda op: [(part.startswith("{"), part) for part in op.path.split("/")])
    return [(op.route, _handler(op), [op.method]) for op in ops]


def _handler(op: Operation) -> Any:
    """The operation's endpoint: ``api.handler(op)``, made (``api.py`` and the engine imported) by the first
    request it serves, not by a server start."""
    made: Any = None

    async def handle(request: Any) -> Any:
        nonlocal made
        if made is None:
            from fakeopenai.families.generic.api import handler

            made = handler(op)
        return await made(request)

    handle.__name__ = f"generic_{op.method.lower()}_{op.operation_id or op.path}"
    return handle


FAMILY = Family(
    name=NAME,
    routes=Routes(),
    openapi=openapi,
    openapi_normalize=openapi_rules.normalize,
    openapi_paths=served_paths,
    openapi_tables=spec_tables.tables,
    scenario_schema=scenario.schema,
    docs_sections=(("Lifecycle script", "lifecycle_script"), ("Lifecycle step", "lifecycle_step"),
                   ("Seeded object (generic)", "seed_object")),
    build=scenario.build,
    kinds=(ScriptKind(key="lifecycles", noun="object", plural="objects", id_field="object_id",
                      failed_field="error.code",
                      find=lambda state, object_id: state.worlds[NAME].scripted.get(object_id),
                      describe=lambda obj: {"kind": obj.kind}),),
    new_world=deferred(f"{__name__}.world", "new_world"),
    batch_answerer=deferred(f"{__name__}.completions", "batch_answerer"),
    seed=seed,
)
