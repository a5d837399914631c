"""``unknown_ids: generate`` in the hand-built families (SPEC 11.2).

Code that holds ids made elsewhere (an assistant id from its config, a thread or response id from
another process) and suites written for a stateless spec mock (openai-python's own
``tests/api_resources``) name objects this tenant never made. Under ``unknown_ids: generate`` (the
scenario key, or ``fakeopenai serve --unknown-ids generate``) such an id answers as if it existed:
the family makes the object now with the family's own create path, under that id, and stores it, so
that later requests see the same object. The default, ``error``, is the live API's 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.store import Page

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

T = TypeVar("T")

# The model a generated object names when nothing says which (known to every profile's model list).
DEFAULT_MODEL = "gpt-4o"


def generating(state: TenantState) -> bool:
    return state.scenario.unknown_ids == "generate"


def made_for(state: TenantState, object_id: str, kind: str, make: Callable[[str], T]) -> T | None:
    """Under ``unknown_ids: generate``: ``make(object_id)`` (which stores the object under that id),
    logged as the generic family logs its own; else (or for an empty id) None, and the caller answers
    its 404."""
    if not object_id or not generating(state):
        return None
    state.ids.reserve(object_id)
    made = make(object_id)
    state.log_change("%s made for an unknown id (%s)", object_id, kind)
    return made


def page_or_empty(state: TenantState, make_page: Callable[[], Page[T]]) -> Page[T]:
    """``make_page()``; under ``unknown_ids: generate`` a cursor the tenant never listed (an object made
    elsewhere, as if it existed, past the end) is an empty page instead of the 400 naming the cursor."""
    try:
        return make_page()
    except InvalidRequestError as error:
        if not generating(state) or error.param not in ("after", "before"):
            raise
        return Page([], has_more=False)
