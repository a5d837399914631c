"""The Chat Completions engine: one request in, a :class:`Completion` out. No HTTP here.

A script spans a conversation (a :class:`Chain`): each request plays its steps to the next
``tool_calls`` step (``finish_reason: tool_calls``) or its end; the request whose ``tool``
messages answer those call ids goes on from the next step (the client resends the history, as
Chat Completions clients do). A ``message`` step is ``message.content`` (``{refusal: ...}``:
``message.refusal``), ``status: incomplete`` is ``finish_reason: length`` (``content_filter``
with that reason), ``status: failed`` an HTTP error in the OpenAI shape, ``status: cancelled``
ends the turn as ``completed`` does (``finish_reason: stop``; ``content: ""`` when no message
step came before it). Unscripted requests get seeded text, an instance of a ``json_schema``
response format, or, with ``tool_choice`` ``required`` or a named function, generated calls
whose arguments fit the tool's ``parameters``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import NO_RETRY, APIError, InvalidRequestError, retry_at_once
from fakeopenai.core.known_models import check_model
from fakeopenai.core.unknown_ids import made_for
from fakeopenai.families.chat.generated import (
    DEFAULT_MODEL,
    choice,
    choice_key,
    forces_a_tool,
    generated_calls,
    message_text,
    named_function,
    service_tier,
    text_key,
    text_of,
    tool_names,
    usage,
)
from fakeopenai.families.chat.objects import Chain, Completion, Outcome, Turn
from fakeopenai.families.chat.scenario import ChatMatch, ChatScript
from fakeopenai.families.chat.world import ChatWorld, world
from fakeopenai.scripting.conversation import Step, ToolCallSpec
from fakeopenai.scripting.stepper import (
    Cursor,
    check_offered,
    check_outputs,
    choose,
    described,
    first_match,
    note_script_ended,
    scripts_for,
)

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.scenario.model import StreamOptions
    from fakeopenai.scripting.stepper import UsedUp

DEFAULT_SCRIPT = ChatScript(index=-1, name="default script", match=ChatMatch(), times=None,
                            steps=(Step(kind="message", where="default.steps[0]"),))
# With tool_choice required (or a named function): generated calls, then, once answered, a message.
DEFAULT_TOOL_SCRIPT = ChatScript(index=-1, name="default script", match=ChatMatch(), times=None,
                                 steps=(Step(kind="tool_calls", where="default.steps[0]"),
                                        Step(kind="message", where="default.steps[1]")))
# A failed step's error code -> (HTTP status, error type), as the live API answers them.
FAILURES = {"server_error": (500, "server_error"), "rate_limit_exceeded": (429, "requests"),
            "invalid_prompt": (400, "invalid_request_error")}
# A scripted failure the SDKs retry is retried at once, as a fault is, and gets the same failure.
# A failed expectation or an unmatched request is the test's own error: not retried.


# ----------------------------------------------------------------------------- the request

def check_request(body: dict[str, Any]) -> None:
    """The 400s the official schema does not give, in the live API's words."""
    if body.get("stream_options") is not None and not body.get("stream"):
        raise InvalidRequestError("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                                  param="stream_options", code="invalid_value")
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise InvalidRequestError("Invalid value for 'top_logprobs': 'top_logprobs' is only allowed when "
                                  "'logprobs' is true.", param="top_logprobs", code="invalid_value")
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if not tools:
        if choice is not None and choice != "none":
            raise InvalidRequestError("Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
                                      "'tools' are specified.", param="tool_choice", code="invalid_value")
        if body.get("parallel_tool_calls") is not None:
            raise InvalidRequestError("Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only "
                                      "allowed when 'tools' are specified.", param="parallel_tool_calls",
                                      code="invalid_value")
    named = named_function(choice)
    if named is not None and named not in tool_names(tools):
        raise InvalidRequestError(f"Invalid value for 'tool_choice': tool choice '{named}' not found in 'tools' "
                                  "parameter.", param="tool_choice", code="invalid_value")
    _check_tool_messages(body["messages"])


def _check_tool_messages(messages: list[dict[str, Any]]) -> None:
    """Every assistant ``tool_calls`` message is followed by a ``tool`` message for each call id,
    and every ``tool`` message answers such a message."""
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            answered = set()
            for later in messages[i + 1:]:
                if later.get("role") != "tool":
                    break
                answered.add(later.get("tool_call_id"))
            missing = [call.get("id") for call in message["tool_calls"] if call.get("id") not in answered]
            if missing:
                raise InvalidRequestError(
                    "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                    f"'tool_call_id'. The following tool_call_ids did not have response messages: "
                    f"{', '.join(str(m) for m in missing)}", param=f"messages.[{i}].role", code="invalid_value")
        elif role == "tool":
            j = i - 1
            while j >= 0 and messages[j].get("role") == "tool":
                j -= 1
            ids = [call.get("id") for call in (messages[j].get("tool_calls") or [])] if j >= 0 else []
            if j < 0 or messages[j].get("role") != "assistant" or message.get("tool_call_id") not in ids:
                raise InvalidRequestError("Invalid parameter: messages with role 'tool' must be a response to a "
                                          "preceeding message with 'tool_calls'.", param=f"messages.[{i}].role",
                                          code="invalid_value")


# ----------------------------------------------------------------------------- creation

def create_completion(state: TenantState, body: dict[str, Any], *, object_id: str | None = None) -> Completion:
    """``POST /chat/completions`` after the body passed the official schema and :func:`check_request`."""
    objects = world(state)
    messages: list[dict[str, Any]] = body["messages"]
    # The tool messages that answer calls a conversation waits for continue it; older ones are context.
    calls = objects.calls   # none waiting (no conversation called a tool): no message can answer one
    answers = {m["tool_call_id"]: text_of(m.get("content")) for m in messages
               if m.get("role") == "tool" and m.get("tool_call_id") in calls} if calls else {}
    if not answers and objects.answered and (outcome := _retried(objects.answered, messages)) is not None:
        if outcome.error is not None:
            raise copy.copy(outcome.error)
        assert outcome.completion is not None
        return outcome.completion
    chain = objects.calls[next(iter(answers))] if answers else None
    waited = _waited_choice(chain, answers) if chain is not None else {}
    check_model(state, body.get("model"))
    now = state.clock.tick()
    new_chain = chain is None
    if chain is None:
        chain = _new_chain(state, objects, body, messages)
    metadata = body.get("metadata")
    completion = Completion(object_id or state.ids.new("chatcmpl-"), now, body.get("model") or DEFAULT_MODEL,
                            metadata=dict(metadata) if metadata else {}, service_tier=service_tier(body),
                            _chain=chain)
    chain.latest = turn = Turn(completion.id)
    chain.turns.append(turn)
    if new_chain:
        chain.id = completion.id
        objects.chains.add(chain.id, chain)
        state.record_use(chain._cursor.script, chain.id, chain.used_up)
        if chain.violation is not None:
            state.add_violation(**chain.violation, completion_id=completion.id)
    state.log_change("%s created (%s) by %s", completion.id,
                     "new conversation" if new_chain else "continues " + chain.id, chain._cursor.script.name)
    try:
        try:
            if waited:
                failure = _consume_answers(state, chain, completion, waited, answers)
                if failure is not None:
                    chain.status = "failed"
                    raise APIError(failure, type="server_error", code="server_error", status_code=500,
                                   headers=NO_RETRY)
                if chain._cursor.script is DEFAULT_TOOL_SCRIPT and forces_a_tool(body):
                    chain._cursor.pos -= 1   # unscripted and forced again: the live model calls again
            _play(state, body, completion)
        except APIError as error:
            if waited:
                _remember(objects.answered, waited, Outcome(error=copy.copy(error)))
            raise
        if waited:
            _remember(objects.answered, waited, Outcome(completion=completion))
    finally:
        turn.status = chain.status
        turn.step = chain._cursor.step_number()
        state.timeline.note(state, chain)   # no request path names a conversation (Timeline.note_after)
    if body.get("store"):
        completion._messages = [{"id": f"{completion.id}-{i}", **m} for i, m in enumerate(messages)]
        objects.completions.add(completion.id, completion)
    return completion


def _retried(answered: dict[str, Outcome], messages: list[dict[str, Any]]) -> Outcome | None:
    """What the request this one repeats got: its last messages are tool messages answering calls
    that were answered already (the SDK retrying a 500, or an app trying again)."""
    if not answered or not messages or messages[-1].get("role") != "tool":
        return None
    return answered.get(messages[-1].get("tool_call_id") or "")


def _remember(answered: dict[str, Outcome], waited: dict[str, ToolCallSpec], outcome: Outcome) -> None:
    for call_id in waited:
        answered[call_id] = outcome


def _waited_choice(chain: Chain, answers: dict[str, str]) -> dict[str, ToolCallSpec]:
    """The calls (of one choice) the request's tool messages answer; each of them must be answered."""
    for calls in chain.pending:
        if any(call_id in answers for call_id in calls):
            missing = [call_id for call_id in calls if call_id not in answers]
            if missing:
                raise InvalidRequestError(
                    "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                    f"'tool_call_id'. The following tool_call_ids did not have response messages: "
                    f"{', '.join(missing)}", param="messages", code="invalid_value")
            return calls
    return {}


def _facts(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What a ``chat:`` script's ``match`` is tested on (the keywords of ``ChatMatch.mismatch``)."""
    users = [m for m in messages if m.get("role") == "user"]
    return {"model": body.get("model") or DEFAULT_MODEL, "metadata": dict(body.get("metadata") or {}),
            "last_message": text_of(users[-1].get("content")) if users else None,
            "instructions": "\n".join(text_of(m.get("content")) for m in messages
                                      if m.get("role") in ("system", "developer")),
            "tools": tool_names(list(body.get("tools") or []))}


def scripted_batch_line(state: TenantState, body: dict[str, Any]) -> bool:
    """Whether a ``/v1/chat/completions`` batch line is a script's: its ``tool`` messages answer
    calls a conversation waits for, or a ``chat:`` / ``conversations:`` script matches it (else
    the batches family generates its answer, and nothing here changes)."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return False
    calls = world(state).calls
    if any(m.get("role") == "tool" and m.get("tool_call_id") in calls for m in messages):
        return True
    facts = _facts(body, messages)
    return first_match(state, scripts_for(state, "chat"), lambda s: s.match.mismatch(**facts),
                       "chat completion", "chat completions")[0] is not None


def _new_chain(state: TenantState, objects: ChatWorld, body: dict[str, Any], messages: list[dict[str, Any]]) -> Chain:
    scripts = scripts_for(state, "chat")
    first = scripts[0] if scripts else None
    if first is not None and first.times is None and first.match.fits_anything:
        # What choose() gives when the first script serves every request (times: always, no match): it,
        # with no fact of the request worked out (tests/test_chat.py checks the two agree).
        script, violation, used_up = first, None, None
    else:
        script, violation, used_up = _choose(state, scripts, body, messages)
    objects.chain_count += 1
    return Chain("", Cursor(script, -1, 0, state.clock.micros), objects.chain_count, violation=violation,
                 used_up=used_up)


def _choose(state: TenantState, scripts: tuple[ChatScript, ...], body: dict[str, Any],
            messages: list[dict[str, Any]]) -> tuple[ChatScript, dict[str, Any] | None, UsedUp | None]:
    """The script serving a new conversation (:func:`choose`), the violation to record and the used-up
    scripts to note."""
    facts: dict[str, Any] = {}

    def told() -> dict[str, Any]:
        """What a match is tested on: worked out when a script's match first asks (a tenant without chat
        scripts, or whose first script takes any request, never needs it)."""
        if not facts:
            facts.update(_facts(body, messages))
        return facts

    def mismatch(script: ChatScript) -> str | None:
        return None if script.match.fits_anything else script.match.mismatch(**told())

    def actual() -> str:
        said = told()
        return described(f"chat completion with model {said['model']}", said["metadata"], said["last_message"])

    return choose(state, scripts, mismatch, noun="chat completion", plural="chat completions",
                  default=DEFAULT_TOOL_SCRIPT if forces_a_tool(body) else DEFAULT_SCRIPT, fail=_failing_script,
                  actual=actual)


def _failing_script(message: str) -> ChatScript:
    """What serves a conversation no script matched (``unmatched: error``): an HTTP 500 with the reason."""
    return ChatScript(index=-2, name="unmatched", match=ChatMatch(), times=None, steps=(
        Step(kind="status", status="failed", where="unmatched.steps[0]",
             last_error={"code": "server_error", "message": message}),))


def _consume_answers(state: TenantState, chain: Chain, completion: Completion, waited: dict[str, ToolCallSpec],
                     answers: dict[str, str]) -> str | None:
    objects = world(state)
    for calls in chain.pending:
        for call_id in calls:
            objects.calls.pop(call_id, None)
    chain.pending = ()
    return check_outputs(state, chain._cursor.current(), [(spec, call_id) for call_id, spec in waited.items()],
                         answers, owner={"completion_id": completion.id}, script=chain._cursor.script.name)


# ----------------------------------------------------------------------------- playing

def stream_options(state: TenantState, completion: Completion) -> StreamOptions:
    script = completion._chain._cursor.script if completion._chain is not None else None
    return script.stream if script is not None and script.stream is not None else state.scenario.stream


def _play(state: TenantState, body: dict[str, Any], completion: Completion) -> None:
    """Play the conversation's steps to the next tool_calls step or the end; the choices say what they did."""
    chain = completion._chain
    assert chain is not None
    cursor = chain._cursor
    n = body.get("n") or 1
    parts: list[Step] = []          # message steps of this turn
    calls: Step | None = None
    finish = "stop"
    usage_step: Step | None = None
    continued = cursor.pos >= 0
    scripted = cursor.script.index >= 0
    chain.status = "in_progress"
    while True:
        step = cursor.enter(cursor.pos + 1, state.clock.micros)
        if step is None:
            chain.status = "completed"
            if continued and scripted and not parts:
                note_script_ended(state, cursor.script, {"completion_id": completion.id}, "completion")
            break
        kind = step.kind
        if kind == "message":
            state.timeline.note(state, chain)   # its lane shows the message step too, before the end
            if step.extra:
                completion.extra.update(step.extra)
            parts.append(step)
            continue
        if step.extra:
            completion.extra.update(step.extra)
        if kind == "tool_calls":
            calls = step
            finish = "tool_calls"
            if scripted:
                check_offered(state, step, tool_names(body.get("tools") or []), {"completion_id": completion.id},
                              cursor.script.name)
            chain.status = "waiting"
            break
        elif step.kind == "stream_error":
            chain.status = "failed"
            error = dict(step.stream_error or {})
            if not body.get("stream"):
                raise APIError(error.get("message", "stream error"), type=error.get("type", "server_error"),
                               code=error.get("code") or "server_error", param=error.get("param"), status_code=500,
                               headers=retry_at_once(500))
            completion._stream_error = {"message": error.get("message", "stream error"),
                                        "type": error.get("type", "server_error"),
                                        "code": error.get("code") or "server_error", "param": error.get("param")}
            break
        elif step.status == "failed" or step.status == "expired":
            chain.status = "failed"
            given = step.last_error or {"code": "server_error", "message": "The request expired."}
            code = given.get("code", "server_error")
            status, kind = FAILURES.get(code, FAILURES["server_error"])
            raise APIError(given.get("message", "Sorry, something went wrong."), type=kind, code=code,
                           status_code=status, headers=NO_RETRY if chain.violation is not None
                           else retry_at_once(status))
        elif step.status == "incomplete":
            chain.status = "completed"
            reason = (step.incomplete_details or {}).get("reason")
            finish = "content_filter" if reason == "content_filter" else "length"
            usage_step = step
            break
        elif step.terminal:   # completed, cancelled (a chat completion cannot be cancelled: it ends as completed)
            chain.status = "completed"
            usage_step = step
            break
    if len(parts) == 1 and parts[0].deltas:
        completion._deltas = parts[0].deltas
    for index in range(n):
        completion.choices.append(_choice(state, body, completion, index, parts, calls, finish))
    completion.usage = usage(body, completion.choices, usage_step.usage if usage_step is not None else None)


def _choice(state: TenantState, body: dict[str, Any], completion: Completion, index: int, parts: list[Step],
            calls: Step | None, finish: str) -> dict[str, Any]:
    chain = completion._chain
    assert chain is not None
    scripted = chain._cursor.script.index >= 0
    # The choice's key seeds what is generated (a text, calls, logprobs): worked out when one is (a scripted
    # message says its own text).
    key = ""
    texts: list[str] = []
    refusals: list[str] = []
    for part in parts:
        text = part.message
        if text is None:
            key = key or _choice_key(state, body, chain, index, scripted)
            text = message_text(body, f"{key}|{part.where}", part.message_words if scripted else None)
        (refusals if part.refusal else texts).append(text)
    if not key and (calls is not None or body.get("logprobs")):
        key = _choice_key(state, body, chain, index, scripted)
    tool_calls = None
    if calls is not None:
        specs = calls.tool_calls or generated_calls(body, key)
        made = {}
        tool_calls = []
        for spec in specs:
            call_id = spec.id if spec.id is not None and index == 0 else state.ids.new("call_")
            tool_calls.append({"id": call_id, "type": "function",
                               "function": {"name": spec.function, "arguments": spec.arguments}})
            made[call_id] = spec if spec.id is None or index == 0 else ToolCallSpec(spec.function, spec.arguments)
        chain.pending += (made,)
        for call_id in made:
            world(state).calls[call_id] = chain
    return choice(body, index, texts, refusals, tool_calls, finish, key)


def _choice_key(state: TenantState, body: dict[str, Any], chain: Chain, index: int, scripted: bool) -> str:
    """What a choice's generated parts are keyed by: its conversation, step and index; unscripted (a
    default script), the request, as a batch line with this body is."""
    if scripted:
        return f"{state.scenario.seed}|chat{chain.number}|step{chain._cursor.pos}|choice{index}"
    return choice_key(text_key(state.scenario.seed, body), index)


# ----------------------------------------------------------------------------- stored completions

def get_completion(state: TenantState, completion_id: str) -> Completion:
    found = world(state).completions.get(completion_id) or made_for(
        state, completion_id, "chat completion", lambda key: _made_completion(state, key))
    return found or world(state).completions.require(completion_id, "chat completion", param="completion_id")


def _made_completion(state: TenantState, completion_id: str) -> Completion:
    """A stored completion for an id this tenant never made (``unknown_ids: generate``): one made by the
    scenario for a one-message request."""
    return create_completion(state, {"model": DEFAULT_MODEL, "store": True,
                                     "messages": [{"role": "user", "content": "Hello"}]}, object_id=completion_id)


def update_completion(state: TenantState, completion_id: str, metadata: dict[str, str] | None) -> Completion:
    completion = get_completion(state, completion_id)
    completion.metadata = dict(metadata or {})
    state.log_change("%s metadata updated", completion_id)
    return completion


def delete_completion(state: TenantState, completion_id: str) -> str:
    get_completion(state, completion_id)
    world(state).completions.remove(completion_id)
    state.log_change("%s deleted", completion_id)
    return completion_id
