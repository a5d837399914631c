"""Realtime responses played from the conversation step language. No HTTP here.

A session's script is chosen at its first ``response.create`` (``realtime:`` scripts, then
``conversations:`` ones; the facts: the session's model, the response's metadata, the last user
message, the instructions and function tools in effect). Each ``response.create`` then plays the
script from where it stands, one turn at a time: status steps pass; a ``message`` step is one
assistant message (text deltas, or audio deltas with transcript deltas when the response's modality is
audio), and ends the response (with a terminal status step right after it); a ``tool_calls`` step ends
the response with ``function_call`` items, and the next ``response.create`` checks the client's
``function_call_output`` items (``expect_outputs``) and goes on from the next step. Unscripted, each
response is a generated message."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.families.realtime import audio
from fakeopenai.families.realtime.scenario import RealtimeMatch, RealtimeScript
from fakeopenai.families.realtime.session import output_format
from fakeopenai.scripting.conversation import Step, ToolCallSpec
from fakeopenai.scripting.stepper import (
    Cursor,
    check_offered,
    check_outputs,
    choose,
    described,
    note_script_ended,
    scripts_for,
)
from fakeopenai.spec.generate import count_tokens, sentence_text, split_words

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.realtime.engine import Engine, Events
    from fakeopenai.families.realtime.objects import Session

DEFAULT_SCRIPT = RealtimeScript(index=-1, name="default script", match=RealtimeMatch(), times=None,
                                steps=(Step(kind="message", where="default.steps[0]"),))
ITEM_TYPES = ("message", "function_call", "function_call_output")
ROLES = ("user", "assistant", "system")
RATE_LIMITS = {"requests": 5000, "tokens": 40_000}
INCOMPLETE_REASONS = {"content_filter": "content_filter"}   # every other reason is max_output_tokens


def _failing_script(message: str) -> RealtimeScript:
    return RealtimeScript(index=-2, name="unmatched", match=RealtimeMatch(), times=None, steps=(
        Step(kind="status", status="failed", where="unmatched.steps[0]",
             last_error={"code": "server_error", "message": message}),))


def pieces(text: str) -> list[str]:
    """How a text streams: a word a delta."""
    return split_words(text, 1) if text else []


# ----------------------------------------------------------------------------- input items

def input_item(state: TenantState, item: dict[str, Any]) -> dict[str, Any]:
    """A client's ``conversation.item.create`` item, checked, as the conversation keeps it."""
    kind = item.get("type")
    if kind not in ITEM_TYPES:
        raise InvalidRequestError(f"Invalid value: '{kind}'. Supported values are: "
                                  f"{', '.join(repr(t) for t in ITEM_TYPES)}.", param="item.type",
                                  code="invalid_value")
    out = {"id": item.get("id") or state.ids.new("item_"), "type": kind, "object": "realtime.item",
           "status": "completed"}
    if kind == "message":
        role = item.get("role")
        if role not in ROLES:
            raise InvalidRequestError(f"Invalid value: '{role}'. Supported values are: 'user', 'assistant' and "
                                      "'system'.", param="item.role", code="invalid_value")
        content = item.get("content")
        if not isinstance(content, list):
            raise InvalidRequestError("Missing required parameter: 'item.content'.", param="item.content",
                                      code="missing_required_parameter")
        out.update(role=role, content=[dict(part) for part in content if isinstance(part, dict)])
    elif kind == "function_call":
        for key in ("name", "call_id"):
            if not isinstance(item.get(key), str):
                raise InvalidRequestError(f"Missing required parameter: 'item.{key}'.", param=f"item.{key}",
                                          code="missing_required_parameter")
        out.update(name=item["name"], call_id=item["call_id"], arguments=str(item.get("arguments") or ""))
    else:
        for key in ("call_id", "output"):
            if not isinstance(item.get(key), str):
                raise InvalidRequestError(f"Missing required parameter: 'item.{key}'.", param=f"item.{key}",
                                          code="missing_required_parameter")
        out.update(call_id=item["call_id"], output=item["output"])
    return out


def _text_of(session: Session, item: dict[str, Any]) -> str:
    parts = []
    for part in item.get("content") or ():
        text = part.get("text") or part.get("transcript")
        if text is None and part.get("type") == "input_audio":
            text = session._heard.get(str(item.get("id")))
        parts.append(text or "")
    return "".join(parts)


def _last_user_text(session: Session, items: list[dict[str, Any]]) -> str | None:
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            return _text_of(session, item)
    return None


def _context(session: Session, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The items a response reads: its own ``input`` (references resolved), else the conversation."""
    given = params.get("input")
    if given is None:
        return list(session.items.values())
    items = []
    for entry in given if isinstance(given, list) else ():
        if isinstance(entry, dict) and entry.get("type") == "item_reference":
            found = session.items.get(str(entry.get("id")))
            if found is None:
                raise InvalidRequestError(f"Error creating response: the item with id '{entry.get('id')}' does "
                                          "not exist.", param="response.input", code="invalid_value")
            items.append(found)
        elif isinstance(entry, dict):
            items.append(entry)
    return items


# ----------------------------------------------------------------------------- a response

class Player:
    """One response being played: its JSON, and the events it sends."""

    def __init__(self, engine: Engine, params: dict[str, Any]) -> None:
        self.engine = engine
        self.state = engine.state
        session = self.session = engine.session
        config = session.config
        self.in_conversation = params.get("conversation", "auto") != "none"
        self.modalities = list(params.get("output_modalities") or config["output_modalities"])
        out = ((params.get("audio") or {}).get("output") or {})
        self.format = str((out.get("format") or {}).get("type") or output_format(config))
        if self.format not in audio.FORMATS:
            raise InvalidRequestError(f"Invalid value: '{self.format}'. Supported values are: "
                                      f"{', '.join(repr(f) for f in audio.FORMATS)}.",
                                      param="response.audio.output.format.type", code="invalid_value")
        self.instructions = params.get("instructions", config.get("instructions"))
        self.tools = params.get("tools", config.get("tools")) or []
        self.metadata = params.get("metadata")
        self.context = _context(session, params)
        self.events: Events = []
        self.text_tokens = self.audio_tokens = 0
        self.body: dict[str, Any] = {
            "object": "realtime.response", "id": self.state.ids.new("resp_"), "status": "in_progress",
            "status_details": None, "output": [],
            "conversation_id": session.conversation_id if self.in_conversation else None,
            "output_modalities": self.modalities,
            "max_output_tokens": params.get("max_output_tokens", config.get("max_output_tokens", "inf")),
            "audio": {"output": {"format": {"type": self.format, **({"rate": 24000} if self.format == "audio/pcm"
                                                                     else {})},
                                 "voice": out.get("voice") or config["audio"]["output"]["voice"]}},
            "usage": None, "metadata": self.metadata}

    def emit(self, kind: str, **fields: Any) -> None:
        self.events.append(self.engine.event(kind, **fields))

    def tool_names(self) -> list[str]:
        return [str(t.get("name")) for t in self.tools if isinstance(t, dict) and t.get("type") == "function"]

    # ------------------------------------------------------------------ items
    def _start_item(self, item: dict[str, Any]) -> tuple[int, str | None]:
        index = len(self.body["output"])
        self.body["output"].append(item)
        self.emit("response.output_item.added", response_id=self.body["id"], output_index=index, item=dict(item))
        previous = None
        if self.in_conversation:
            previous = self.session.last_item_id()
            self.session.items[item["id"]] = item
            self.emit("conversation.item.added", previous_item_id=previous, item=dict(item))
        return index, previous

    def _end_item(self, item: dict[str, Any], index: int, previous: str | None) -> None:
        self.emit("response.output_item.done", response_id=self.body["id"], output_index=index, item=item)
        if self.in_conversation:
            self.emit("conversation.item.done", previous_item_id=previous, item=item)

    def message(self, text: str, deltas: tuple[str, ...], status: str = "completed") -> None:
        item: dict[str, Any] = {"id": self.state.ids.new("item_"), "type": "message", "object": "realtime.item",
                                "status": "in_progress", "role": "assistant", "content": []}
        index, previous = self._start_item(item)
        spoken = "audio" in self.modalities
        where: dict[str, Any] = {"response_id": self.body["id"], "item_id": item["id"], "output_index": index,
                                 "content_index": 0}
        self.emit("response.content_part.added", **where,
                  part={"type": "audio", "transcript": ""} if spoken else {"type": "text", "text": ""})
        length = 0
        for piece in deltas or pieces(text):
            if spoken:
                self.emit("response.output_audio_transcript.delta", **where, delta=piece)
                sound = audio.tone(piece, self.format)
                length += len(sound) // audio.bytes_per_ms(self.format)
                self.emit("response.output_audio.delta", **where, delta=base64.b64encode(sound).decode("ascii"))
            else:
                self.emit("response.output_text.delta", **where, delta=piece)
        if spoken:
            self.emit("response.output_audio.done", **where)
            self.emit("response.output_audio_transcript.done", **where, transcript=text)
            part = {"type": "audio", "transcript": text}
            content = {"type": "output_audio", "transcript": text}
            self.session.audio_ms[item["id"]] = length
            self.session.voice_used = True
            self.audio_tokens += max(1, length // 50)
        else:
            self.emit("response.output_text.done", **where, text=text)
            part = {"type": "text", "text": text}
            content = {"type": "output_text", "text": text}
        self.text_tokens += count_tokens(text)
        self.emit("response.content_part.done", **where, part=part)
        item.update(status=status, content=[content])
        self._end_item(item, index, previous)

    def calls(self, step: Step) -> list[tuple[ToolCallSpec, str]]:
        made = []
        for spec in step.tool_calls:
            call_id = spec.id or self.state.ids.new("call_")
            item = {"id": self.state.ids.new("item_"), "type": "function_call", "object": "realtime.item",
                    "status": "in_progress", "name": spec.function, "call_id": call_id, "arguments": ""}
            index, previous = self._start_item(item)
            where = {"response_id": self.body["id"], "item_id": item["id"], "output_index": index, "call_id": call_id}
            for start in range(0, len(spec.arguments), 16):
                self.emit("response.function_call_arguments.delta", **where, delta=spec.arguments[start:start + 16])
            self.emit("response.function_call_arguments.done", **where, name=spec.function, arguments=spec.arguments)
            item.update(status="completed", arguments=spec.arguments)
            self.text_tokens += count_tokens(spec.arguments)
            self._end_item(item, index, previous)
            made.append((spec, call_id))
        return made

    # ------------------------------------------------------------------ the end
    def finish(self, status: str, step: Step | None = None, error: dict[str, str] | None = None) -> Events:
        body = self.body
        body["status"] = status
        if status == "failed":
            failure = error or (step.last_error if step else None) or {"code": "server_error", "message": ""}
            body["status_details"] = {"type": "failed", "error": {"type": "server_error", "code": failure["code"]}}
        elif status == "incomplete":
            reason = (step.incomplete_details or {}).get("reason", "") if step else ""
            body["status_details"] = {"type": "incomplete",
                                      "reason": INCOMPLETE_REASONS.get(reason, "max_output_tokens")}
        elif status == "cancelled":
            body["status_details"] = {"type": "cancelled", "reason": "client_cancelled"}
        else:
            body["status_details"] = {"type": "completed"}
        context_text = " ".join(_text_of(self.session, item) for item in self.context if item.get("type") == "message")
        input_tokens = count_tokens(context_text + (self.instructions or ""))
        output_tokens = self.text_tokens + self.audio_tokens
        if step is not None and step.usage:
            input_tokens, output_tokens = step.usage["prompt_tokens"], step.usage["completion_tokens"]
        body["usage"] = {"total_tokens": input_tokens + output_tokens, "input_tokens": input_tokens,
                         "output_tokens": output_tokens,
                         "input_token_details": {"cached_tokens": 0, "text_tokens": input_tokens, "audio_tokens": 0,
                                                 "image_tokens": 0},
                         "output_token_details": {"text_tokens": output_tokens - self.audio_tokens
                                                  if output_tokens >= self.audio_tokens else output_tokens,
                                                  "audio_tokens": min(self.audio_tokens, output_tokens)}}
        self.emit("response.done", response={key: value for key, value in body.items()
                                             if value is not None or key == "metadata"})
        self.session.responses.append(body)
        self.state.timeline.note(self.state, self.session)
        return self.events


def _choose(player: Player) -> None:
    """The session's script, chosen at its first response (and noted, for the report and timeline)."""
    state, session = player.state, player.session
    last = _last_user_text(session, player.context)
    metadata = dict(player.metadata or {})
    offered = player.tool_names()

    def mismatch(script: Any) -> str | None:
        return script.match.mismatch(model=session.model, metadata=metadata, last_message=last,
                                     instructions=player.instructions, tools=offered)

    script, violation, used_up = choose(
        state, scripts_for(state, "realtime"), mismatch, noun="realtime session", plural="realtime sessions",
        default=DEFAULT_SCRIPT, fail=_failing_script,
        actual=lambda: described(f"realtime session with model {session.model}", metadata, last))
    session._cursor = Cursor(script, pos=-1, entered_us=state.clock.micros)
    state.record_use(script, session.id, used_up)
    if violation is not None:
        state.add_violation(**violation, session_id=session.id)


def respond(engine: Engine, params: dict[str, Any]) -> Events:
    """``response.create`` (or server VAD's turn end): the response's events, ``response.created`` to
    ``response.done``."""
    player = Player(engine, params)
    state, session = player.state, player.session
    state.clock.tick()
    # What is not known yet is left out (the live API shows null; the spec's schema allows no null there).
    player.emit("response.created", response={key: value for key, value in player.body.items()
                                              if value is not None or key == "metadata"})
    used = sum(count_tokens(_text_of(session, i)) for i in player.context if i.get("type") == "message")
    player.emit("rate_limits.updated", rate_limits=[
        {"name": "requests", "limit": RATE_LIMITS["requests"],
         "remaining": max(0, RATE_LIMITS["requests"] - len(session.responses) - 1), "reset_seconds": 0.012},
        {"name": "tokens", "limit": RATE_LIMITS["tokens"], "remaining": max(0, RATE_LIMITS["tokens"] - used - 4096),
         "reset_seconds": 6.144}])
    if session._cursor is None:
        _choose(player)
    cursor = session._cursor
    assert cursor is not None
    script = cursor.script
    owner = {"session_id": session.id}
    if script is DEFAULT_SCRIPT:
        key = f"{state.scenario.seed}|realtime|{session.id}|{len(session.responses)}"
        player.message(sentence_text(key, 12), ())
        return player.finish("completed")
    if session._pending:
        waited = cursor.current()
        failure = check_outputs(state, waited, session._pending, session._outputs, owner, script.name)
        session._pending, session._outputs = [], {}
        if failure is not None:
            session._finished = True
            return player.finish("failed", error={"code": "server_error", "message": failure})
    if session._finished:
        note_script_ended(state, script, owner, "realtime response")
        return player.finish("completed")
    steps = script.steps
    while True:
        pos = cursor.pos + 1
        if pos >= len(steps):
            session._finished = True
            return player.finish("completed")
        step = cursor.enter(pos, state.clock.micros)
        if step.kind == "status":
            if step.terminal:
                session._finished = True
                return player.finish(step.status or "completed", step)
            continue
        if step.kind == "stream_error":
            session._finished = True
            error = step.stream_error or {}
            player.emit("error", error={"type": "server_error", "code": error.get("code", "server_error"),
                                        "message": error.get("message", "The server had an error while processing "
                                                             "your request."), "param": None, "event_id": None})
            return player.finish("failed", error={"code": str(error.get("code", "server_error")), "message": ""})
        if step.kind == "tool_calls":
            check_offered(state, step, player.tool_names(), owner, script.name)
            session._pending = player.calls(step)
            session._outputs = {}
            return player.finish("completed")
        # a message: this turn's answer; a terminal status right after it ends the response (and the script)
        text = step.message if step.message is not None else sentence_text(
            f"{state.scenario.seed}|realtime|{session.id}|step{pos}", step.message_words)
        after = steps[pos + 1] if pos + 1 < len(steps) else None
        ending = after if after is not None and after.terminal else None
        player.message(text, step.deltas, "incomplete" if ending is not None and ending.status == "incomplete"
                       else "completed")
        if ending is not None:
            cursor.enter(pos + 1, state.clock.micros)
            session._finished = True
            return player.finish(ending.status or "completed", ending)
        if after is None:
            session._finished = True
        return player.finish("completed")
