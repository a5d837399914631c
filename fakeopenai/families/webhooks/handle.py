"""``fake_openai.webhooks``: the tenant's deliveries, a deterministic wait for them, and in-process receivers.

Usage (pytest)::

    def test_batch_webhook(fake_openai):
        fake_openai.webhooks.deliver_to(my_asgi_app)       # or a function of (body: bytes, headers: dict)
        ...                                                 # the code under test ends a batch
        [delivery] = fake_openai.webhooks.wait()           # every delivery, once none is pending
        assert delivery["status"] == "delivered"
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fakeopenai.families.webhooks import outbox, sending
from fakeopenai.families.webhooks.targets import EVENT_TYPES, Target, secret_problem

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

# What in-process receivers are signed with unless deliver_to is given another secret.
DEFAULT_SECRET = "whsec_" + base64.b64encode(b"fakeopenai webhook secret").decode()


def pending_deliveries(state: TenantState | None) -> int:
    """How many of the tenant's deliveries are not done yet (None: a tenant that never talked, which has none)."""
    box = state.worlds.get(outbox.NAME) if state is not None else None
    return box.pending() if box is not None else 0


class Webhooks:
    """The deliveries so far (a sequence of the dicts ``GET /_fake/webhooks`` lists), :meth:`wait` and
    :meth:`deliver_to`."""

    secret = DEFAULT_SECRET

    def __init__(self, fake: Any) -> None:   # a fakeopenai.doors.server.FakeOpenAI: a door, which a family never names
        self._fake = fake

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        return self._fake._with_state(lambda state: [d.to_json() for d in outbox.outbox(state).deliveries])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.deliveries)

    def __len__(self) -> int:
        return len(self.deliveries)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.deliveries[index]

    def pending(self) -> int:
        """How many deliveries are not done yet (neither delivered nor failed after their last attempt)."""
        server = self._fake.server
        return server.call(lambda: pending_deliveries(server.registry.peek(self._fake.api_key)))

    def wait(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every delivery, once none is pending (each delivered, or failed after its last attempt). Raises
        ``TimeoutError`` naming the pending ones if that takes longer than ``timeout`` seconds."""
        if not self.pending():
            return self.deliveries
        server = self._fake.server
        key = self._fake.api_key
        assert server.loop is not None

        async def settle() -> bool:
            state = server.registry.get(key)
            return await sending.idle(state, outbox.outbox(state), timeout)

        if not asyncio.run_coroutine_threadsafe(settle(), server.loop).result(timeout + 5):
            pending = [f"{d['type']} {d['object_id']} -> {d['url']} ({len(d['attempts'])} attempts)"
                       for d in self.deliveries if d["status"] == "pending"]
            raise TimeoutError(f"webhook deliveries still pending after {timeout:g} s: {'; '.join(pending)}")
        return self.deliveries

    def deliver_to(self, app: Any, *, secret: str = DEFAULT_SECRET, events: Iterable[str] | None = None,
                   path: str = "/", duplicate: bool = False, bad_signature: bool = False, delay_ms: int = 0) -> None:
        """Deliver this tenant's events in-process to ``app``: an ASGI app (a FastAPI or Starlette app, POSTed
        at ``path``), or a function of ``(body: bytes, headers: dict[str, str])`` returning the status code
        (None: 200; an exception counts as a failed attempt). Signed with ``secret``; ``events`` filters
        by type; ``duplicate``, ``bad_signature`` and ``delay_ms`` as a scenario's ``webhooks:`` entry has
        them. Kept across the tenant's scenario loads."""
        problem = secret_problem(secret)
        if problem:
            raise ValueError(problem)
        wanted = frozenset(events) if events is not None else None
        unknown = sorted(wanted - set(EVENT_TYPES)) if wanted else []
        if unknown:
            raise ValueError(f"unknown webhook event type(s) {unknown}; allowed values: {', '.join(EVENT_TYPES)}")

        def add(state: Any) -> None:
            name = f"in-process[{outbox.in_process_count(state)}]"
            outbox.add_in_process(state, Target(name=name, secret=secret, events=wanted, app=app, path=path,
                                                duplicate=duplicate, bad_signature=bad_signature,
                                                delay_ms=delay_ms))

        self._fake._with_state(add)
