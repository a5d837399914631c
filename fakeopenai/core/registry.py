"""Where the common code meets the list of families: :func:`families` reads
:data:`fakeopenai.families.FAMILIES` each time it is called (so a test may register a family
of its own). The one import of the families package from below it (the import contract,
``tests/test_imports.py`` and docs/architecture.md, allows this seam and no other)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeopenai.core.family import BatchLines, Family, ScriptKind
    from fakeopenai.core.state import TenantState
    from fakeopenai.scenario.model import Scenario
    from fakeopenai.scenario.problems import Problem


_package: Any = None   # fakeopenai.families, once imported (an import statement costs a microsecond a call)


def families() -> tuple[Family, ...]:
    global _package
    if _package is None:
        import fakeopenai.families

        _package = fakeopenai.families
    return _package.FAMILIES   # read each time: a test may register a family


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


def batch_answerer(state: TenantState, endpoint: str) -> BatchLines | None:
    """How the family that serves ``endpoint`` answers a batch's lines (the first family whose hook
    offers it), or None: no registered family answers that endpoint."""
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


def read_file(state: TenantState, file_id: str) -> tuple[str, bytes] | None:
    """A File of the tenant as ``(filename, bytes)``, through the family that keeps Files; None when
    the tenant has no such File (or no registered family keeps Files)."""
    for family in families():
        if family.file_reader is not None:
            return family.file_reader(state, file_id)
    return None


def search_vector_stores(state: TenantState, store_ids: list[str], request: dict[str, Any]) -> \
        list[dict[str, Any]] | None:
    """The results of searching the tenant's vector stores ``store_ids`` with ``request`` (the body of
    ``POST /vector_stores/{id}/search``), through the family that keeps them; None when the tenant holds
    none of those stores (or no registered family keeps vector stores)."""
    for family in families():
        if family.vector_search is not None:
            return family.vector_search(state, store_ids, request)
    return None


def embed(model: str, item: Any, dimensions: int) -> list[float] | None:
    """The embedding the family that answers ``POST /embeddings`` gives ``item`` (``Family.embedder``), for
    another family that ranks by it (a vector store's search); None when no registered family embeds."""
    for family in families():
        if family.embedder is not None:
            return family.embedder(model, item, dimensions)
    return None


def model_ids(state: TenantState) -> list[str] | None:
    """The tenant's models, from the family that lists them (``Family.model_ids``), or None when no
    registered family does (then every model is known)."""
    for family in families():
        if family.model_ids is not None:
            return family.model_ids(state)
    return None
