"""``create_app()``: the one ASGI app behind the pytest fixture and ``fakeopenai serve``.

Usage::

    import uvicorn
    from fakeopenai import create_app

    app = create_app("requires_action_then_complete")
    uvicorn.run(app, port=8000)   # then OPENAI_BASE_URL=http://127.0.0.1:8000/v1

Layers, outermost first: the :class:`~fakeopenai.gateway.Gateway` (request id, API key ->
tenant, body read once, request log, scripted faults, each family's checks), Starlette's
server-error guard and exception middleware (every :class:`~fakeopenai.core.errors.APIError`
rendered in the OpenAI shape, here and nowhere else), then the route table (``routes.py``,
from every registered family).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import PathConvertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from fakeopenai.core.errors import APIError, MethodNotAllowedError, NotFoundError, ServerError
from fakeopenai.core.tenants import TenantRegistry
from fakeopenai.gateway import DEFAULT_MAX_BODY_BYTES, Gateway, error_response
from fakeopenai.scenario.loader import load_scenario

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
               max_stored_bytes: int | None = None, unknown_ids: str | None = None,
               webhooks: Iterable[Mapping[str, Any]] = (), webhook_allow: Iterable[str] = ()) -> Gateway:
    """The fake OpenAI API as an ASGI app.

    Arguments:

    * ``scenario`` - the default scenario of every new tenant: a built-in name, a
      path, YAML text, a dict or a loaded :class:`~fakeopenai.scenario.model.Scenario`.
    * ``seed`` / ``compat`` - override the scenario's seed and compat profile.
    * ``unknown_ids`` - ``"generate"``: every tenant's requests on ids it does not hold answer as if
      they existed (the generic family's operations), unless its scenario says ``unknown_ids``.
    * ``scenario_dirs`` - where names are looked up after the built-ins.
    * ``webhooks`` - ``[{"url", "secret", "events"}]``: every tenant's events are also POSTed there, signed
      (docs/webhooks.md); ``webhook_allow`` - hosts besides loopback that webhooks may call.
    * ``control`` - serve the ``/_fake`` control API (default ``True``).
    * ``api_keys`` - when given, only these bearer keys are accepted.
    * ``max_tenants`` / ``max_stored_bytes`` / ``max_body_bytes`` - limits: API keys held at once
      (then 429), file bytes one key may store (then 400), bytes of one request body (then 413).
    """
    from fakeopenai.core.state import MAX_STORED_BYTES
    from fakeopenai.core.tenants import DEFAULT_MAX_TENANTS
    from fakeopenai.http.routes import routes

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
                              defaults={"seed": seed, "compat": compat, "unknown_ids": unknown_ids},
                              server={"webhooks": [dict(w) for w in webhooks], "webhook_allow": list(webhook_allow)})
    app = Starlette(
        routes=routes(control=control),
        exception_handlers={APIError: _api_error, HTTPException: _http_error, Exception: _unexpected},
    )
    # No 307 from /v1/assistants/ to /v1/assistants: the live API answers a trailing slash with a 404.
    app.router.redirect_slashes = False
    app.state.registry = registry
    # The gateway is outermost (not in Starlette's middleware list): a disconnect fault
    # needs uvicorn's own `send`, and every answer, a 500 included, gets its request id.
    return Gateway(Dispatch(app), registry=registry, control=control, api_keys=api_keys,
                   max_body_bytes=max_body_bytes)


_SEND_BODY = Response.__call__   # sends the start message, then the body: only a send can fail in it


class DispatchedRequest(Request):
    """Starlette's ``Request`` as its ``__init__`` makes it, without that ``__init__``'s two checks of the
    scope's type and its ``super()`` call (a few thousand instructions a request): :class:`Dispatch` makes
    it only for an HTTP scope. tests/test_dispatch.py holds its attributes to a ``Request``'s."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:   # noqa: D107 - the class says it
        self.scope = scope
        self._receive = receive
        self._send = send
        self._stream_consumed = False
        self._is_disconnected = False
        self._form = None


class Dispatch:
    """The Starlette app, with its per-request layers done in one place for a request a route serves.

    Starlette's path is an error middleware, an exception middleware, the router trying each route's
    regex in turn, then the route's own exception wrapper: three ``send`` wrappers and tens of regex
    calls per request. Here a request whose route the router would pick (found among only the routes
    that can match its path: the same number of ``/`` and the route's literal start) is answered by
    that route's handler directly, its exceptions turned into answers by the same handlers Starlette
    would call, in the same way (:meth:`_failed`). Any other request (no route, a wrong method: the 404
    and 405 answers) goes through Starlette itself. ``state`` is the Starlette app's (``.registry``)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state = app.state
        self.router = app.router
        self.handled: dict[Any, Callable[..., Any]] = {APIError: _api_error, HTTPException: _http_error}
        self.on_error = _unexpected
        self.exception_handlers: tuple[dict[Any, Callable[..., Any]], dict[Any, Any]] = ({**self.handled}, {})
        self._index()

    def _index(self) -> None:
        # (routes imports every family: not when this module is imported)
        from fakeopenai.http.routes import BY_METHOD

        # Routes by the number of "/" in their path (a route with a {name:path} parameter, or that is not
        # a plain Route, is a candidate for every path), in the router's order, each with its literal start.
        self.candidates: dict[int, list[tuple[str, Any, bool]]] = {}
        anywhere: list[tuple[int, Any]] = []
        fixed: list[tuple[int, int, Any]] = []
        self.indexed: list[Any] = list(self.router.routes)
        self.static: dict[tuple[str, str], Any] = {}   # (method, path) -> the route, for paths without parameters
        self.by_method: dict[Any, dict[str, Any]] = {}   # endpoint -> its handlers by method (routes._dispatch)
        for order, route in enumerate(self.indexed):
            handlers = getattr(getattr(route, "endpoint", None), BY_METHOD, None)
            if handlers is not None:
                self.by_method[route.endpoint] = handlers
            plain = (type(route) is Route and inspect.iscoroutinefunction(route.endpoint)
                     and not any(isinstance(c, PathConvertor) for c in route.param_convertors.values()))
            if plain:
                fixed.append((order, route.path.count("/"), route))
            else:
                anywhere.append((order, route))
        for slashes in {count for _, count, _ in fixed}:
            table = [(order, route.path.split("{", 1)[0], route, True) for order, count, route in fixed
                     if count == slashes] + [(order, "/", route, False) for order, route in anywhere]
            self.candidates[slashes] = [(prefix, route, plain) for _, prefix, route, plain in sorted(
                table, key=lambda item: item[0])]
        self.unknown = [("/", route, False) for _, route in anywhere]

    def _route(self, scope: Scope) -> tuple[Any, dict[str, Any]] | None:
        """The route the router would serve this request with, and its path parameters; None when it
        would not serve it with a plain route (then Starlette decides)."""
        path: str = scope["path"]
        if scope.get("root_path"):
            return None
        if len(self.router.routes) != len(self.indexed):   # a route added since (a test does): index again
            self._index()
        method = scope["method"]
        route = self.static.get((method, path))
        if route is not None:
            return route, {}
        for prefix, route, plain in self.candidates.get(path.count("/"), self.unknown):
            if not path.startswith(prefix):
                continue
            if not plain:
                match, _ = route.matches(scope)
                if match is Match.NONE:
                    continue
                return None   # a route of another kind would take it, or could (a partial match)
            found = route.path_regex.match(path)
            if found is None or (route.methods and method not in route.methods):
                continue   # a wrong method is a partial match: a later route may still take it fully
            params = found.groupdict()
            if not params:
                self.static[(method, path)] = route
            for key, value in params.items():
                params[key] = route.param_convertors[key].convert(value)
            return route, params
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._route(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        route, params = found
        scope["app"] = self.app
        scope["starlette.exception_handlers"] = self.exception_handlers
        scope["router"] = self.router
        scope["route"] = route
        endpoint = scope["endpoint"] = route.endpoint
        scope["path_params"] = params
        request = DispatchedRequest(scope, receive, send)
        # A path with a handler per method: that handler, as the path's endpoint would pick it (routes._dispatch).
        by_method = self.by_method.get(endpoint)
        try:
            if by_method is None:
                response = await endpoint(request)
            else:
                response = await (by_method.get(scope["method"]) or by_method["GET"])(request)
        except Exception as exc:
            await self._failed(request, exc, started=False)
            return
        if type(response).__call__ is _SEND_BODY:
            try:
                if response.background is None:
                    # What Response.__call__ sends (tests/test_dispatch.py holds the two to the same
                    # messages), without its coroutine.
                    await send({"type": "http.response.start", "status": response.status_code,
                                "headers": response.raw_headers})
                    await send({"type": "http.response.body", "body": response.body})
                else:
                    await response(scope, receive, send)
            except Exception as exc:   # only a send can fail, and the first one starts the answer
                await self._failed(request, exc, started=True)
            return
        started = False

        async def sender(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await response(scope, receive, sender)
        except Exception as exc:
            await self._failed(request, exc, started=started)

    async def _failed(self, request: Request, exc: Exception, *, started: bool) -> None:
        """What Starlette's exception middleware, then its error middleware, do with ``exc``: the
        handler of its class answers it (unless the answer had started: then it is a RuntimeError);
        anything else is answered by the 500 handler, unless started, and raised again."""
        scope, receive, send = request.scope, request.receive, request._send
        handler = next((self.handled[cls] for cls in type(exc).__mro__ if cls in self.handled), None)
        if handler is not None:
            if not started:
                try:
                    response = await handler(request, exc)
                    await response(scope, receive, send)
                except Exception as inner:
                    exc = inner
                else:
                    exc.__traceback__ = None
                    return
            else:
                try:
                    raise RuntimeError("Caught handled exception, but response already started.") from exc
                except RuntimeError as error:
                    exc = error
        response = await self.on_error(Request(scope), exc)
        if not started:
            await response(scope, receive, send)
        raise exc
