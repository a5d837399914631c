"""``GET /_fake/webhooks``: the tenant's targets and deliveries; ``?wait=SECONDS`` first waits until none is
pending (so a test over a socket needs no sleep)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.families.webhooks import sending
from fakeopenai.families.webhooks.outbox import outbox
from fakeopenai.http.rendering import json_response, tenant

MAX_WAIT = 60.0


async def list_webhooks(request: Request) -> Response:
    state = tenant(request)
    box = outbox(state)
    wait = request.query_params.get("wait")
    if wait is not None:
        try:
            seconds = float(wait)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= MAX_WAIT:
            raise InvalidRequestError(f"Invalid 'wait': {wait!r}. Give seconds between 0 and {MAX_WAIT:g}.",
                                      param="wait")
        await sending.idle(state, box, seconds)
    return json_response({
        "object": "list", "pending": box.pending(),
        "targets": [{"name": t.name, "url": t.address, "events": sorted(t.events) if t.events else None}
                    for t in box.all_targets(state)],
        "data": [delivery.to_json() for delivery in box.deliveries]})

