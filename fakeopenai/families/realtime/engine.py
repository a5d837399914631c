"""The realtime engine: a session's client events in, its server events out (dicts, in the order the
live API sends them). No HTTP and no socket here: ``api.py`` moves the JSON.

Client events (GA names): ``session.update``, ``conversation.item.create / retrieve / truncate /
delete``, ``input_audio_buffer.append / commit / clear`` (server VAD simulated on the appended
samples), ``response.create / cancel`` and ``output_audio_buffer.clear``. A bad event is answered by an
``error`` event naming the client's ``event_id``, as the live API does; the session stays open.
Responses are played by :mod:`.play` (the conversation step language)."""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import APIError, InvalidRequestError
from fakeopenai.core.known_models import check_model
from fakeopenai.families.realtime import audio, beta, play
from fakeopenai.families.realtime.objects import Session
from fakeopenai.families.realtime.session import (
    SESSION_SECONDS,
    default_session,
    input_format,
    transcription_session,
    update_session,
)
from fakeopenai.families.realtime.world import world
from fakeopenai.spec.generate import count_tokens, sentence_text

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

Events = list[dict[str, Any]]
DEFAULT_MODEL = "gpt-realtime"
MIN_COMMIT_MS = 100
CLIENT_EVENTS = ("session.update", "input_audio_buffer.append", "input_audio_buffer.commit",
                 "input_audio_buffer.clear", "conversation.item.create", "conversation.item.retrieve",
                 "conversation.item.truncate", "conversation.item.delete", "response.create", "response.cancel",
                 "output_audio_buffer.clear")
SILENCE_BY_EAGERNESS = {"low": 2000, "medium": 800, "auto": 800, "high": 300}


def open_session(state: TenantState, model: str | None, intent: str | None = None,
                 minted: dict[str, Any] | None = None) -> Session:
    """A new session (``session.created`` follows): a realtime one, or with ``intent=transcription`` a
    transcription one, or the one a client secret was ``minted`` with; raises the API's error for an unknown
    model or intent."""
    if minted is not None:
        intent = "transcription" if minted["type"] == "transcription" else None
        model = model or minted.get("model")
    if intent not in (None, "transcription"):
        raise InvalidRequestError(f"Invalid value: '{intent}'. Supported values are: 'transcription'.",
                                  param="intent", code="invalid_value")
    model = model or DEFAULT_MODEL
    if intent is None:
        check_model(state, model)
    now = state.clock.tick()
    session_id = state.ids.new("sess_")
    config = transcription_session(session_id, now + SESSION_SECONDS) if intent else \
        default_session(session_id, model, now + SESSION_SECONDS)
    if minted is not None:   # the minted configuration, as a session of its own
        config = {**minted, "id": session_id, "expires_at": now + SESSION_SECONDS,
                  **({"model": model} if not intent else {})}
    session = Session(id=session_id, model=model, config=config, conversation_id=state.ids.new("conv_"))
    world(state).add(session)
    state.log_change("realtime session %s opened (%s)", session.id, "transcription" if intent else f"model {model}")
    return session


class Engine:
    """One open session's event handling."""

    def __init__(self, state: TenantState, session: Session, *, beta: bool = False) -> None:
        self.state = state
        self.session = session
        self.beta = beta   # the beta protocol (OpenAI-Beta: realtime=v1): translated at the edge (beta.py)
        self.handlers: dict[str, Callable[[dict[str, Any]], Events]] = {
            "session.update": self.session_update, "input_audio_buffer.append": self.append,
            "input_audio_buffer.commit": self.commit, "input_audio_buffer.clear": self.clear,
            "conversation.item.create": self.item_create, "conversation.item.retrieve": self.item_retrieve,
            "conversation.item.truncate": self.item_truncate, "conversation.item.delete": self.item_delete,
            "response.create": self.response_create, "response.cancel": self.response_cancel,
            "output_audio_buffer.clear": self.output_clear}

    # ------------------------------------------------------------------ plumbing
    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "event_id": self.session.event_id(), **fields}

    def close(self) -> None:
        """The client left: the session ends as its last response did (the timeline's last state)."""
        session = self.session
        session.status = session.responses[-1]["status"] if session.responses else "completed"
        self.state.timeline.note(self.state, session)
        self.state.log_change("realtime session %s closed after %d responses (%d server events)", session.id,
                              len(session.responses), session._events)

    def opened(self) -> Events:
        return self.out([self.event("session.created", session=self.session.config)])

    def out(self, events: Events) -> Events:
        if not self.beta:
            return events
        conversation = {"id": self.session.conversation_id, "object": "realtime.conversation"}
        return beta.outgoing(events, lambda: self.event("conversation.created", conversation=conversation))

    def error(self, exc: APIError, client_event_id: str | None) -> dict[str, Any]:
        return self.event("error", error={"type": exc.type, "code": exc.code, "message": exc.message,
                                          "param": exc.param, "event_id": client_event_id})

    def handle(self, text: str | bytes) -> Events:
        """One client event (a text frame): the server events it makes, or its ``error`` event."""
        client_event_id = None
        try:
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise InvalidRequestError(f"Invalid JSON: {exc}. Each client event is one JSON object.",
                                          param=None, code="invalid_json") from None
            if not isinstance(data, dict):
                raise InvalidRequestError("Invalid type for the event: expected an object.", param=None,
                                          code="invalid_type")
            client_event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
            kind = data.get("type")
            if kind is None:
                raise InvalidRequestError("Missing required parameter: 'type'.", param="type",
                                          code="missing_required_parameter")
            handler = self.handlers.get(kind) if isinstance(kind, str) else None
            if handler is None:
                raise InvalidRequestError(f"Invalid value: '{kind}'. Supported values are: "
                                          f"{', '.join(repr(k) for k in CLIENT_EVENTS)}.", param="type",
                                          code="invalid_value")
            return self.out(handler(beta.incoming(data) if self.beta else data))
        except APIError as exc:
            return [self.error(exc, client_event_id)]

    @staticmethod
    def need(data: dict[str, Any], key: str, kind: type | tuple[type, ...] = str) -> Any:
        value = data.get(key)
        if value is None:
            raise InvalidRequestError(f"Missing required parameter: '{key}'.", param=key,
                                      code="missing_required_parameter")
        if not isinstance(value, kind):
            expected = "a string" if kind is str else "an integer" if kind is int else "an object"
            raise InvalidRequestError(f"Invalid type for '{key}': expected {expected}.", param=key,
                                      code="invalid_type")
        return value

    # ------------------------------------------------------------------ session
    def session_update(self, data: dict[str, Any]) -> Events:
        session = self.session
        session.config = update_session(session.config, self.need(data, "session", dict),
                                        voice_locked=session.voice_used)
        return [self.event("session.updated", session=session.config)]

    # ------------------------------------------------------------------ conversation items
    def add_item(self, item: dict[str, Any], previous_item_id: str | None = None) -> Events:
        """``item`` joins the conversation after ``previous_item_id`` (default: at the end; ``root``: first)."""
        items = self.session.items
        last = self.session.last_item_id()
        if previous_item_id is None or previous_item_id == last:
            previous = last
            items[item["id"]] = item
        else:
            ordered = list(items.items())
            at = 0 if previous_item_id == "root" else \
                next(i for i, (key, _) in enumerate(ordered) if key == previous_item_id) + 1
            ordered.insert(at, (item["id"], item))
            items.clear()
            items.update(ordered)
            previous = None if previous_item_id == "root" else previous_item_id
        if item.get("type") == "function_call_output":
            self.session._outputs[str(item.get("call_id"))] = str(item.get("output", ""))
        shown = copy.deepcopy(item)   # as it is now: a transcript that comes later is not in these events
        return [self.event("conversation.item.added", previous_item_id=previous, item=shown),
                self.event("conversation.item.done", previous_item_id=previous, item=shown)]

    def item_create(self, data: dict[str, Any]) -> Events:
        item = play.input_item(self.state, self.need(data, "item", dict))
        previous = data.get("previous_item_id")
        if previous not in (None, "root") and previous not in self.session.items:
            raise InvalidRequestError(f"Error adding item: the previous item with id '{previous}' does not exist.",
                                      param="previous_item_id", code="previous_item_not_found")
        if item["id"] in self.session.items:
            raise InvalidRequestError(f"Error adding item: an item with id '{item['id']}' already exists.",
                                      param="item.id", code="item_id_already_exists")
        return self.add_item(item, previous)

    def _item(self, data: dict[str, Any], action: str) -> dict[str, Any]:
        item_id = self.need(data, "item_id")
        item = self.session.items.get(item_id)
        if item is None:
            verb = {"retrieve": "retrieving", "truncate": "truncating", "delete": "deleting"}[action]
            raise InvalidRequestError(f"Error {verb} item: the item with id '{item_id}' does not exist.",
                                      param="item_id", code=f"item_{action}_invalid_item_id")
        return item

    def item_retrieve(self, data: dict[str, Any]) -> Events:
        return [self.event("conversation.item.retrieved", item=self._item(data, "retrieve"))]

    def item_delete(self, data: dict[str, Any]) -> Events:
        item = self._item(data, "delete")
        del self.session.items[item["id"]]
        return [self.event("conversation.item.deleted", item_id=item["id"])]

    def item_truncate(self, data: dict[str, Any]) -> Events:
        item = self._item(data, "truncate")
        content_index = self.need(data, "content_index", int)
        audio_end_ms = self.need(data, "audio_end_ms", int)
        content = item.get("content") or []
        if item.get("role") != "assistant" or not (0 <= content_index < len(content)) \
                or content[content_index].get("type") != "output_audio":
            raise InvalidRequestError("Error truncating item: only an assistant message's audio content can be "
                                      "truncated.", param="content_index", code="invalid_value")
        length = self.session.audio_ms.get(item["id"], 0)
        if audio_end_ms < 0 or audio_end_ms > length:
            raise InvalidRequestError(f"Audio content of {length}ms is shorter than {audio_end_ms}ms.",
                                      param="audio_end_ms", code="invalid_value")
        self.session.audio_ms[item["id"]] = audio_end_ms
        content[content_index].pop("transcript", None)   # the live API drops the transcript of truncated audio
        return [self.event("conversation.item.truncated", item_id=item["id"], content_index=content_index,
                           audio_end_ms=audio_end_ms)]

    # ------------------------------------------------------------------ input audio
    def append(self, data: dict[str, Any]) -> Events:
        chunk = audio.decode_base64(self.need(data, "audio"))
        if chunk is None:
            raise InvalidRequestError("Invalid 'audio'. Expected base64-encoded audio bytes.", param="audio",
                                      code="invalid_value")
        session, fmt = self.session, input_format(self.session.config)
        buffer = session.buffer
        turn = session.config["audio"]["input"].get("turn_detection")
        events: Events = []
        if not turn:
            buffer.data.extend(chunk)
            buffer.total_ms += len(chunk) // audio.bytes_per_ms(fmt)
            return events
        silence_needed = int(turn.get("silence_duration_ms") or 500) if turn.get("type") == "server_vad" \
            else SILENCE_BY_EAGERNESS.get(str(turn.get("eagerness", "auto")), 800)
        window = audio.bytes_per_ms(fmt) * 10
        level = int(float(turn.get("threshold") or 0.5) * 1000)
        for start in range(0, len(chunk), window):
            part = chunk[start:start + window]
            buffer.data.extend(part)
            [silent] = audio.silent_flags(part, fmt, level=level) or [True]
            buffer.total_ms += len(part) // audio.bytes_per_ms(fmt)
            if not silent:
                buffer.silence_ms = 0
                if buffer.speech_start_ms is None:
                    buffer.speech_start_ms = buffer.total_ms - 10
                    session._speech_item = self.state.ids.new("item_")
                    events.append(self.event("input_audio_buffer.speech_started", item_id=session._speech_item,
                                             audio_start_ms=max(0, buffer.speech_start_ms)))
            elif buffer.speech_start_ms is not None:
                buffer.silence_ms += 10
                if buffer.silence_ms >= silence_needed:
                    events.append(self.event("input_audio_buffer.speech_stopped", audio_end_ms=buffer.total_ms,
                                             item_id=session._speech_item))
                    events += self.commit_buffer(None)
                    if turn.get("create_response", True) and self.session.config["type"] == "realtime":
                        events += play.respond(self, {})
        return events

    def commit(self, data: dict[str, Any]) -> Events:
        return self.commit_buffer(data.get("event_id"))

    def commit_buffer(self, client_event_id: str | None) -> Events:
        session, fmt = self.session, input_format(self.session.config)
        buffer = session.buffer
        length = buffer.duration_ms(fmt)
        if length < MIN_COMMIT_MS:
            raise InvalidRequestError(f"Error committing input audio buffer: buffer too small. Expected at least "
                                      f"{MIN_COMMIT_MS}ms of audio, but buffer only has {length:.2f}ms of audio.",
                                      param=None, code="input_audio_buffer_commit_empty")
        item_id = session._speech_item or self.state.ids.new("item_")
        session._speech_item = None
        data = bytes(buffer.data)
        buffer.clear()
        previous = session.last_item_id()
        transcription = session.config["audio"]["input"].get("transcription")
        transcript = self.transcript_of(data) if transcription else None
        # its transcript once transcribed (no null: the spec)
        item: dict[str, Any] = {"id": item_id, "type": "message", "object": "realtime.item", "status": "completed",
                                "role": "user", "content": [{"type": "input_audio"}]}
        session.audio_ms[item_id] = length
        session._heard[item_id] = transcript if transcript is not None else self.transcript_of(data)
        events = [self.event("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)]
        events += self.add_item(item)
        if transcript is not None:
            for piece in play.pieces(transcript):
                events.append(self.event("conversation.item.input_audio_transcription.delta", item_id=item_id,
                                         content_index=0, delta=piece))
            item["content"][0]["transcript"] = transcript
            tokens = count_tokens(transcript)
            events.append(self.event("conversation.item.input_audio_transcription.completed", item_id=item_id,
                                     content_index=0, transcript=transcript,
                                     usage={"type": "tokens", "input_tokens": max(1, length // 100),
                                            "output_tokens": tokens, "total_tokens": max(1, length // 100) + tokens,
                                            "input_token_details": {"text_tokens": 0,
                                                                    "audio_tokens": max(1, length // 100)}}))
        return events

    def transcript_of(self, data: bytes) -> str:
        """What the fake "hears" in committed audio: seeded words from a hash of its bytes."""
        return sentence_text(f"{self.state.scenario.seed}|heard|{zlib.crc32(data)}|{len(data)}", 6)

    def clear(self, data: dict[str, Any]) -> Events:
        self.session.buffer.clear()
        self.session._speech_item = None
        return [self.event("input_audio_buffer.cleared")]

    # ------------------------------------------------------------------ responses
    def response_create(self, data: dict[str, Any]) -> Events:
        if self.session.config["type"] == "transcription":
            raise InvalidRequestError("A transcription session makes no responses: response.create is not "
                                      "supported.", param="type", code="invalid_value")
        params = data.get("response") or {}
        if not isinstance(params, dict):
            raise InvalidRequestError("Invalid type for 'response': expected an object.", param="response",
                                      code="invalid_type")
        return play.respond(self, params)

    def response_cancel(self, data: dict[str, Any]) -> Events:
        # Responses are played whole as soon as they are asked for: none is ever still active.
        raise InvalidRequestError("Cancellation failed: no active response found", param=None,
                                  code="response_cancel_not_active")

    def output_clear(self, data: dict[str, Any]) -> Events:
        last = self.session.responses[-1]["id"] if self.session.responses else None
        return [self.event("output_audio_buffer.cleared", response_id=last)]
