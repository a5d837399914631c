"""Webhooks: signed deliveries when an object reaches an end state (SPEC 11.6, docs/webhooks.md).

Not an API family of the spec's paths: the piece the families notify (``state.notify(type, id)`` reaches
``Family.on_event``) when a background response, a batch, a fine-tuning job, an eval run or a video ends.
It owns the scenario's ``webhooks:`` key (``scenario.py``), the tenant's outbox (``outbox.py``), the
signed, retried posting (``sending.py``), ``GET /_fake/webhooks`` (``api.py``), the loopback rule
(``targets.py``, ``Family.admit``) and the fixture's ``fake_openai.webhooks`` (``handle.py``).
"""

from __future__ import annotations

from fakeopenai.core.family import Family, routes_of
from fakeopenai.families.webhooks import outbox, scenario, targets

API = f"{__name__}.api"
ROUTES = routes_of(API, [("/_fake/webhooks", "list_webhooks", ["GET"])])

FAMILY = Family(
    name="webhooks",
    routes=ROUTES,
    scenario_schema=scenario.schema,
    docs_sections=(("Webhook target", "webhook_target"),),
    build=scenario.build,
    new_world=outbox.new_world,
    on_clock=outbox.on_clock,
    on_event=outbox.notify,
    admit=targets.admit,
    report_hints={"webhook_undelivered": "make the receiver answer 2xx (GET /_fake/webhooks lists each attempt "
                                         "and its answer), or fix the webhooks: url",
                  "webhook_forgery_accepted": "verify each webhook's signature (client.webhooks.unwrap with the "
                                              "secret) and answer 400 when it does not verify"},
)
