"""Running a request's coroutine without a Task when it never suspends (nearly all do not).

The engine is synchronous: a request's coroutine usually runs from its first line to its answer
without waiting for anything. Driven directly (``coro.send(None)``) it costs no Task, no scheduling
and no wake-up; one that does suspend (a scripted delay, a stream) carries on in a Task. Both doors
use it: the in-process transport (:mod:`fakeopenai.doors.transport`) and the socket server's HTTP
protocol (:mod:`fakeopenai.doors.http11`).

Usage::

    coro = app(scope, receive, send)
    if needs_task(scope, body):
        task = loop.create_task(coro)
    else:
        task = drive(coro, loop)      # None: it ran to its end here
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
SSE_FORMAT = re.compile(rb'"stream_format"\s*:\s*"sse"')   # speech's events


def needs_task(scope: Any, body: bytes | bytearray) -> bool:
    """Streams (anyio task groups) and uploads (a thread pool for big files) need a real Task."""
    if streams(scope, body):
        return True
    return any(key == b"content-type" and value.startswith(b"multipart/") for key, value in scope["headers"])


def streams(scope: Any, body: bytes | bytearray) -> bool:
    """Whether the request asks for a stream (its answer an event stream)."""
    # find(), not `in`: a bytes `in` first tries its operand as an integer, and pays for the TypeError.
    if body.find(b"stream") >= 0 and (body.find(b'"stream"') >= 0 or SSE_FORMAT.search(body)):
        return True
    return scope["query_string"].find(b"stream=true") >= 0


async def resume(coro: Coroutine[Any, Any, T], yielded: Any) -> T:
    """Carry on, inside a Task, a coroutine that suspended while being driven directly."""
    while True:
        try:
            if yielded is None:
                await asyncio.sleep(0)
            else:
                await asyncio.wait((yielded,))  # its outcome reaches the coroutine when resumed
        except asyncio.CancelledError:
            yielded = coro.throw(asyncio.CancelledError())
            continue
        try:
            yielded = coro.send(None)
        except StopIteration as stop:
            return stop.value


def drive(coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop,
          context: contextvars.Context | None = None) -> asyncio.Task[Any] | None:
    """Run ``coro`` here (in ``context``, a copy of the current one by default, as a Task would) until
    it ends or suspends; None when it ended, else the Task it carries on in. What it raises, it raises."""
    context = context if context is not None else contextvars.copy_context()
    try:
        yielded = context.run(coro.send, None)
    except StopIteration:
        return None
    return loop.create_task(resume(coro, yielded), context=context)
