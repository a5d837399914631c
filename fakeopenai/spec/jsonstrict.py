"""Strict JSON: what RFC 8259 allows and nothing more.

Python's ``json.loads`` also takes ``NaN``, ``Infinity``, numbers past a double (as
``inf``) and unpaired surrogate escapes; stored, any of them makes every later answer
that includes it a 500. Request bodies and batch input lines are read with
:func:`loads_strict`, which refuses them with a ``ValueError`` (and nesting too deep for
the parser with a ``RecursionError``).
"""

from __future__ import annotations

import json
import math
from typing import Any


def loads_strict(raw: bytes) -> Any:
    """``json.loads`` as strict as RFC 8259: no ``NaN``/``Infinity`` and no number too large for a double
    (Python accepts them or makes them ``inf``, and a stored one made every later answer of the tenant
    a 500) and no unpaired surrogate escapes (``"\\ud800"``
    cannot be encoded back into the UTF-8 answer). Nesting too deep for the parser is a RecursionError."""
    if not isinstance(raw, (bytes, bytearray)):   # (a tuple: ``bytes | bytearray`` makes a union a call)
        return json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    if _fast_loads is not None and _LONG_RUN not in raw.translate(_DIGITS_AS_ZEROS):
        try:
            return _fast_loads(raw)
        except ValueError:   # orjson's refusal: the standard parser below says what the fake always said
            pass
    body = _STRICT.decode(decode_json_bytes(raw))
    if b"\\u" in raw:
        _check_strings(body)
    return body


def decode_json_bytes(raw: bytes) -> str:
    """JSON bytes as text, exactly as ``json.loads`` decodes them (UTF-8, -16 or -32 by their
    first bytes), without its per-call overhead for the usual ``{...`` in UTF-8."""
    if raw[:1] == b"{" and raw[1:2] != b"\x00":
        return raw.decode("utf-8", "surrogatepass")
    return raw.decode(json.detect_encoding(raw), "surrogatepass")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("unpaired surrogate escape in a string") from None
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# orjson parses as strictly as RFC 8259 (no NaN, no infinite number, no unpaired surrogate, UTF-8 only)
# in a tenth of the time; what it refuses, or reads otherwise (an integer past 64 bits becomes a float,
# so a run of 19 digits goes to the standard parser; a byte order mark it refuses), is left to the
# standard parser, which gives the fake's usual answer.
# The run is found as 19 zeros in the body with every digit made a zero and every other byte a space: a
# translation and a search in C (a third of what the regular expression ``[0-9]{19}`` takes on a small body).
_LONG_RUN = b"0" * 19
_DIGITS_AS_ZEROS = bytes(ord("0") if ord("0") <= byte <= ord("9") else ord(" ") for byte in range(256))
_fast_loads: Any
try:
    from orjson import loads as _fast_loads
except ImportError:  # a dependency; without it the standard parser reads everything
    _fast_loads = None

# One decoder for every call (json.loads with hooks builds a new one per call).
_STRICT = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
