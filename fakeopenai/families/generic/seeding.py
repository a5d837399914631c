"""``objects.generic``: objects of the generic family's kinds that exist from the start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.families.generic import engine, lifecycle
from fakeopenai.families.generic.operations import table
from fakeopenai.families.generic.world import NAME

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def seed_objects(state: TenantState) -> None:
    part = state.scenario.part(NAME)
    if part is None or not part.objects:
        return
    known = table()
    for item in sorted(part.objects, key=lambda i: len(getattr(known.home(i["kind"], set(i)), "params", ()))):
        fields = {k: v for k, v in item.items() if k not in ("kind", "id", "status")}
        given = {k for k, v in item.items() if isinstance(v, str)}
        info = known.home(item["kind"], given)
        if info is None:
            continue
        parent_ids = tuple(str(item[p]) for p in info.params)
        engine.parents(state, info.path, {p: str(item[p]) for p in info.params}, make_missing=True)
        body = {**fields, "_settled": True} if item.get("status") else fields
        obj = engine.make(state, info, parent_ids, key=item.get("id"), body=body, kind=item["kind"],
                          lifecycle_body=body)
        if item.get("status"):
            lifecycle.settle(state, obj, item["status"])
