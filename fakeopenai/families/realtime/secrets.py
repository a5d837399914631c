"""Realtime client secrets (no HTTP): ``POST /v1/realtime/client_secrets`` mints an ``ek_`` key that a
browser or phone app connects with instead of the server's API key. The key stands for the tenant that
minted it (the gateway finds that tenant by it), until ``expires_at`` on the fake clock; a session it
opens starts from the session configuration given when it was minted.

Usage::

    secret = mint(state, {"session": {"type": "realtime", "instructions": "Be brief."}})
    secret["value"]          # "ek_..."; config_for(state, secret["value"]) -> that session's settings
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import AuthenticationError, InvalidRequestError
from fakeopenai.families.realtime.session import default_session, transcription_session, update_session
from fakeopenai.families.realtime.world import world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

PREFIX = "ek_"
DEFAULT_SECONDS, MIN_SECONDS, MAX_SECONDS = 600, 10, 7200   # the live API's default and bounds
DEFAULT_MODEL = "gpt-realtime"


@dataclass(slots=True)
class ClientSecret:
    value: str
    expires_at: int
    session: dict[str, Any]   # the effective session configuration the secret was minted with


def mint(state: TenantState, body: dict[str, Any]) -> dict[str, Any]:
    """A new client secret: ``{value, expires_at, session}`` as the API answers."""
    seconds = (body.get("expires_after") or {}).get("seconds", DEFAULT_SECONDS)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidRequestError(f"Invalid 'expires_after.seconds': {seconds!r}. Expected an integer between "
                                  f"{MIN_SECONDS} and {MAX_SECONDS}.", param="expires_after.seconds",
                                  code="invalid_value")
    asked = dict(body.get("session") or {"type": "realtime"})
    kind = asked.pop("type", "realtime")
    now = state.clock.tick()
    session_id = state.ids.new("sess_")
    if kind == "transcription":
        config = transcription_session(session_id, now + seconds)
    else:
        config = default_session(session_id, str(asked.pop("model", None) or DEFAULT_MODEL), now + seconds)
    config = update_session(config, asked, voice_locked=False) if asked else config
    value = state.ids.new(PREFIX)
    world(state).secrets[value] = ClientSecret(value=value, expires_at=now + seconds, session=config)
    state.log_change("realtime client secret %s minted (expires %d)", value, now + seconds)
    return {"value": value, "expires_at": now + seconds, "session": config}


def config_for(state: TenantState, key: str) -> dict[str, Any] | None:
    """The session configuration a socket opened with client secret ``key`` starts from; None for a key
    that is not a client secret; the API's 401 for one that has expired."""
    secret = world(state).secrets.get(key)
    if secret is None:
        return None
    if state.clock.now >= secret.expires_at:
        raise AuthenticationError(f"The client secret {key[:7]}... has expired (at {secret.expires_at}).",
                                  param="authorization", code="invalid_api_key")
    return copy.deepcopy(secret.session)
