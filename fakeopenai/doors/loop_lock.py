"""The server loop's lock: while the loop waits for I/O, another thread may run its code.

The server's event loop holds this lock except while it waits in ``select()``. A thread
that takes the lock (never by waiting: a busy loop is left alone) runs code on the loop's
behalf, with the loop as its running loop. State is still touched by one thread at a time,
and an in-process request that does not suspend costs no thread switch: the two switches
of a hand-over to the loop thread, each waiting for the other thread to wake, were most
of what an in-process SDK call cost.

Usage::

    lock = LoopLock()
    runner = asyncio.Runner(loop_factory=lock.new_loop)   # on the server thread
    ...
    with lock.lend() as loop:                               # on any other thread
        if loop is not None:
            handle_here()                                   # the loop is idle and stays so
        else:
            lock.loop.call_soon_threadsafe(handle_there)

Not lent: when the loop is busy, closed, or in asyncio debug mode (which checks that
only the loop's own thread schedules callbacks).

This is the one module that touches asyncio's internals: ``asyncio.events._set_running_loop``
(to make the loop the running loop of the thread it is lent to) and a ``SelectorEventLoop``'s
``_ready`` and ``_scheduled`` (to tell whether lent code gave the sleeping loop work). They are
looked up once (:data:`INTERNALS`); a Python without them still works on public API alone: the
loop is never lent (every request is handed to the loop's thread with ``call_soon_threadsafe``),
and without the loop's queues lent code always wakes the loop.
"""

from __future__ import annotations

import asyncio
import selectors
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Internals:
    """asyncio.events' private pair: this thread's running loop (None when there is none, without an
    exception), and making a loop this thread's running loop."""

    get_running_loop: Callable[[], asyncio.AbstractEventLoop | None]
    set_running_loop: Callable[[asyncio.AbstractEventLoop | None], None]


def find_internals(events: object) -> Internals | None:
    """The internals ``events`` (``asyncio.events``) has, or None; a test passes a module without them."""
    getter, setter = getattr(events, "_get_running_loop", None), getattr(events, "_set_running_loop", None)
    return Internals(getter, setter) if callable(getter) and callable(setter) else None


INTERNALS = find_internals(asyncio.events)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """This thread's running asyncio loop, or None (under trio, say)."""
    if INTERNALS is not None:
        return INTERNALS.get_running_loop()
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LoopLock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = False
        self.loop: asyncio.AbstractEventLoop | None = None

    def new_loop(self) -> asyncio.AbstractEventLoop:
        """The loop factory, called on the loop's thread: that thread holds the lock from now
        on, except inside ``select()``, until :meth:`loop_closed`."""
        lock = self._lock

        class Selector(selectors.DefaultSelector):
            def select(self, timeout: float | None = None) -> Any:
                lock.release()
                try:
                    return super().select(timeout)
                finally:
                    lock.acquire()

        lock.acquire()
        self._held = True
        self.loop = asyncio.SelectorEventLoop(Selector())
        return self.loop

    def loop_closed(self) -> None:
        """Called on the loop's thread once the loop is closed."""
        if self._held:
            self._held = False
            self._lock.release()

    @contextmanager
    def lend(self, wait: float = 0.0) -> Iterator[asyncio.AbstractEventLoop | None]:
        """The loop, made this thread's running loop, if it is idle (or within ``wait`` seconds);
        else ``None``."""
        loop, internals = self.loop, INTERNALS
        if (loop is None or internals is None or loop.get_debug()
                or not self._lock.acquire(wait > 0, wait if wait > 0 else -1)):
            yield None
            return
        try:
            if loop.is_closed():
                yield None
                return
            previous = internals.get_running_loop()
            internals.set_running_loop(loop)
            before = _agenda(loop)
            try:
                yield loop
            finally:
                internals.set_running_loop(previous)
                if _agenda(loop) != before:  # the loop sleeps in select(): wake it for what was added
                    loop.call_soon_threadsafe(_nothing)
        finally:
            self._lock.release()


def _agenda(loop: Any) -> tuple[int, Any]:
    """What the loop has to do next: its ready callbacks, and its soonest timer (a fresh object each
    time when the loop does not show them, so lent code always wakes it)."""
    ready = getattr(loop, "_ready", None)
    scheduled = getattr(loop, "_scheduled", None)
    if ready is None or scheduled is None:  # not the SelectorEventLoop this was written for
        return (-1, object())
    return len(ready), scheduled[0] if scheduled else None


def _nothing() -> None:
    pass
