"""The Models family's part of the scenario format: ``models:``, the models the API lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Built, package_json

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

NAME = "models"
# What GET /v1/models lists (and unknown_models: error accepts) when the scenario has no models: list.
DEFAULT_MODELS = ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o",
                  "gpt-4o-mini", "o3", "o3-mini", "o4-mini", "text-embedding-3-small", "text-embedding-3-large",
                  "text-embedding-ada-002", "omni-moderation-latest", "text-moderation-latest")
CREATED = 1_700_000_000          # 2023-11-14: a fixed `created` for every listed model


@dataclass(frozen=True, slots=True)
class ModelEntry:
    id: str
    owned_by: str = "system"
    created: int = CREATED


def default_owner(model_id: str) -> str:
    return "openai" if model_id.startswith(("text-embedding-ada", "text-moderation")) else "system"


DEFAULT = tuple(ModelEntry(id=m, owned_by=default_owner(m)) for m in DEFAULT_MODELS)


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    if "models" not in data:
        return Built()
    entries: list[ModelEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(data.get("models") or []):
        item = {"id": item} if isinstance(item, str) else item
        if item["id"] in seen:
            builder.error(("models", index), f"model {item['id']!r} is listed twice")
        seen.add(item["id"])
        entries.append(ModelEntry(id=item["id"], owned_by=item.get("owned_by", default_owner(item["id"])),
                                  created=item.get("created", CREATED)))
    return Built(part=tuple(entries))
