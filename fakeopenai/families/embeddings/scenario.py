"""The Embeddings family's part of the scenario format: ``embeddings:``, scripted vectors for
the inputs an entry matches (a fixed ``vector``, or ``similar_to`` another text at a cosine
``similarity``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Built, package_json
from fakeopenai.scripting.matching import TextMatch

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

NAME = "embeddings"


@dataclass(frozen=True, slots=True)
class EmbeddingEntry:
    index: int
    input: TextMatch | None                 # None: every text input
    model: str | None = None
    vector: tuple[float, ...] | None = None
    similar_to: str | None = None
    similarity: float = 1.0
    line: int | None = None
    column: int | None = None

    key = NAME   # how a strict teardown names an entry no request used: embeddings[0]

    @property
    def name(self) -> str:
        return f"{NAME}[{self.index}]"


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    entries = []
    positions = builder.positions.item_positions((NAME,))
    for index, item in enumerate(data.get("embeddings") or []):
        path = ("embeddings", index)
        match = item.get("match") or {}
        builder.check_regex(path + ("match", "input"), match.get("input"))
        if ("vector" in item) == ("similar_to" in item):
            builder.error(path, "an embeddings entry needs exactly one of vector or similar_to")
        if "similarity" in item and "similar_to" not in item:
            builder.error(path + ("similarity",), "similarity goes with similar_to (the text to be similar to)",
                          key=True)
        vector = item.get("vector")
        if vector is not None and not any(vector):
            builder.error(path + ("vector",), "a vector needs at least one component that is not 0 "
                          "(it is normalized to length 1)")
        entries.append(EmbeddingEntry(
            index=index, input=builder.text_match(match.get("input")), model=match.get("model"),
            vector=tuple(float(x) for x in vector) if vector is not None else None,
            similar_to=item.get("similar_to"), similarity=float(item.get("similarity", 1.0)),
            line=builder.nth(positions, index)[0], column=builder.nth(positions, index)[1]))
    return Built(part=tuple(entries), entries=tuple(entries)) if entries else Built()
