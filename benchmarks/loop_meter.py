"""``fakeopenai serve`` with a meter on its event loop: how long each loop step held the loop.

    python -m benchmarks.loop_meter STEPS.json serve --port 0 ...   # the arguments of `fakeopenai`

Every callback the server's event loop runs (a task step: one request's handler up to its next
pause) is timed in the loop thread's CPU time, which the OS's scheduling of other processes
does not inflate as it does wall time. At exit, STEPS.json gets each step that took over
:data:`KEEP_MS` as ``[cpu_ms, wall_ms, monotonic_start, where]`` (``time.monotonic``, the clock the
client reads too). While one step runs no other request is served: the longest step is the
longest any request waited on another one's work, whatever the machine's load.
"""

from __future__ import annotations

import asyncio.events
import atexit
import gc
import json
import sys
import threading
import time
from typing import Any

KEEP_MS = 5.0


def _where(handle: Any) -> str:
    """The innermost coroutine frame of the task the step ran, where it paused (for diagnosis)."""
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    coro = task.get_coro() if isinstance(task, asyncio.Task) else None
    where = ""
    while coro is not None and getattr(coro, "cr_frame", None) is not None:
        frame = coro.cr_frame
        where = f"{frame.f_code.co_qualname} ({frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno})"
        coro = coro.cr_await
    return where or repr(handle)[:120]


def install(path: str) -> None:
    steps: list[list[float]] = []
    loop_thread = threading.main_thread()
    run = asyncio.events.Handle._run
    thread_time, monotonic = time.thread_time, time.monotonic

    def timed(self: Any) -> None:
        if threading.current_thread() is not loop_thread:
            return run(self)  # type: ignore[no-any-return]
        cpu, wall = thread_time(), monotonic()
        try:
            return run(self)  # type: ignore[no-any-return]
        finally:
            spent = (thread_time() - cpu) * 1000
            if spent > KEEP_MS:
                steps.append([spent, (monotonic() - wall) * 1000, wall, _where(self)])

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    collecting: list[float] = []

    def collector(phase: str, info: dict[str, int]) -> None:   # garbage collections, for diagnosis
        if phase == "start":
            collecting[:] = [thread_time(), monotonic()]
        elif collecting and (thread_time() - collecting[0]) * 1000 > KEEP_MS:
            steps.append([0.0, (monotonic() - collecting[1]) * 1000, collecting[1],
                          f"garbage collection of generation {info['generation']}: "
                          f"{(thread_time() - collecting[0]) * 1000:.1f} ms CPU"])

    gc.callbacks.append(collector)

    def save() -> None:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(steps, out)

    atexit.register(save)


def main() -> int:
    path, *argv = sys.argv[1:]
    install(path)
    from fakeopenai.doors.cli import main as fakeopenai

    return fakeopenai(argv)


if __name__ == "__main__":
    sys.exit(main())
