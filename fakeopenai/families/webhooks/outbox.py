"""One tenant's webhooks: its targets, and every delivery with its attempts (``GET /_fake/webhooks``).

The families say when an object reaches an end state OpenAI announces (``state.notify("batch.completed",
batch_id)``, through ``Family.on_event``: no family imports this one). :func:`notify` makes the event
body (the spec's webhook event schema: ``{id, object: "event", created_at, type, data: {id}}``, with
``created_at`` from the fake clock and an id from the seed, the type and the object) and one
:class:`Delivery` per target that wants the type; :mod:`sending` posts them off the request's path (a task
on the server's loop), signed and retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from typing import TYPE_CHECKING, Any

from fakeopenai.core.timeline import current_entry
from fakeopenai.families.webhooks.targets import Target, server_targets

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "webhooks"
DELIVERIES_KEPT = 10_000
# The fixture's in-process targets, per tenant: kept across the tenant's scenario loads (a test's
# fake_openai.load(...) after deliver_to(app) still delivers to the app), dropped with the tenant.
_IN_PROCESS: weakref.WeakKeyDictionary[TenantState, list[Target]] = weakref.WeakKeyDictionary()


class Delivery:
    """One event to one target: pending until a 2xx answer (``delivered``) or the last attempt (``failed``). With
    a wrong signature (``bad_signature``): one attempt, ``rejected`` by a non-2xx answer, else ``accepted``."""

    __slots__ = ("id", "event", "body", "target", "status", "attempts", "request", "copy")

    def __init__(self, webhook_id: str, event: dict[str, Any], target: Target, request: int | None,
                 copy: int = 0) -> None:
        self.id = webhook_id
        self.event = event
        self.body = json.dumps(event, separators=(",", ":")).encode()
        self.target = target
        self.status = "pending"
        self.attempts: list[dict[str, Any]] = []
        self.request = request      # the request (its n on the timeline) that ended the object
        self.copy = copy            # 1: the second of a duplicated event

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.event["type"], "object_id": self.event["data"]["id"],
                "target": self.target.name, "url": self.target.address, "status": self.status,
                "time": self.event["created_at"], "request": self.request,
                "event": {**self.event, "data": dict(self.event["data"])},
                "duplicate": self.copy > 0, "bad_signature": self.target.bad_signature,
                "attempts": [dict(a) for a in self.attempts]}


class Outbox:
    def __init__(self, state: TenantState) -> None:
        self.targets: tuple[Target, ...] = (*server_targets(state.server), *state.scenario.part(NAME, ()))
        self.deliveries: list[Delivery] = []
        self.sent: set[tuple[str, str]] = set()          # (type, object id): each event once
        self.unsent: list[Delivery] = []                  # made with no loop running: started by the next wait
        self.tasks: set[asyncio.Task[None]] = set()
        self.wakers: set[asyncio.Future[None]] = set()   # retries waiting out their back-off
        self.clock_moves = 0                              # the test's clock moves (not a request's tick)

    def all_targets(self, state: TenantState) -> tuple[Target, ...]:
        return self.targets + tuple(_IN_PROCESS.get(state, ()))

    def pending(self) -> int:
        return sum(1 for d in self.deliveries if d.status == "pending")

    def clock_moved(self) -> None:
        """The test moved the fake clock (``POST /_fake/clock``): retries waiting out a back-off go now."""
        self.clock_moves += 1
        for waker in list(self.wakers):
            if not waker.done():
                waker.set_result(None)


def new_world(state: TenantState) -> Outbox:
    return Outbox(state)


def outbox(state: TenantState) -> Outbox:
    return state.worlds[NAME]


def add_in_process(state: TenantState, target: Target) -> None:
    _IN_PROCESS.setdefault(state, []).append(target)


def in_process_count(state: TenantState) -> int:
    return len(_IN_PROCESS.get(state, ()))


def notify(state: TenantState, event_type: str, object_id: str, at: int) -> None:
    """``Family.on_event``: an object reached an end state; each target that wants the type gets the event."""
    box: Outbox = state.worlds[NAME]   # made on first use (TenantState.worlds): targets may be waiting
    targets = [t for t in box.all_targets(state) if t.wants(event_type)]
    if not targets or (event_type, object_id) in box.sent:
        return
    box.sent.add((event_type, object_id))
    digest = hashlib.sha256(f"{state.scenario.seed}|{event_type}|{object_id}".encode()).hexdigest()
    event = {"id": f"evt_{digest[:32]}", "object": "event", "created_at": at, "type": event_type,
             "data": {"id": object_id}}
    entry = current_entry.get()
    from fakeopenai.families.webhooks import sending

    for target in targets:
        webhook_id = "wh_" + hashlib.sha256(f"{event['id']}|{target.name}".encode()).hexdigest()[:32]
        for copy in range(2 if target.duplicate else 1):
            delivery = Delivery(webhook_id, event, target, entry.get("n") if entry else None, copy)
            if len(box.deliveries) >= DELIVERIES_KEPT:
                box.deliveries.pop(0)
            box.deliveries.append(delivery)
            state.timeline.webhooks.append(delivery)
            state.log_change("webhook %s %s -> %s", event_type, object_id, target.address)
            sending.start(state, box, delivery)


def on_clock(state: TenantState) -> None:
    box: Outbox | None = state.worlds.get(NAME)
    if box is not None:
        box.clock_moved()
