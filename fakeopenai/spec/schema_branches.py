"""Which shape of a union (a JSON Schema ``anyOf`` / ``oneOf``) a value was meant to have.

A value that fits no shape of a union gets one error from jsonschema ("is not valid under any
of the given schemas"), with each shape's own errors in ``error.context``. Most unions are a
nullable value (``number | null``) or shapes told apart by a tag (``{"type": "text", ...}``):
the value's JSON type and its tag say which shape was meant, and that shape's own error (a
bound, a missing key, an unknown key) is what the user needs to read. Used for request bodies
(``params.py``) and for scenario files (``scenario/loader.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_KIND = ("type", "enum", "const")   # failing one of these at a shape's root: the value is another kind
_TAG = ("enum", "const")            # failing one of these on a key: the value's tag names another shape


@dataclass(frozen=True, slots=True)
class Meant:
    """The errors of the one shape ``error.instance`` was meant for; or, when every shape is told
    apart by a tag key and none takes the value's tag, that key's error and every value it takes."""

    errors: list[Any] = field(default_factory=list)
    tag_error: Any = None
    tag_values: list[Any] = field(default_factory=list)


def meant_shape(error: Any) -> Meant | None:
    """For an ``anyOf`` / ``oneOf`` error: what the value was meant to be, or ``None`` when it
    cannot be told (no shape has the value's type, or several do and nothing tells them apart)."""
    shapes: dict[int, list[Any]] = {}
    for sub in error.context or ():
        if sub.relative_schema_path:
            shapes.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = {index: errors for index, errors in shapes.items()
               if not any(not e.relative_path and e.validator in _KIND for e in errors)}
    if not fitting:
        # The value has the type of a shape that lists its values ("auto" or an object): that list.
        listed = [errors for errors in shapes.values()
                  if not any(not e.relative_path and e.validator == "type" for e in errors)]
        return Meant(errors=listed[0]) if len(listed) == 1 else None
    tagged = {index: [e for e in errors if len(e.relative_path) == 1 and e.validator in _TAG]
              for index, errors in fitting.items()}
    untagged = {index: errors for index, errors in fitting.items() if not tagged[index]}
    if untagged:
        fitting = untagged
    elif isinstance(error.instance, dict) and len({errors[0].relative_path[0] for errors in tagged.values()}) == 1:
        values: list[Any] = []
        for errors in tagged.values():
            first = errors[0]
            for value in first.validator_value if first.validator == "enum" else [first.validator_value]:
                if value not in values:
                    values.append(value)
        return Meant(tag_error=next(iter(tagged.values()))[0], tag_values=values)
    if len(fitting) != 1:
        return None
    return Meant(errors=next(iter(fitting.values())))


def expected_types(error: Any) -> list[str] | None:
    """The JSON types a union takes, when the value has none of them (every shape fails on its type)."""
    shapes: dict[int, list[Any]] = {}
    for sub in error.context or ():
        if sub.relative_schema_path:
            shapes.setdefault(sub.relative_schema_path[0], []).append(sub)
    types: list[str] = []
    for errors in shapes.values():
        kind = next((e for e in errors if not e.relative_path and e.validator == "type"), None)
        if kind is None:
            return None
        for name in kind.validator_value if isinstance(kind.validator_value, list) else [kind.validator_value]:
            if name not in types:
                types.append(name)
    return types or None
