"""Generated answers for batch lines: one function per endpoint, schema-valid bodies with usage.

Every answer is a pure function of the request body and a ``key`` (the scenario
seed and the line's ``custom_id``), so the same scenario and the same input file
give byte-identical output files. No HTTP and no tenant state here.

Usage::

    body = answer("/v1/chat/completions", {"model": "gpt-4o-mini", "messages": [...]},
                  key="7|request-1", created=1735689700)
    body["choices"][0]["message"]["content"]     # Faker's words, picked by a hash of key
    tokens_of("/v1/chat/completions", body)       # (prompt tokens, completion tokens)

``content`` (a scenario's fixed answer) replaces the generated text: the message
of a chat completion, the text of a completion or a response, and the input that
an embedding or a moderation is computed from.
"""

from __future__ import annotations

import hashlib
import json
import string
import struct
from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any

from fakeopenai.generate import (
    count_tokens,
    embedding_dimensions,
    embedding_vector,
    encode_embedding,
    moderation_result,
)

ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings", "/v1/responses", "/v1/completions", "/v1/moderations")
DEFAULT_MODERATION_MODEL = "omni-moderation-latest"
# What each endpoint needs in a line's body; a line without it gets a 400 in the error file.
REQUIRED_FIELDS = {"/v1/chat/completions": ("messages",), "/v1/embeddings": ("input",),
                   "/v1/completions": ("prompt",), "/v1/responses": (), "/v1/moderations": ("input",)}
_ALPHABET = string.ascii_letters + string.digits
# json.dumps with its default separators; answers hold no cycles, so the check is skipped.
encode_json = json.JSONEncoder(check_circular=False).encode
_json_str = json.encoder.encode_basestring_ascii
_ID_CHARS = bytes(ord(_ALPHABET[i % len(_ALPHABET)]) for i in range(256))  # byte -> id character
_ERROR_BODIES: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Bad request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", None, "You are not allowed to make this request."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    409: ("invalid_request_error", "conflict", "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
    504: ("server_error", None, "Gateway timeout."),
}


def derived_id(prefix: str, key: str, length: int = 24) -> str:
    """A random-looking id that is a pure function of ``key`` (ids inside output bodies).

    Bodies are built by the tens of thousands at once, so they do not draw from the
    tenant's id factory (whose set of issued ids would grow by one per line).
    """
    return prefix + hashlib.blake2b(key.encode(), digest_size=length).digest().translate(_ID_CHARS).decode("ascii")


def derived_ids(prefix: str, key_prefix: str, length: int = 24) -> Callable[[bytes], str]:
    """:func:`derived_id` for many keys that share ``key_prefix``: ``make(rest)`` is
    ``derived_id(prefix, key_prefix + rest.decode(), length)``, with the prefix hashed once."""
    base = hashlib.blake2b(key_prefix.encode(), digest_size=length)
    copy = base.copy

    def make(rest: bytes) -> str:
        hasher = copy()
        hasher.update(rest)
        return prefix + hasher.digest().translate(_ID_CHARS).decode("ascii")

    return make


@lru_cache(maxsize=256)
def _fingerprint(model: str) -> str:
    return derived_id("fp_", model, 10)


def error_body(status: int, message: str | None = None, *, param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    """The OpenAI error body a request with HTTP ``status`` answers."""
    type_, default_code, default_message = _ERROR_BODIES.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None, f"HTTP {status}."))
    return {"error": {"message": message or default_message, "type": type_, "param": param,
                      "code": code if code is not None else default_code}}


def missing_field(endpoint: str, body: dict[str, Any]) -> tuple[str, str, str] | None:
    """``(param, message, code)`` for the first field ``endpoint`` requires that ``body`` lacks or
    leaves empty (the line then gets a 400), worded as the live API words it."""
    for name in REQUIRED_FIELDS.get(endpoint, ()):
        value = body.get(name)
        if value is None:
            return name, f"Missing required parameter: '{name}'.", "missing_required_parameter"
        if value == []:
            return name, (f"Invalid '{name}': empty array. Expected an array with minimum length 1, but got an "
                          "empty array instead."), "empty_array"
        if value == "":
            return name, (f"Invalid '{name}': empty string. Expected a string with minimum length 1, but got an "
                          "empty string instead."), "empty_string"
    return None


def answer(endpoint: str, body: dict[str, Any], *, key: str, created: int, content: str | None = None) -> \
        dict[str, Any]:
    """The 200 body ``endpoint`` answers ``body`` with."""
    return _GENERATORS[endpoint](body, key, created, content)


def answer_json(endpoint: str, body: dict[str, Any], *, key: str, created: int, content: str | None = None) -> \
        tuple[str, int, int]:
    """:func:`answer` as JSON text (``json.dumps`` form), with its (input tokens, output tokens)."""
    if endpoint == "/v1/chat/completions":
        fast = _chat_json(body, key, created, content)
        if fast is not None:
            return fast
    generated = answer(endpoint, body, key=key, created=created, content=content)
    return (encode_json(generated), *tokens_of(endpoint, generated))


def tokens_of(endpoint: str, body: dict[str, Any]) -> tuple[int, int]:
    """(input tokens, output tokens) of an answer body, generated or scripted."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    prompt = usage.get("input_tokens", usage.get("prompt_tokens", 0))
    completion = usage.get("output_tokens", usage.get("completion_tokens", 0))
    return (prompt if isinstance(prompt, int) else 0), (completion if isinstance(completion, int) else 0)


# ----------------------------------------------------------------------------- text helpers

@lru_cache(maxsize=1)
def _word_list() -> tuple[str, ...]:
    from faker.providers.lorem.en_US import Provider

    return tuple(Provider.word_list)


@lru_cache(maxsize=1)
def _word_of_pick() -> tuple[str, ...]:
    """The word each 16-bit pick names (``words[pick % len(words)]``), looked up once."""
    words = _word_list()
    return tuple(words[i % len(words)] for i in range(65536))


def load_ahead() -> Callable[[], object] | None:
    """The one-time load generated text needs (Faker's word list, an import, and the pick table:
    about 90 ms together) while it has not happened yet, for a caller that can run it off the event
    loop (``batches/api.py``, ``drive``); else None. It touches no tenant state."""
    return None if _word_of_pick.cache_info().currsize else _word_of_pick


def generated_text(key: str) -> str:
    """8-24 words of Faker's English lorem vocabulary, as sentences, fixed per ``key``.

    One hash of the key picks the length and every word. Seeding a Faker instance
    per line (``generate.sentence_text``) costs about 80 µs; a 50,000-line batch
    would spend four of its ten seconds there.
    """
    return _generated(key)[0]


def _generated(key: str) -> tuple[str, int]:
    """:func:`generated_text` and its number of words (the lorem words hold no spaces)."""
    digest = _blake2b(key.encode(), digest_size=52).digest()
    count = 8 + digest[0] % 17
    picks = itemgetter(*_unpack[count](digest, 4))(_word_of_pick())   # count >= 8: always a tuple
    first = min(count, 4 + digest[1] % 9)  # the first sentence: 4-12 words
    if count <= first + 12:
        if count == first:
            return " ".join(picks).capitalize() + ".", count
        return (" ".join(picks[:first]).capitalize() + ". " + " ".join(picks[first:]).capitalize() + "."), count
    return (" ".join(picks[:first]).capitalize() + ". " + " ".join(picks[first:first + 12]).capitalize() + ". "
            + " ".join(picks[first + 12:]).capitalize() + "."), count


_blake2b = hashlib.blake2b
_unpack = {count: struct.Struct(f">{count}H").unpack_from for count in range(8, 25)}


def _text_of(value: Any) -> str:
    """The text in a message content / prompt / input, whatever its shape."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_text_of(item) for item in value)
    if isinstance(value, dict):
        for name in ("text", "content", "input_text", "refusal"):
            if name in value:
                return _text_of(value[name])
    return ""


def _limit(text: str, limit: Any) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` tokens; True when it was cut (finish_reason length)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0 or count_tokens(text) <= limit:
        return text, False
    words = text.split()[:limit]
    while len(words) > 1 and count_tokens(" ".join(words)) > limit:
        words.pop()
    return " ".join(words), True


def sample_json(schema: Any, text: str, depth: int = 0) -> Any:
    """A value of JSON Schema ``schema`` (structured outputs, tool arguments): strings get ``text``."""
    if not isinstance(schema, dict) or depth > 8:
        return text
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if schema.get(combinator):
            return sample_json(schema[combinator][0], text, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {name: sample_json(sub, text, depth + 1) for name, sub in props.items()}
    if kind == "array":
        return [sample_json(schema.get("items"), text, depth + 1)] * int(schema.get("minItems", 1) or 1)
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return text


def _structured(text: str, response_format: Any) -> str:
    """The text as JSON when the request asked for JSON (``json_object`` / ``json_schema``)."""
    if not isinstance(response_format, dict):
        return text
    kind = response_format.get("type")
    if kind == "json_object":
        return json.dumps({"answer": text})
    if kind == "json_schema":
        spec = response_format.get("json_schema") or response_format
        return json.dumps(sample_json(spec.get("schema"), text))
    return text


def _forced_function(tools: Any, choice: Any) -> dict[str, Any] | None:
    """The function tool a request forces (``tool_choice: required`` or a named function)."""
    functions = [t.get("function") or t for t in tools or () if isinstance(t, dict) and t.get("type") == "function"]
    if not functions:
        return None
    if isinstance(choice, dict):
        name = (choice.get("function") or choice).get("name")
        return next((f for f in functions if f.get("name") == name), None)
    return functions[0] if choice == "required" else None


# ----------------------------------------------------------------------------- endpoints

def _chat(body: dict[str, Any], key: str, created: int, content: str | None) -> dict[str, Any]:
    prompt = _chat_prompt_tokens(body)
    forced = _forced_function(body.get("tools"), body.get("tool_choice"))
    n: Any = body.get("n") if isinstance(body.get("n"), int) and body.get("n", 0) > 0 else 1
    choices, completion = [], 0
    for index in range(n):
        choice_key = key if index == 0 else f"{key}|{index}"
        if forced is not None:
            text = content if content is not None else generated_text(choice_key)
            arguments = json.dumps(sample_json(forced.get("parameters"), text))
            call = {"id": derived_id("call_", choice_key), "type": "function",
                    "function": {"name": forced.get("name", "function"), "arguments": arguments}}
            message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call],
                                       "annotations": []}
            completion += count_tokens(arguments)
            finish = "tool_calls"
        else:
            text, cut = _chat_text(body, choice_key, content)
            message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
            completion += count_tokens(text)
            finish = "length" if cut else "stop"
        choices.append({"index": index, "message": message, "logprobs": None, "finish_reason": finish})
    return {
        "id": derived_id("chatcmpl-", key), "object": "chat.completion", "created": created,
        "model": body.get("model", ""), "choices": choices,
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0,
                                                "rejected_prediction_tokens": 0}},
        "service_tier": "default", "system_fingerprint": _fingerprint(str(body.get("model", ""))),
    }


def _chat_prompt_tokens(body: dict[str, Any]) -> int:
    total = 0
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            content = message.get("content")
            total += count_tokens(content if isinstance(content, str) else _text_of(content)) + 3
    return total


def _chat_text(body: dict[str, Any], key: str, content: str | None) -> tuple[str, bool]:
    """A chat answer's text (cut to the request's token limit) and whether it was cut."""
    text = content if content is not None else generated_text(key)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    return _limit(_structured(text, body.get("response_format")), limit)


# The serialized form of _chat's dict for one plain choice, exactly as json.dumps writes it
# (tests compare the two byte for byte). Writing it directly halves the cost of a chat line.
_CHAT_JSON = (
    '{"id": "%s", "object": "chat.completion", "created": %d, "model": %s, "choices": [{"index": 0, '
    '"message": {"role": "assistant", "content": %s, "refusal": null, "annotations": []}, "logprobs": null, '
    '"finish_reason": "%s"}], "usage": {"prompt_tokens": %d, "completion_tokens": %d, "total_tokens": %d, '
    '"prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}, "completion_tokens_details": '
    '{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}'
    ', "service_tier": "default", "system_fingerprint": "%s"}')


def chat_plan(body: dict[str, Any]) -> tuple[int, Any] | None:
    """What the usual chat line's answer needs of its body, (prompt tokens, token limit), when
    :func:`planned_chat_json` answers it (one choice, no forced tool call, a string model, no
    structured output); else None. A batch keeps this per line, so answering never parses it again."""
    if body.get("n") not in (None, 1) or not isinstance(body.get("model", ""), str) or \
            isinstance(body.get("response_format"), dict) or \
            (body.get("tools") and _forced_function(body.get("tools"), body.get("tool_choice")) is not None):
        return None
    return _chat_prompt_tokens(body), body.get("max_completion_tokens", body.get("max_tokens"))


def planned_chat_json(model: str, prompt: int, limit: Any, key: str, created: int) -> tuple[str, int, int]:
    """The generated answer of a :func:`chat_plan` line, serialized as ``json.dumps(_chat(...))`` writes it,
    with its (input tokens, output tokens). The text's token count comes with it (count_tokens: the
    words, or a quarter of the characters, whichever is more)."""
    text, words = _generated(key)
    completion = max(words, -(-len(text) // 4))
    cut = isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < completion
    if cut:
        text, cut = _limit(text, limit)
        completion = count_tokens(text)
    return (_CHAT_JSON % (derived_id("chatcmpl-", key), created, _json_str(model), _json_str(text),
                          "length" if cut else "stop", prompt, completion, prompt + completion, _fingerprint(model)),
            prompt, completion)


def _chat_json(body: dict[str, Any], key: str, created: int, content: str | None) -> tuple[str, int, int] | None:
    """``_chat`` serialized, for the common case of one choice and no forced tool call; else None."""
    model = body.get("model", "")
    if body.get("n") not in (None, 1) or not isinstance(model, str) or \
            (body.get("tools") and _forced_function(body.get("tools"), body.get("tool_choice")) is not None):
        return None
    if content is None:
        plan = chat_plan(body)
        if plan is not None:
            return planned_chat_json(model, *plan, key, created)
    prompt = _chat_prompt_tokens(body)
    text, cut = _chat_text(body, key, content)
    completion = count_tokens(text)
    return (_CHAT_JSON % (derived_id("chatcmpl-", key), created, _json_str(model), _json_str(text),
                          "length" if cut else "stop", prompt, completion, prompt + completion, _fingerprint(model)),
            prompt, completion)


def _completion(body: dict[str, Any], key: str, created: int, content: str | None) -> dict[str, Any]:
    prompts = body.get("prompt")
    prompts = prompts if isinstance(prompts, list) and prompts and not isinstance(prompts[0], int) else [prompts]
    prompt_tokens = sum(len(p) if isinstance(p, list) else count_tokens(_text_of(p)) for p in prompts)
    limit = body.get("max_tokens", 16)  # the legacy endpoint's default
    choices, completion = [], 0
    for index in range(len(prompts)):
        choice_key = key if index == 0 else f"{key}|{index}"
        text = content if content is not None else generated_text(choice_key)
        text, cut = _limit(" " + text, limit)
        completion += count_tokens(text)
        choices.append({"text": text, "index": index, "logprobs": None, "finish_reason": "length" if cut else "stop"})
    return {"id": derived_id("cmpl-", key), "object": "text_completion", "created": created,
            "model": body.get("model", ""), "choices": choices,
            "system_fingerprint": _fingerprint(str(body.get("model", ""))),
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                      "total_tokens": prompt_tokens + completion}}


def _response(body: dict[str, Any], key: str, created: int, content: str | None) -> dict[str, Any]:
    text = content if content is not None else generated_text(key)
    text_options: Any = body.get("text") if isinstance(body.get("text"), dict) else {}
    fmt = text_options.get("format") or {"type": "text"}
    text, cut = _limit(_structured(text, fmt if fmt.get("type") != "json_schema" else
                                   {"type": "json_schema", "json_schema": fmt}), body.get("max_output_tokens"))
    prompt = count_tokens(_text_of(body.get("input"))) + count_tokens(_text_of(body.get("instructions")))
    output = count_tokens(text)
    message = {"id": derived_id("msg_", key), "type": "message", "status": "incomplete" if cut else "completed",
               "role": "assistant",
               "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}
    out = {
        "id": derived_id("resp_", key), "object": "response", "created_at": created,
        "status": "incomplete" if cut else "completed", "background": False, "completed_at": None if cut else created,
        "error": None, "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"), "model": body.get("model", ""), "output": [message],
        "parallel_tool_calls": body.get("parallel_tool_calls", True), "previous_response_id":
            body.get("previous_response_id"), "reasoning": {"effort": None, "summary": None},
        "service_tier": "default", "store": body.get("store", True), "temperature": body.get("temperature", 1.0),
        "text": {"format": fmt, "verbosity": text_options.get("verbosity", "medium")},
        "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools", []),
        "top_logprobs": body.get("top_logprobs", 0), "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                  "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": prompt + output},
        "metadata": body.get("metadata") or {},
    }
    if isinstance(body.get("user"), str):
        out["user"] = body["user"]  # deprecated; the schema has no null for it
    return out


def _embeddings(body: dict[str, Any], key: str, created: int, content: str | None) -> dict[str, Any]:
    inputs = body.get("input")
    if content is not None:
        inputs = [content]
    elif not isinstance(inputs, list) or (inputs and isinstance(inputs[0], int)):
        inputs = [inputs]
    model = body.get("model", "")
    dimensions = embedding_dimensions(model, body.get("dimensions"))
    data, tokens = [], 0
    for index, item in enumerate(inputs):
        vector = embedding_vector(model, item, dimensions)
        tokens += len(item) if isinstance(item, list) else count_tokens(_text_of(item))
        data.append({"object": "embedding", "index": index,
                     "embedding": encode_embedding(vector, body.get("encoding_format"))})
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def _moderation(body: dict[str, Any], key: str, created: int, content: str | None) -> dict[str, Any]:
    inputs = body.get("input")
    if content is not None:
        inputs = [content]
    elif not isinstance(inputs, list) or any(isinstance(i, dict) for i in inputs):
        inputs = [inputs]  # one string, or one multimodal input (a list of parts)
    return {"id": derived_id("modr-", key), "model": body.get("model") or DEFAULT_MODERATION_MODEL,
            "results": [moderation_result(item) for item in inputs]}


_GENERATORS: dict[str, Callable[[dict[str, Any], str, int, str | None], dict[str, Any]]] = {
    "/v1/chat/completions": _chat, "/v1/embeddings": _embeddings, "/v1/responses": _response,
    "/v1/completions": _completion, "/v1/moderations": _moderation,
}
