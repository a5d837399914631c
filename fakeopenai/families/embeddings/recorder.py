"""Recorded ``POST /v1/embeddings`` exchanges to ``embeddings:`` entries (the family's ``Family.recorder``):
each text input's vector, as a scripted entry."""

from __future__ import annotations

import base64
import struct
from typing import Any

from fakeopenai.record.convert.common import Converter, ConvertOptions
from fakeopenai.record.exchange import Exchange


def _float32s(text: str) -> list[float]:
    raw = base64.b64decode(text)
    return [float(x) for x in struct.unpack(f"<{len(raw) // 4}f", raw)]


class EmbeddingsConverter(Converter):
    """``POST /v1/embeddings``: each text input's vector, as a scripted entry (first one wins)."""

    key = "embeddings"

    def __init__(self) -> None:
        self.vectors: dict[tuple[Any, str], list[float]] = {}

    def feed(self, ex: Exchange) -> bool:
        if ex.path != "/v1/embeddings":
            return False
        request = ex.request_json() or {}
        answer = ex.response_json() or {}
        inputs = request.get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs if isinstance(inputs, list) else []
        for item in answer.get("data") or []:
            index = item.get("index", 0)
            if index < len(inputs) and isinstance(inputs[index], str):
                vector = item.get("embedding")
                vector = _float32s(vector) if isinstance(vector, str) else vector
                self.vectors.setdefault((request.get("model"), inputs[index]), vector)
        return True

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        if options.embeddings == "generated":
            return []
        return [{"match": {"input": {"equals": text}, **({"model": model} if isinstance(model, str) else {})},
                 "vector": vector} for (model, text), vector in self.vectors.items()]
