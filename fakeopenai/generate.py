"""Deterministic generated content: text from Faker, token counts, vectors.

Every function takes a ``key`` (the scenario seed plus the object's identity), so
the same scenario and requests give the same text in every process. One Faker
instance is shared; it is re-seeded per call under a lock because seeding and
drawing must not interleave between threads.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
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


_WORD = re.compile(r"\s*\S+")


def split_words(text: str, per_chunk: int) -> list[str]:
    """Deterministic chunks of ``per_chunk`` words whose concatenation is ``text``."""
    words = _WORD.findall(text)
    chunks = ["".join(words[i:i + per_chunk]) for i in range(0, len(words), per_chunk)]
    rest = text[len("".join(words)):]
    if rest:
        chunks.append(rest) if not chunks else chunks.__setitem__(-1, chunks[-1] + rest)
    return chunks or [text]
