"""``create_app()``: the one ASGI app behind the pytest fixture and ``fakeopenai serve``.

Usage::

    import uvicorn
    from fakeopenai import create_app

    app = create_app("requires_action_then_complete")
    uvicorn.run(app, port=8000)   # then OPENAI_BASE_URL=http://127.0.0.1:8000/v1

Layers, outermost first: the :class:`~fakeopenai.gateway.Gateway` (request id, API key ->
tenant, body read once, request log, scripted faults, each family's checks), Starlette's
server-error guard and exception middleware (every :class:`~fakeopenai.errors.APIError`
rendered in the OpenAI shape, here and nowhere else), then the route table (``routes.py``,
from every registered family).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from fakeopenai.errors import APIError, MethodNotAllowedError, NotFoundError, ServerError
from fakeopenai.gateway import DEFAULT_MAX_BODY_BYTES, Gateway, error_response
from fakeopenai.scenario.loader import load_scenario
from fakeopenai.tenants import TenantRegistry

log = logging.getLogger("fakeopenai.http")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        path = request.url.path
        message = f"Invalid URL ({request.method} {path})"
        if not path.startswith(("/v1/", "/_fake/")) and _routed(request, "/v1" + path):
            message += (f". /v1{path} exists: is the base URL missing /v1? The fake serves the API under /v1, as "
                        f"api.openai.com does (base_url or OPENAI_BASE_URL = {request.url.scheme}://"
                        f"{request.url.netloc}/v1).")
        error: APIError = NotFoundError(message, param=None, code="unknown_url")
    elif exc.status_code == 405:
        # Starlette lists a route's methods from a set, in an order that changes with the process's
        # hash seed: sorted, the header and the message are the same bytes on every start.
        given = (exc.headers or {}).get("Allow", "")
        allow = ", ".join(sorted({method.strip() for method in given.split(",") if method.strip()}))
        error = MethodNotAllowedError(f"Invalid method for URL ({request.method} {request.url.path}): allowed "
                                      f"methods are {allow}.", param=None, code="method_not_allowed")
        return error_response(error, headers={**(exc.headers or {}), "Allow": allow})
    else:
        error = APIError(str(exc.detail), status_code=exc.status_code)
    return error_response(error)


def _routed(request: Request, path: str) -> bool:
    """Whether some route serves ``path`` (whatever the method)."""
    scope = {**request.scope, "path": path}
    return any(route.matches(scope)[0] is not Match.NONE for route in request.app.router.routes)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("fakeopenai bug while serving %s %s", request.method, request.url.path)
    error = ServerError(f"fakeopenai internal error ({type(exc).__name__}: {exc}). This is a bug in the fake; "
                        "please report it with the request log (GET /_fake/requests).", param=None)
    return error_response(error)


def create_app(scenario: Any = None, *, seed: int | str | None = None, compat: str | None = None,
               scenario_dirs: Iterable[str] = (), control: bool = True, api_keys: Iterable[str] | None = None,
               max_tenants: int | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               max_stored_bytes: int | None = None, unknown_ids: str | None = None) -> Gateway:
    """The fake OpenAI API as an ASGI app.

    Arguments:

    * ``scenario`` - the default scenario of every new tenant: a built-in name, a
      path, YAML text, a dict or a loaded :class:`~fakeopenai.scenario.model.Scenario`.
    * ``seed`` / ``compat`` - override the scenario's seed and compat profile.
    * ``unknown_ids`` - ``"generate"``: every tenant's requests on ids it does not hold answer as if
      they existed (the generic family's operations), unless its scenario says ``unknown_ids``.
    * ``scenario_dirs`` - where names are looked up after the built-ins.
    * ``control`` - serve the ``/_fake`` control API (default ``True``).
    * ``api_keys`` - when given, only these bearer keys are accepted.
    * ``max_tenants`` / ``max_stored_bytes`` / ``max_body_bytes`` - limits: API keys held at once
      (then 429), file bytes one key may store (then 400), bytes of one request body (then 413).
    """
    from fakeopenai.routes import routes
    from fakeopenai.state import MAX_STORED_BYTES
    from fakeopenai.tenants import DEFAULT_MAX_TENANTS

    for name, limit in (("max_tenants", max_tenants), ("max_stored_bytes", max_stored_bytes)):
        if limit is not None and limit < 1:  # 0 used to mean the default, and -1 to refuse every key
            raise ValueError(f"{name} must be 1 or more (or None for the default), not {limit}")
    dirs = [str(d) for d in scenario_dirs]
    default = load_scenario(scenario, scenario_dirs=dirs, seed=seed, compat=compat)
    if unknown_ids is not None and "unknown_ids" not in default.pinned:
        default = load_scenario(default, unknown_ids=unknown_ids)
    registry = TenantRegistry(default, scenario_dirs=dirs,
                              max_tenants=DEFAULT_MAX_TENANTS if max_tenants is None else max_tenants,
                              max_stored_bytes=MAX_STORED_BYTES if max_stored_bytes is None else max_stored_bytes,
                              defaults={"seed": seed, "compat": compat, "unknown_ids": unknown_ids})
    app = Starlette(
        routes=routes(control=control),
        exception_handlers={APIError: _api_error, HTTPException: _http_error, Exception: _unexpected},
    )
    # No 307 from /v1/assistants/ to /v1/assistants: the live API answers a trailing slash with a 404.
    app.router.redirect_slashes = False
    app.state.registry = registry
    # The gateway is outermost (not in Starlette's middleware list): a disconnect fault
    # needs uvicorn's own `send`, and every answer, a 500 included, gets its request id.
    return Gateway(app, registry=registry, control=control, api_keys=api_keys, max_body_bytes=max_body_bytes)
