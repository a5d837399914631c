"""What a chat completion says when no script says it: the one generator of the chat wire shape, for
``POST /chat/completions`` (the engine's default scripts, ``completions.py``) and a batch line alike.
No HTTP and no tenant state here: every answer is a pure function of the request body and a key.

Usage::

    key = text_key(seed, body)                      # a direct call and a batch line with this body: one key
    answer(body, ids_key="7|r1", created=1735689700, text_key=key)   # the chat.completion JSON
    choice(body, 0, texts=[...], refusals=[], tool_calls=None, finish="stop", key=...)   # one choice

Text is :func:`fakeopenai.spec.generate.answer_text` (an instance of a ``json_schema`` response format, a
``json_object``, else words); ``tool_choice`` ``required`` calls every function tool (the first only
with ``parallel_tool_calls: false``), a named function that one, with arguments valid against its
``parameters``; a token limit cuts the text with :func:`fakeopenai.spec.generate.cut_to_tokens`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fakeopenai.core.ids import derived_id
from fakeopenai.scripting.conversation import ToolCallSpec
from fakeopenai.spec.generate import (
    answer_text,
    count_tokens,
    cut_to_tokens,
    generated_words,
    schema_instance,
    split_words,
)

DEFAULT_MODEL = "gpt-4o"
SYSTEM_FINGERPRINT = "fp_fakeopenai"
DEFAULT_MESSAGE_WHERE = "default.steps[0]"   # where the default script's message step is


def text_of(content: Any) -> str:
    """A message's text: its content string, or its text parts joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content
                     if isinstance(part, dict) and part.get("type") in ("text", "refusal"))


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [t["function"]["name"] for t in tools
            if isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("function"), dict)]


def named_function(choice: Any) -> str | None:
    if isinstance(choice, dict) and choice.get("type") == "function":
        return str((choice.get("function") or {}).get("name"))
    return None


def forces_a_tool(body: dict[str, Any]) -> bool:
    """``tool_choice`` ``required`` or a named function, with function tools offered."""
    choice = body.get("tool_choice")
    return (choice == "required" or named_function(choice) is not None) and bool(tool_names(body.get("tools") or []))


def text_key(seed: Any, body: dict[str, Any]) -> str:
    """What an unscripted answer to ``body`` is keyed by: the scenario seed and a digest of its messages (each
    one's role and text), so a direct call and a batch line with the same body say the same, and asking
    again gets the same answer. A walk over the messages, as counting the prompt's tokens is (a 50,000-line
    batch keeps one per line): not a digest of the whole body, whose JSON would cost five times as much."""
    return _key(seed, [f"{m.get('role')}\x1f{text_of(m.get('content'))}" for m in body.get("messages") or ()
                       if isinstance(m, dict)])


def _key(seed: Any, said: list[str]) -> str:
    return f"{seed}|" + hashlib.blake2b("\x1e".join(said).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def choice_key(text_key: str, index: int) -> str:
    """The key of choice ``index`` of an unscripted answer (``text_key``: :func:`request_key` of its request)."""
    return f"{text_key}|choice{index}"


def message_text(body: dict[str, Any], key: str, words: int | None) -> str:
    """A generated message in the request's ``response_format``."""
    form = body.get("response_format") or {}
    return answer_text(form.get("type"), (form.get("json_schema") or {}).get("schema"), key, words)


def generated_calls(body: dict[str, Any], key: str) -> tuple[ToolCallSpec, ...]:
    """Calls for ``tool_choice`` required or a named function: arguments valid against its parameters.
    Required calls every function tool at once unless ``parallel_tool_calls`` is false (then the first)."""
    tools = {t["function"]["name"]: t["function"] for t in body.get("tools") or ()
             if isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("function"), dict)}
    named = named_function(body.get("tool_choice"))
    names = [named] if named is not None else list(tools)
    if body.get("parallel_tool_calls") is False:
        names = names[:1]
    specs = []
    for name in names:
        schema = tools[name].get("parameters") if name in tools else None
        arguments = schema_instance(schema, f"{key}|{name}") if isinstance(schema, dict) else {}
        specs.append(ToolCallSpec(function=name, arguments=json.dumps(arguments, ensure_ascii=False)))
    return tuple(specs)


def choice(body: dict[str, Any], index: int, texts: list[str], refusals: list[str],
           tool_calls: list[dict[str, Any]] | None, finish: str, key: str) -> dict[str, Any]:
    """One choice: the message steps' texts joined (cut at the request's token limit), its refusal,
    its tool calls, and logprobs when asked."""
    refusal = "\n\n".join(refusals) if refusals else None
    # A turn with nothing to say (a script of statuses only, or cancelled before its message) says "".
    content = "\n\n".join(texts) if texts else ("" if refusal is None and tool_calls is None else None)
    limit = token_limit(body)
    if content is not None and limit is not None and count_tokens(content) > limit:
        content, finish = cut_to_tokens(content, limit), "length"
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal, "annotations": []}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    logprobs = None
    if body.get("logprobs"):
        top = body.get("top_logprobs") or 0
        logprobs = {"content": _logprobs(content, top, key) if content is not None else None,
                    "refusal": _logprobs(refusal, top, key) if refusal is not None else None}
    return {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}


def token_limit(body: dict[str, Any]) -> int | None:
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    return limit if isinstance(limit, int) and not isinstance(limit, bool) else None


def prompt_tokens(body: dict[str, Any]) -> int:
    total = 0
    for message in body.get("messages") or ():   # a loop, not sum() over a generator: a frame less a message
        if isinstance(message, dict):
            content = message.get("content")
            total += count_tokens(content if type(content) is str else text_of(content)) + 4   # (text_of's usual case)
    return total


def usage(body: dict[str, Any], choices: list[dict[str, Any]], pinned: dict[str, int] | None = None) -> dict[str, Any]:
    """The usage of an answer: ``pinned`` (a script's), else counted from the prompt and the choices."""
    if pinned:
        prompt, completion_tokens = pinned["prompt_tokens"], pinned["completion_tokens"]
    else:
        prompt = prompt_tokens(body)
        completion_tokens = 0
        for one in choices:
            message = one["message"]
            completion_tokens += count_tokens(message["content"] or message["refusal"] or "")
            for call in message.get("tool_calls") or ():
                completion_tokens += count_tokens(call["function"]["arguments"]) + 4
    return _usage(prompt, completion_tokens)


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0}}


def service_tier(body: dict[str, Any]) -> str:
    tier = body.get("service_tier")
    return tier if tier in ("flex", "scale", "priority") else "default"


def answer(body: dict[str, Any], *, ids_key: str, created: int, text_key: str,
           content: str | None = None) -> dict[str, Any]:
    """The chat.completion an unscripted request gets (the first turn of the default script): what
    ``POST /chat/completions`` answers for ``body``, with ids derived from ``ids_key`` (a batch line's);
    ``content`` (a batch script's fixed answer) replaces the generated text."""
    forced = forces_a_tool(body)
    choices = []
    asked = body.get("n")
    n = asked if isinstance(asked, int) and asked > 0 else 1
    for index in range(n):
        key = choice_key(text_key, index)
        if forced:
            calls = [{"id": derived_id("call_", f"{ids_key}|{index}|{number}"), "type": "function",
                      "function": {"name": spec.function, "arguments": spec.arguments}}
                     for number, spec in enumerate(generated_calls(body, key))]
            choices.append(choice(body, index, [], [], calls, "tool_calls", key))
        else:
            text = content if content is not None else message_text(body, f"{key}|{DEFAULT_MESSAGE_WHERE}", None)
            choices.append(choice(body, index, [text], [], None, "stop", key))
    return {"id": derived_id("chatcmpl-", ids_key), "object": "chat.completion", "created": created,
            "model": body.get("model") or DEFAULT_MODEL, "choices": choices, "usage": usage(body, choices),
            "service_tier": service_tier(body), "system_fingerprint": SYSTEM_FINGERPRINT}


# ----------------------------------------------------------------------------- the usual line, fast

# json.dumps(answer(...)) for one plain choice, written directly (tests compare the two byte for
# byte): a 50,000-line batch spends half its time less this way.
_CHAT_JSON = (
    '{"id": "%s", "object": "chat.completion", "created": %d, "model": %s, "choices": [{"index": 0, '
    '"message": {"role": "assistant", "content": %s, "refusal": null, "annotations": []}, "logprobs": null, '
    '"finish_reason": "%s"}], "usage": {"prompt_tokens": %d, "completion_tokens": %d, "total_tokens": %d, '
    '"prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}, "completion_tokens_details": '
    '{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}'
    ', "service_tier": "%s", "system_fingerprint": "' + SYSTEM_FINGERPRINT + '"}')
_json_str = json.encoder.encode_basestring_ascii


def plan(body: dict[str, Any], seed: Any) -> tuple[int, Any, str, str] | None:
    """What the usual line's answer needs of its body, (prompt tokens, token limit, text key, service
    tier), when :func:`planned` answers it (one choice, no forced tool call, a string model, plain text,
    no logprobs); else None. A batch keeps this per line, so answering never parses it again."""
    model = body.get("model")
    if body.get("n") not in (None, 1) or not isinstance(model, str) or not model or \
            isinstance(body.get("response_format"), dict) or body.get("logprobs") or \
            (body.get("tools") and forces_a_tool(body)):
        return None
    prompt, said = 0, []
    for message in body.get("messages") or ():   # prompt_tokens and text_key in one walk
        if isinstance(message, dict):
            text = text_of(message.get("content"))
            prompt += count_tokens(text) + 4
            said.append(f"{message.get('role')}\x1f{text}")
    return prompt, token_limit(body), _key(seed, said), service_tier(body)


def planned(model: str, line_plan: tuple[int, Any, str, str], ids_key: str, created: int) -> tuple[str, int, int]:
    """The answer of a :func:`plan` line, serialized as ``json.dumps(answer(...))`` writes it, with its
    (input tokens, output tokens)."""
    prompt, limit, text_key, tier = line_plan
    text, words = generated_words(f"{choice_key(text_key, 0)}|{DEFAULT_MESSAGE_WHERE}")
    completion = max(words, -(-len(text) // 4))   # count_tokens(text), from what is known already
    finish = "stop"
    if limit is not None and completion > limit:
        text, finish = cut_to_tokens(text, limit), "length"
        completion = count_tokens(text)
    return (_CHAT_JSON % (derived_id("chatcmpl-", ids_key), created, _json_str(model), _json_str(text), finish,
                          prompt, completion, prompt + completion, tier), prompt, completion)


# ----------------------------------------------------------------------------- logprobs

_ALTERNATIVES = (" the", " a", ",", ".", " and", " of", " to", " in", " it", " is", " that", " for", " on",
                 " with", " as", " was", " at", " by", " be", " this")


def _logprobs(text: str | None, top: int, key: str) -> list[dict[str, Any]]:
    """One entry per word: a seeded log probability, and ``top`` alternatives (the token first)."""
    entries = []
    for i, token in enumerate(split_words(text or "", 1) if text else []):
        seeded = int.from_bytes(hashlib.blake2b(f"{key}|lp{i}".encode(), digest_size=4).digest(), "big")
        logprob = -round((seeded % 2000) / 1000, 4)
        alternatives = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}]
        for j, other in enumerate(a for a in _ALTERNATIVES if a != token):
            if len(alternatives) >= top:
                break
            alternatives.append({"token": other, "logprob": round(logprob - 1 - j * 0.5, 4),
                                 "bytes": list(other.encode())})
        entries.append({"token": token, "logprob": logprob, "bytes": list(token.encode()),
                        "top_logprobs": alternatives[:top]})
    return entries
