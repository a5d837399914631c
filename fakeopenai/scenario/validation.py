"""Scenario data against the scenario JSON Schema: a fast yes/no (jsonschema-rs), then, for an
invalid scenario only, every problem explained with its position, the allowed values and a
"did you mean" (jsonschema)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fakeopenai.scenario.problems import Path_, Positions, Problem, did_you_mean
from fakeopenai.spec.schema_branches import meant_shape


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format: the common keys and every registered family's."""
    from fakeopenai.scenario.schema import assembled

    return assembled()


def _validator() -> Any:
    from fakeopenai.core.registry import families

    return _validators(families())[1]


def _fast_validator() -> Any:
    from fakeopenai.core.registry import families

    return _validators(families())[0]


@lru_cache(maxsize=4)
def _validators(family_list: tuple[Any, ...]) -> tuple[Any, Any]:
    # One pair per set of registered families (a test may register one of its own).
    # jsonschema-rs answers "is it valid?" in well under a millisecond for a 1,000-step
    # scenario (the pure-Python validator takes ~50 ms); only an invalid scenario goes on to
    # the pure-Python validator, whose errors carry what the messages need.
    import jsonschema_rs

    schema = scenario_schema()
    return jsonschema_rs.validator_for(schema), _LazyValidator(schema)


class _LazyValidator:
    """The pure-Python validator, built (and jsonschema imported) only when a scenario is invalid."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._validator: Any = None

    def iter_errors(self, data: Any) -> Any:
        if self._validator is None:
            import jsonschema

            self._validator = jsonschema.validators.validator_for(self.schema)(self.schema)
        return self._validator.iter_errors(data)


def schema_problems(data: Any, positions: Positions) -> list[Problem]:
    problems: list[Problem] = []
    if data is None:
        data = {}
    try:
        if _fast_validator().is_valid(data):
            return problems
    except (TypeError, ValueError):
        pass  # YAML types JSON lacks (dates, say): the full validator names them

    errors = sorted(_validator().iter_errors(data), key=lambda e: positions.of(tuple(e.absolute_path)))
    for error in errors:
        problems.extend(_explain(error, positions))
    return problems


def _explain(error: Any, positions: Positions) -> list[Problem]:
    path: Path_ = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        extension = " (and any key starting with x-, which is ignored)" if "^x-" in patterns else ""
        out = []
        for key in instance:
            if key not in allowed and not any(re.search(p, str(key)) for p in patterns):
                if not allowed:
                    message = f"unknown key {key!r}; {error.message}"
                else:
                    message = (f"unknown key {key!r}; allowed keys: {', '.join(allowed)}{extension}"
                               f"{did_you_mean(key, allowed)}")
                out.append(positions.problem(path + (key,), message, key=True))
        if out:
            return out
    if kind == "enum":
        allowed = schema.get("enum", [])
        message = (f"invalid value {instance!r}; allowed values: {', '.join(map(str, allowed))}"
                   f"{did_you_mean(instance, allowed)}")
        hint = _hint(schema, instance)
        return [positions.problem(path, f"{message}; {hint}" if hint else message)]
    if kind == "required":
        missing = [k for k in schema.get("required", []) if isinstance(instance, dict) and k not in instance]
        return [positions.problem(path, f"missing required key {k!r}") for k in missing] or [
            positions.problem(path, error.message)]
    if kind == "type":
        wanted = schema.get("type")
        wanted_text = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        message = f"expected {_article(wanted_text)}, got {_describe(instance)}"
        if "minimum" in schema or "maximum" in schema:
            message = f"expected {_range(schema)}, got {_describe(instance)}"
        if "x-expected" in schema:
            message = f"expected {schema['x-expected']}, got {_describe(instance)}"
        return [positions.problem(path, message)]
    if kind in ("anyOf", "oneOf"):
        hint = schema.get("x-expected")
        meant = meant_shape(error)
        if meant is not None and meant.tag_error is not None:
            tag = meant.tag_error
            message = (f"invalid value {tag.instance!r}; allowed values: {', '.join(map(str, meant.tag_values))}"
                       f"{did_you_mean(tag.instance, meant.tag_values)}")
            return [positions.problem(tuple(tag.absolute_path), message)]
        # A mapping or a list: the problems of the shape it was meant to have (an unknown key, a
        # number out of range) say what to fix. A scalar: the union's own hint says it best.
        if meant is not None and (isinstance(instance, (dict, list)) or not hint):
            inner = [problem for sub in meant.errors for problem in _explain(sub, positions)]
            if inner:
                return inner
        return [positions.problem(path, f"expected {hint or error.message}, got {_describe(instance)}")]
    if kind in ("minimum", "maximum") and not schema.get("x-expected"):
        return [positions.problem(path, f"expected {_range(schema)}, got {_describe(instance)}")]
    if kind in ("minimum", "maximum", "minItems", "maxItems", "minProperties", "maxProperties",
                "pattern", "const"):
        hint = schema.get("x-expected")
        message = error.message if not hint else f"expected {hint}, got {_describe(instance)}"
        return [positions.problem(path, message)]
    return [positions.problem(path, error.message)]


def _hint(schema: dict[str, Any], value: Any) -> str | None:
    """What to write instead of a value the schema refuses but a user means something by: the
    schema's ``x-hints`` (``status: requires_action`` in a step: a ``tool_calls`` step)."""
    hints = schema.get("x-hints") or {}
    return hints.get(value) if isinstance(value, str) else None


def _range(schema: dict[str, Any]) -> str:
    """``an integer from 1 to 10000``, ``a number >= 0``: a bounded number's schema, in words."""
    wanted = schema.get("type")
    noun = _article(wanted if isinstance(wanted, str) else "number")
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{noun} from {low} to {high}"
    return f"{noun} >= {low}" if low is not None else f"{noun} <= {high}"


def _article(text: str) -> str:
    if " or " in text:
        return text
    return ("an " if text[:1] in "aeiou" else "a ") + text


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
