"""The Models engine (no HTTP): the tenant's scenario's models, or the default list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import APIError
from fakeopenai.core.known_models import model_not_found
from fakeopenai.core.unknown_ids import generating
from fakeopenai.families.models.scenario import DEFAULT, NAME, ModelEntry, default_owner

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def new_world(state: TenantState) -> set[str]:
    """The tenant's deleted fine-tuned models (the rest of the list is the scenario's)."""
    return set()


def listed(state: TenantState) -> list[ModelEntry]:
    deleted: set[str] = state.worlds[NAME]
    return [entry for entry in state.scenario.parts.get(NAME, DEFAULT) if entry.id not in deleted]


def model_object(entry: ModelEntry) -> dict[str, Any]:
    return {"id": entry.id, "object": "model", "created": entry.created, "owned_by": entry.owned_by}


def list_models(state: TenantState) -> dict[str, Any]:
    return {"object": "list", "data": [model_object(entry) for entry in listed(state)]}


def get_model(state: TenantState, model_id: str) -> dict[str, Any]:
    return model_object(_find(state, model_id))


def delete_model(state: TenantState, model_id: str) -> dict[str, Any]:
    """Only fine-tuned models (``ft:...``) can be deleted; a base model is the live API's 403."""
    entry = _find(state, model_id)
    if not entry.id.startswith("ft:"):
        raise APIError(f"You have insufficient permissions for this operation. Only fine-tuned models can be "
                       f"deleted, and `{model_id}` is not one.", code="model_not_deletable", status_code=403)
    state.worlds[NAME].add(entry.id)
    return {"id": entry.id, "object": "model", "deleted": True}


def _find(state: TenantState, model_id: str) -> ModelEntry:
    for entry in listed(state):
        if entry.id == model_id:
            return entry
    if generating(state) and model_id:   # unknown_ids: generate answers any model as if listed
        return ModelEntry(id=model_id, owned_by=model_id.split(":")[2] if model_id.startswith("ft:")
                          and model_id.count(":") >= 2 else default_owner(model_id))
    raise model_not_found(model_id)
