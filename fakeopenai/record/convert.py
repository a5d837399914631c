"""Exchanges (recorded by the proxy, or read from a cassette) to an ordinary scenario.

Each API family has a converter in ``CONVERTERS``: it is fed every successful exchange in order,
takes those of its endpoints, and gives its part of the scenario (a top-level key and its
entries). Upstream errors become ``faults:`` here, before any converter sees them. Ids and
timestamps are never copied (the fake makes its own); no header but the retry hints of an
error reaches the file.

Adding a family is a class with ``key``, ``feed`` and ``entries`` and one line in ``CONVERTERS``.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import yaml

from fakeopenai.record.exchange import Exchange


@dataclass(frozen=True)
class ConvertOptions:
    expect_outputs: bool = False        # tool_calls steps check the outputs the client sent
    embeddings: str = "scripted"        # or "generated": embeddings left to the generator
    name: str | None = None
    description: str | None = None


# --- shared helpers ------------------------------------------------------------------------------

TERMINAL = ("completed", "failed", "cancelled", "expired", "incomplete")
_ID_SEGMENT = re.compile(r"^(?:resp|thread|run|msg|asst|step|batch|call|conv|chatcmpl|vs|modr|fc|item|cmpl)_|^file-")
_RETRY_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")


def path_glob(path: str) -> str:
    """``/v1/threads/thread_abc/runs`` -> ``/v1/threads/*/runs``: ids become one-segment wildcards."""
    return "/".join("*" if _ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


def text_of(content: Any) -> str | None:
    """The text of message content: a string, or the text parts of a list joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, dict):   # Assistants: {"type": "text", "text": {"value": ...}}
                    text = text.get("value")
                if isinstance(text, str):
                    parts.append(text)
        return "".join(parts) if parts else None
    return None


def arguments(raw: Any) -> Any:
    """Tool call arguments: a mapping when that is how they were written (the fake writes a mapping as
    ``json.dumps`` does), else the JSON string itself, byte for byte."""
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(parsed, dict) and json.dumps(parsed) == raw:
            return parsed
    return raw


def collapse(statuses: Iterable[str]) -> list[dict[str, Any]]:
    """Statuses seen one per read -> status steps, repeats as ``reads``."""
    steps: list[dict[str, Any]] = []
    for status in statuses:
        if steps and steps[-1]["status"] == status:
            steps[-1]["reads"] = steps[-1].get("reads", 1) + 1
        else:
            steps.append({"status": status})
    return steps


def before_content(steps: list[dict[str, Any]], messages: int = 1) -> list[dict[str, Any]]:
    """A message step shows ``in_progress`` to the read that lands on it: each takes the place of an
    ``in_progress`` read before it (a tool_calls step, or the end, is a read of its own)."""
    for _ in range(messages):
        if not steps or steps[-1].get("status") != "in_progress":
            break
        reads = steps[-1].get("reads", 1)
        if reads > 2:
            steps[-1]["reads"] = reads - 1
        elif reads == 2:
            del steps[-1]["reads"]
        else:
            steps.pop()
    return steps


def usage_of(usage: Any) -> dict[str, int] | None:
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
    completion = usage.get("completion_tokens", usage.get("output_tokens"))
    if isinstance(prompt, int) and isinstance(completion, int):
        return {"prompt_tokens": prompt, "completion_tokens": completion}
    return None


def last_error_of(error: Any) -> dict[str, str]:
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    return {"code": code if code in ("server_error", "rate_limit_exceeded", "invalid_prompt") else "server_error",
            "message": str(error.get("message") or "The upstream failed.")}


def match_of(model: Any, text: str | None) -> dict[str, Any]:
    match: dict[str, Any] = {}
    if isinstance(model, str):
        match["model"] = model
    if text is not None:
        match["last_message"] = {"equals": text}
    return match


def multipart_fields(ex: Exchange) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body's fields: name -> (filename, bytes)."""
    ctype = ex.request_headers.get("content-type", "")
    if "multipart/form-data" not in ctype:
        return {}
    message = BytesParser(policy=HTTP).parsebytes(b"content-type: " + ctype.encode() + b"\r\n\r\n"
                                                  + ex.request_body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


# --- the families ---------------------------------------------------------------------------------

class Converter:
    """One family's part: ``feed`` every exchange (True: it was this family's), then ``entries``."""

    key = ""

    def feed(self, ex: Exchange) -> bool:
        raise NotImplementedError

    def entries(self, options: ConvertOptions) -> Any:
        raise NotImplementedError


@dataclass
class _Response:
    request: dict[str, Any]
    background: bool
    seen: list[str] = field(default_factory=list)     # statuses, one per answer the client read
    final: dict[str, Any] | None = None
    stream_error: dict[str, Any] | None = None


@dataclass
class _Conversation:
    match: dict[str, Any]
    responses: list[_Response] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)


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
               last: bool) -> list[dict[str, Any]]:
        final = response.final or {}
        status = final.get("status")
        steps: list[dict[str, Any]] = []
        if response.background:
            steps = collapse(s for s in response.seen if s not in TERMINAL)
        content: list[dict[str, Any]] = []
        for item in final.get("output") or []:
            if not isinstance(item, dict):
                continue
            if item.get("type") == "function_call":
                call = {"function": item.get("name"), "arguments": arguments(item.get("arguments", "{}"))}
                if content and "tool_calls" in content[-1]:
                    content[-1]["tool_calls"].append(call)
                else:
                    content.append({"tool_calls": [call]})
            elif item.get("type") == "message":
                text = text_of(item.get("content"))
                if text is not None:
                    content.append({"message": text})
        if response.background:
            before_content(steps, sum("message" in step for step in content))
        steps += content
        if content and "tool_calls" in content[-1] and options.expect_outputs and next_request:
            outputs = {i.get("call_id"): i.get("output") for i in next_request.get("input") or []
                       if isinstance(i, dict) and i.get("type") == "function_call_output"}
            calls = {o.get("name"): o.get("call_id") for o in final.get("output") or []
                     if isinstance(o, dict) and o.get("type") == "function_call"}
            expect = {name: {"equals": outputs[cid]} for name, cid in calls.items()
                      if isinstance(outputs.get(cid), str)}
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
            for i, response in enumerate(conv.responses):
                following = conv.responses[i + 1].request if i + 1 < len(conv.responses) else None
                steps += self._steps(response, options, following, following is None)
            script: dict[str, Any] = {}
            if conv.match:
                script["match"] = conv.match
            script["steps"] = steps or [{"status": "completed"}]
            scripts.append(script)
        return scripts


@dataclass
class _Run:
    model: Any
    text: str | None
    seen: list[tuple[str, Any]] = field(default_factory=list)   # ("status", s) | ("calls", [...]) | ("message", text)
    messages: dict[str, tuple[int, str]] = field(default_factory=dict)
    final: dict[str, Any] | None = None
    call_ids: dict[int, list[str]] = field(default_factory=dict)    # position in seen -> the calls' ids
    outputs: dict[str, Any] = field(default_factory=dict)           # call id -> the output submitted


class RunsConverter(Converter):
    """Assistants runs: the thread's last user message, the statuses each read saw, tool calls, the
    run's assistant messages (from message lists or the stream), the end."""

    key = "runs"

    def __init__(self) -> None:
        self.threads: dict[str, str] = {}
        self.runs: dict[str, _Run] = {}
        self.order: list[_Run] = []

    def _thread_text(self, thread_id: str, messages: Any) -> None:
        for m in messages or []:
            if isinstance(m, dict) and m.get("role", "user") == "user":
                text = text_of(m.get("content"))
                if text is not None:
                    self.threads[thread_id] = text

    def _observe(self, run: _Run, obj: dict[str, Any]) -> None:
        status = obj.get("status")
        if status == "requires_action":
            submit = (obj.get("required_action") or {}).get("submit_tool_outputs") or {}
            calls = [{"function": c.get("function", {}).get("name"),
                      "arguments": arguments(c.get("function", {}).get("arguments", "{}"))}
                     for c in submit.get("tool_calls", [])]
            if not run.seen or run.seen[-1] != ("calls", calls):
                run.call_ids[len(run.seen)] = [c.get("id") for c in submit.get("tool_calls", [])]
                run.seen.append(("calls", calls))
        elif isinstance(status, str):
            run.seen.append(("status", status))
        if status in TERMINAL:
            run.final = obj

    @staticmethod
    def _outputs(run: _Run, request: dict[str, Any]) -> None:
        for output in request.get("tool_outputs") or []:
            if isinstance(output, dict) and output.get("tool_call_id"):
                run.outputs[output["tool_call_id"]] = output.get("output")

    def _take(self, ex: Exchange, thread_id: str | None, request: dict[str, Any]) -> None:
        if not ex.streamed:
            obj = ex.response_json()
            if isinstance(obj, dict) and obj.get("object") == "thread.run":
                run = self.runs.get(obj["id"])
                if run is None:
                    run = _Run(obj.get("model"), self.threads.get(obj.get("thread_id") or thread_id or ""))
                    self.runs[obj["id"]] = run
                    self.order.append(run)
                if ex.path.endswith("/submit_tool_outputs"):
                    self._outputs(run, request)
                    return      # answers queued; the fake does the same
                self._observe(run, obj)
            return
        run = None
        if ex.path.endswith("/submit_tool_outputs"):
            run = self.runs.get(ex.path.split("/")[5])
            if run is not None:
                self._outputs(run, request)
        for name, data in ex.events():
            if not isinstance(data, dict):
                continue
            if name == "thread.created":
                self._thread_text(data["id"], (request.get("thread") or {}).get("messages"))
            elif name and name.startswith("thread.run.") and not name.startswith("thread.run.step"):
                run = self.runs.get(data.get("id", ""))
                if run is None:
                    run = _Run(data.get("model"), self.threads.get(data.get("thread_id", "")))
                    self.runs[data["id"]] = run
                    self.order.append(run)
                if data.get("status") == "requires_action" or data.get("status") in TERMINAL:
                    self._observe(run, data)
            elif name == "thread.message.completed" and run is not None:
                text = text_of(data.get("content"))
                if text is not None:
                    run.seen.append(("message", text))
                    run.messages[data.get("id", "")] = (-1, text)
            elif name == "error" and run is not None:
                err = data.get("error") if isinstance(data.get("error"), dict) else data
                run.seen.append(("stream_error", {k: err[k] for k in ("message", "type", "code") if err.get(k)}))

    def feed(self, ex: Exchange) -> bool:
        parts = ex.path.split("/")[1:]      # v1, threads, ...
        if len(parts) < 2 or parts[1] != "threads":
            return False
        request = ex.request_json() or {}
        answer = ex.response_json()
        if ex.method == "POST" and len(parts) == 2 and isinstance(answer, dict):
            self._thread_text(answer.get("id", ""), request.get("messages"))
        elif ex.method == "POST" and len(parts) == 4 and parts[3] == "messages":
            self._thread_text(parts[2], [request])
        elif ex.method == "POST" and parts[2:] == ["runs"]:
            answer_thread = answer.get("thread_id") if isinstance(answer, dict) else None
            if answer_thread:
                self._thread_text(answer_thread, (request.get("thread") or {}).get("messages"))
            self._take(ex, None, request)
        elif len(parts) >= 4 and parts[3] == "runs" and "steps" not in parts[5:6]:
            self._take(ex, parts[2], request)
        elif ex.method == "GET" and len(parts) == 4 and parts[3] == "messages" and isinstance(answer, dict):
            for m in answer.get("data") or []:
                run = self.runs.get(m.get("run_id") or "")
                text = text_of(m.get("content"))
                if run is not None and m.get("role") == "assistant" and text is not None \
                        and m.get("id") not in run.messages:
                    run.messages[m["id"]] = (int(m.get("created_at") or 0), text)
        else:
            return len(parts) >= 3
        return True

    @staticmethod
    def _steps(run: _Run, options: ConvertOptions) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        statuses: list[str] = []
        streamed = [text for kind, text in run.seen if kind == "message"]
        pending = [t for _, t in sorted(run.messages.values(), key=lambda m: m[0]) if t not in streamed]
        for position, (kind, value) in enumerate([*run.seen, ("end", None)]):
            if kind == "status" and value not in TERMINAL:
                statuses.append(value)
                continue
            steps.extend(collapse(statuses))
            statuses.clear()
            if kind == "calls":
                steps.append({"tool_calls": value})
                names = [call["function"] for call in value]
                outputs = {name: run.outputs.get(cid) for name, cid in zip(names, run.call_ids.get(position, []),
                                                                           strict=False)}
                expect = {name: {"equals": out} for name, out in outputs.items() if isinstance(out, str)}
                if options.expect_outputs and expect and len(set(names)) == len(names):
                    steps[-1]["expect_outputs"] = expect
            elif kind == "message":
                steps.append({"message": value})
            elif kind == "stream_error":
                steps.append({"stream_error": value})
            elif kind == "status":
                if pending:
                    before_content(steps, len(pending))
                    steps.extend({"message": text} for text in pending)
                    pending = []
                step: dict[str, Any] = {"status": value}
                if value == "failed":
                    step["last_error"] = last_error_of((run.final or {}).get("last_error"))
                usage = usage_of((run.final or {}).get("usage"))
                if value == "completed" and usage:
                    step["usage"] = usage
                steps.append(step)
        return steps

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        scripts = []
        for run in self.order:
            steps = self._steps(run, options)
            script: dict[str, Any] = {}
            match = match_of(run.model, run.text)
            if match:
                script["match"] = match
            script["steps"] = steps or [{"status": "completed"}]
            scripts.append(script)
        return scripts


@dataclass
class _Turn:
    """One chat completion as the client saw it (its first choice)."""

    content: str | None = None
    refusal: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)   # {"id", "name", "arguments"} by index
    finish: str | None = None
    usage: dict[str, Any] | None = None
    stream_error: dict[str, Any] | None = None


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
        turn.refusal = "".join(refusal) if refusal else None
        turn.calls = [calls[i] for i in sorted(calls)]
        return turn

    def feed(self, ex: Exchange) -> bool:
        if not ex.path.startswith("/v1/chat/completions"):
            return False
        if ex.method != "POST" or ex.path != "/v1/chat/completions":
            return True
        request = ex.request_json() or {}
        messages = request.get("messages") if isinstance(request.get("messages"), list) else []
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
    def _steps(turn: _Turn, options: ConvertOptions, next_request: dict[str, Any] | None) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        if turn.content is not None:
            steps.append({"message": turn.content})
        if turn.refusal is not None:
            steps.append({"message": {"refusal": turn.refusal}})
        if turn.calls:
            step: dict[str, Any] = {"tool_calls": [{"function": c["name"], "arguments": arguments(c["arguments"])}
                                                   for c in turn.calls]}
            if options.expect_outputs and next_request:
                outputs = {m.get("tool_call_id"): text_of(m.get("content")) for m in next_request.get("messages") or []
                           if isinstance(m, dict) and m.get("role") == "tool"}
                expect = {c["name"]: {"equals": outputs[c["id"]]} for c in turn.calls
                          if isinstance(outputs.get(c["id"]), str)}
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
            for i, turn in enumerate(conv.turns):
                following = conv.requests[i + 1] if i + 1 < len(conv.requests) else None
                steps += self._steps(turn, options, following)
            script: dict[str, Any] = {}
            if conv.match:
                script["match"] = conv.match
            script["steps"] = steps or [{"status": "completed"}]
            scripts.append(script)
        return scripts


@dataclass
class _Batch:
    request: dict[str, Any]
    seen: list[dict[str, Any]] = field(default_factory=list)


class BatchesConverter(Converter):
    """Files and batches: each batch's statuses (with progress), its output and error lines as
    ``responses:``; an input file the recording never uploaded becomes an ``objects.files`` entry."""

    key = "batches"

    def __init__(self) -> None:
        self.batches: dict[str, _Batch] = {}
        self.order: list[_Batch] = []
        self.uploaded: dict[str, tuple[str | None, str]] = {}     # id -> (filename, purpose)
        self.contents: dict[str, bytes] = {}

    def feed(self, ex: Exchange) -> bool:
        parts = ex.path.split("/")[1:]
        if len(parts) < 2 or parts[1] not in ("files", "batches"):
            return False
        answer = ex.response_json()
        if parts[1] == "files":
            if ex.method == "POST" and len(parts) == 2 and isinstance(answer, dict):
                fields = multipart_fields(ex)
                filename, content = fields.get("file", (None, b""))
                self.uploaded[answer.get("id", "")] = (filename, str(answer.get("purpose", "batch")))
                self.contents[answer.get("id", "")] = content
            elif ex.method == "GET" and len(parts) == 4 and parts[3] == "content":
                self.contents[parts[2]] = ex.response_body
            return True
        if not isinstance(answer, dict) or answer.get("object") != "batch":
            return True
        batch = self.batches.get(answer["id"])
        if batch is None:
            batch = _Batch(ex.request_json() or {} if ex.method == "POST" and len(parts) == 2 else {})
            self.batches[answer["id"]] = batch
            self.order.append(batch)
        batch.seen.append(answer)
        return True

    @staticmethod
    def _progress(obj: dict[str, Any]) -> float | None:
        counts = obj.get("request_counts") or {}
        total = counts.get("total") or 0
        if not total:
            return None
        return round((counts.get("completed", 0) + counts.get("failed", 0)) / total, 6)

    @staticmethod
    def _answer(line: dict[str, Any]) -> dict[str, Any] | None:
        custom_id = line.get("custom_id")
        error = line.get("error")
        response = line.get("response") or {}
        if isinstance(error, dict):
            if error.get("code") in ("batch_failed", "batch_expired", "batch_cancelled"):
                return None          # the fake writes these for the unfinished requests itself
            return {"custom_id": custom_id, "error": {k: error[k] for k in ("code", "message") if error.get(k)}}
        status = response.get("status_code", 200)
        if status >= 400:
            return {"custom_id": custom_id, "status_code": status}
        body = response.get("body")
        text = _plain_text(body)
        if text is not None:
            return {"custom_id": custom_id, "content": text}
        return {"custom_id": custom_id, "body": body}

    def _lines(self, file_id: Any) -> list[dict[str, Any]]:
        data = self.contents.get(file_id) if isinstance(file_id, str) else None
        out = []
        for raw in (data or b"").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict):
                out.append(line)
        return out

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        scripts = []
        for batch in self.order:
            final = batch.seen[-1]
            script: dict[str, Any] = {}
            match: dict[str, Any] = {}
            endpoint = batch.request.get("endpoint") or final.get("endpoint")
            if endpoint:
                match["endpoint"] = endpoint
            if batch.request.get("metadata"):
                match["metadata"] = batch.request["metadata"]
            if match:
                script["match"] = match
            steps: list[dict[str, Any]] = []
            for obj in batch.seen:
                step: dict[str, Any] = {"status": obj.get("status")}
                progress = self._progress(obj)
                if obj.get("status") == "in_progress" and progress is not None:
                    step["progress"] = progress
                if obj.get("status") == "failed" and (obj.get("errors") or {}).get("data"):
                    step["errors"] = [{k: e[k] for k in ("code", "message", "param", "line") if e.get(k) is not None}
                                      for e in obj["errors"]["data"]]
                if steps and {k: v for k, v in steps[-1].items() if k != "reads"} == step:
                    steps[-1]["reads"] = steps[-1].get("reads", 1) + 1
                else:
                    steps.append(step)
            if steps and steps[0]["status"] != "validating":
                steps.insert(0, {"status": "validating"})
            script["steps"] = steps
            outputs = self._lines(final.get("output_file_id"))
            answers = [a for a in (self._answer(line) for line in outputs + self._lines(final.get("error_file_id")))
                       if a is not None]
            if answers:
                script["responses"] = answers
            inputs = [line.get("custom_id") for line in self._lines(final.get("input_file_id"))]
            order = [line.get("custom_id") for line in outputs]
            if order and inputs:
                kept = [c for c in inputs if c in order]
                if order == kept:
                    script["output_order"] = "input"
                elif order == kept[::-1]:
                    script["output_order"] = "reversed"
            scripts.append(script)
        return scripts

    def objects(self) -> list[dict[str, Any]]:
        """Input files the batches read that were not uploaded while recording (they existed before)."""
        files = []
        for batch in self.order:
            file_id = batch.request.get("input_file_id") or batch.seen[-1].get("input_file_id")
            if file_id and file_id not in self.uploaded and file_id in self.contents:
                files.append({"id": file_id, "purpose": "batch", "filename": "input.jsonl",
                              "content": self.contents[file_id].decode("utf-8", "replace")})
        return files


def _plain_text(body: Any) -> str | None:
    """The text of a batch line's answer that is only text (chat, completions, responses), else None."""
    if not isinstance(body, dict):
        return None
    if body.get("object") == "chat.completion":
        choices = body.get("choices") or [{}]
        message = choices[0].get("message") or {}
        if len(choices) == 1 and not message.get("tool_calls") and isinstance(message.get("content"), str):
            return str(message["content"])
    if body.get("object") == "text_completion":
        choices = body.get("choices") or [{}]
        if len(choices) == 1 and isinstance(choices[0].get("text"), str):
            return str(choices[0]["text"])
    if body.get("object") == "response":
        output = body.get("output") or []
        if len(output) == 1 and output[0].get("type") == "message":
            return text_of(output[0].get("content"))
    return None


def _float32s(text: str) -> list[float]:
    raw = base64.b64decode(text)
    return [float(x) for x in struct.unpack(f"<{len(raw) // 4}f", raw)]


class EmbeddingsConverter(Converter):
    """``POST /v1/embeddings``: each text input's vector, as a scripted entry (first one wins)."""

    key = "embeddings"

    def __init__(self) -> None:
        self.vectors: dict[tuple[Any, str], list[float]] = {}

    def feed(self, ex: Exchange) -> bool:
        if ex.path != "/v1/embeddings":
            return False
        request = ex.request_json() or {}
        answer = ex.response_json() or {}
        inputs = request.get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs if isinstance(inputs, list) else []
        for item in answer.get("data") or []:
            index = item.get("index", 0)
            if index < len(inputs) and isinstance(inputs[index], str):
                vector = item.get("embedding")
                vector = _float32s(vector) if isinstance(vector, str) else vector
                self.vectors.setdefault((request.get("model"), inputs[index]), vector)
        return True

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        if options.embeddings == "generated":
            return []
        return [{"match": {"input": {"equals": text}, **({"model": model} if isinstance(model, str) else {})},
                 "vector": vector} for (model, text), vector in self.vectors.items()]


class ModerationsConverter(Converter):
    """``POST /v1/moderations``: each text input's flagged categories and scores."""

    key = "moderations"

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

    def feed(self, ex: Exchange) -> bool:
        if ex.path != "/v1/moderations":
            return False
        request = ex.request_json() or {}
        inputs = request.get("input")
        if isinstance(inputs, str):
            texts = [inputs]
        elif isinstance(inputs, list) and inputs and all(isinstance(i, dict) for i in inputs):
            texts = [" ".join(i.get("text", "") for i in inputs if i.get("type") == "text")]
        else:
            texts = inputs if isinstance(inputs, list) else []
        for text, result in zip(texts, (ex.response_json() or {}).get("results") or [], strict=False):
            if not isinstance(text, str) or text in self.results:
                continue
            flagged = {k: v for k, v in (result.get("categories") or {}).items() if v}
            scores = result.get("category_scores") or {}
            entry: dict[str, Any] = {"match": {"input": {"equals": text}}}
            if flagged:
                entry["categories"] = {k: scores.get(k, 0.9) for k in flagged}
            rest = {k: v for k, v in scores.items() if k not in flagged}
            if rest:
                entry["scores"] = rest
            self.results[text] = entry
        return True

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        return list(self.results.values())


# One line per family: a new family adds its converter here.
CONVERTERS: list[Callable[[], Converter]] = [
    RunsConverter,
    ResponsesConverter,
    ChatConverter,
    BatchesConverter,
    EmbeddingsConverter,
    ModerationsConverter,
]


# --- upstream errors: faults ------------------------------------------------------------------------

def _fault(ex: Exchange) -> dict[str, Any]:
    if ex.broken and ex.streamed and ex.status < 400:     # the stream broke partway: a stream fault
        return {"after_events": len(ex.events()), "disconnect": True}
    if ex.broken:
        return {"disconnect": True}
    fault: dict[str, Any] = {"status": ex.status}
    body = ex.response_json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        fields = {k: error[k] for k in ("message", "type", "code", "param") if error.get(k) is not None}
        if fields:
            fault["error"] = fields
    headers = {k: v for k, v in ex.response_headers.items() if k in _RETRY_HEADERS}
    if headers:
        fault["headers"] = headers
    return fault


def _faults(exchanges: list[Exchange]) -> tuple[list[dict[str, Any]], list[Exchange]]:
    """Upstream errors (and dropped connections) as faults at the same point: the requests to the same
    method and path glob before them go through (``after``), then ``times`` in a row fail alike."""
    faults: list[dict[str, Any]] = []
    ok: list[Exchange] = []
    seen: dict[tuple[str, str], int] = {}
    open_fault: dict[tuple[str, str], dict[str, Any]] = {}
    for ex in exchanges:
        key = (ex.method, path_glob(ex.path))
        count = seen.get(key, 0)
        seen[key] = count + 1
        if ex.status < 400 and not ex.broken:
            open_fault.pop(key, None)
            ok.append(ex)
            continue
        if ex.broken and ex.streamed and ex.status < 400:
            ok.append(ex)       # its events so far are content; the fault cuts the replayed stream there
        answer = _fault(ex)
        current = open_fault.get(key)
        if current is not None and {k: v for k, v in current.items() if k not in ("match", "after", "times")} \
                == answer:
            current["times"] = current.get("times", 1) + 1
            continue
        fault: dict[str, Any] = {"match": {"method": key[0], "path": key[1]}}
        if count:
            fault["after"] = count
        fault.update(answer)
        faults.append(fault)
        open_fault[key] = fault
    return faults, ok


def scenario_from(exchanges: Iterable[Exchange], options: ConvertOptions = ConvertOptions()) -> dict[str, Any]:
    """The scenario (a dict, ready for YAML) that replays these exchanges."""
    faults, ok = _faults(list(exchanges))
    converters = [make() for make in CONVERTERS]
    for ex in ok:
        for converter in converters:
            if converter.feed(ex):
                break
    scenario: dict[str, Any] = {}
    if options.name:
        scenario["name"] = options.name
    scenario["description"] = options.description or "Recorded by fakeopenai record."
    for converter in converters:
        objects = getattr(converter, "objects", None)
        files = objects() if objects else []
        if files:
            scenario.setdefault("objects", {})["files"] = files
    for converter in converters:
        entries = converter.entries(options)
        if entries:
            scenario[converter.key] = entries
    if faults:
        scenario["faults"] = faults
    return scenario


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and value.strip() == value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def scenario_yaml(scenario: dict[str, Any], header: str = "") -> str:
    """The scenario as YAML (keys in their order; deterministic)."""
    text = yaml.dump(scenario, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=None)
    return "".join(f"# {line}\n" for line in header.splitlines()) + text
