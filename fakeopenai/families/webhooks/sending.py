"""Posting a delivery: signed as Standard Webhooks, off the request's path, retried with a bounded back-off.

A delivery is a task on the server's event loop (started by :func:`start` when the event is noted, or by
the next :func:`idle` when no loop was running then): the request that ended the object is answered without
waiting for it. Each attempt is signed anew (``webhook-timestamp`` is the wall clock's: the SDKs' verifiers
check it against the real time, 300 s either side) and recorded with its answer. A non-2xx answer or a
connection error is tried again after :data:`BACKOFF` seconds, sooner when the test moves the fake clock
(``POST /_fake/clock``), up to :data:`MAX_ATTEMPTS` attempts; then the delivery has ``failed``: noted for a
failed test's report, and a violation under ``strict: true``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import inspect
import time
import weakref
from typing import TYPE_CHECKING, Any

from fakeopenai.scenario.model import position

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.webhooks.outbox import Delivery, Outbox
    from fakeopenai.families.webhooks.targets import Target

MAX_ATTEMPTS = 5
BACKOFF = (0.1, 0.2, 0.4, 0.8)      # seconds before attempts 2..5 (a fake-clock move cuts a wait short)
TIMEOUT = 10.0                       # seconds a receiver has to answer one attempt
ANSWER_KEPT = 2000                   # characters of a receiver's answer kept with the attempt
USER_AGENT = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"


def signature_headers(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers: ``v1,`` and the base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``, keyed
    with the base64-decoded part of the ``whsec_`` secret (openai-python's ``lib/_webhooks.py`` checks this)."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": "v1," + base64.b64encode(mac).decode()}


def start(state: TenantState, box: Outbox, delivery: Delivery) -> None:
    """Send ``delivery`` in a task on the running loop (the server's), or leave it for :func:`idle`."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        box.unsent.append(delivery)
        return
    task = loop.create_task(_deliver(state, box, delivery))
    box.tasks.add(task)
    task.add_done_callback(box.tasks.discard)


async def idle(state: TenantState, box: Outbox, timeout: float) -> bool:
    """Wait (up to ``timeout`` seconds) until no delivery is pending; whether none is."""
    while box.unsent:
        start(state, box, box.unsent.pop(0))
    deadline = time.monotonic() + timeout
    while box.tasks:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        await asyncio.wait(set(box.tasks), timeout=left)
    return box.pending() == 0


async def _deliver(state: TenantState, box: Outbox, delivery: Delivery) -> None:
    target = delivery.target
    if target.delay_ms:
        await _back_off(box, target.delay_ms / 1000)
    secret = _wrong(target.secret) if target.bad_signature else target.secret
    moves = box.clock_moves
    for attempt in range(1, 2 if target.bad_signature else MAX_ATTEMPTS + 1):
        if attempt > 1 and box.clock_moves == moves:   # the test moved the clock since the last attempt: go now
            await _back_off(box, BACKOFF[attempt - 2])
        moves = box.clock_moves
        timestamp = int(time.time())   # wall time: the receiver's verifier checks it against its own clock
        headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                   **signature_headers(secret, delivery.id, timestamp, delivery.body)}
        began = time.perf_counter()
        record: dict[str, Any] = {"attempt": attempt, "timestamp": timestamp, "status": None, "error": None,
                                  "answer": None}
        try:
            status, answer = await _post(delivery.target, delivery.body, headers)
            record.update(status=status, answer=answer[:ANSWER_KEPT])
        except Exception as exc:   # a receiver that is down, or an in-process handler that raised
            record["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        record["ms"] = round((time.perf_counter() - began) * 1000, 1)
        delivery.attempts.append(record)
        if target.bad_signature and record["status"] is not None:
            _judge_forgery(state, delivery, record["status"])
            return
        if record["status"] is not None and 200 <= record["status"] < 300:
            delivery.status = "delivered"
            state.log_change("webhook %s delivered to %s (attempt %d)", delivery.id, delivery.target.address, attempt)
            return
    delivery.status = "failed"
    _gave_up(state, delivery)


async def _back_off(box: Outbox, seconds: float) -> None:
    waker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    box.wakers.add(waker)
    try:
        await asyncio.wait([waker], timeout=seconds)
    finally:
        box.wakers.discard(waker)


async def _post(target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    if target.url is None and not _is_asgi(target.app):
        if inspect.iscoroutinefunction(target.app) or inspect.iscoroutinefunction(
                getattr(target.app, "__call__", None)):  # noqa: B004
            result = await target.app(body, headers)
        else:   # in a worker thread: the handler may call the fake (in-process) while the loop serves it
            result = await asyncio.to_thread(target.app, body, headers)
        return (200 if result is None else int(result)), ""
    import httpx

    if target.url is not None:
        answer = await _client(target.url.startswith("https:")).post(target.url, content=body, headers=headers)
        return answer.status_code, answer.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=target.app), timeout=TIMEOUT) as client:
        answer = await client.post("http://webhooks.fakeopenai.local" + target.path, content=body, headers=headers)
        return answer.status_code, answer.text


_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bool, Any]] = weakref.WeakKeyDictionary()


def _client(verify: bool) -> Any:
    """The loop's client for socket targets, made once (a client costs milliseconds: its TLS context). It keeps
    no connection open between deliveries, so nothing is left to close when the loop ends."""
    import httpx

    clients = _CLIENTS.setdefault(asyncio.get_running_loop(), {})
    client = clients.get(verify)
    if client is None:
        client = clients[verify] = httpx.AsyncClient(timeout=TIMEOUT, verify=verify, trust_env=False,
                                                     limits=httpx.Limits(max_keepalive_connections=0))
    return client


def _is_asgi(app: Any) -> bool:
    """An ASGI app (``app(scope, receive, send)``), not a handler of ``(body, headers)``."""
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(app, "__call__", None)  # noqa: B004
    try:
        return len(inspect.signature(call).parameters) == 3 if call is not None else False
    except (TypeError, ValueError):
        return False


def _wrong(secret: str) -> str:
    """Another secret than ``secret``: what a forger signs with."""
    return "whsec_" + base64.b64encode(b"not the receiver's secret: " + secret.encode()).decode()


def _judge_forgery(state: TenantState, delivery: Delivery, status: int) -> None:
    """A wrongly signed delivery (``bad_signature: true``): the receiver must refuse it (any non-2xx answer,
    not retried); accepting it is a violation whatever ``strict`` says."""
    if not 200 <= status < 300:
        delivery.status = "rejected"
        return
    delivery.status = "accepted"
    target = delivery.target
    message = (f"fakeopenai: the receiver at {target.address} answered {status} to a webhook signed with a wrong "
               f"key ({delivery.event['type']} for {delivery.event['data']['id']}, {target.name} has "
               "bad_signature: true): it must verify the signature (client.webhooks.unwrap) and refuse it")
    state.add_violation(kind="webhook_forgery_accepted", where=target.name,
                        at=position(state.scenario.source, target) if target.line is not None else None,
                        expected="a non-2xx answer (the signature does not verify)", actual=f"{status}",
                        message=message, webhook_id=delivery.id)


def _gave_up(state: TenantState, delivery: Delivery) -> None:
    target = delivery.target
    answers = ", ".join(str(a["status"]) if a["status"] is not None else a["error"] for a in delivery.attempts)
    message = (f"fakeopenai: webhook {delivery.event['type']} for {delivery.event['data']['id']} was never delivered "
               f"to {target.address} ({target.name}): {len(delivery.attempts)} attempts answered {answers}")
    state.notes.append(message)
    if state.scenario.strict:
        state.add_violation(kind="webhook_undelivered", where=target.name,
                            at=position(state.scenario.source, target) if target.line is not None else None,
                            expected=f"a 2xx answer from {target.address}",
                            actual=f"{len(delivery.attempts)} attempts: {answers}", message=message,
                            webhook_id=delivery.id)
    else:
        state.log_change("%s", message)
