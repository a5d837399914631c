"""The Moderations family's part of the scenario format: ``moderations:``, flagged categories
and their scores for the inputs an entry matches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Built, package_json
from fakeopenai.families.moderations.scores import MODERATION_CATEGORIES
from fakeopenai.scripting.matching import TextMatch

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

NAME = "moderations"


@dataclass(frozen=True, slots=True)
class ModerationEntry:
    index: int
    input: TextMatch | None
    categories: dict[str, float]        # flagged, with their scores
    scores: dict[str, float]            # scores only (not flagged)
    line: int | None = None
    column: int | None = None

    key = NAME   # how a strict teardown names an entry no request used: moderations[0]

    @property
    def name(self) -> str:
        return f"{NAME}[{self.index}]"


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    entries = []
    positions = builder.positions.item_positions((NAME,))
    for index, item in enumerate(data.get("moderations") or []):
        path = ("moderations", index)
        match = item.get("match") or {}
        builder.check_regex(path + ("match", "input"), match.get("input"))
        categories = item.get("categories") or {}
        if isinstance(categories, list):
            categories = dict.fromkeys(categories, 0.9)
        for key in ("categories", "scores"):
            for name in (categories if key == "categories" else item.get("scores") or {}):
                if name not in MODERATION_CATEGORIES:
                    builder.error(path + (key, name), f"unknown category {name!r}; the categories are "
                                  + ", ".join(MODERATION_CATEGORIES), key=True)
        entries.append(ModerationEntry(index=index, input=builder.text_match(match.get("input")),
                                       categories={k: float(v) for k, v in categories.items()},
                                       scores={k: float(v) for k, v in (item.get("scores") or {}).items()},
                                       line=builder.nth(positions, index)[0], column=builder.nth(positions, index)[1]))
    return Built(part=tuple(entries), entries=tuple(entries)) if entries else Built()
