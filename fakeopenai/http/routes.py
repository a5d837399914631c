"""The route table, as data (moto's ``urls.py``): path, handler, methods.

Every registered family's routes (``Family.routes``; its WebSocket endpoints, ``Family.websockets``),
the control API under ``/_fake``, and ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from fakeopenai.core.registry import families
from fakeopenai.http import control
from fakeopenai.spec import openapi

Handler = Callable[[Request], Awaitable[Response]]

CONTROL = [
    ("/_fake/health", control.health, ["GET"]),
    ("/_fake/reset", control.reset, ["POST"]),
    ("/_fake/tenant", control.drop_tenant, ["DELETE"]),
    ("/_fake/scenario", control.get_scenario, ["GET"]),
    ("/_fake/scenario", control.put_scenario, ["PUT", "POST"]),
    ("/_fake/clock", control.clock, ["GET", "POST"]),
    ("/_fake/requests", control.requests, ["GET"]),
    ("/_fake/violations", control.violations, ["GET"]),
    ("/_fake/tenants", control.tenants, ["GET"]),
    ("/_fake/timeline", control.timeline, ["GET"]),
    ("/_fake/ui", control.ui, ["GET"]),
]


async def openapi_json(request: Request) -> Response:
    return Response(openapi.document_bytes(), media_type="application/json")


def _merge(table: list[Any]) -> list[Route]:
    """One Route per path, dispatching on method, so a wrong method is a 405 (not a 404)."""
    by_path: dict[str, dict[str, Handler]] = {}
    for path, handler, methods in table:
        for method in methods:
            by_path.setdefault(path, {})[method] = handler
    return [Route(path, _dispatch(handlers), methods=list(handlers)) for path, handlers in by_path.items()]


# The attribute of a path's endpoint that holds its handlers by method (_dispatch): app.Dispatch calls the
# handler itself (the endpoint's own await was a coroutine more per request); Starlette calls the endpoint.
BY_METHOD = "fakeopenai_by_method"


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    """One endpoint for a path's handlers by method (HEAD is served by GET), which also holds them
    (``BY_METHOD``)."""
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method) or handlers["GET"]  # HEAD is served by GET
        return await handler(request)

    setattr(endpoint, BY_METHOD, handlers)
    return endpoint


def routes(*, control: bool = True) -> list[BaseRoute]:
    table = [route for family in families() for route in family.routes] + (CONTROL if control else [])
    sockets = [WebSocketRoute(path, handler) for family in families() for path, handler in family.websockets]
    return [*_merge(table), *sockets, Route("/openapi.json", openapi_json, methods=["GET"])]
