"""Deterministic generated content: text from Faker, token counts, vectors.

Every function takes a ``key`` (the scenario seed plus the object's identity), so
the same scenario and requests give the same text in every process. One Faker
instance is shared; it is re-seeded per call under a lock because seeding and
drawing must not interleave between threads.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import sys
import threading
import zlib
from array import array
from functools import lru_cache
from typing import Any

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _faker() -> Any:
    from faker import Faker

    return Faker("en_US")


def sentence_text(key: str, words: int = 12) -> str:
    """About ``words`` words of English-looking text, as sentences."""
    fake = _faker()
    with _lock:
        fake.seed_instance(key)
        parts: list[str] = []
        count = 0
        while count < words:
            take = min(max(3, words - count), 12)
            sentence = fake.sentence(nb_words=take, variable_nb_words=False)
            parts.append(sentence)
            count += len(sentence.split())
    return " ".join(parts)


def count_tokens(text: str) -> int:
    """A stable token estimate: about four characters a token, at least one per word."""
    if not text:
        return 0
    return max(len(text.split()), math.ceil(len(text) / 4))


def unit_vector(key: str, dimensions: int) -> list[float]:
    """A deterministic unit vector from a hash of ``key`` (for embeddings): one SHAKE-256
    call gives every component, so a 1,536-dimension vector costs microseconds."""
    raw = array("i")
    raw.frombytes(hashlib.shake_256(key.encode()).digest(4 * dimensions))
    norm = math.sqrt(math.fsum(float(x) * x for x in raw)) or 1.0
    return [x / norm for x in raw]


EMBEDDING_DIMENSIONS = {"text-embedding-3-large": 3072, "text-embedding-3-small": 1536,
                        "text-embedding-ada-002": 1536}
DEFAULT_EMBEDDING_DIMENSIONS = 1536


def embedding_dimensions(model: str, dimensions: Any = None) -> int:
    """The length of an embedding: the request's ``dimensions``, else the model's native size."""
    if isinstance(dimensions, int) and not isinstance(dimensions, bool) and dimensions > 0:
        return dimensions
    return EMBEDDING_DIMENSIONS.get(model, DEFAULT_EMBEDDING_DIMENSIONS)


def embedding_vector(model: str, item: Any, dimensions: int) -> list[float]:
    """The generated embedding of one input (a string or a token array): the same for the
    Embeddings API and a batch line, a pure function of the model and the input."""
    return unit_vector(f"{model}|{json.dumps(item)}", dimensions)


def encode_embedding(vector: list[float], encoding_format: Any) -> Any:
    """``vector`` as the API sends it: a list of floats, or for ``base64`` little-endian float32
    bytes in base64 (what both SDKs ask for by default and decode)."""
    if encoding_format != "base64":
        return vector
    packed = array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode()


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


_WORD = re.compile(r"\s*\S+")


def split_words(text: str, per_chunk: int) -> list[str]:
    """Deterministic chunks of ``per_chunk`` words whose concatenation is ``text``."""
    words = _WORD.findall(text)
    chunks = ["".join(words[i:i + per_chunk]) for i in range(0, len(words), per_chunk)]
    rest = text[len("".join(words)):]
    if rest:
        chunks.append(rest) if not chunks else chunks.__setitem__(-1, chunks[-1] + rest)
    return chunks or [text]
