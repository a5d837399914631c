"""What every handler needs: the tenant, rendering through its compat profile, JSON out.

A family renders its objects to dicts (its ``render.py``, in the official schema's field
order) and hands them here with their kind (``run``, ``batch``): the tenant's compat profile
gets the last word (:meth:`~fakeopenai.compat.profiles.Profile.apply`).
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from fakeopenai.state import TenantState


def tenant(request: Request) -> TenantState:
    return request.scope["fakeopenai.tenant"]  # type: ignore[no-any-return]


def profiled(state: TenantState, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return state.profile.apply(kind, data)


def page(items: Iterable[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    data = list(items)
    return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None, "has_more": has_more}


def profiled_page(state: TenantState, kind: str, items: Iterable[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """A list envelope of already-rendered items, through the profile's ``list:<kind>`` rule."""
    return state.profile.apply(f"list:{kind}", page(items, has_more))


class Kinds:
    """A family's stored types, each with its kind (the compat profiles' name for it) and renderer.

    Usage::

        RENDER = Kinds({File: ("file", file), Batch: ("batch", batch)})
        RENDER.one(state, batch)                       # the dict the tenant's client reads
        RENDER.many(state, page.data, page.has_more, "batch")
    """

    __slots__ = ("table",)

    def __init__(self, table: dict[type, tuple[str, Callable[[Any], dict[str, Any]]]]) -> None:
        self.table = table

    def one(self, state: TenantState, obj: Any) -> dict[str, Any]:
        kind, renderer = self.table[type(obj)]
        return state.profile.apply(kind, renderer(obj))

    def many(self, state: TenantState, items: Iterable[Any], has_more: bool, kind: str) -> dict[str, Any]:
        return profiled_page(state, kind, (self.one(state, item) for item in items), has_more)


def deleted(object_id: str, kind: str) -> dict[str, Any]:
    return {"id": object_id, "object": kind, "deleted": True}


def json_response(data: Any, *, headers: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return _JSONResponse(data, status_code=status_code, headers=headers)


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))  # JSONResponse's
_RECENT_LIMIT = 512           # objects kept (then all are dropped at once)
_RECENT_MAX_BYTES = 16 * 1024  # a bigger answer is not kept: at most ~16 MB in all
_recent: dict[tuple[Any, Any], tuple[bytes, bytes]] = {}   # (object, id) -> (marshal snapshot, JSON bytes)


class _JSONResponse(JSONResponse):
    """Starlette's JSONResponse, with the bytes of the objects answered lately kept: a client polling
    an object that did not change gets them again without encoding (a snapshot of the whole content,
    compared byte for byte, says it did not change; 1 microsecond against 8 for a run)."""

    def render(self, content: Any) -> bytes:
        key = (content.get("object"), content.get("id")) if isinstance(content, dict) else None
        if key is None or not isinstance(key[1], str):
            return _ENCODER.encode(content).encode("utf-8")
        try:
            snapshot = marshal.dumps(content)
        except ValueError:   # something marshal cannot write: encode as usual
            return _ENCODER.encode(content).encode("utf-8")
        hit = _recent.get(key)
        if hit is not None and hit[0] == snapshot:
            return hit[1]
        body = _ENCODER.encode(content).encode("utf-8")
        if len(body) <= _RECENT_MAX_BYTES:
            if len(_recent) >= _RECENT_LIMIT:
                _recent.clear()
            _recent[key] = (snapshot, body)
        return body
