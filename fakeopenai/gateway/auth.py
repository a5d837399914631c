"""API key -> tenant: each bearer key is its own world (docs/control-api.md, "Tenants")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import Scope

from fakeopenai.core.errors import AuthenticationError

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.core.tenants import TenantRegistry


def tenant_of(scope: Scope, registry: TenantRegistry, api_keys: frozenset[str] | None) -> TenantState:
    """The request's tenant (made on first use), or the API's 401. A WebSocket may name its key in a
    subprotocol instead (browsers cannot set headers): ``openai-insecure-api-key.KEY``."""
    key = bearer(scope) or (subprotocol_key(scope) if scope["type"] == "websocket" else None)
    if not key:
        raise AuthenticationError(
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). fakeopenai keeps one state per key, "
            "so any key works unless the server was started with --api-key.", param="authorization")
    if api_keys is not None and key not in api_keys and not registry.is_alias(key):
        raise AuthenticationError("Incorrect API key provided. This fakeopenai server only accepts the keys "
                                  "given with --api-key.", param="authorization", code="invalid_api_key")
    return registry.get(key)


def bearer(scope: Scope) -> str | None:
    """The key of the request's first ``Authorization`` header (``Bearer KEY``), or None."""
    for key, value in scope["headers"]:
        if key == b"authorization":
            found = KEYS.get(value, UNSEEN)
            return key_of(value) if found is UNSEEN else found   # type: ignore[return-value]  # str | None
    return None


# An Authorization header's key by the header's value: a client sends the same one request after request
# (its decoding and trimming were ~3 k instructions a request). Emptied when full, like http11.TARGETS.
KEYS: dict[bytes, str | None] = {}
KEYS_MOST = 1000
UNSEEN = object()


def key_of(authorization: bytes) -> str | None:
    text = authorization.decode("latin-1").strip()
    key = (text[7:].strip() or None) if text[:7].lower() == "bearer " else None
    if len(KEYS) >= KEYS_MOST:
        KEYS.clear()
    KEYS[authorization] = key
    return key


SUBPROTOCOL_KEY = "openai-insecure-api-key."


def subprotocol_key(scope: Scope) -> str | None:
    """The key a browser's WebSocket names among its subprotocols (``OpenAIRealtimeWebSocket`` does)."""
    for protocol in scope.get("subprotocols") or ():
        if protocol.startswith(SUBPROTOCOL_KEY):
            return protocol[len(SUBPROTOCOL_KEY):] or None
    return None
