"""The hosted tools of the Responses API, and reasoning: what a ``reasoning``, ``file_search``,
``web_search``, ``code_interpreter``, ``image_generation`` or ``mcp`` step adds to a response's
output, with its stream events in the official order. No HTTP here.

Each step is one output item (an ``mcp`` step two the first time a conversation calls that server:
its ``mcp_list_tools`` item first). The request's ``include`` decides what the items carry (a file
search's ``results``, a web search's ``sources``, a code interpreter's ``outputs``, a reasoning
item's ``encrypted_content``). Searches leave citations for the conversation's next message
(:func:`annotations`). An ``mcp`` call that needs approval ends the response with an
``mcp_approval_request``; the request that brings the ``mcp_approval_response`` plays the call
(:func:`play_approved`) before its next step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from fakeopenai.core import registry
from fakeopenai.core.errors import InvalidRequestError, NotFoundError
from fakeopenai.families.responses.items import last_user_text
from fakeopenai.families.responses.world import world
from fakeopenai.scripting.conversation import Step
from fakeopenai.scripting.stepper import position
from fakeopenai.spec.generate import count_tokens, sentence_text, split_words
from fakeopenai.spec.png import identicon_b64

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.responses.objects import Response


class Emitter(Protocol):
    def event(self, kind: str, fields: dict[str, Any]) -> None: ...


# The tool ``type`` a request offers for each step kind (web search has had several names).
TOOL_TYPES = {"file_search": ("file_search",),
              "web_search": ("web_search", "web_search_2025_08_26", "web_search_preview",
                             "web_search_preview_2025_03_11"),
              "code_interpreter": ("code_interpreter",), "image_generation": ("image_generation",), "mcp": ("mcp",)}
# ``tool_choice: {type: ...}`` forcing a hosted tool -> the step kind.
FORCED = {"file_search": "file_search", "web_search_preview": "web_search",
          "web_search_preview_2025_03_11": "web_search", "web_search": "web_search",
          "code_interpreter": "code_interpreter", "image_generation": "image_generation", "mcp": "mcp"}
IMAGE_SIZE = 64   # the drawn PNG's side, in pixels
_SECRET = b"fakeopenai reasoning"   # signs encrypted_content, so the fake knows its own


# ----------------------------------------------------------------------------- helpers

def _key(state: TenantState, response: Response, what: str) -> str:
    chain = response._chain
    return f"{state.scenario.seed}|response{chain.number}|step{chain._cursor.pos}|{what}"


def _tools(response: Response, kind: str) -> list[dict[str, Any]]:
    return [tool for tool in response.tools if isinstance(tool, dict) and tool.get("type") in TOOL_TYPES[kind]]


def _check_offered(state: TenantState, response: Response, step: Step, offered: bool, wanted: str,
                   shown: str) -> None:
    """A violation when a scripted step uses a hosted tool the request did not offer (the live model
    never does), as for a function the request did not offer."""
    script = response._chain._cursor.script
    if offered or script.index < 0:
        return
    state.add_violation(
        kind="tool_not_offered", where=f"{step.where}.{step.kind}", expected=f"a tool the request offered ({shown})",
        actual=wanted, at=position(state.scenario.source, step), response_id=response.id, script=script.name,
        message=f"fakeopenai: {script.name} uses {wanted} at {step.where}, but the request offered {shown}; "
                "offer the tool in the request, or script a tool it offers")


def _offered_types(response: Response) -> str:
    kinds = [str(tool.get("type")) for tool in response.tools if isinstance(tool, dict)]
    return ", ".join(kinds) if kinds else "no tools"


def _begin(response: Response, emit: Emitter, item: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    index = len(response.output)
    response.output.append(item)
    emit.event("response.output_item.added", {"output_index": index, "item": item})
    return index, {"item_id": item["id"], "output_index": index}


def _done(emit: Emitter, index: int, item: dict[str, Any]) -> None:
    emit.event("response.output_item.done", {"output_index": index, "item": item})


def _chunks(text: str, size: int) -> list[str]:
    return [text[start:start + size] for start in range(0, len(text), size)] or [""]


def _queries(state: TenantState, response: Response, given: tuple[str, ...]) -> list[str]:
    if given:
        return list(given)
    return [last_user_text(response._history) or "search"]


# ----------------------------------------------------------------------------- reasoning

def encrypted_content(item_id: str) -> str:
    """A reasoning item's ``encrypted_content``: opaque (it looks like the live API's Fernet tokens),
    deterministic, and signed, so the fake tells its own from made-up ones when they come back."""
    body = item_id.encode()
    mac = hmac.new(_SECRET, body, hashlib.sha256).digest()[:24]
    return "gAAAAAB" + base64.urlsafe_b64encode(mac + body).decode("ascii")


def _verified(token: str) -> bool:
    if not token.startswith("gAAAAAB"):
        return False
    try:
        raw = base64.urlsafe_b64decode(token[7:].encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    mac, body = raw[:24], raw[24:]
    return hmac.compare_digest(mac, hmac.new(_SECRET, body, hashlib.sha256).digest()[:24])


def check_reasoning_input(state: TenantState, items: list[dict[str, Any]]) -> None:
    """Reasoning items sent back as input, as the live API checks them: ``encrypted_content`` must be
    one the API made (400 ``invalid_encrypted_content``); without it, the item is read by its id, which
    only a kept item has (a stored response's, a conversation's): the 404 stateless clients meet when they
    resend reasoning items without asking for ``reasoning.encrypted_content``."""
    stored: set[str] | None = None
    for item in items:
        if item.get("type") != "reasoning":
            continue
        token = item.get("encrypted_content")
        if isinstance(token, str):
            if not _verified(token):
                raise InvalidRequestError(f"The encrypted content {token[:4]}...{token[-4:]} could not be verified.",
                                          code="invalid_encrypted_content")
            continue
        if stored is None:   # the items the tenant keeps: stored responses' output, conversations' items
            objects = world(state)
            stored = {str(found.get("id")) for response in objects.responses for found in response.output}
            stored.update(str(found.get("id")) for conversation in objects.conversations
                          for found in conversation._items)
        if item.get("id") and item["id"] not in stored:
            raise NotFoundError(f"Item with id '{item['id']}' not found. Items are not persisted when `store` is set "
                                "to false. Try again with `store` set to true, or remove this item from your input.",
                                param="input")


def _summary_asked(response: Response) -> bool:
    settings = response.reasoning or {}
    return (settings.get("summary") or settings.get("generate_summary")) not in (None, "none")


def reasoning(state: TenantState, response: Response, step: Step, emit: Emitter, chunk_words: int) -> None:
    data = step.hosted or {}
    texts = list(data["summary"]) if _summary_asked(response) else []
    item: dict[str, Any] = {"id": state.ids.new("rs_"), "type": "reasoning", "summary": []}
    if "reasoning.encrypted_content" in response._include:
        item["encrypted_content"] = encrypted_content(item["id"])
    index, where = _begin(response, emit, item)
    for i, text in enumerate(texts):
        at = {**where, "summary_index": i}
        emit.event("response.reasoning_summary_part.added", {**at, "part": {"type": "summary_text", "text": ""}})
        for delta in split_words(text, chunk_words):
            emit.event("response.reasoning_summary_text.delta", {**at, "delta": delta})
        emit.event("response.reasoning_summary_text.done", {**at, "text": text})
        part = {"type": "summary_text", "text": text}
        emit.event("response.reasoning_summary_part.done", {**at, "part": part})
        item["summary"] = [*item["summary"], part]
    _done(emit, index, item)
    tokens = data.get("tokens")
    response._reasoning_tokens += tokens if tokens is not None else max(16, count_tokens(" ".join(data["summary"])))


# ----------------------------------------------------------------------------- searches

def _file_results(state: TenantState, response: Response, step: Step, queries: list[str]) -> \
        tuple[list[dict[str, Any]], bool]:
    """The search's results, and whether they come from the tenant's vector stores."""
    data = step.hosted or {}
    given = data.get("results")
    tools = _tools(response, "file_search")
    if given is None:
        found = _store_results(state, tools[0], queries) if tools else None
        if found is not None:
            return found, True
        given = tuple({} for _ in range(2))   # no store the tenant holds: two made-up chunks, best first
    results = []
    for i, result in enumerate(given):
        key = _key(state, response, f"file{i}")
        file_id = result.get("file_id") or state.ids.new("file-")
        results.append({"file_id": file_id,
                        "filename": result.get("filename") or f"document-{i + 1}.txt",
                        "score": result.get("score", round(max(0.1, 0.9 - 0.1 * i), 4)),
                        "text": result["text"] if "text" in result else sentence_text(key + "|" + queries[0], 24),
                        "attributes": dict(result.get("attributes") or {})})
    limit = tools[0].get("max_num_results") if tools else None
    return (results[:limit] if isinstance(limit, int) else results), False


def _store_results(state: TenantState, tool: dict[str, Any], queries: list[str]) -> list[dict[str, Any]] | None:
    """The results of the tool's vector stores (the vector stores family's search, through the registry,
    with the tool's ``max_num_results``, ``filters`` and ``ranking_options``), or None when the tenant
    holds none of them."""
    ids = [str(i) for i in tool.get("vector_store_ids") or ()]
    request = {"query": queries, **{key: tool[key] for key in ("max_num_results", "filters", "ranking_options")
                                    if tool.get(key) is not None}}
    found = registry.search_vector_stores(state, ids, request) if ids else None
    if found is None:
        return None
    return [{"file_id": r["file_id"], "filename": r["filename"], "score": r["score"],
             "text": "\n".join(part["text"] for part in r["content"]), "attributes": r["attributes"]} for r in found]


def _first_sentences(text: str, words: int = 40) -> str:
    """What an unscripted answer says of a passage: its first sentences, up to about ``words`` words."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
        if out and len(" ".join(out).split()) + len(sentence.split()) > words:
            break
        out.append(sentence)
    return " ".join(out)


def file_search(state: TenantState, response: Response, step: Step, emit: Emitter) -> None:
    data = step.hosted or {}
    _check_offered(state, response, step, bool(_tools(response, "file_search")), "file_search",
                   _offered_types(response))
    queries = _queries(state, response, data.get("queries", ()))
    item: dict[str, Any] = {"id": state.ids.new("fs_"), "type": "file_search_call", "status": "in_progress",
                            "queries": [], "results": None}
    index, where = _begin(response, emit, item)
    emit.event("response.file_search_call.in_progress", where)
    emit.event("response.file_search_call.searching", where)
    results, from_stores = _file_results(state, response, step, queries)
    emit.event("response.file_search_call.completed", where)
    item.update(status="completed", queries=queries,
                results=results if "file_search_call.results" in response._include else None)
    _done(emit, index, item)
    if from_stores and results:
        response._chain.passage = _first_sentences(results[0]["text"])
    if data.get("cite", True):
        seen: set[str] = set()
        best = max((r["score"] for r in results), default=0)
        for result in results:
            if from_stores and result["score"] < best / 2:   # a real store's weak matches: read, not cited
                continue
            if result["file_id"] not in seen:
                seen.add(result["file_id"])
                response._chain.citations.append({"type": "file_citation", "file_id": result["file_id"],
                                                  "filename": result["filename"]})


def _web_results(state: TenantState, response: Response, step: Step, query: str) -> list[dict[str, str]]:
    given = (step.hosted or {}).get("results")
    if given is None:
        words = [w.strip(".,").lower() for w in sentence_text(_key(state, response, "web") + "|" + query, 6).split()]
        given = tuple({"url": f"https://example.com/{words[i]}-{words[i + 1]}",
                       "title": f"{words[i].capitalize()} {words[i + 1]}"} for i in (0, 2))
    return [{"url": r["url"], "title": r.get("title") or urlsplit(r["url"]).hostname or r["url"]} for r in given]


def web_search(state: TenantState, response: Response, step: Step, emit: Emitter) -> None:
    data = step.hosted or {}
    _check_offered(state, response, step, bool(_tools(response, "web_search")), "web_search",
                   _offered_types(response))
    queries = _queries(state, response, data.get("queries", ()))
    # The action names its query from the start: openai-python 1.x requires action.query.
    action: dict[str, Any] = {"type": "search", "query": queries[0], "queries": queries}
    item: dict[str, Any] = {"id": state.ids.new("ws_"), "type": "web_search_call", "status": "in_progress",
                            "action": action}
    index, where = _begin(response, emit, item)
    emit.event("response.web_search_call.in_progress", where)
    emit.event("response.web_search_call.searching", where)
    results = _web_results(state, response, step, queries[0])
    emit.event("response.web_search_call.completed", where)
    action = dict(action)
    if "web_search_call.action.sources" in response._include:
        action["sources"] = [{"type": "url", "url": r["url"]} for r in results]
    item.update(status="completed", action=action)
    _done(emit, index, item)
    if data.get("cite", True):
        response._chain.citations.extend({"type": "url_citation", "url": r["url"], "title": r["title"]}
                                         for r in results)


def message_annotations(response: Response, text: str) -> list[dict[str, Any]]:
    """The citations the conversation's searches left, as the annotations of the message ``text`` (and
    gone: the next message cites nothing). A file citation points at the end of the text; a URL
    citation spans where the text names the page (its title, else its host), else the whole text."""
    cited, response._chain.citations = response._chain.citations, []
    out = []
    for source in cited:
        if source["type"] == "file_citation":
            out.append({"type": "file_citation", "file_id": source["file_id"], "filename": source["filename"],
                        "index": len(text)})
            continue
        start, end = 0, len(text)
        for needle in (source["title"], urlsplit(source["url"]).hostname or ""):
            found = text.find(needle) if needle else -1
            if found >= 0:
                start, end = found, found + len(needle)
                break
        out.append({"type": "url_citation", "url": source["url"], "title": source["title"],
                    "start_index": start, "end_index": end})
    return out


# ----------------------------------------------------------------------------- code and images

def code_interpreter(state: TenantState, response: Response, step: Step, emit: Emitter, chunk_chars: int) -> None:
    data = step.hosted or {}
    tools = _tools(response, "code_interpreter")
    _check_offered(state, response, step, bool(tools), "code_interpreter", _offered_types(response))
    container = data.get("container_id")
    if container is None and tools and isinstance(tools[0].get("container"), str):
        container = tools[0]["container"]
    if container is None:
        container = response._chain.container or state.ids.new("cntr_")
    response._chain.container = container   # the conversation's calls share one container, as the live API's
    code = data.get("code", "")
    item: dict[str, Any] = {"id": state.ids.new("ci_"), "type": "code_interpreter_call", "status": "in_progress",
                            "code": "", "container_id": container, "outputs": None}
    index, where = _begin(response, emit, item)
    emit.event("response.code_interpreter_call.in_progress", where)
    for delta in _chunks(code, chunk_chars):
        emit.event("response.code_interpreter_call_code.delta", {**where, "delta": delta})
    emit.event("response.code_interpreter_call_code.done", {**where, "code": code})
    emit.event("response.code_interpreter_call.interpreting", where)
    emit.event("response.code_interpreter_call.completed", where)
    outputs = [dict(output) for output in data.get("outputs", ())]
    item.update(status="completed", code=code,
                outputs=outputs if "code_interpreter_call.outputs" in response._include else None)
    _done(emit, index, item)


def image_generation(state: TenantState, response: Response, step: Step, emit: Emitter, live: bool) -> None:
    """A small PNG drawn from the prompt; a live stream first gets the tool's ``partial_images``, the
    picture drawn part of the way."""
    data = step.hosted or {}
    tools = _tools(response, "image_generation")
    _check_offered(state, response, step, bool(tools), "image_generation", _offered_types(response))
    prompt = data.get("prompt") or last_user_text(response._history) or "an image"
    looks = {"background": "opaque", "output_format": "png", "quality": "low", "size": f"{IMAGE_SIZE}x{IMAGE_SIZE}"}
    item: dict[str, Any] = {"id": state.ids.new("ig_"), "type": "image_generation_call", "status": "in_progress",
                            "result": None}
    index, where = _begin(response, emit, item)
    emit.event("response.image_generation_call.in_progress", where)
    emit.event("response.image_generation_call.generating", where)
    partials = tools[0].get("partial_images") or 0 if tools else 0
    if live:
        for i in range(partials):
            emit.event("response.image_generation_call.partial_image",
                       {**where, "partial_image_index": i, **looks,
                        "partial_image_b64": identicon_b64(prompt, IMAGE_SIZE, (i + 1) / (partials + 1))})
    emit.event("response.image_generation_call.completed", where)
    item.update(status="completed", result=identicon_b64(prompt, IMAGE_SIZE), revised_prompt=prompt,
                action="generate", **looks)
    _done(emit, index, item)


# ----------------------------------------------------------------------------- MCP

def _mcp_tool(response: Response, label: str) -> dict[str, Any] | None:
    return next((tool for tool in _tools(response, "mcp") if tool.get("server_label") == label), None)


def filter_names(value: Any) -> list[str] | None:
    """The tool names an ``allowed_tools`` / ``require_approval`` filter gives (None: no filter)."""
    if isinstance(value, list):
        return [str(name) for name in value]
    if isinstance(value, dict) and isinstance(value.get("tool_names"), list):
        return [str(name) for name in value["tool_names"]]
    return None


def needs_approval(tool: dict[str, Any] | None, name: str, approval: str | None) -> bool:
    """The step's ``approval`` decides; else the request's tool: ``require_approval`` never, always (the
    live API's default) or a filter of tool names."""
    if approval is not None:
        return approval == "required"
    if tool is None:
        return False
    rule = tool.get("require_approval")
    if rule == "never":
        return False
    if isinstance(rule, dict):
        never = filter_names(rule.get("never"))
        if never is not None and name in never:
            return False
    return True


def _schema_of(arguments: str) -> dict[str, Any]:
    """An ``input_schema`` the arguments fit: each key typed as its value."""
    try:
        value = json.loads(arguments)
    except ValueError:
        value = None
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    properties = {key: {"type": kinds.get(type(part), "string")} for key, part in value.items()} \
        if isinstance(value, dict) else {}
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def _list_tools(state: TenantState, response: Response, label: str, emit: Emitter) -> None:
    """``mcp_list_tools`` for ``label``, once in a conversation (the history a stateless client resends
    counts): the tools the script calls on that server, each with a schema its arguments fit."""
    chain = response._chain
    if label in chain.mcp_listed or any(item.get("type") == "mcp_list_tools" and item.get("server_label") == label
                                        for item in response._history):
        chain.mcp_listed.add(label)
        return
    chain.mcp_listed.add(label)
    tools: dict[str, dict[str, Any]] = {}
    for other in chain._cursor.script.steps:
        if other.kind == "mcp" and other.hosted and other.hosted["server_label"] == label:
            tools.setdefault(other.hosted["tool"], {"name": other.hosted["tool"],
                                                    "input_schema": _schema_of(other.hosted["arguments"]),
                                                    "annotations": None, "description": None})
    item: dict[str, Any] = {"id": state.ids.new("mcpl_"), "type": "mcp_list_tools", "server_label": label,
                            "tools": [], "error": None}
    index, where = _begin(response, emit, item)
    emit.event("response.mcp_list_tools.in_progress", where)
    emit.event("response.mcp_list_tools.completed", where)
    item["tools"] = list(tools.values())
    _done(emit, index, item)


def mcp(state: TenantState, response: Response, step: Step, emit: Emitter) -> str | None:
    """The step's call, or (approval needed) its approval request: returns the request's id, which the
    response then waits for."""
    data = step.hosted or {}
    label, name = data["server_label"], data["tool"]
    tool = _mcp_tool(response, label)
    allowed = filter_names(tool.get("allowed_tools")) if tool is not None else None
    labels = [str(t.get("server_label")) for t in _tools(response, "mcp")]
    _check_offered(state, response, step, tool is not None and (allowed is None or name in allowed),
                   f"MCP tool {name} of {label}",
                   f"MCP servers {', '.join(labels)}" + (f" ({label}: {', '.join(allowed)})" if allowed is not None
                                                         else "") if labels else _offered_types(response))
    _list_tools(state, response, label, emit)
    if needs_approval(tool, name, data.get("approval")):
        item = {"id": state.ids.new("mcpr_"), "type": "mcp_approval_request", "server_label": label, "name": name,
                "arguments": data["arguments"]}
        index, _ = _begin(response, emit, item)
        _done(emit, index, item)
        return str(item["id"])
    _call(state, response, step, emit, None)
    return None


def _call(state: TenantState, response: Response, step: Step, emit: Emitter, approval_id: str | None) -> None:
    data = step.hosted or {}
    item: dict[str, Any] = {"id": state.ids.new("mcp_"), "type": "mcp_call", "server_label": data["server_label"],
                            "name": data["tool"], "arguments": "", "status": "in_progress",
                            "approval_request_id": approval_id, "output": None, "error": None}
    index, where = _begin(response, emit, item)
    emit.event("response.mcp_call.in_progress", where)
    arguments = data["arguments"]
    for delta in _chunks(arguments, 20):
        emit.event("response.mcp_call_arguments.delta", {**where, "delta": delta})
    emit.event("response.mcp_call_arguments.done", {**where, "arguments": arguments})
    item["arguments"] = arguments
    if data.get("error") is not None:
        emit.event("response.mcp_call.failed", where)
        item.update(status="failed", error={"type": "mcp_tool_execution_error",
                                            "content": [{"type": "text", "text": data["error"]}]})
    else:
        emit.event("response.mcp_call.completed", where)
        output = data.get("output")
        item.update(status="completed",
                    output=output if output is not None else sentence_text(_key(state, response, "mcp"), 12))
    _done(emit, index, item)


def play_approved(state: TenantState, response: Response, emit: Emitter) -> None:
    """The calls the client approved in this request's input, made before the script goes on (a
    declined one is not made)."""
    approved, response._approved = response._approved, []
    for step, approval_id, approve in approved:
        if approve:
            _call(state, response, step, emit, approval_id)
