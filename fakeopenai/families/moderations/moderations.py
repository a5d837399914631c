"""The Moderations engine (no HTTP): one request body in, the answer's dict out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.family import BatchLines
from fakeopenai.core.ids import derived_id
from fakeopenai.core.known_models import check_model
from fakeopenai.families.moderations.scenario import NAME, ModerationEntry
from fakeopenai.families.moderations.scores import moderation_result

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

DEFAULT_MODEL = "omni-moderation-latest"


def inputs_of(value: Any) -> list[Any]:
    """One item per result: a string, or one multimodal input (the list of its parts)."""
    if isinstance(value, list) and not any(isinstance(item, dict) for item in value):
        return value
    return [value]


def text_of(item: Any) -> str:
    if isinstance(item, str):
        return item
    return " ".join(part.get("text", "") for part in item if isinstance(part, dict) and part.get("type") == "text")


def _entry_for(entries: tuple[ModerationEntry, ...], item: Any) -> ModerationEntry | None:
    text = text_of(item)
    return next((e for e in entries if e.input is None or e.input.test(text)), None)


def create_moderation(state: TenantState, body: dict[str, Any], *, moderation_id: str | None = None) -> dict[str, Any]:
    check_model(state, body.get("model"))
    entries: tuple[ModerationEntry, ...] = state.scenario.parts.get(NAME, ())
    results = []
    for item in inputs_of(body["input"]):
        result = moderation_result(item)
        entry = _entry_for(entries, item)
        if entry is not None:
            state.record_entry_use(entry)
            result["category_scores"].update(entry.scores)
            for name, score in entry.categories.items():
                result["categories"][name] = True
                result["category_scores"][name] = score
            result["flagged"] = any(result["categories"].values())
        results.append(result)
    return {"id": moderation_id or state.ids.new("modr-"), "model": body.get("model") or DEFAULT_MODEL,
            "results": results}


def batch_answerer(state: TenantState, endpoint: str) -> BatchLines | None:
    """``/v1/moderations`` batch lines answered as ``POST /moderations`` answers them (the
    ``Family.batch_answerer`` hook): the same scores, flagged for an input a ``moderations:`` entry
    matches. A batch script's ``content`` is the line's input."""
    if endpoint != "/v1/moderations":
        return None
    entries: tuple[ModerationEntry, ...] = state.scenario.parts.get(NAME, ())

    def answer(body: dict[str, Any], key: str, created: int, content: str | None) -> tuple[int, dict[str, Any]]:
        line = body if content is None else {**body, "input": content}
        if not all(isinstance(item, (str, list)) for item in inputs_of(line.get("input"))):
            error = InvalidRequestError("Invalid type for 'input': expected a string, an array of strings, or an "
                                        "array of multimodal inputs.", param="input", code="invalid_type")
            return error.status_code, error.to_dict()
        return 200, create_moderation(state, line, moderation_id=derived_id("modr-", key))

    return BatchLines(answer=answer, pure=not entries, required=("input",))
