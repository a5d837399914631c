"""``POST /v1/responses`` and its reads: ``responses:`` scripts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fakeopenai.record.convert.common import (
    TERMINAL,
    Converter,
    ConvertOptions,
    before_content,
    collapse,
    expect_key,
    last_error_of,
    match_of,
    text_of,
    tool_call,
    usage_of,
)
from fakeopenai.record.exchange import Exchange


@dataclass
class _Response:
    request: dict[str, Any]
    background: bool
    seen: list[str] = field(default_factory=list)     # statuses, one per answer the client read
    final: dict[str, Any] | None = None
    stream_error: dict[str, Any] | None = None
    partial: list[dict[str, Any]] = field(default_factory=list)   # a stream's output items without a final


@dataclass
class _Conversation:
    match: dict[str, Any]
    responses: list[_Response] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)


def _items_so_far(ex: Exchange) -> list[dict[str, Any]]:
    """The output items of a stream that ended without the response (the upstream cut it, or sent an
    error): each as far as it arrived, a message's text as its deltas (``_deltas``), a function call's
    arguments as they add up (``_done`` once the item was done)."""
    items: dict[int, dict[str, Any]] = {}
    for name, data in ex.events():
        if not isinstance(data, dict) or not isinstance(data.get("output_index"), int):
            continue
        index = data["output_index"]
        if name in ("response.output_item.added", "response.output_item.done") and isinstance(data.get("item"), dict):
            deltas = items.get(index, {}).get("_deltas", [])
            items[index] = {**data["item"], "_deltas": deltas, "_done": name == "response.output_item.done"}
        elif name == "response.output_text.delta" and index in items and isinstance(data.get("delta"), str):
            items[index]["_deltas"].append(data["delta"])
        elif name == "response.function_call_arguments.delta" and index in items and isinstance(data.get("delta"), str):
            items[index]["arguments"] = str(items[index].get("arguments") or "") + data["delta"]
    return [items[i] for i in sorted(items)]


def _json(text: Any) -> bool:
    try:
        json.loads(text)
    except (TypeError, ValueError):
        return False
    return True


class ResponsesConverter(Converter):
    """``POST /v1/responses`` (plain, streamed, background, with ``previous_response_id`` or
    ``conversation``) and its reads: one script per conversation (a first response and those that bring
    its tool calls' outputs). The Conversations API itself is left to the replaying fake."""

    key = "responses"

    def __init__(self) -> None:
        self.conversations: list[_Conversation] = []
        self.by_id: dict[str, _Response] = {}

    @staticmethod
    def _user_text(request: dict[str, Any]) -> str | None:
        items = request.get("input")
        if isinstance(items, str):
            return items
        if isinstance(items, list):
            for item in reversed(items):
                if isinstance(item, dict) and item.get("role") == "user" and item.get("type", "message") == "message":
                    return text_of(item.get("content"))
        return None

    def _take(self, response: _Response, ex: Exchange) -> None:
        if ex.streamed:
            for name, data in ex.events():
                if not isinstance(data, dict):
                    continue
                obj = data.get("response")
                if isinstance(obj, dict) and name in ("response.created", "response.queued"):
                    if obj.get("status") and not response.seen:
                        response.seen.append(obj["status"])
                if isinstance(obj, dict) and obj.get("status") in TERMINAL:
                    response.final = obj
                if name == "error":
                    err = data.get("error") if isinstance(data.get("error"), dict) else data
                    response.stream_error = {k: err[k] for k in ("message", "type", "code") if err.get(k)}
            if response.final:
                response.seen.append(response.final["status"])
            else:
                response.partial = _items_so_far(ex)
        else:
            obj = ex.response_json()
            if isinstance(obj, dict):
                response.final = obj
                response.seen.append(str(obj.get("status")))

    def feed(self, ex: Exchange) -> bool:
        parts = ex.path.split("/")
        if len(parts) > 2 and parts[2] == "conversations":
            # Conversations hold no scripted content: the replaying fake creates, lists and deletes its own,
            # and a response created with ``conversation=`` is grouped like any other (below).
            return True
        if ex.method == "POST" and ex.path == "/v1/responses":
            request = ex.request_json() or {}
            response = _Response(request, bool(request.get("background")))
            outputs = {i.get("call_id") for i in request.get("input") or []
                       if isinstance(i, dict) and i.get("type") == "function_call_output"}
            conv = next((c for c in reversed(self.conversations) if outputs and outputs & c.calls), None)
            if conv is None:
                conv = _Conversation(match_of(request.get("model"), self._user_text(request)))
                self.conversations.append(conv)
            conv.responses.append(response)
            self._take(response, ex)
            if response.final:
                self.by_id[str(response.final.get("id"))] = response
                conv.calls |= {o.get("call_id") for o in response.final.get("output") or []
                               if isinstance(o, dict) and o.get("type") == "function_call"}
            elif ex.streamed:
                for _, data in ex.events():
                    obj = data.get("response") if isinstance(data, dict) else None
                    if isinstance(obj, dict) and obj.get("id"):
                        self.by_id[obj["id"]] = response
                        break
            return True
        if len(parts) in (4, 5) and parts[2] == "responses" and ex.method != "DELETE" \
                and (len(parts) == 4 or parts[4] == "cancel"):
            response = self.by_id.get(parts[3])
            if response is None:
                return False
            before = response.final
            self._take(response, ex)
            if response.final is not before:
                conv = next(c for c in self.conversations if response in c.responses)
                conv.calls |= {o.get("call_id") for o in response.final.get("output") or []  # type: ignore[union-attr]
                               if isinstance(o, dict) and o.get("type") == "function_call"}
            return True
        return False

    @staticmethod
    def _steps(response: _Response, options: ConvertOptions, next_request: dict[str, Any] | None,
               used: set[str]) -> list[dict[str, Any]]:
        # A stream without its response (cut short, or an error event): what arrived of its output, each
        # message as its deltas, so that the replay's events line up with the stream fault's after_events.
        final = response.final or {"output": response.partial}
        status = final.get("status")
        steps: list[dict[str, Any]] = []
        if response.background:
            steps = collapse(s for s in response.seen if s not in TERMINAL)
        content: list[dict[str, Any]] = []
        for item in final.get("output") or []:
            if not isinstance(item, dict):
                continue
            if item.get("type") == "function_call":
                # (arguments cut off halfway are not JSON, which a script's arguments must be: {} stands in)
                raw = item.get("arguments", "{}") if response.final or _json(item.get("arguments")) else "{}"
                call = tool_call(item.get("name"), raw, item.get("call_id"), used)
                if content and "tool_calls" in content[-1]:
                    content[-1]["tool_calls"].append(call)
                else:
                    content.append({"tool_calls": [call]})
            elif item.get("type") == "message":
                if response.final is None:
                    deltas = item.get("_deltas") or []
                    content.append({"message": {"deltas": deltas} if deltas else text_of(item.get("content")) or ""})
                    continue
                text = text_of(item.get("content"))
                if text is not None:
                    content.append({"message": text})
        if response.background:
            before_content(steps, sum("message" in step for step in content))
        steps += content
        if content and "tool_calls" in content[-1] and options.expect_outputs and next_request:
            outputs = {i.get("call_id"): i.get("output") for i in next_request.get("input") or []
                       if isinstance(i, dict) and i.get("type") == "function_call_output"}
            # the step's calls are the last function_call items, in order
            items = [o for o in final.get("output") or [] if isinstance(o, dict) and o.get("type") == "function_call"]
            calls = content[-1]["tool_calls"]
            expect = {expect_key(call): {"equals": outputs[item.get("call_id")]}
                      for call, item in zip(calls, items[-len(calls):], strict=True)
                      if isinstance(outputs.get(item.get("call_id")), str)}
            if expect:
                content[-1]["expect_outputs"] = expect
        if response.stream_error:
            steps.append({"stream_error": response.stream_error})
        elif status == "failed":
            steps.append({"status": "failed", "last_error": last_error_of(final.get("error"))})
        elif status in ("incomplete", "cancelled"):
            steps.append({"status": status})
        elif status == "completed" and not (content and "tool_calls" in content[-1]):
            step: dict[str, Any] = {"status": "completed"}
            usage = usage_of(final.get("usage"))
            if usage:
                step["usage"] = usage
            steps.append(step)
        return steps

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        scripts = []
        for conv in self.conversations:
            steps: list[dict[str, Any]] = []
            used: set[str] = set()
            for i, response in enumerate(conv.responses):
                following = conv.responses[i + 1].request if i + 1 < len(conv.responses) else None
                steps += self._steps(response, options, following, used)
            script: dict[str, Any] = {}
            if conv.match:
                script["match"] = conv.match
            script["steps"] = steps or [{"status": "completed"}]
            scripts.append(script)
        return scripts
