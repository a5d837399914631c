"""The control API under ``/_fake`` (docs/control-api.md): JSON, tenant = bearer key.

    curl -s localhost:8000/_fake/health
    curl -s -X PUT localhost:8000/_fake/scenario -H 'Authorization: Bearer sk-test' \\
         -H 'Content-Type: application/yaml' --data-binary @scenarios/run_fails.yaml
    curl -s -X PUT localhost:8000/_fake/scenario -H 'Authorization: Bearer sk-test' -d '{"name": "run_fails"}'
    curl -s localhost:8000/_fake/scenario -H 'Authorization: Bearer sk-test'
    curl -s -X POST localhost:8000/_fake/clock -H 'Authorization: Bearer sk-test' -d '{"advance": 601}'
    curl -s localhost:8000/_fake/requests -H 'Authorization: Bearer sk-test'
    curl -s localhost:8000/_fake/violations -H 'Authorization: Bearer sk-test'
    curl -s -X POST localhost:8000/_fake/reset -H 'Authorization: Bearer sk-test'
    curl -s -X DELETE localhost:8000/_fake/tenant -H 'Authorization: Bearer sk-test'
    curl -s localhost:8000/_fake/tenants                      # loopback, no --api-key: every tenant
    curl -s localhost:8000/_fake/timeline -H 'Authorization: Bearer sk-test'
    open http://localhost:8000/_fake/ui                       # the page over /_fake/timeline
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from fakeopenai import __version__
from fakeopenai.core import timeline as timelines
from fakeopenai.core.errors import AuthenticationError, InvalidRequestError, NotFoundError
from fakeopenai.core.tenants import TenantRegistry, bad_compat
from fakeopenai.gateway.request_log import format_request, format_response
from fakeopenai.http import ui as page
from fakeopenai.http.params import body_bytes, json_body
from fakeopenai.http.rendering import json_response, tenant
from fakeopenai.scenario.loader import ScenarioError, parse_scenario_text, parse_yaml
from fakeopenai.scenario.model import Scenario


def _registry(request: Request) -> TenantRegistry:
    return request.scope["fakeopenai.registry"]


async def health(request: Request) -> Response:
    registry = _registry(request)
    return json_response({"status": "ok", "version": __version__, "tenants": len(registry),
                          "default_scenario": registry.default_scenario.name})


async def reset(request: Request) -> Response:
    state = tenant(request)
    state.load(state.scenario)
    return json_response({"status": "reset", "scenario": state.scenario.name})


async def drop_tenant(request: Request) -> Response:
    state = tenant(request)
    _registry(request).drop(state.key)
    return json_response({"status": "deleted"})


async def get_scenario(request: Request) -> Response:
    return json_response(tenant(request).progress())


async def put_scenario(request: Request) -> Response:
    """Load a scenario: YAML or JSON text, ``{"name": "builtin"}`` or the bare name; resets the tenant."""
    state = tenant(request)
    registry = _registry(request)
    raw = body_bytes(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError("The scenario must be UTF-8 text (YAML or JSON).", param="body") from None
    overrides: dict[str, Any] = {k: request.query_params[k] for k in ("seed", "compat") if k in request.query_params}
    if "seed" in overrides and overrides["seed"].lstrip("-").isdigit():
        overrides["seed"] = int(overrides["seed"])
    _check_compat(overrides.get("compat"), "query parameter")

    def build() -> Scenario:
        named = _json_or_none(text) if text.lstrip()[:1] in ('{', '"') else None
        bare = _bare_name(text)
        source: str | Scenario
        if isinstance(named, str):   # "run_fails", or run_fails: a name as the whole body
            source = named
        elif bare is not None:
            source = bare
        elif isinstance(named, dict) and set(named) <= {"name", "seed", "compat", "strict"} and "name" in named:
            source = named["name"]
            _check_compat(named.get("compat"), "field of the request body")
            for key in ("seed", "compat", "strict"):
                if key in named:
                    overrides[key] = named[key]
        else:
            source = parse_scenario_text(text, "<request body>", allow_paths=False)
        return registry.build(source, allow_paths=False, **overrides)

    try:
        # A big scenario is parsed and built in a worker thread: the event loop serves the other
        # tenants meanwhile (the GIL passes between the two every few milliseconds).
        scenario = await asyncio.to_thread(build) if len(raw) > THREAD_SCENARIO_BYTES else build()
        state = registry.install(state.key, scenario)
    except ScenarioError as exc:
        return json_response({"error": {
            "message": f"Invalid scenario:\n{exc}", "type": "invalid_request_error", "param": "scenario",
            "code": "invalid_scenario",
            "problems": [{"line": p.line, "column": p.column, "path": p.path, "message": p.message}
                         for p in exc.problems]}}, status_code=400)
    return json_response(state.progress())


def _check_compat(value: Any, where: str) -> None:
    """A compat override is the request's, not the scenario's: a bad one is named as such."""
    problem = bad_compat(value)
    if problem is not None:
        raise InvalidRequestError(f"Invalid 'compat' {where}: {problem}. It overrides the scenario's compat.",
                                  param="compat")


def _bare_name(text: str) -> str | None:
    """The body as a scenario's name, when it is one word and nothing else (``run_fails``): YAML would
    read it as a string, which is no scenario."""
    word = text.strip()
    if not word or not all(c.isalnum() or c in "-_./" for c in word):
        return None
    data, _ = parse_yaml(word, "<request body>")
    return word if isinstance(data, str) else None  # not null, true or 42


def _json_or_none(text: str) -> Any:
    """``{"name": ...}`` as JSON; anything else (a YAML flow mapping such as ``{runs: []}``, JSON
    too deep to parse) is left to the scenario loader, which reports it with positions."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


async def clock(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, None, required=False, any_content_type=True)
    if body:
        unknown = set(body) - {"advance"}
        if unknown:
            raise InvalidRequestError(f"Unrecognized request argument supplied: {sorted(unknown)[0]}",
                                      param=sorted(unknown)[0])
        seconds = body.get("advance", 0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise InvalidRequestError("Invalid 'advance': expected a number of seconds >= 0.", param="advance")
        state.clock.advance(seconds)
        state.log_change(f"clock advanced {seconds}s to {state.clock.now}")
        state.clock_moved()
    return json_response({"now": state.clock.now, "step": state.clock.step})


async def requests(request: Request) -> Response:
    """The request log (up to 10,000 entries), formatted and encoded a few hundred entries at a time
    with a pause between them; the same bytes as a JSONResponse of the whole list."""
    entries = list(tenant(request).requests)   # a snapshot: the tenant's requests go on meanwhile
    parts = []
    for index, entry in enumerate(entries, 1):
        parts.append(_encode(format_request(entry)))
        if index % LOG_STEP_ENTRIES == 0:
            await asyncio.sleep(0)
    return Response(("[" + ",".join(parts) + "]").encode("utf-8"), media_type="application/json")


# What JSONResponse writes (compact, UTF-8, no NaN), one entry at a time.
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
LOG_STEP_ENTRIES = 250
THREAD_SCENARIO_BYTES = 64 * 1024


async def violations(request: Request) -> Response:
    return json_response(tenant(request).violations)


# ---------------------------------------------------------------------- the timeline and its page
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})


def _sees_every_tenant(request: Request) -> bool:
    """On loopback, a server started without ``--api-key`` shows every tenant (by label) to anyone;
    otherwise a caller sees the tenant of its own key only."""
    client = request.scope.get("client")
    local = client is None or client[0] in LOOPBACK
    return local and request.scope.get("fakeopenai.api_keys") is None


def _own(request: Request) -> Any:
    return request.scope.get("fakeopenai.tenant")


def _describe(state: Any) -> dict[str, Any]:
    return {"tenant": state.label, "scenario": state.scenario.name, "requests": state.timeline.requests,
            "objects": len(state.timeline.lives), "violations": len(state.violations), "clock": state.clock.now}


async def tenants(request: Request) -> Response:
    if _sees_every_tenant(request):
        states = _registry(request).states()
    elif _own(request) is not None:
        states = [_own(request)]
    else:
        raise _key_needed()
    return json_response({"tenants": [_describe(state) for state in states]})


async def timeline(request: Request) -> Response:
    label = request.query_params.get("tenant")
    own = _own(request)
    if label is None or (own is not None and own.label == label):
        state = own
        if state is None:
            raise _key_needed()
    elif _sees_every_tenant(request):
        state = _registry(request).by_label(label)
        if state is None:
            raise NotFoundError(f"No tenant found with label '{label}' (GET /_fake/tenants lists them).",
                                param="tenant")
    else:
        raise NotFoundError(f"No tenant found with label '{label}': this server shows a caller the tenant of its "
                            "own API key only (it was started with --api-key, or the request is not from "
                            "loopback).", param="tenant")
    last = request.query_params.get("last")
    if last is not None and (not last.isdigit() or int(last) < 1):
        raise InvalidRequestError(f"Invalid 'last': {last!r}; expected a number of requests >= 1.", param="last")
    return json_response(timelines.snapshot(state, format_request, format_response,
                                            last=int(last) if last is not None else None))


async def ui(request: Request) -> Response:
    return HTMLResponse(page.render(None, ask_key=not _sees_every_tenant(request)))


def _key_needed() -> AuthenticationError:
    return AuthenticationError("You didn't provide an API key. This server shows its tenants without a key only "
                               "to loopback clients when started without --api-key; send Authorization: Bearer "
                               "YOUR_KEY to see your own tenant.", param="authorization")
