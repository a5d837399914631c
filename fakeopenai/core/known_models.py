"""Which models exist for a tenant, and the one check a family runs wherever a request names a model.

Under a scenario's ``unknown_models: error``, a model the tenant does not have (what the family
that lists models says, its ``Family.model_ids``: the Models family's ``models:`` list or default
list, less the fine-tunes the tenant deleted) is the live API's 404 ``model_not_found``. Without
the key every model is accepted. A family's handler or engine calls, before it changes anything::

    from fakeopenai.core.known_models import check_model

    check_model(state, body.get("model"))                        # param "model"; None: nothing named
    check_model(state, assistant.model, param="assistant_id")   # a model the request names indirectly

and, where an error is recorded rather than answered (a batch line),
``unknown_model_error(state, model)`` returns the error (or None) instead of raising it.

Common code (no family imported): the list is read through :func:`fakeopenai.core.registry.model_ids`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeopenai.core.errors import NotFoundError
from fakeopenai.core.registry import model_ids

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def model_not_found(model: str, *, param: str | None = None) -> NotFoundError:
    """The live API's answer for a model that does not exist (CONTRACT_RESPONSES.md section 8)."""
    return NotFoundError(f"The model `{model}` does not exist or you do not have access to it.", param=param,
                         code="model_not_found")


def unknown_model_error(state: TenantState, model: object, *, param: str | None = "model") -> NotFoundError | None:
    """The 404 for ``model`` under ``unknown_models: error`` when it is not listed, else None."""
    if state.scenario.unknown_models != "error" or not isinstance(model, str):
        return None
    known = model_ids(state)
    return None if known is None or model in known else model_not_found(model, param=param)


def check_model(state: TenantState, model: object, *, param: str | None = "model") -> None:
    """Raise :func:`unknown_model_error`'s 404, if there is one."""
    error = unknown_model_error(state, model, param=param)
    if error is not None:
        raise error
