"""Recorded ``POST /v1/chat/completions`` exchanges to ``chat:`` scripts (the family's ``Family.recorder``,
read by ``fakeopenai record`` through the registry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeopenai.record.convert.common import (
    Converter,
    ConvertOptions,
    expect_key,
    match_of,
    text_of,
    tool_call,
    usage_of,
)
from fakeopenai.record.exchange import Exchange


@dataclass
class _Turn:
    """One chat completion as the client saw it (its first choice)."""

    content: str | None = None
    refusal: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)   # {"id", "name", "arguments"} by index
    finish: str | None = None
    usage: dict[str, Any] | None = None
    stream_error: dict[str, Any] | None = None
    deltas: list[str] = field(default_factory=list)   # a stream the upstream cut: its content as it arrived


@dataclass
class _ChatConversation:
    match: dict[str, Any]
    turns: list[_Turn] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


class ChatConverter(Converter):
    """``POST /v1/chat/completions`` (plain and streamed): one ``chat:`` script per conversation (a first
    request, and those whose ``tool`` messages answer the calls the previous turn made). Stored
    completions' reads, updates and deletes are the fake's own (nothing to script)."""

    key = "chat"

    def __init__(self) -> None:
        self.conversations: list[_ChatConversation] = []
        self.waiting: dict[str, _ChatConversation] = {}      # call id -> the conversation waiting for it

    @staticmethod
    def _user_text(messages: list[Any]) -> str | None:
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return text_of(message.get("content")) or ""
        return None

    @staticmethod
    def _turn(ex: Exchange) -> _Turn:
        turn = _Turn()
        if not ex.streamed:
            obj = ex.response_json()
            obj = obj if isinstance(obj, dict) else {}
            choice = (obj.get("choices") or [{}])[0]
            message = choice.get("message") or {}
            turn.content, turn.refusal = message.get("content"), message.get("refusal")
            turn.calls = [{"id": c.get("id"), "name": (c.get("function") or {}).get("name"),
                           "arguments": (c.get("function") or {}).get("arguments", "")}
                          for c in message.get("tool_calls") or [] if isinstance(c, dict)]
            turn.finish, turn.usage = choice.get("finish_reason"), obj.get("usage")
            return turn
        content: list[str] = []
        refusal: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        for _, data in ex.events():
            if not isinstance(data, dict):
                continue
            if isinstance(data.get("error"), dict):
                err = data["error"]
                turn.stream_error = {k: err[k] for k in ("message", "type", "code") if err.get(k)}
                continue
            if isinstance(data.get("usage"), dict):
                turn.usage = data["usage"]
            for choice in data.get("choices") or []:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                if isinstance(delta.get("content"), str):
                    content.append(delta["content"])
                if isinstance(delta.get("refusal"), str):
                    refusal.append(delta["refusal"])
                for part in delta.get("tool_calls") or []:
                    call = calls.setdefault(part.get("index", 0), {"id": None, "name": None, "arguments": ""})
                    function = part.get("function") or {}
                    call["id"] = part.get("id") or call["id"]
                    call["name"] = function.get("name") or call["name"]
                    call["arguments"] += function.get("arguments") or ""
                if choice.get("finish_reason"):
                    turn.finish = choice["finish_reason"]
        turn.content = "".join(content) if any(content) else None
        if ex.broken and turn.content is not None:   # the replay's stream fault cuts after as many chunks
            turn.deltas = [piece for piece in content if piece]
        turn.refusal = "".join(refusal) if refusal else None
        turn.calls = [calls[i] for i in sorted(calls)]
        return turn

    def feed(self, ex: Exchange) -> bool:
        if not ex.path.startswith("/v1/chat/completions"):
            return False
        if ex.method != "POST" or ex.path != "/v1/chat/completions":
            return True
        request = ex.request_json() or {}
        messages: Any = request.get("messages") if isinstance(request.get("messages"), list) else []
        answers = [m.get("tool_call_id") for m in messages if isinstance(m, dict) and m.get("role") == "tool"]
        conv = next((self.waiting[a] for a in answers if a in self.waiting), None)
        if conv is None:
            conv = _ChatConversation(match_of(request.get("model"), self._user_text(messages)))
            self.conversations.append(conv)
        else:
            for call_id in [k for k, v in self.waiting.items() if v is conv]:
                del self.waiting[call_id]
        turn = self._turn(ex)
        conv.turns.append(turn)
        conv.requests.append(request)
        for call in turn.calls:
            if call["id"]:
                self.waiting[call["id"]] = conv
        return True

    @staticmethod
    def _steps(turn: _Turn, options: ConvertOptions, next_request: dict[str, Any] | None,
               used: set[str]) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        if turn.deltas:
            steps.append({"message": {"deltas": turn.deltas}})
        elif turn.content is not None:
            steps.append({"message": turn.content})
        if turn.refusal is not None:
            steps.append({"message": {"refusal": turn.refusal}})
        if turn.calls:
            calls = [tool_call(c["name"], c["arguments"], c["id"], used) for c in turn.calls]
            step: dict[str, Any] = {"tool_calls": calls}
            if options.expect_outputs and next_request:
                outputs = {m.get("tool_call_id"): text_of(m.get("content")) for m in next_request.get("messages") or []
                           if isinstance(m, dict) and m.get("role") == "tool"}
                expect = {expect_key(call): {"equals": outputs[c["id"]]}
                          for c, call in zip(turn.calls, calls, strict=True) if isinstance(outputs.get(c["id"]), str)}
                if expect:
                    step["expect_outputs"] = expect
            steps.append(step)
            return steps
        if turn.stream_error:
            steps.append({"stream_error": turn.stream_error})
            return steps
        usage = usage_of(turn.usage)
        if turn.finish in ("length", "content_filter"):   # (the scenario schema has no content_filter reason)
            end: dict[str, Any] = {"status": "incomplete"}
        else:
            end = {"status": "completed"}
        if usage:
            end["usage"] = usage
        steps.append(end)
        return steps

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        scripts = []
        for conv in self.conversations:
            steps: list[dict[str, Any]] = []
            used: set[str] = set()
            for i, turn in enumerate(conv.turns):
                following = conv.requests[i + 1] if i + 1 < len(conv.requests) else None
                steps += self._steps(turn, options, following, used)
            script: dict[str, Any] = {}
            if conv.match:
                script["match"] = conv.match
            script["steps"] = steps or [{"status": "completed"}]
            scripts.append(script)
        return scripts
