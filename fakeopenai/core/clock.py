"""The fake clock: one per tenant, never wall time.

Timestamps are Unix seconds. The clock moves ``step`` seconds on every state
change (an object created, a run or batch changing status) and by explicit
``advance()`` calls from the control API or the fixture. It keeps fractions of a
second (in whole microseconds, so advances add up exactly: four ``advance(0.5)``
move two seconds); the timestamps the API shows are whole seconds, rounded down.
"""

from __future__ import annotations

import datetime as _dt
import math
import re

DEFAULT_START = 1735689600  # 2025-01-01T00:00:00Z
MAX_TIMESTAMP = 2**31 - 1  # i32 clients (async-openai, zio-openai) must read every timestamp
MICROS = 1_000_000         # the clock counts microseconds
MAX_MICROS = MAX_TIMESTAMP * MICROS

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_start(value: str | int | _dt.datetime) -> int:
    """``"2025-01-01T00:00:00Z"``, a date, a datetime or Unix seconds -> Unix seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a timestamp, got a boolean")
    if isinstance(value, int):
        seconds = value
    else:
        if isinstance(value, _dt.datetime):
            moment = value
        elif isinstance(value, _dt.date):
            moment = _dt.datetime(value.year, value.month, value.day)
        else:
            moment = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.UTC)
        seconds = int(moment.timestamp())
    if not 0 <= seconds <= MAX_TIMESTAMP:
        raise ValueError(f"timestamp {seconds} is outside 1970..2038 (clients read it as a 32-bit integer)")
    return seconds


def parse_duration(value: str | int | float) -> float:
    """``30`` / ``"30s"`` / ``"10m"`` / ``"1.5h"`` / ``"250ms"`` -> seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration, got a boolean")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"a duration must be a finite number of seconds >= 0, not {value}")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"invalid duration {value!r}; write e.g. 30, 30s, 10m, 2h or 250ms")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def capped(timestamp: int) -> int:
    """A timestamp computed from the clock (``created_at + 600``), kept within the cap the
    clock itself keeps, so i32 clients read it too."""
    return min(timestamp, MAX_TIMESTAMP)


def has_expired(now: int, expires: int | None) -> bool:
    """Whether an object whose lifetime ends at ``expires`` (its ``expires_at``; None: never) is gone
    at ``now``: the one expiry rule of every family (runs, files, batches, and what comes).

    The clock reaching ``expires_at`` ends the object, except at the cap: there the clock stops, and
    an ``expires_at`` of ``MAX_TIMESTAMP`` is never reached. So a lifetime the cap cut short
    (``now + 600`` shown as the cap) does not end, and an object made at or near the cap lives as
    long as the clock runs, instead of expiring the moment it is made (``now >= expires_at`` at once).

    >>> has_expired(100, 100), has_expired(99, 100), has_expired(MAX_TIMESTAMP, MAX_TIMESTAMP)
    (True, False, False)
    """
    return expires is not None and expires < MAX_TIMESTAMP and now >= expires


def to_micros(seconds: float) -> int:
    """Seconds (a duration, an advance) as whole microseconds, the clock's unit."""
    return round(seconds * MICROS)


class FakeClock:
    """A tenant's clock.

    >>> clock = FakeClock(start=1735689600, step=1)
    >>> clock.tick()
    1735689601
    >>> clock.advance(600)
    1735690201
    >>> clock.advance(0.5), clock.advance(0.5)     # fractions add up; ``now`` rounds down
    (1735690201, 1735690202)
    """

    __slots__ = ("micros", "step")

    def __init__(self, start: int = DEFAULT_START, step: int = 1) -> None:
        self.micros = start * MICROS   # the exact time, in microseconds since the epoch
        self.step = step

    @property
    def now(self) -> int:
        """The time as the API shows it: whole Unix seconds (rounded down)."""
        return self.micros // MICROS

    def tick(self) -> int:
        """A state change: move ``step`` seconds and return the new time."""
        micros = self.micros + self.step * MICROS
        self.micros = micros = micros if micros < MAX_MICROS else MAX_MICROS   # min(), without its call
        return micros // MICROS

    def advance(self, seconds: float) -> int:
        """Move ``seconds`` forward (fractions kept) and return the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        return self.advance_micros(to_micros(seconds))

    def advance_micros(self, micros: int) -> int:
        self.micros = min(self.micros + max(0, micros), MAX_MICROS)
        return self.micros // MICROS
