"""Seeded identifiers with the real API's prefixes.

Each tenant owns one :class:`IdFactory`; the same seed and the same sequence of
requests give the same ids, across processes (``random.Random`` seeded with a
string is stable across Python versions and runs, unlike ``hash()``).
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Callable

_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24
_SIZE = float(len(_ALPHABET))
_DRAWS = range(ID_LENGTH)


class IdFactory:
    """Makes ``asst_…``, ``run_…``, ``file-…`` ids from one seeded generator.

    >>> ids = IdFactory(seed=7)
    >>> ids.new("run_")   # doctest: +SKIP
    'run_4gQ0…'
    """

    __slots__ = ("_random", "_seen")

    def __init__(self, seed: int | str = 0) -> None:
        self._random = random.Random(f"fakeopenai-ids-{seed}")
        self._seen: set[str] = set()

    def new(self, prefix: str) -> str:
        # random.choices(_ALPHABET, k=ID_LENGTH), inlined: the same draws (floor(random() * 62.0)) and so
        # the same ids, without its per-call set-up.
        draw = self._random.random
        while True:
            candidate = prefix + "".join([_ALPHABET[int(draw() * _SIZE)] for _ in _DRAWS])
            if candidate not in self._seen:
                self._seen.add(candidate)
                return candidate

    def reserve(self, object_id: str) -> None:
        """Record an id pinned by a scenario so it is never generated again."""
        self._seen.add(object_id)


# Maps every byte to a letter or digit, so a digest becomes an id in one C call.
_BYTE_TO_CHAR = bytes(ord(_ALPHABET[i % len(_ALPHABET)]) for i in range(256))


def request_id(counter: int, seed: int | str) -> str:
    """A deterministic ``req_…`` id from the tenant's seed and request number.

    Every response carries one, so it is a hash (about a microsecond), not a freshly
    seeded generator (tens of microseconds).
    """
    digest = hashlib.blake2b(f"{seed}:{counter}".encode(), digest_size=32).digest()
    return "req_" + digest.translate(_BYTE_TO_CHAR).decode("ascii")


def derived_id(prefix: str, key: str, length: int = ID_LENGTH) -> str:
    """A random-looking id that is a pure function of ``key``: ids inside a batch's output lines.

    Those are made by the tens of thousands at once, so they do not draw from the tenant's
    :class:`IdFactory` (whose set of issued ids would grow by one per line).
    """
    return prefix + hashlib.blake2b(key.encode(), digest_size=length).digest().translate(_BYTE_TO_CHAR).decode("ascii")


def derived_ids(prefix: str, key_prefix: str, length: int = ID_LENGTH) -> Callable[[bytes], str]:
    """:func:`derived_id` for many keys that share ``key_prefix``: ``make(rest)`` is
    ``derived_id(prefix, key_prefix + rest.decode(), length)``, with the prefix hashed once."""
    base = hashlib.blake2b(key_prefix.encode(), digest_size=length)
    copy = base.copy

    def make(rest: bytes) -> str:
        hasher = copy()
        hasher.update(rest)
        return prefix + hasher.digest().translate(_BYTE_TO_CHAR).decode("ascii")

    return make
