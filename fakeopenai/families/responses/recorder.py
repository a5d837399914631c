"""Recorded ``POST /v1/responses`` and its reads to ``responses:`` scripts (the family's
``Family.recorder``, read by ``fakeopenai record`` through the registry)."""

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
from fakeopenai.record.convert.common import (
    arguments as arguments_of,
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


def _annotations(item: Any) -> list[dict[str, Any]]:
    """A message item's annotations (of every text part)."""
    if not isinstance(item, dict):
        return []
    return [a for part in item.get("content") or () if isinstance(part, dict)
            for a in part.get("annotations") or () if isinstance(a, dict)]


def _next_message(output: list[Any], index: int) -> dict[str, Any] | None:
    return next((item for item in output[index + 1:] if isinstance(item, dict) and item.get("type") == "message"),
                None)


def _hosted_step(item: dict[str, Any], output: list[Any], index: int, reasoning_tokens: int | None,
                 approvals: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The step that replays a hosted tool's (or reasoning's) output item; None for an item that is no step
    (``mcp_list_tools``: the replay lists the tools the script calls; an ``mcp_call`` an earlier approval
    request's step already holds, its output put there). What the replay cannot give back as it was: a
    generated image (the fake draws its own), the span of a URL citation (the fake's rule), the tools an
    MCP server listed."""
    kind = item.get("type")
    if kind == "reasoning":
        step: dict[str, Any] = {"summary": [str(part.get("text", "")) for part in item.get("summary") or ()
                                            if isinstance(part, dict)]}
        if reasoning_tokens is not None:
            step["tokens"] = reasoning_tokens
        return {"reasoning": step}
    cited = _annotations(_next_message(output, index))
    if kind == "file_search_call":
        step = {"queries": [str(q) for q in item.get("queries") or ()]}
        if isinstance(item.get("results"), list):
            step["results"] = [{k: r[k] for k in ("file_id", "filename", "score", "text", "attributes")
                                if r.get(k) is not None} for r in item["results"] if isinstance(r, dict)]
        else:   # not included: the files the next message cites stand for them
            files = {a["file_id"]: a.get("filename") for a in cited if a.get("type") == "file_citation"
                     and isinstance(a.get("file_id"), str)}
            step["results"] = [{"file_id": f, **({"filename": n} if isinstance(n, str) else {})}
                               for f, n in files.items()]
        if not any(a.get("type") == "file_citation" for a in cited):
            step["cite"] = False
        return {"file_search": step if step["queries"] else {k: v for k, v in step.items() if k != "queries"}}
    if kind == "web_search_call":
        action: Any = item.get("action") if isinstance(item.get("action"), dict) else {}
        queries = action.get("queries") or ([action["query"]] if action.get("query") else [])
        titles = {a.get("url"): a.get("title") for a in cited if a.get("type") == "url_citation"}
        urls = [s.get("url") for s in action.get("sources") or () if isinstance(s, dict)] or list(titles)
        step = {"queries": [str(q) for q in queries],
                "results": [{"url": u, **({"title": titles[u]} if isinstance(titles.get(u), str) else {})}
                            for u in urls if isinstance(u, str)]}
        if not titles:
            step["cite"] = False
        return {"web_search": step if step["queries"] else {k: v for k, v in step.items() if k != "queries"}}
    if kind == "code_interpreter_call":
        step = {"code": str(item.get("code") or "")}
        outputs = [{"logs": o.get("logs", "")} if o.get("type") == "logs" else {"image": o.get("url", "")}
                   for o in item.get("outputs") or () if isinstance(o, dict)]
        if outputs:
            step["outputs"] = outputs
        if isinstance(item.get("container_id"), str):
            step["container_id"] = item["container_id"]
        return {"code_interpreter": step}
    if kind == "image_generation_call":
        prompt = item.get("revised_prompt")
        return {"image_generation": {"prompt": prompt} if isinstance(prompt, str) else {}}
    if kind == "mcp_approval_request":
        step = {"server_label": item.get("server_label"), "tool": item.get("name"),
                "arguments": arguments_of(item.get("arguments")), "approval": "required"}
        approvals[str(item.get("id"))] = step
        return {"mcp": step}
    if kind == "mcp_call":
        waiting = approvals.pop(str(item.get("approval_request_id")), None)
        step = waiting if waiting is not None else {
            "server_label": item.get("server_label"), "tool": item.get("name"),
            "arguments": arguments_of(item.get("arguments")), "approval": "never"}
        error = item.get("error")
        if isinstance(error, dict):
            content = error.get("content")
            step["error"] = text_of(content) if text_of(content) else str(error.get("message") or "The call failed.")
        elif isinstance(item.get("output"), str):
            step["output"] = item["output"]
        return None if waiting is not None else {"mcp": step}
    return None


HOSTED_ITEMS = frozenset({"reasoning", "file_search_call", "web_search_call", "code_interpreter_call",
                          "image_generation_call", "mcp_approval_request", "mcp_call", "mcp_list_tools"})


def _json(text: Any) -> bool:
    try:
        json.loads(text)
    except (TypeError, ValueError):
        return False
    return True


def _waits_for(final: dict[str, Any]) -> set[Any]:
    """What a response's conversation waits for: its function calls' ids and its MCP approval requests' ids."""
    return {o.get("call_id") if o.get("type") == "function_call" else o.get("id")
            for o in final.get("output") or [] if isinstance(o, dict)
            and o.get("type") in ("function_call", "mcp_approval_request")}


def _asks(step: dict[str, Any]) -> bool:
    """An MCP step that ends its response with an approval request (the next response goes on)."""
    return isinstance(step.get("mcp"), dict) and step["mcp"].get("approval") == "required"


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
                    err: Any = data.get("error") if isinstance(data.get("error"), dict) else data
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
            outputs = {i.get("call_id") if i.get("type") == "function_call_output" else i.get("approval_request_id")
                       for i in request.get("input") or []
                       if isinstance(i, dict) and i.get("type") in ("function_call_output", "mcp_approval_response")}
            conv = next((c for c in reversed(self.conversations) if outputs and outputs & c.calls), None)
            if conv is None:
                conv = _Conversation(match_of(request.get("model"), self._user_text(request)))
                self.conversations.append(conv)
            conv.responses.append(response)
            self._take(response, ex)
            if response.final:
                self.by_id[str(response.final.get("id"))] = response
                conv.calls |= _waits_for(response.final)
            elif ex.streamed:
                for _, data in ex.events():
                    obj = data.get("response") if isinstance(data, dict) else None
                    if isinstance(obj, dict) and obj.get("id"):
                        self.by_id[obj["id"]] = response
                        break
            return True
        if len(parts) in (4, 5) and parts[2] == "responses" and ex.method != "DELETE" \
                and (len(parts) == 4 or parts[4] == "cancel"):
            known = self.by_id.get(parts[3])
            if known is None:
                return False
            before = known.final
            self._take(known, ex)
            if known.final is not before and known.final is not None:
                conv = next(c for c in self.conversations if known in c.responses)
                conv.calls |= _waits_for(known.final)
            return True
        return False

    @staticmethod
    def _steps(response: _Response, options: ConvertOptions, next_request: dict[str, Any] | None,
               used: set[str], approvals: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        # A stream without its response (cut short, or an error event): what arrived of its output, each
        # message as its deltas, so that the replay's events line up with the stream fault's after_events.
        final = response.final or {"output": response.partial}
        status = final.get("status")
        steps: list[dict[str, Any]] = []
        if response.background:
            steps = collapse(s for s in response.seen if s not in TERMINAL)
        content: list[dict[str, Any]] = []
        output = final.get("output") or []
        usage: Any = final.get("usage") if isinstance(final.get("usage"), dict) else {}
        details = usage.get("output_tokens_details") if isinstance(usage.get("output_tokens_details"), dict) else {}
        reasoning_tokens = details.get("reasoning_tokens") if isinstance(details.get("reasoning_tokens"), int) else None
        for index, item in enumerate(output):
            if not isinstance(item, dict):
                continue
            if item.get("type") in HOSTED_ITEMS:
                step = _hosted_step(item, output, index, reasoning_tokens, approvals)
                if step is not None:
                    content.append(step)
                if item.get("type") == "reasoning":
                    reasoning_tokens = 0   # the response's reasoning tokens go on its first reasoning item
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
        elif status == "completed" and not (content and ("tool_calls" in content[-1] or _asks(content[-1]))):
            done: dict[str, Any] = {"status": "completed"}
            usage = usage_of(final.get("usage"))
            if usage:
                done["usage"] = usage
            steps.append(done)
        return steps

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        scripts = []
        for conv in self.conversations:
            steps: list[dict[str, Any]] = []
            used: set[str] = set()
            approvals: dict[str, dict[str, Any]] = {}   # an MCP approval request's step, until its call is seen
            for i, response in enumerate(conv.responses):
                following = conv.responses[i + 1].request if i + 1 < len(conv.responses) else None
                steps += self._steps(response, options, following, used, approvals)
            script: dict[str, Any] = {}
            if conv.match:
                script["match"] = conv.match
            script["steps"] = steps or [{"status": "completed"}]
            scripts.append(script)
        return scripts
