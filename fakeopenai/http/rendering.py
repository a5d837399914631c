"""What every handler needs: the tenant, rendering through its compat profile, JSON out.

A family renders its objects to dicts (its ``render.py``, in the official schema's field
order) and hands them here with their kind (``run``, ``batch``): the tenant's compat profile
gets the last word (:meth:`~fakeopenai.core.compat.profiles.Profile.apply`).
"""

from __future__ import annotations

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
    ``1.5e-7`` for ``1.5e-07``; ``1e16`` for ``1e+16`` before orjson 3.12: not used then), NaN and infinities
    (``null``, where ``json`` raises), and types ``json`` refuses (dataclasses, dates, enums, UUIDs) or
    writes its own way (subclasses of str, int, dict, list; non-string keys; integers past 64 bits,
    which orjson refuses). So: orjson's output is used only if it has no number in exponent form and
    no ``0.0000`` (a string holding such text only costs the fallback), orjson took every value as it
    is (the other types are passed to ``_refuse``), and reading it back gives ``content`` again (a NaN
    read back is None; a tuple, written as an array by both, reads back as a list and takes the
    fallback). tests/test_rendering.py holds the survey of floats and characters this rests on."""
    try:
        out = _orjson_dumps(content, default=_refuse, option=_ORJSON_OPTIONS)
    except TypeError:   # orjson.JSONEncodeError: a type, key, integer or string it does not take as json does
        pass
    else:
        if b"0.0000" not in out and not _exponent(out) and _orjson_loads(out) == content:
            return out
    return _ENCODER.encode(content).encode("utf-8")


def _exponent(out: bytes) -> bool:
    """Whether ``out`` has a number in exponent form: a digit, ``e``, then ``-`` or ``+``. Found from the
    signs, which are rare in an answer (``e`` is common, so finding ``e-`` stops at every ``e``; a regular
    expression takes microseconds to say; ``file-`` ids have ``e-`` too, hence the look at the digit).
    (Searching ``e-`` and ``e+`` first costs more: a two-byte search walks the bytes, a one-byte one is memchr.)"""
    for sign in (45, 43):   # "-", "+"
        at = out.find(sign, 2)
        while at >= 0:
            if out[at - 1] == 101 and 48 <= out[at - 2] <= 57:   # "e" after a digit
                return True
            at = out.find(sign, at + 1)
    return False


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


_orjson_dumps: Callable[..., bytes]
_orjson_loads: Callable[[Any], Any]
try:
    import orjson
except ImportError:  # a dependency; without it, the standard library's encoder does all the work
    def _orjson_dumps(content: Any, **options: Any) -> bytes:
        raise TypeError("orjson is not installed")

    _orjson_loads = json.loads
    _ORJSON_OPTIONS = 0
else:
    _orjson_dumps = orjson.dumps
    _orjson_loads = orjson.loads
    _ORJSON_OPTIONS = (orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
                       | orjson.OPT_PASSTHROUGH_DATETIME)
    # Releases before 3.12 wrote exponents without a sign (1e16), which _exponent would not see: such an
    # orjson is not used at all.
    if any(orjson.dumps(probe) != json.dumps(probe).encode() for probe in (1e16, 1e22, 1.5e300, 5e-324)):
        def _orjson_dumps(content: Any, **options: Any) -> bytes:
            raise TypeError("this orjson writes exponents its own way")


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
