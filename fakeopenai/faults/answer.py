"""Scripted HTTP faults, applied: each effect a fault can have, in the order it happens.

Which request gets which fault is decided by :func:`fakeopenai.faults.pick.pick_fault`; here each
effect plays out: ``delay_ms`` (answer late), then ``disconnect`` (close with no answer) or an
answer (``status``/``error``/``headers``/a raw ``body``). A stream fault plays inside the
stream (:mod:`fakeopenai.faults.stream`).
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fakeopenai.faults.pick import fault_answer
from fakeopenai.faults.stream import disconnect
from fakeopenai.scenario.model import Fault

__all__ = ["answer", "answers", "delay", "disconnect"]


async def delay(fault: Fault) -> None:
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)


def answers(fault: Fault) -> bool:
    return fault.status is not None or fault.raw_body is not None


async def answer(fault: Fault, scope: Scope, receive: Receive, send: Send) -> int:
    """Send the fault's answer; returns its status."""
    status, headers, payload = fault_answer(fault)
    await Response(payload, status_code=status, headers=headers)(scope, receive, send)
    return status
