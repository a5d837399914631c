"""Recorded ``POST /v1/moderations`` exchanges to ``moderations:`` entries (the family's
``Family.recorder``): each text input's flagged categories and scores."""

from __future__ import annotations

from typing import Any

from fakeopenai.record.convert.common import Converter, ConvertOptions
from fakeopenai.record.exchange import Exchange


class ModerationsConverter(Converter):
    """``POST /v1/moderations``: each text input's flagged categories and scores."""

    key = "moderations"

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

    def feed(self, ex: Exchange) -> bool:
        if ex.path != "/v1/moderations":
            return False
        request = ex.request_json() or {}
        inputs = request.get("input")
        if isinstance(inputs, str):
            texts = [inputs]
        elif isinstance(inputs, list) and inputs and all(isinstance(i, dict) for i in inputs):
            texts = [" ".join(i.get("text", "") for i in inputs if i.get("type") == "text")]
        else:
            texts = inputs if isinstance(inputs, list) else []
        for text, result in zip(texts, (ex.response_json() or {}).get("results") or [], strict=False):
            if not isinstance(text, str) or text in self.results:
                continue
            flagged = {k: v for k, v in (result.get("categories") or {}).items() if v}
            scores = result.get("category_scores") or {}
            entry: dict[str, Any] = {"match": {"input": {"equals": text}}}
            if flagged:
                entry["categories"] = {k: scores.get(k, 0.9) for k in flagged}
            rest = {k: v for k, v in scores.items() if k not in flagged}
            if rest:
                entry["scores"] = rest
            self.results[text] = entry
        return True

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        return list(self.results.values())
