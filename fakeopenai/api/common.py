"""What every handler needs: the tenant, rendering through its compat profile, JSON out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fakeopenai.render import objects as render_objects

if TYPE_CHECKING:
    from fakeopenai.engine.state import TenantState

KIND_OF = {
    "Assistant": "assistant", "Thread": "thread", "Message": "message", "Run": "run", "RunStepObj": "step",
    "File": "file", "Batch": "batch",
}


def tenant(request: Request) -> TenantState:
    return request.scope["fakeopenai.tenant"]  # type: ignore[no-any-return]


def render(state: TenantState, obj: Any) -> dict[str, Any]:
    return state.profile.apply(KIND_OF[type(obj).__name__], render_objects.to_dict(obj))


def render_list(state: TenantState, items: Iterable[Any], has_more: bool, kind: str) -> dict[str, Any]:
    return state.profile.apply(f"list:{kind}", render_objects.page((render(state, i) for i in items), has_more))


def json_response(data: Any, *, headers: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return JSONResponse(data, status_code=status_code, headers=headers)


def run_headers(state: TenantState) -> dict[str, str]:
    """Run reads tell the SDK's poll helpers how long to wait (default 0 ms)."""
    return {"openai-poll-after-ms": str(state.scenario.poll_after_ms)}
