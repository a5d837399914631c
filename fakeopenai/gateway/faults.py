"""Scripted HTTP faults, applied: each effect a fault can have, in the order it happens.

Which request gets which fault is decided by :func:`fakeopenai.faults.pick_fault`; here each
effect plays out: ``delay_ms`` (answer late), then ``disconnect`` (close with no answer) or an
answer (``status``/``error``/``headers``/a raw ``body``).
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fakeopenai.faults import fault_answer
from fakeopenai.scenario.model import Fault


class ClientDisconnect(Exception):
    """Raised (in-process) or acted on (sockets) when a fault asks to drop the connection."""


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


async def disconnect(send: Send) -> None:
    """Close the connection with no answer at all.

    Under uvicorn, ``send`` is bound to the request cycle, which holds the transport; aborting
    it is what a crashed upstream looks like to a client. The in-process transport
    (``transport.py``) sees :class:`ClientDisconnect` instead.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ClientDisconnect()
    transport.abort()
    # Let connection_lost run, so uvicorn knows there is nobody to send a 500 to.
    for _ in range(3):
        await asyncio.sleep(0)
