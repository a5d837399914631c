"""Where webhooks go: a :class:`Target` (a URL with its secret and the event types it wants), and the
rule that keeps a tenant's scenario from making the fake call out: a target's host must be a loopback
address unless the server was started with ``--webhook-allow HOST`` (``create_app(webhook_allow=...)``).

Targets come from three places: the scenario's ``webhooks:`` entries, the server's own
(``fakeopenai serve --webhook URL --webhook-secret whsec_...``, ``create_app(webhooks=[...])``), and the
fixture's in-process ones (``fake_openai.webhooks.deliver_to(app)``: no socket, so no address to check).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fakeopenai.scenario.problems import Problem

if TYPE_CHECKING:
    from fakeopenai.scenario.model import Scenario

# The event types the fake sends (openai-python's types/webhooks; video.* as the live API documents them).
EVENT_TYPES = (
    "response.completed", "response.failed", "response.cancelled", "response.incomplete",
    "batch.completed", "batch.failed", "batch.cancelled", "batch.expired",
    "fine_tuning.job.succeeded", "fine_tuning.job.failed", "fine_tuning.job.cancelled",
    "eval.run.succeeded", "eval.run.failed", "eval.run.canceled",
    "video.completed", "video.failed",
)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True, slots=True, eq=False)
class Target:
    """One receiver. ``url`` for a socket, or ``app``: an ASGI app or a callable served in-process."""

    name: str                               # how deliveries name it: "webhooks[0]", "--webhook", "in-process[0]"
    secret: str
    events: frozenset[str] | None = None    # None: every type
    url: str | None = None
    app: Any = None
    path: str = "/"                         # an in-process ASGI app's path
    duplicate: bool = False                 # each event twice
    bad_signature: bool = False             # signed with a wrong key: the receiver must refuse it
    delay_ms: int = 0                       # before each event's first attempt
    line: int | None = None
    column: int | None = None

    def wants(self, event_type: str) -> bool:
        return self.events is None or event_type in self.events

    @property
    def address(self) -> str:
        return self.url or f"in-process {getattr(self.app, '__name__', type(self.app).__name__)}{self.path}"


def secret_problem(secret: Any) -> str | None:
    """What is wrong with ``secret`` as a Standard Webhooks secret (``whsec_`` and base64), or None."""
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        return (f"invalid secret {secret!r}: a webhook secret is 'whsec_' followed by base64 (as the OpenAI dashboard "
                "gives it), e.g. whsec_" + base64.b64encode(b"my test secret").decode())
    try:
        key = base64.b64decode(secret[6:], validate=True)
    except (binascii.Error, ValueError):
        return f"invalid secret {secret!r}: the part after 'whsec_' is not base64"
    return None if key else f"invalid secret {secret!r}: nothing after 'whsec_'"


def url_problem(url: Any) -> str | None:
    if not isinstance(url, str):
        return f"invalid url {url!r}: write http://HOST:PORT/PATH"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"invalid url {url!r}: a webhook URL is http:// or https://, with a host"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"invalid url {url!r}: bad port"
    return None


def is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(url: str, allow: Iterable[str]) -> str | None:
    """Why the server may not call ``url`` (a host neither loopback nor allowed), or None."""
    host = urlsplit(url).hostname or ""
    allowed = {h.strip().lower() for h in allow if h.strip()}
    if is_loopback(host) or host.lower() in allowed:
        return None
    return (f"webhook target {url!r}: the fake only calls loopback addresses (127.0.0.1, ::1, localhost); "
            f"start the server with --webhook-allow {host} (create_app(webhook_allow=[{host!r}])) to let it call "
            f"{host}" + (f" (allowed now: {', '.join(sorted(allowed))})" if allowed else ""))


def server_targets(options: Mapping[str, Any]) -> tuple[Target, ...]:
    """The server's own targets (``create_app(webhooks=[{url, secret, events}])``, ``serve --webhook``)."""
    given = options.get("webhooks") or ()
    return tuple(Target(name="--webhook" if len(given) == 1 else f"--webhook[{i}]", secret=item["secret"],
                        events=frozenset(item["events"]) if item.get("events") else None, url=item["url"])
                 for i, item in enumerate(given))


def server_problems(options: Mapping[str, Any]) -> list[str]:
    """What is wrong with the server's own webhook options (the CLI and ``create_app`` say it at start)."""
    problems = []
    for item in options.get("webhooks") or ():
        if not isinstance(item, Mapping):
            problems.append(f"a webhook is a mapping {{url, secret, events}}, not {item!r}")
            continue
        url_issue = url_problem(item.get("url"))
        problems += [p for p in (url_issue, secret_problem(item.get("secret"))) if p]
        unknown = [e for e in item.get("events") or () if e not in EVENT_TYPES]
        if unknown:
            problems.append(f"unknown webhook event type(s) {', '.join(map(repr, unknown))}; allowed values: "
                            f"{', '.join(EVENT_TYPES)}")
        if url_issue is None:
            refused = refusal(item["url"], options.get("webhook_allow") or ())
            if refused:
                problems.append(refused)
    return problems


def admit(scenario: Scenario, options: Mapping[str, Any]) -> list[Problem]:
    """The scenario's targets this server refuses to call (not loopback, not allowed), with positions."""
    allow = options.get("webhook_allow") or ()
    problems = [Problem("--webhook", None, None, "", message) for message in server_problems(options)]
    for target in scenario.part("webhooks", ()):
        refused = refusal(target.url, allow) if target.url else None
        if refused:
            problems.append(Problem(scenario.source, target.line, target.column, f"{target.name}.url", refused))
    return problems
