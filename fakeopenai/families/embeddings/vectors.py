"""The generated embeddings: a deterministic unit vector per model and input (the same for
``POST /embeddings`` and a batch line, since both are answered by this family)."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
from array import array
from typing import Any

from fakeopenai.spec.generate import content_words


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
MAX_EMBEDDING_DIMENSIONS = 4096   # for a model whose size the fake does not know


def embedding_dimensions(model: str, dimensions: Any = None) -> int:
    """The length of an embedding: the request's ``dimensions``, else the model's native size. Never
    more than the model has (the Embeddings API answers a larger value with a 400 first; a batch
    line gets the model's size rather than a vector nobody could store)."""
    native = EMBEDDING_DIMENSIONS.get(model, DEFAULT_EMBEDDING_DIMENSIONS)
    if isinstance(dimensions, int) and not isinstance(dimensions, bool) and dimensions > 0:
        return min(dimensions, native if model in EMBEDDING_DIMENSIONS else MAX_EMBEDDING_DIMENSIONS)
    return native


def embedding_vector(model: str, item: Any, dimensions: int) -> list[float]:
    """The generated embedding of one input (a string or a token array): the same for the
    Embeddings API, a batch line and a vector store's chunks (``registry.embed``), a pure function of the
    model and the input.

    A text's vector is mostly a bag of its words (each content word, lower-cased and without a plural
    ``s``, adds a few signed components fixed by a hash of the model and the word; repeats count
    less), plus a little of a direction fixed by the whole text: texts that share words are near
    (so a vector store's search ranks the passage that shares a query's words first), different
    texts never equal. A text with no content words, or a token array, is that direction alone."""
    own = unit_vector(f"{model}|{json.dumps(item)}", dimensions)
    words = content_words(item) if isinstance(item, str) else {}
    if not words:
        return own
    bag = [0.0] * dimensions
    for word, count in words.items():
        weight = 1.0 + math.log(count)
        digest = hashlib.blake2b(f"{model}|{word}".encode(), digest_size=4 * _WORD_FEATURES).digest()
        for at in range(0, len(digest), 4):
            slot = int.from_bytes(digest[at:at + 4], "little")
            bag[(slot >> 1) % dimensions] += weight if slot & 1 else -weight
    norm = math.sqrt(math.fsum(x * x for x in bag)) or 1.0
    mixed = [_BAG_WEIGHT * b / norm + _OWN_WEIGHT * o for b, o in zip(bag, own, strict=True)]
    total = math.sqrt(math.fsum(x * x for x in mixed)) or 1.0
    return [x / total for x in mixed]


_WORD_FEATURES = 4            # signed components per word: few enough that unrelated words rarely meet
_BAG_WEIGHT, _OWN_WEIGHT = 0.95, 0.3


def encode_embedding(vector: list[float], encoding_format: Any) -> Any:
    """``vector`` as the API sends it: a list of floats, or for ``base64`` little-endian float32
    bytes in base64 (what both SDKs ask for by default and decode)."""
    if encoding_format != "base64":
        return vector
    packed = array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode()
