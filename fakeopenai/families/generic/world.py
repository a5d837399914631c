"""The generic family's objects in one tenant: collections keyed by their list path and the ids
of their parents, and objects that exist once per parent (``/organization/data_retention``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakeopenai.core.store import Collection

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.scripting.stepper import Cursor

NAME = "generic"

Key = tuple[str, tuple[str, ...]]   # (collection path, its parents' ids)


@dataclass(slots=True, eq=False)
class GObj:
    """One stored object: its id (``key``, the value its path parameter takes), its kind, where it
    lives, and the field values known for it; each operation shows it through its own schema
    (``schemas.project``)."""

    key: str
    kind: str | None
    home: Key
    fields: dict[str, Any]
    seed: str                              # what its generated fields are drawn from
    status: str | None = None
    content: bytes | None = None           # its bytes, for objects that have some (a container file)
    version: int = 0                       # bumped on every change (the projection cache)
    _cursor: Cursor | None = None          # its lifecycle script, when it has one
    _cancel_requested: bool = False
    _paused: bool = False
    _shown: dict[str, tuple[int, Any]] = field(default_factory=dict)   # schema -> (version, projection)

    @property
    def id(self) -> str:
        return self.key

    def changed(self) -> None:
        self.version += 1


@dataclass(slots=True)
class GenericWorld:
    collections: dict[Key, Collection[GObj]] = field(default_factory=dict)
    singletons: dict[Key, GObj] = field(default_factory=dict)
    scripted: dict[str, GObj] = field(default_factory=dict)   # objects with a lifecycle, by id
    seeded: set[Key] = field(default_factory=set)             # ambient collections already filled

    def collection(self, key: Key) -> Collection[GObj]:
        found = self.collections.get(key)
        if found is None:
            found = self.collections[key] = Collection()
        return found


def new_world(state: TenantState) -> GenericWorld:
    return GenericWorld()


def world(state: TenantState) -> GenericWorld:
    return state.worlds[NAME]
