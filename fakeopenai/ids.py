"""Seeded identifiers with the real API's prefixes.

Each tenant owns one :class:`IdFactory`; the same seed and the same sequence of
requests give the same ids, across processes (``random.Random`` seeded with a
string is stable across Python versions and runs, unlike ``hash()``).
"""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24


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
        choices = self._random.choices
        while True:
            candidate = prefix + "".join(choices(_ALPHABET, k=ID_LENGTH))
            if candidate not in self._seen:
                self._seen.add(candidate)
                return candidate

    def reserve(self, object_id: str) -> None:
        """Record an id pinned by a scenario so it is never generated again."""
        self._seen.add(object_id)


def request_id(counter: int, seed: int | str) -> str:
    """A deterministic ``req_…`` id: the tenant's seed and request number."""
    rnd = random.Random(f"fakeopenai-req-{seed}-{counter}")
    return "req_" + "".join(rnd.choices(_ALPHABET, k=32))
