"""Which models exist for a tenant, and the one check a family runs wherever a request names a model.

Under a scenario's ``unknown_models: error``, a model that is not in the scenario's ``models:``
list (or in :data:`DEFAULT_MODELS` when the scenario has none), or a fine-tune the tenant deleted,
is the live API's 404 ``model_not_found``. Without the key every model is accepted. A family's
handler or engine calls, before it changes anything::

    from fakeopenai.known_models import check_model

    check_model(state, body.get("model"))                        # param "model"; None: nothing named
    check_model(state, assistant.model, param="assistant_id")   # a model the request names indirectly

and, where an error is recorded rather than answered (a batch line),
``unknown_model_error(state, model)`` returns the error (or None) instead of raising it.

Common code (no family imported): the ``models:`` list is the Models family's scenario part
(entries with an ``id``) and its world the set of deleted fine-tunes, both read by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.errors import NotFoundError

if TYPE_CHECKING:
    from fakeopenai.state import TenantState

MODELS = "models"   # the Models family's name: its scenario part and its world
DEFAULT_MODELS = ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o",
                  "gpt-4o-mini", "o3", "o3-mini", "o4-mini", "text-embedding-3-small", "text-embedding-3-large",
                  "text-embedding-ada-002", "omni-moderation-latest", "text-moderation-latest")


def model_not_found(model: str, *, param: str | None = None) -> NotFoundError:
    """The live API's answer for a model that does not exist (CONTRACT_RESPONSES.md section 8)."""
    return NotFoundError(f"The model `{model}` does not exist or you do not have access to it.", param=param,
                         code="model_not_found")


def listed_ids(state: TenantState) -> list[str]:
    """The tenant's models, in the order ``GET /v1/models`` lists them."""
    entries = state.scenario.parts.get(MODELS)
    ids = list(DEFAULT_MODELS) if entries is None else [entry.id for entry in entries]
    deleted = state.worlds.get(MODELS) or ()
    return [model for model in ids if model not in deleted] if deleted else ids


def unknown_model_error(state: TenantState, model: object, *, param: str | None = "model") -> NotFoundError | None:
    """The 404 for ``model`` under ``unknown_models: error`` when it is not listed, else None."""
    if state.scenario.unknown_models != "error" or not isinstance(model, str):
        return None
    return None if model in listed_ids(state) else model_not_found(model, param=param)


def check_model(state: TenantState, model: object, *, param: str | None = "model") -> None:
    """Raise :func:`unknown_model_error`'s 404, if there is one."""
    error = unknown_model_error(state, model, param=param)
    if error is not None:
        raise error
