"""Where the common code meets the list of families: :func:`families` reads
:data:`fakeopenai.families.FAMILIES` each time it is called (so a test may register a family
of its own). The one import of the families package from below it (the import contract,
``tests/test_imports.py`` and docs/architecture.md, allows this seam and no other)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeopenai.family import BatchLineAnswerer, Family, ScriptKind
    from fakeopenai.scenario.model import Scenario
    from fakeopenai.scenario.problems import Problem
    from fakeopenai.state import TenantState


def families() -> tuple[Family, ...]:
    import fakeopenai.families

    return fakeopenai.families.FAMILIES


def script_kinds() -> list[ScriptKind]:
    return [kind for family in families() for kind in family.kinds]


def kind_of_violation(violation: dict[str, object]) -> ScriptKind | None:
    """The script kind whose object a violation names (by its id field: run_id, batch_id ...)."""
    for kind in script_kinds():
        if violation.get(kind.id_field):
            return kind
    for kind in script_kinds():
        if violation.get("where") == kind.key:
            return kind
    return None


def batch_answerer(state: TenantState, endpoint: str) -> BatchLineAnswerer | None:
    """What answers a batch's lines for ``endpoint`` from a family's scripts (the first family
    whose hook offers one), or None: the batches family's generator answers them all."""
    for family in families():
        if family.batch_answerer is not None:
            answerer = family.batch_answerer(state, endpoint)
            if answerer is not None:
                return answerer
    return None


def refusals(scenario: Scenario, options: Mapping[str, Any]) -> list[Problem]:
    """What the families refuse in ``scenario`` on a server with ``options`` (``Family.admit``)."""
    return [problem for family in families() if family.admit is not None for problem in family.admit(scenario, options)]


def store_file(state: TenantState, content: bytes, filename: str, purpose: str) -> dict[str, Any] | None:
    """Store ``content`` as a File of the tenant through the family that keeps Files (its JSON), or None
    when no registered family does."""
    for family in families():
        if family.file_store is not None:
            return family.file_store(state, content, filename, purpose)
    return None
