"""The generated moderation results: unflagged, small scores fixed by a hash of the input (the same for
``POST /moderations`` and a batch line, since both are answered by this family)."""

from __future__ import annotations

import json
import zlib
from typing import Any

MODERATION_CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                         "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent", "sexual",
                         "sexual/minors", "violence", "violence/graphic")
# The live API's applied input types: image-capable categories list both once images are sent.
_TEXT_ONLY = frozenset({"harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                        "illicit/violent", "sexual/minors"})


def moderation_result(item: Any) -> dict[str, Any]:
    """One unflagged moderation result for one input (a string, or a list of multimodal parts):
    small scores fixed by a hash of the input, every category of the spec."""
    has_image = isinstance(item, list) and any(isinstance(p, dict) and p.get("type") == "image_url" for p in item)
    seed = zlib.crc32(json.dumps(item).encode())
    return {
        "flagged": False, "categories": {name: False for name in MODERATION_CATEGORIES},
        "category_scores": {name: ((seed >> (i % 24)) % 997 + 1) / 1e6 for i, name in enumerate(MODERATION_CATEGORIES)},
        "category_applied_input_types": {
            name: ["text"] if name in _TEXT_ONLY or not has_image else ["text", "image"]
            for name in MODERATION_CATEGORIES},
    }
