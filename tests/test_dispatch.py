"""What the app's layers around a handler rely on, held to what they stand in for: ``http.app.Dispatch``
(a handler per method called directly, a plain answer sent without ``Response.__call__``, a lean
``Request``), the gateway's request ids worked out ahead, and the door handing over the gateway's own
coroutine (doors/server.ServerHeaders)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from fakeopenai.core.ids import request_id
from fakeopenai.doors.server import ServerHeaders
from fakeopenai.gateway import Gateway
from fakeopenai.http.app import Dispatch, DispatchedRequest, create_app
from fakeopenai.http.routes import BY_METHOD, _merge


def scope_of(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": headers or [(b"host", b"x")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def sent_by(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_a_dispatched_request_is_what_starlette_makes() -> None:
    scope = scope_of("GET", "/x")

    async def send(message: Any) -> None:
        pass

    made, starlettes = DispatchedRequest(scope, receive, send), Request(scope, receive, send)
    assert vars(made) == vars(starlettes)
    assert isinstance(made, Request)


ANSWERS = {
    "/plain": lambda: Response(b"hello", media_type="text/plain", headers={"x-a": "1"}),
    "/json": lambda: JSONResponse({"a": 1}, status_code=201),
    "/text": lambda: PlainTextResponse("hi", status_code=404),
    "/background": lambda: Response(b"later", background=BackgroundTask(lambda: None)),
}


def test_a_plain_answer_is_sent_as_response_call_sends_it() -> None:
    async def handler(request: Request) -> Response:
        return ANSWERS[request.url.path]()

    app = Dispatch(Starlette(routes=_merge([(path, handler, ["GET"]) for path in ANSWERS])))
    for path, answer in ANSWERS.items():
        assert sent_by(app, scope_of("GET", path)) == sent_by(answer(), scope_of("GET", path)), path


def test_a_path_with_a_handler_per_method_is_served_by_the_one_its_endpoint_picks() -> None:
    def answering(name: str) -> Any:
        async def handler(request: Request) -> Response:
            return Response(name.encode())
        return handler

    table = [("/both", answering("get"), ["GET"]), ("/both", answering("post"), ["POST"])]
    routes = _merge(table)
    assert getattr(routes[0].endpoint, BY_METHOD)   # Dispatch takes the handlers from the endpoint
    dispatched, starlette = Dispatch(Starlette(routes=_merge(table))), Starlette(routes=_merge(table))
    for method in ("GET", "POST", "HEAD"):
        dispatched_sent = sent_by(dispatched, scope_of(method, "/both"))
        assert dispatched_sent == sent_by(starlette, scope_of(method, "/both")), method
        assert dispatched_sent[-1]["body"] == (b"post" if method == "POST" else b"get")


def test_request_ids_worked_out_ahead_are_the_ids_of_their_number_and_seed() -> None:
    app = ServerHeaders(create_app(seed=5))
    assert app.returns_none   # the gateway's coroutine is handed to the server as it is: it returns None
    assert isinstance(app.app, Gateway)

    def request_of(key: bytes) -> str:
        scope = scope_of("GET", "/v1/models", [(b"host", b"x"), (b"authorization", b"Bearer " + key)])
        start = sent_by(app, scope)[0]
        assert start["status"] == 200
        return dict(start["headers"])[b"x-request-id"].decode()

    # One tenant, then two in turn (each other's prepared id is not theirs), then one again.
    seen = [request_of(key) for key in (b"sk-a", b"sk-a", b"sk-b", b"sk-a", b"sk-b", b"sk-b", b"sk-b")]
    assert seen == [request_id(n, 5) for n in (1, 2, 1, 3, 2, 3, 4)]


def test_the_gateway_returns_none() -> None:
    gateway = create_app()
    served = gateway(scope_of("GET", "/v1/models", [(b"host", b"x"), (b"authorization", b"Bearer sk-x")]),
                     receive, _ignore)
    assert asyncio.run(_result(served)) is None


async def _ignore(message: Any) -> None:
    pass


async def _result(served: Any) -> Any:
    return await served


def test_the_door_adds_headers_the_gateway_adds_not() -> None:
    # The gateway's Capture adds the request id and the warnings first, then each door header the answer
    # lacks, looking only at the answer's own names: the door's must be neither of the gateway's own.
    from fakeopenai.gateway.request_log import WARNING_HEADER

    names = [name for name, _ in ServerHeaders(create_app())._now()]
    assert sorted(names) == [b"date", b"server"]
    assert not {b"x-request-id", WARNING_HEADER} & set(names)


AUTHORIZATIONS = [b"Bearer sk-1", b"bearer  sk-2 ", b"BEARER\tsk-3", b" Bearer sk-4", b"Bearer ", b"Bearer",
                  b"Basic a2V5", b"", b"Bearer sk-\xe9", b"Bearer \t "]


def old_bearer_key(value: bytes) -> str | None:
    """What the gateway read an Authorization header's key as, before keys were kept by value."""
    text = value.decode("latin-1").strip()
    if text[:7].lower() == "bearer ":
        return text[7:].strip() or None
    return None


def test_a_key_read_again_is_the_key_read_first(monkeypatch: Any) -> None:
    from fakeopenai.gateway import auth

    monkeypatch.setattr(auth, "KEYS", {})
    monkeypatch.setattr(auth, "KEYS_MOST", 4)
    for _ in range(2):   # read, then kept (and the cache emptied on the way: at most 4 kept)
        for value in AUTHORIZATIONS:
            scope = {"headers": [(b"host", b"x"), (b"authorization", value), (b"authorization", b"Bearer other")]}
            assert auth.bearer(scope) == old_bearer_key(value), value
            assert len(auth.KEYS) <= 4
    assert auth.bearer({"headers": [(b"host", b"x")]}) is None
