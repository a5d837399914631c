"""What every handler needs: the tenant, rendering through its compat profile, JSON out.

A family renders its objects to dicts (its ``render.py``, in the official schema's field
order) and hands them here with their kind (``run``, ``batch``): the tenant's compat profile
gets the last word (:meth:`~fakeopenai.core.compat.profiles.Profile.apply`).
"""

from __future__ import annotations

import gc
import json
import marshal
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def tenant(request: Request) -> TenantState:
    return request.scope["fakeopenai.tenant"]


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


def dumps(content: Any) -> bytes:
    """``content`` as JSONResponse writes it (compact, UTF-8, no NaN), byte for byte, encoded by orjson
    (a microsecond for a run, against 8 for the standard library's encoder) when that is provably the
    same; else by the standard library's encoder, which also raises what it always raised.

    orjson differs from ``json`` on: floats in exponent form or below 1e-4 (``0.00001`` for ``1e-05``,
    ``1.5e-7`` for ``1.5e-07``), NaN and infinities (``null``, where ``json`` raises), and types ``json``
    refuses (dataclasses, dates, enums, UUIDs, ``orjson.Fragment``) or writes its own way (subclasses of
    str, int, dict, list; non-string keys; integers past 64 bits, which orjson refuses). So orjson's
    output is used only if orjson took every value as it is (the types it would pass on are given to
    ``_refuse``) and :func:`_written_alike` finds in ``content`` nothing but the types both write alike
    and floats both write alike. tests/test_rendering.py holds the survey of floats and characters this
    rests on, and checks each fact about orjson it relies on."""
    try:
        out = _orjson_dumps(content, default=_refuse, option=_ORJSON_OPTIONS)
    except TypeError:   # orjson.JSONEncodeError: a type, key, integer, string or depth it does not take as json does
        pass
    else:
        if _written_alike(content):
            return out
    return _ENCODER.encode(content).encode("utf-8")


_ALIKE_TYPES = frozenset({dict, list, tuple, str, int, bool, type(None)})   # exactly these; no subclass
_items = gc.get_referents


def _written_alike(content: Any) -> bool:
    """Whether ``content``, which orjson has just written, holds only what orjson writes as ``json`` does:
    dicts, lists, tuples, strings, integers, booleans and None of exactly those types, and floats that
    both write in the same digits (finite, zero or 1e-4 <= |x| < 1e16: where ``json`` has no exponent).

    Walked a level at a time, the types of a whole level checked in C at once (a level with a float is
    looked at value by value): about 21 k instructions for a chat completion, where orjson reading its
    output back and comparing it with ``content``, with the searches for exponents, cost 38 k (a walk
    object by object in Python: 25-34 k). ``gc.get_referents`` of exact dicts, lists and tuples is their
    items (a dict's values; its keys too unless all are exact strings), of strings and numbers nothing;
    a level is only gone into once its types are known to be these. Dict keys need no look: orjson
    refuses any key that is not exactly a string. The walk ends: orjson refuses a cycle and nesting
    past 254 levels. tests/test_rendering.py checks each of these facts."""
    level = [content]
    while level:
        if not _ALIKE_TYPES.issuperset(map(type, level)):   # a float, or a type orjson writes its own way
            for value in level:
                kind = type(value)
                if kind is float:
                    if not (1e-4 <= abs(value) < 1e16 or value == 0.0):   # NaN and infinities fail both
                        return False
                elif kind not in _ALIKE_TYPES:
                    return False
        level = _items(*level)
    return True


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


_orjson_dumps: Callable[..., bytes]
try:
    import orjson
except ImportError:  # a dependency; without it, the standard library's encoder does all the work
    def _orjson_dumps(content: Any, **options: Any) -> bytes:
        raise TypeError("orjson is not installed")

    _ORJSON_OPTIONS = 0
else:
    _orjson_dumps = orjson.dumps
    _ORJSON_OPTIONS = (orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
                       | orjson.OPT_PASSTHROUGH_DATETIME)
    # A release that writes a float of the range _written_alike lets through otherwise than json (none is
    # known; tests/test_rendering.py surveys the range) is not used at all.
    if any(orjson.dumps(probe) != json.dumps(probe).encode()
           for probe in (1e-4, 0.1, 0.3, 2.5, 123.456, 1.2345678901234567, 1e15 + 0.5, 9999999999999998.0)):
        def _orjson_dumps(content: Any, **options: Any) -> bytes:
            raise TypeError("this orjson writes floats its own way")


_RECENT_LIMIT = 512           # objects kept (then all are dropped at once)
_RECENT_MAX_BYTES = 16 * 1024  # a bigger answer is not kept: at most ~16 MB in all
_recent: dict[tuple[Any, Any], tuple[bytes, bytes]] = {}   # (object, id) -> (marshal snapshot, JSON bytes)
_SEEN_LIMIT = 4096            # objects answered once, remembered (then all are forgotten at once)
_seen_once: set[tuple[Any, Any]] = set()   # (object, id) answered once: the next answer of it is kept


class _JSONResponse(JSONResponse):
    """Starlette's JSONResponse, encoded by :func:`dumps`, with the bytes of the objects answered lately
    kept: a client polling an object that did not change gets them again without encoding (a snapshot
    of the whole content, compared byte for byte, says it did not change: about a microsecond for a
    run, against four for orjson and its checks, or eight for the standard library's encoder).

    An object is kept from its second answer on: most objects are answered once (a chat completion, a
    Responses create), and their snapshot would cost more than their encoding saves."""

    def __init__(self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None,
                 media_type: str | None = None, background: BackgroundTask | None = None) -> None:
        """Starlette's ``Response.__init__`` (``JSONResponse``'s only passes its arguments on), with the headers
        of an answer that has a body and no headers of its own made directly; the general case goes through
        Starlette's ``init_headers`` (tests/test_rendering.py compares the two)."""
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        body = self.body = self.render(content)
        if headers is None and media_type is None and status_code >= 200 and status_code not in (204, 304):
            self.raw_headers = [(b"content-length", str(len(body)).encode("latin-1")),
                                (b"content-type", b"application/json")]
        else:
            self.init_headers(headers)

    def render(self, content: Any) -> bytes:
        key = (content.get("object"), content.get("id")) if isinstance(content, dict) else None
        if key is None or not isinstance(key[1], str):
            return dumps(content)
        hit = _recent.get(key)
        if hit is None and key not in _seen_once:
            if len(_seen_once) >= _SEEN_LIMIT:
                _seen_once.clear()
            _seen_once.add(key)
            return dumps(content)
        try:
            snapshot = marshal.dumps(content)
        except ValueError:   # something marshal cannot write: encode as usual
            return dumps(content)
        if hit is not None and hit[0] == snapshot:
            return hit[1]
        body = dumps(content)
        if len(body) <= _RECENT_MAX_BYTES:
            if len(_recent) >= _RECENT_LIMIT:
                _recent.clear()
            _recent[key] = (snapshot, body)
        return body
