"""Seeded identifiers with the real API's prefixes.

Each tenant owns one :class:`IdFactory`; the same seed and the same sequence of
requests give the same ids, across processes and Python versions: an id is a
BLAKE2 hash of the seed and its number, its bytes mapped to letters and digits.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable
from typing import Any

_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24
# Maps every byte to a letter or digit, so a digest becomes an id in one C call.
_BYTE_TO_CHAR = bytes(ord(_ALPHABET[i % len(_ALPHABET)]) for i in range(256))


class IdFactory:
    """Makes ``asst_…``, ``run_…``, ``file-…`` ids: the n-th is a hash of the seed and n.

    >>> ids = IdFactory(seed=7)
    >>> ids.new("run_")   # doctest: +SKIP
    'run_4gQ0…'

    (Until December 2026 they were drawn from a ``random.Random`` seeded with the seed: the same ids run after
    run too, but 24 draws cost about 20 microseconds an id on this project's machine; a hash, 2.)
    """

    __slots__ = ("_base", "_count", "_reserved")

    def __init__(self, seed: int | str = 0) -> None:
        self._base = hashlib.blake2b(f"fakeopenai-ids-{seed}:".encode(), digest_size=ID_LENGTH)
        self._count = 0
        # Only the ids made elsewhere (a scenario's, an unknown id's) are kept: two generated ids are two
        # numbers' hashes, 24 characters of 62, and do not repeat. Keeping every generated id cost a set
        # growing by one a request, walked by each of the garbage collector's full passes.
        self._reserved: set[str] = set()

    def new(self, prefix: str) -> str:
        reserved = self._reserved
        while True:
            count = self._count = self._count + 1
            hasher = self._base.copy()
            hasher.update(count.to_bytes(8, "little"))
            candidate = prefix + hasher.digest().translate(_BYTE_TO_CHAR).decode("ascii")
            if candidate not in reserved:
                return candidate

    def reserve(self, object_id: str) -> None:
        """Record an id pinned by a scenario (or made for an unknown id) so it is never generated."""
        self._reserved.add(object_id)


_REQUEST_BASES: dict[int | str, Any] = {}   # seed -> the hasher of its "seed:" prefix


def request_id(counter: int, seed: int | str) -> str:
    """A deterministic ``req_…`` id from the tenant's seed and request number: a BLAKE2 hash of
    ``"seed:counter"``, its ``"seed:"`` part hashed once per seed."""
    base = _REQUEST_BASES.get(seed)
    if base is None:
        if len(_REQUEST_BASES) > 1024:
            _REQUEST_BASES.clear()
        base = _REQUEST_BASES[seed] = hashlib.blake2b(f"{seed}:".encode(), digest_size=32)
    hasher = base.copy()
    hasher.update(str(counter).encode())
    return "req_" + hasher.digest().translate(_BYTE_TO_CHAR).decode("ascii")


def derived_id(prefix: str, key: str, length: int = ID_LENGTH) -> str:
    """A random-looking id that is a pure function of ``key``: ids inside a batch's output lines.

    Those are made by the tens of thousands at once, so they do not draw from the tenant's
    :class:`IdFactory`: a line's ids depend on the line alone, not on what the tenant made before.
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
