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
    for key, value in scope["headers"]:
        if key == b"authorization":
            text = value.decode("latin-1").strip()
            if text[:7].lower() == "bearer ":
                return text[7:].strip() or None
            return None
    return None


SUBPROTOCOL_KEY = "openai-insecure-api-key."


def subprotocol_key(scope: Scope) -> str | None:
    """The key a browser's WebSocket names among its subprotocols (``OpenAIRealtimeWebSocket`` does)."""
    for protocol in scope.get("subprotocols") or ():
        if protocol.startswith(SUBPROTOCOL_KEY):
            return protocol[len(SUBPROTOCOL_KEY):] or None
    return None
