"""The Responses engine: responses that play a conversation script, sync, streamed or in the
background. No HTTP here.

A script spans a conversation (a :class:`Chain`): a ``tool_calls`` step ends a response
``completed`` with ``function_call`` items, and the response that brings their
``function_call_output`` items (through ``previous_response_id``, or the whole history resent)
goes on from the next step; an ``mcp`` step that needs approval waits the same way for an
``mcp_approval_response``. A response answered at once plays its steps to the next such wait
or the end; a background one is created ``queued`` and moves one step per read (the shared
stepper's pacing), like a run. The hosted tools' steps (and reasoning) are :mod:`.hosted`'s.
Every transition reports its stream events through an :class:`Emitter` (the stream renders
them; polling passes :data:`SILENT`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from fakeopenai.core.changes import logging_changes
from fakeopenai.core.errors import InvalidRequestError, NotFoundError
from fakeopenai.core.known_models import check_model
from fakeopenai.core.unknown_ids import DEFAULT_MODEL, made_for
from fakeopenai.families.responses import hosted
from fakeopenai.families.responses.conversations import add_items, get_conversation, history, resolve_references
from fakeopenai.families.responses.items import (
    input_tokens,
    instructions_text,
    last_user_text,
    parse_input,
    store_items,
    text_of,
    tool_names,
)
from fakeopenai.families.responses.objects import Chain, Response
from fakeopenai.families.responses.scenario import ResponseMatch, ResponseScript
from fakeopenai.families.responses.world import world
from fakeopenai.scripting.conversation import HOSTED_KINDS, Step, ToolCallSpec, cut_off_by
from fakeopenai.scripting.stepper import (
    Cursor,
    Machine,
    check_offered,
    check_outputs,
    choose,
    described,
    note_script_ended,
    scripts_for,
)
from fakeopenai.spec.generate import answer_text, count_tokens, cut_to_tokens, request_key, schema_instance, split_words

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.scenario.model import StreamOptions

TERMINAL = frozenset({"completed", "failed", "cancelled", "incomplete"})
ERROR_CODES = frozenset({
    "server_error", "rate_limit_exceeded", "invalid_prompt", "data_residency_mismatch", "bio_policy",
    "vector_store_timeout", "invalid_image", "invalid_image_format", "invalid_base64_image", "invalid_image_url",
    "image_too_large", "image_too_small", "image_parse_error", "image_content_policy_violation",
    "invalid_image_mode", "image_file_too_large", "unsupported_image_media_type", "empty_image_file",
    "failed_to_download_image", "image_file_not_found"})
# A step's incomplete reason in the run words, as the Responses API says it.
INCOMPLETE_REASONS = {"max_completion_tokens": "max_output_tokens", "max_prompt_tokens": "max_output_tokens",
                      "max_output_tokens": "max_output_tokens", "content_filter": "content_filter"}

DEFAULT_SCRIPT = ResponseScript(
    index=-1, name="default script", match=ResponseMatch(), times=None,
    steps=(Step(kind="status", status="queued", where="default.steps[0]"),
           Step(kind="status", status="in_progress", where="default.steps[1]"),
           Step(kind="message", where="default.steps[2]"),
           Step(kind="status", status="completed", where="default.steps[3]")))


class Emitter(Protocol):
    def lifecycle(self, kind: str, response: Response) -> None: ...
    def event(self, kind: str, fields: dict[str, Any]) -> None: ...


class _Silent:
    def lifecycle(self, kind: str, response: Response) -> None:
        pass

    def event(self, kind: str, fields: dict[str, Any]) -> None:
        pass


SILENT: Emitter = _Silent()


# ----------------------------------------------------------------------------- creation

def create_response(state: TenantState, body: dict[str, Any], emit: Emitter = SILENT, *,
                    object_id: str | None = None) -> Response:
    """``POST /responses`` after the body passed the official schema. Everything is checked before
    anything changes; then the response is created (and, unless background, left to be played)."""
    objects = world(state)
    store = body.get("store") is not False
    background = bool(body.get("background"))
    if background and not store:
        raise InvalidRequestError("Background sampling requires store=true; stateless requests are rejected.",
                                  param="store", code="invalid_value")
    conversation = None
    if body.get("conversation") is not None:
        if body.get("previous_response_id"):
            raise InvalidRequestError("Mutually exclusive parameters: Ensure you are only providing one of: "
                                      "'previous_response_id' or 'conversation'.", param="conversation",
                                      code="mutually_exclusive_parameters")
        ref = body["conversation"]
        conversation = get_conversation(state, ref if isinstance(ref, str) else str(ref.get("id")),
                                        param="conversation")
    items = resolve_references(state, parse_input(body.get("input")))
    previous = None
    if body.get("previous_response_id"):
        previous = held_or_made(state, body["previous_response_id"])
        if previous is None:
            raise InvalidRequestError(f"Previous response with id '{body['previous_response_id']}' not found.",
                                      param="previous_response_id", code="previous_response_not_found")
    hosted.check_reasoning_input(state, items)
    outputs: list[dict[str, Any]] = []
    approvals: list[dict[str, Any]] = []
    resent: set[Any] = set()   # the calls of the resent history (their outputs, answered before, are context)
    for item in items:   # one pass (a comprehension a kind costs a frame each, for the usual one user message)
        kind = item.get("type")
        if kind == "function_call_output":
            outputs.append(item)
        elif kind == "mcp_approval_response":
            approvals.append(item)
        elif kind == "function_call":
            resent.add(item.get("call_id"))
    answering = {str(item.get("approval_request_id")) for item in approvals} if approvals else set()

    def waits(chain: Chain | None) -> bool:
        """The conversation waits for what this request brings: tool outputs, or an MCP approval decision."""
        return chain is not None and bool(chain.pending or answering & chain.approvals.keys())

    # A conversation goes on when its script waits for tool outputs; otherwise a new one starts.
    chain = previous._chain if previous is not None and waits(previous._chain) else None
    if conversation is not None and waits(conversation._chain):
        chain = conversation._chain
    if chain is None and previous is None and conversation is None and (outputs or approvals):
        # A stateless client resends the history: the chain is the one waiting for one of its outputs.
        waiting: list[Any] = [o.get("call_id") for o in outputs if (o.get("call_id") or "") in objects.calls]
        waiting += [key for key in answering if key in objects.calls]
        chain = objects.calls[waiting[0]] if waiting else None
    last = items[-1] if items else {}
    last_output = str(last.get("call_id") or "") if last.get("type") == "function_call_output" else \
        str(last.get("approval_request_id") or "") if last.get("type") == "mcp_approval_response" else ""
    if last_output in objects.answered and (chain is None or (last_output not in chain.pending
                                                              and last_output not in chain.approvals)):
        # A repeat of the request that answered these calls (an SDK retry after a timeout, while the first
        # try still ran): the same response (a stream: its events again), and no conversation starts over.
        repeated = objects.answered[last_output]
        if not body.get("stream") or repeated._recorder is not None:
            return repeated
    # Outputs of the resent history whose call is in the input too, and answered before, are context.
    if resent:
        outputs = [o for o in outputs
                   if not (o.get("call_id") in resent and (chain is None or o.get("call_id") not in chain.pending))]
    given = _check_outputs(chain, outputs)
    decided = _check_approvals(state, chain, approvals)
    check_model(state, body.get("model"))
    # Valid: from here on the request changes state.
    now = state.clock.tick()
    new_chain = chain is None
    if chain is None:   # in a conversation, its items come first (its last user message may be a seeded one)
        chain = _new_chain(state, body, (history(conversation) if conversation is not None else []) + items, now)
    response = new_response(body, object_id or state.ids.new("resp_"), now, chain, background=background, store=store)
    if conversation is not None:
        context = history(conversation)
        response._input = add_items(state, conversation, items)
        response.conversation, response._conversation = conversation.id, conversation
        conversation._chain = chain
    else:
        context = (previous._history + previous.output) if previous is not None else []
        response._input = store_items(items, state.ids)
    response._history = context + response._input
    if store:
        objects.responses.add(response.id, response)
    chain.latest = response
    chain.responses.append(response)
    chain.status = response.status
    cursor = chain._cursor
    if background and new_chain and cursor.script.steps and _is_status(cursor.script.steps[0], "queued"):
        cursor.enter(0, state.clock.micros)   # the queued status the client sees is the script's first step
    response._step = cursor.step_number()
    if new_chain:
        chain.id = response.id
        objects.chains.add(chain.id, chain)
        state.record_use(chain._cursor.script, chain.id, chain.used_up)
        if chain.violation is not None:
            state.add_violation(**chain.violation, response_id=response.id)
    if logging_changes():
        state.log_change("%s created (%s%s) by %s: %s", response.id, "background" if background else "foreground",
                         ", continues " + chain.id if not new_chain else "", chain._cursor.script.name,
                         response.status)
    emit.lifecycle("response.created", response)
    failure = _consume_outputs(state, chain, response, given) if given else None
    if decided:
        _consume_approvals(state, chain, response, decided)
    if (given or decided) and emit is not SILENT:
        response._recorder = emit   # a stream's events, for a repeat of this request
    if failure is not None:
        _finish(state, response, "failed", now, emit, None, error={"code": "server_error", "message": failure})
        return response
    if background:
        emit.lifecycle("response.queued", response)
        cursor.seen = 1
        state.timeline.note(state, chain)   # a continuation is queued: its lane shows it before any read
    else:
        emit.lifecycle("response.in_progress", response)
    return response


def new_response(body: dict[str, Any], response_id: str, now: int, chain: Chain, *, background: bool,
                  store: bool) -> Response:
    """The response ``body`` asks for, before it plays: its fields as the request set them."""
    tools, include = body.get("tools"), body.get("include")
    response = Response(
        id=response_id, created_at=now, model=body.get("model") or "gpt-4o", background=background,
        store=store, instructions=body.get("instructions"), max_output_tokens=body.get("max_output_tokens"),
        max_tool_calls=body.get("max_tool_calls"), parallel_tool_calls=_pick(body, "parallel_tool_calls", True),
        previous_response_id=body.get("previous_response_id"), prompt_cache_key=body.get("prompt_cache_key"),
        safety_identifier=body.get("safety_identifier"), temperature=_pick(body, "temperature", 1.0),
        top_p=_pick(body, "top_p", 1.0), tool_choice=_pick(body, "tool_choice", "auto"),
        tools=[_echo_tool(tool) for tool in tools] if tools else [], user=body.get("user"),
        metadata=dict(body.get("metadata") or {}),
        top_logprobs=body.get("top_logprobs") or 0, _chain=chain, _stream=bool(body.get("stream")),
        status="queued" if background else "in_progress", _include=frozenset(include) if include else frozenset())
    if body.get("text"):
        response.text = {**response.text, **body["text"]}
    if body.get("reasoning"):
        response.reasoning = {**response.reasoning, **body["reasoning"]}
    return response


def _echo_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A tool as the response shows it: a function tool with its defaults filled in, as the live API does."""
    if tool.get("type") != "function":
        return dict(tool)
    return {"type": "function", "description": None, "name": tool.get("name"),
            "parameters": tool.get("parameters"), "strict": True, **tool}


def _pick(body: dict[str, Any], name: str, fallback: Any) -> Any:
    value = body.get(name)
    return fallback if value is None else value


def _is_status(step: Step, status: str) -> bool:
    return step.kind == "status" and step.status == status


def _check_outputs(chain: Chain | None, outputs: list[dict[str, Any]]) -> dict[str, str]:
    """The outputs by call id, once each waiting call has one and each one answers a call."""
    given: dict[str, str] = {}
    for item in outputs:
        call_id = item.get("call_id") or ""
        if chain is None or call_id not in chain.pending:
            raise InvalidRequestError(f"No tool call found for function call output with call_id {call_id}.",
                                      param="input", code="invalid_value")
        output = item.get("output")
        given[call_id] = output if isinstance(output, str) else \
            "".join(p.get("text", "") for p in output or () if isinstance(p, dict))
    if chain is not None:
        for call_id in chain.pending:
            if call_id not in given:
                raise InvalidRequestError(f"No tool output found for function call {call_id}.", param="input",
                                          code="invalid_value")
    return given


def _check_approvals(state: TenantState, chain: Chain | None, approvals: list[dict[str, Any]]) -> dict[str, bool]:
    """The MCP approval decisions by approval request id, for the requests the conversation waits on; one
    answered before (a stateless client resends its history) is context; one for no request is a 400."""
    decided: dict[str, bool] = {}
    answered = world(state).answered
    for item in approvals:
        request_id = str(item.get("approval_request_id") or "")
        if chain is not None and request_id in chain.approvals:
            decided[request_id] = bool(item.get("approve"))
        elif request_id not in answered:
            raise InvalidRequestError(f"No MCP approval request found for mcp_approval_response with "
                                      f"approval_request_id {request_id}.", param="input", code="invalid_value")
    return decided


def _consume_approvals(state: TenantState, chain: Chain, response: Response, decided: dict[str, bool]) -> None:
    """The approval decisions answer the chain's waiting MCP calls: the response makes the approved ones
    first (:func:`hosted.play_approved`), then goes on with the script."""
    objects = world(state)
    for request_id, approve in decided.items():
        step = chain.approvals.pop(request_id)
        objects.calls.pop(request_id, None)
        objects.answered[request_id] = response
        response._approved.append((step, request_id, approve))


def _new_chain(state: TenantState, body: dict[str, Any], items: list[dict[str, Any]], now: int) -> Chain:
    objects = world(state)
    scripts = scripts_for(state, "responses")

    def actual() -> str:
        return described(f"response with model {body.get('model') or 'gpt-4o'}", dict(body.get("metadata") or {}),
                         last_user_text(items))

    script, violation, used_up = choose(state, scripts, mismatch_of(body, items), noun="response", plural="responses",
                                        default=DEFAULT_SCRIPT, fail=_failing_script, actual=actual)
    objects.chain_count += 1
    # Unscripted: its answer is keyed by the request, as a batch line with this body is.
    text_key = f"{state.scenario.seed}|response{objects.chain_count}"
    if script is DEFAULT_SCRIPT:
        text_key = request_key(state.scenario.seed, body)
        script = forced_call_script(body, text_key) or script
    return Chain(id="", _cursor=Cursor(script, pos=-1, entered_us=state.clock.micros), number=objects.chain_count,
                 violation=violation, used_up=used_up, text_key=text_key)


def mismatch_of(body: dict[str, Any], items: list[dict[str, Any]]) -> Callable[[Any], str | None]:
    """Why a script does not fit a new conversation started by ``body`` (None: it fits). What a match is
    tested on is worked out when a script's match first asks (never for a script that takes any request)."""
    facts: dict[str, Any] = {}

    def mismatch(script: Any) -> str | None:
        if script.match.fits_anything:
            return None
        if not facts:
            facts.update(model=body.get("model") or "gpt-4o", metadata=dict(body.get("metadata") or {}),
                         last_message=last_user_text(items), instructions=instructions_text(body.get("instructions")),
                         tools=tool_names(list(body.get("tools") or [])))
        return script.match.mismatch(**facts)

    return mismatch


def forced_call_script(body: dict[str, Any], text_key: str) -> ResponseScript | None:
    """Unscripted, ``tool_choice`` ``required`` (or a named function) with function tools offered:
    a generated call of that function (the first one for ``required``), its arguments an instance
    of the tool's ``parameters``; the response that brings its output gets a generated answer.
    A hosted tool forced (``{type: file_search}``, ``{type: mcp, server_label}`` ..., or ``required``
    with only hosted tools offered): a generated call of it, then a generated answer. ``auto`` with a file
    search over vector stores the only tool offered: that search, then its best passage."""
    choice = body.get("tool_choice")
    offered = [t for t in body.get("tools") or () if isinstance(t, dict)]
    tools = [t for t in offered if t.get("type") == "function"]
    if choice == "required":
        tool = tools[0] if tools else None
        if tool is None:
            return _forced_hosted_script(text_key, next(
                (t for t in offered if any(t.get("type") in types for types in hosted.TOOL_TYPES.values())), None))
    elif isinstance(choice, dict) and choice.get("type") == "function":
        tool = next((t for t in tools if t.get("name") == choice.get("name")), None)
    elif isinstance(choice, dict) and choice.get("type") in hosted.FORCED:
        kind = hosted.FORCED[str(choice.get("type"))]
        tool = next((t for t in offered if t.get("type") in hosted.TOOL_TYPES[kind]
                     and (kind != "mcp" or t.get("server_label") == choice.get("server_label"))), None)
        return _forced_hosted_script(text_key, tool, choice) if tool is not None else None
    elif choice in (None, "auto") and len(offered) == 1 and offered[0].get("type") == "file_search" \
            and offered[0].get("vector_store_ids"):
        # A file search over stores, the only tool offered (a RAG app's request): it searches them, as a model
        # asked about their content does, then answers from the best passage.
        return _forced_hosted_script(text_key, offered[0])
    else:
        return None
    if tool is None:
        return None
    parameters = tool.get("parameters")
    key = f"{text_key}|call"
    arguments = schema_instance(parameters, key) if isinstance(parameters, dict) and parameters else {}
    call = ToolCallSpec(function=str(tool.get("name")), arguments=json.dumps(arguments, ensure_ascii=False))
    return _with_call(Step(kind="tool_calls", tool_calls=(call,), where="default.steps[2]"))


def _with_call(call: Step) -> ResponseScript:
    """The default script with ``call`` before its message."""
    steps = DEFAULT_SCRIPT.steps
    return ResponseScript(index=-1, name="default script", match=ResponseMatch(), times=None, steps=(
        *steps[:2], call,
        *(Step(kind=step.kind, status=step.status, where=f"default.steps[{i + 3}]")
          for i, step in enumerate(steps[2:]))))


def _forced_hosted_script(text_key: str, tool: dict[str, Any] | None,
                          choice: dict[str, Any] | None = None) -> ResponseScript | None:
    """The default script with a generated call of the hosted ``tool`` (searches of the last user
    message, code that prints a product, an image of the prompt, an MCP call of the tool the choice
    names, else of the server's first allowed tool)."""
    if tool is None:
        return None
    kind: Any = next(k for k, types in hosted.TOOL_TYPES.items() if tool.get("type") in types)   # a StepKind
    data: dict[str, Any]
    if kind in ("file_search", "web_search"):
        data = {"queries": (), "results": None, "cite": True}
    elif kind == "code_interpreter":
        seed = zlib.crc32(f"{text_key}|code".encode())
        a, b = 2 + seed % 9, 3 + seed // 9 % 7
        data = {"code": f"print({a} * {b})", "outputs": ({"type": "logs", "logs": f"{a * b}\n"},),
                "container_id": None}
    elif kind == "image_generation":
        data = {"prompt": None}
    else:
        allowed = hosted.filter_names(tool.get("allowed_tools"))
        name = (choice or {}).get("name") or (allowed[0] if allowed else "search")
        data = {"server_label": str(tool.get("server_label")), "tool": str(name), "arguments": "{}", "output": None,
                "error": None, "approval": None}
    return _with_call(Step(kind=kind, hosted=data, where="default.steps[2]"))


def _failing_script(message: str) -> ResponseScript:
    """What serves a conversation no script matched (``unmatched: error``): it fails with the reason."""
    return ResponseScript(index=-2, name="unmatched", match=ResponseMatch(), times=None, steps=(
        Step(kind="status", status="failed", where="unmatched.steps[0]",
             last_error={"code": "server_error", "message": message}),))


def _consume_outputs(state: TenantState, chain: Chain, response: Response, given: dict[str, str]) -> str | None:
    """The tool outputs answer the chain's waiting calls: check them against ``expect_outputs``."""
    step = chain._cursor.current()
    pairs = [(spec, call_id) for call_id, spec in chain.pending.items()]
    objects = world(state)
    for call_id in chain.pending:
        objects.calls.pop(call_id, None)
        objects.answered[call_id] = response
    chain.pending = {}
    return check_outputs(state, step, pairs, given, owner={"response_id": response.id},
                         script=chain._cursor.script.name)


# ----------------------------------------------------------------------------- lookups

def held_or_made(state: TenantState, response_id: str, recorder: Emitter | None = None) -> Response | None:
    """The stored response, or under ``unknown_ids: generate`` one made for that id, or None; a made one
    records its events with ``recorder`` (the HTTP layer's event log), so that it can be streamed again."""
    return world(state).responses.get(response_id) or made_for(
        state, response_id, "response", lambda key: _made_response(state, key, recorder))


def get_response(state: TenantState, response_id: str, recorder: Emitter | None = None) -> Response:
    response = held_or_made(state, response_id, recorder)
    if response is None:
        raise NotFoundError(f"Response with id '{response_id}' not found.", param="response_id")
    return response


def _made_response(state: TenantState, response_id: str, recorder: Emitter | None) -> Response:
    """A stored response for an id this tenant never made (``unknown_ids: generate``): one made by the
    scenario for a one-line background request (so that every operation on a stored response takes it:
    a cancel, and with a recorder a retrieve with ``stream=true``), played to its end."""
    body = {"model": DEFAULT_MODEL, "input": "Hello", "store": True, "background": True}
    made = create_response(state, {**body, "stream": recorder is not None}, recorder or SILENT,
                           object_id=response_id)
    if recorder is not None:
        made._recorder = recorder
    return play(state, made, recorder or SILENT)


def delete_response(state: TenantState, response_id: str) -> str:
    get_response(state, response_id)
    world(state).responses.remove(response_id)
    state.log_change("%s deleted", response_id)
    return response_id


def cancel_response(state: TenantState, response: Response) -> Response:
    """Background only; cancelling an ended response gives it back as it is (idempotent)."""
    if not response.background:
        raise InvalidRequestError("Cannot cancel a synchronous response.", param="response_id",
                                  code="invalid_value")
    if response.status in TERMINAL:
        return response
    _finish(state, response, "cancelled", state.clock.tick(), SILENT, None)
    return response


# ----------------------------------------------------------------------------- playing

class ResponseMachine(Machine[Response]):
    """A background response moves one step per read; an ended one stays put."""

    def parked(self, response: Response) -> bool:
        return response.status in TERMINAL

    def cancel_pending(self, response: Response) -> bool:
        return False   # a cancel ends it at once

    def enter(self, state: TenantState, response: Response, pos: int, now: int) -> None:
        _enter(state, response, pos, now, emitter_of(response))


MACHINE = ResponseMachine()
observe = MACHINE.observe


def emitter_of(response: Response) -> Emitter:
    """A background stream's recorder keeps its events (for a later GET ?stream=true)."""
    return response._recorder if response._recorder is not None else SILENT


def steps_until_end(state: TenantState, response: Response, emit: Emitter) -> Iterator[None]:
    """Play the steps up to the response's end (a tool_calls step ends it too), pausing after each;
    a step paced by ``after`` moves the fake clock to the end of its wait first."""
    while response.status not in TERMINAL:
        MACHINE.pass_wait(state, response)   # an after: step moves the fake clock by its wait, as for runs
        _enter(state, response, response._chain._cursor.pos + 1, state.clock.tick(), emit)
        response._chain._cursor.seen = 1
        yield


def play(state: TenantState, response: Response, emit: Emitter = SILENT) -> Response:
    for _ in steps_until_end(state, response, emit):
        pass
    return response


def _enter(state: TenantState, response: Response, pos: int, now: int, emit: Emitter) -> None:
    _play_step(state, response, pos, now, emit)
    # Each step the conversation plays is on its timeline lane (what it did, with the response it
    # did it in), whatever the path of the request that played it (Timeline.note_after).
    state.timeline.note(state, response._chain)


def _play_step(state: TenantState, response: Response, pos: int, now: int, emit: Emitter) -> None:
    chain = response._chain
    step = chain._cursor.enter(pos, state.clock.micros)
    response._step = chain._cursor.step_number()
    if response._approved:   # the MCP calls this request's input approved come first
        _set_status(state, response, "in_progress", emit)
        hosted.play_approved(state, response, emit)
    if step is None:
        if not response.output and chain.id != response.id and chain._cursor.script.index >= 0:
            note_script_ended(state, chain._cursor.script, {"response_id": response.id}, "response")
        _finish(state, response, "completed", now, emit, None)
        return
    if step.extra:
        response.extra.update(step.extra)
    if step.kind == "status":
        status = step.status or "completed"
        if status in TERMINAL or status == "expired":
            _finish(state, response, status, now, emit, step)
        elif response.background:
            _set_status(state, response, status, emit)
    elif step.kind == "message":
        _set_status(state, response, "in_progress", emit)
        _write_message(state, response, step, emit)
    elif step.kind == "tool_calls":
        _set_status(state, response, "in_progress", emit)
        _call_tools(state, response, step, emit)
        _finish(state, response, "completed", now, emit, None, why="waiting for " + ", ".join(chain.pending))
    elif step.kind in HOSTED_KINDS:
        _set_status(state, response, "in_progress", emit)
        waiting = _play_hosted(state, response, step, emit)
        if waiting is not None:   # an MCP call that needs approval: the response ends with its request
            chain.approvals[waiting] = step
            world(state).calls[waiting] = chain
            _finish(state, response, "completed", now, emit, None, why="waiting for approval of " + waiting)
    else:  # stream_error: the stream breaks off with an error event; the response fails
        error = dict(step.stream_error or {})
        message = error.get("message", "stream error")
        code = error.get("code") or "server_error"
        nested = {"type": error.get("type", "server_error"), "code": code, "message": message,
                  "param": error.get("param")}
        emit.event("error", {"code": code, "message": message, "param": error.get("param"), "error": nested})
        _finish(state, response, "failed", now, SILENT, None, error={"code": "server_error", "message": message})


def _play_hosted(state: TenantState, response: Response, step: Step, emit: Emitter) -> str | None:
    """A hosted tool's (or reasoning's) output item; an MCP call waiting for approval: its request's id."""
    options = _stream_options(state, response)
    if step.kind == "reasoning":
        hosted.reasoning(state, response, step, emit, options.chunk_words)
    elif step.kind == "file_search":
        hosted.file_search(state, response, step, emit)
    elif step.kind == "web_search":
        hosted.web_search(state, response, step, emit)
    elif step.kind == "code_interpreter":
        hosted.code_interpreter(state, response, step, emit, options.chunk_chars)
    elif step.kind == "image_generation":
        hosted.image_generation(state, response, step, emit, live=emit is not SILENT)
    else:
        return hosted.mcp(state, response, step, emit)
    return None


def _set_status(state: TenantState, response: Response, status: str, emit: Emitter) -> None:
    if response.status == status:
        return
    old = response.status
    response.status = response._chain.status = status
    _log(state, response, old)
    emit.lifecycle(f"response.{status}", response)


def _log(state: TenantState, response: Response, old: str, why: str = "") -> None:
    if logging_changes():
        cursor = response._chain._cursor
        state.log_change("%s %s -> %s (step %d/%d%s)", response.id, old, response.status, cursor.step_number(),
                         cursor.total, f"; {why}" if why else "")


def _stream_options(state: TenantState, response: Response) -> StreamOptions:
    script = response._chain._cursor.script
    return script.stream if script.stream is not None else state.scenario.stream


def _write_message(state: TenantState, response: Response, step: Step, emit: Emitter) -> None:
    chain = response._chain
    key = f"{chain.text_key}|step{chain._cursor.pos}"
    form = (response.text or {}).get("format") or {}
    passage, chain.passage = chain.passage, None
    if step.message is not None:
        text = step.message
    elif passage and form.get("type") in (None, "text"):   # unscripted after a real store's search: grounded
        text = passage
    else:
        text = message_text(response, key, step.message_words if chain._cursor.script.index >= 0 else None)
    text, response._capped = capped(response, text)
    index = len(response.output)
    item: dict[str, Any] = {"id": state.ids.new("msg_"), "type": "message", "status": "in_progress",
                            "content": [], "role": "assistant"}
    response.output.append(item)
    # A stream's events; a create answered at once builds none (their dicts, and a delta a word, were dropped).
    live = emit is not SILENT
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    if live:
        emit.event("response.output_item.added", {"output_index": index, "item": item})
        emit.event("response.content_part.added",
                   {**where, "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}})
        for chunk in step.deltas or split_words(text, _stream_options(state, response).chunk_words):
            emit.event("response.output_text.delta", {**where, "delta": chunk, "logprobs": []})
    cited = hosted.message_annotations(response, text) if chain.citations else []   # what the searches before it found
    part = {"type": "output_text", "annotations": cited, "logprobs": [], "text": text}
    if live:
        for number, annotation in enumerate(cited):
            emit.event("response.output_text.annotation.added", {**where, "annotation_index": number,
                                                                 "annotation": annotation})
        emit.event("response.output_text.done", {**where, "text": text, "logprobs": []})
        emit.event("response.content_part.done", {**where, "part": part})
    item["content"] = [part]
    # Cut off when the script ends the response incomplete right after: the live API says so here too.
    cut_off = response._capped or cut_off_by(chain._cursor.script.steps, chain._cursor.pos)
    item["status"] = "incomplete" if cut_off else "completed"
    if live:
        emit.event("response.output_item.done", {"output_index": index, "item": item})


def message_text(response: Response, key: str, words: int | None) -> str:
    """A generated message in the response's text format (the one generator of this wire shape)."""
    form = (response.text or {}).get("format") or {}
    return answer_text(form.get("type"), form.get("schema"), key, words)


def capped(response: Response, text: str) -> tuple[str, bool]:
    """The text cut at the response's ``max_output_tokens``, and whether it was (it then ends incomplete)."""
    cap = response.max_output_tokens
    if cap is not None and count_tokens(text) > cap:
        return cut_to_tokens(text, cap), True
    return text, False


def _call_tools(state: TenantState, response: Response, step: Step, emit: Emitter) -> None:
    chain = response._chain
    chunk = _stream_options(state, response).chunk_chars
    objects = world(state)
    if chain._cursor.script.index >= 0:
        check_offered(state, step, tool_names(response.tools), {"response_id": response.id}, chain._cursor.script.name)
    for spec in step.tool_calls:
        index = len(response.output)
        call_id = spec.id or state.ids.new("call_")
        item: dict[str, Any] = {"id": state.ids.new("fc_"), "type": "function_call", "status": "in_progress",
                                "arguments": "", "call_id": call_id, "name": spec.function}
        response.output.append(item)
        emit.event("response.output_item.added", {"output_index": index, "item": item})
        for start in range(0, len(spec.arguments), chunk):
            emit.event("response.function_call_arguments.delta",
                       {"item_id": item["id"], "output_index": index, "delta": spec.arguments[start:start + chunk]})
        item["arguments"] = spec.arguments
        item["status"] = "completed"
        emit.event("response.function_call_arguments.done",
                   {"item_id": item["id"], "output_index": index, "name": spec.function, "arguments": spec.arguments})
        emit.event("response.output_item.done", {"output_index": index, "item": item})
        chain.pending[call_id] = spec
        objects.calls[call_id] = chain


def _finish(state: TenantState, response: Response, status: str, now: int, emit: Emitter, step: Step | None,
            *, error: dict[str, str] | None = None, why: str = "") -> None:
    old = response.status
    if status == "expired":   # the Responses API has no expired status: the response fails
        status, error = "failed", error or {"code": "server_error", "message": "The response expired."}
    if status == "completed" and response._capped:
        status = "incomplete"
    chain = response._chain
    response.status = status
    # waiting for the outputs, or an approval
    chain.status = "waiting" if status == "completed" and (chain.pending or chain.approvals) else status
    if status == "completed":
        response.completed_at = now
    elif status == "failed":
        given = error or (step.last_error if step is not None else None) or {}
        code = given.get("code", "server_error")
        response.error = {"code": code if code in ERROR_CODES else "server_error",
                          "message": given.get("message", "Sorry, something went wrong.")}
    elif status == "incomplete":
        reason = (step.incomplete_details or {}).get("reason") if step is not None else None
        response.incomplete_details = {"reason": INCOMPLETE_REASONS.get(reason or "", "max_output_tokens")}
    for item in response.output:
        if item.get("status") == "in_progress":
            item["status"] = "incomplete"
    if response._conversation is not None:   # its output joins the conversation once it ends
        add_items(state, response._conversation, response.output)
    if status != "cancelled":
        response.usage = response_usage(response, step)
    if status == "failed" and not why:
        why = f"error {response.error['code'] if response.error else 'server_error'}"
    _log(state, response, old, why)
    if status in ("completed", "failed", "incomplete"):
        emit.lifecycle(f"response.{status}", response)
    if response.background:   # the live API sends webhooks for background responses only
        state.notify(f"response.{status}", response.id, now)
    state.timeline.note(state, chain)


def response_usage(response: Response, step: Step | None) -> dict[str, Any]:
    if step is not None and step.usage:
        prompt, completion = step.usage["prompt_tokens"], step.usage["completion_tokens"]
    else:
        prompt = input_tokens(response.instructions, response._history)
        completion = response._reasoning_tokens
        for item in response.output:
            kind = item["type"]
            completion += count_tokens(text_of(item) if kind == "message" else item.get("code") or ""
                                       if kind == "code_interpreter_call" else item.get("arguments", ""))
    reasoning = min(response._reasoning_tokens, completion)
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": prompt + completion}
