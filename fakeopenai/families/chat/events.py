"""The Chat Completions stream: ``data: <chunk>`` frames with no ``event:`` line, ending with
``data: [DONE]``. Each choice in turn (ascending index): a first chunk with the role (only
there), content (or refusal) deltas, each tool call opened by its index with id, type and name
and then argument deltas (every delta with ``function``), a chunk with the finish reason. With
``stream_options.include_usage`` every chunk has ``usage: null`` and a last chunk with empty
``choices`` carries the usage (the SDK helpers take the usage of the last chunk).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fakeopenai.families.chat.completions import stream_options
from fakeopenai.families.chat.generated import SYSTEM_FINGERPRINT
from fakeopenai.spec.generate import split_words

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.families.chat.objects import Completion

DONE = b"data: [DONE]\n\n"


def data_frame(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def chunks(state: TenantState, completion: Completion, include_usage: bool) -> list[bytes]:
    options = stream_options(state, completion)
    head = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created,
            "model": completion.model, "service_tier": completion.service_tier,
            "system_fingerprint": SYSTEM_FINGERPRINT}
    frames: list[bytes] = []

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> None:
        data = {**head, "choices": [{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}]}
        if include_usage:
            data["usage"] = None
        frames.append(data_frame(data))

    for choice in completion.choices:
        index, message = choice["index"], choice["message"]
        chunk(index, {"role": "assistant", "content": "" if message["content"] is not None else None,
                      "refusal": None})
        for field in ("content", "refusal"):
            tokens = list((choice.get("logprobs") or {}).get(field) or ())
            if field == "content" and completion._deltas and message[field] == "".join(completion._deltas):
                pieces: Any = completion._deltas    # scripted deltas (message.deltas), unless cut by max_tokens
            else:
                pieces = split_words(message[field], options.chunk_words) if message[field] else ()
            for piece in pieces:
                taken = len(split_words(piece, 1))
                logprobs = None
                if choice.get("logprobs") is not None:
                    logprobs = {"content": tokens[:taken] if field == "content" else None,
                                "refusal": tokens[:taken] if field == "refusal" else None}
                    tokens = tokens[taken:]
                chunk(index, {field: piece}, logprobs=logprobs)
        for number, call in enumerate(message.get("tool_calls") or ()):
            function = call["function"]
            chunk(index, {"tool_calls": [{"index": number, "id": call["id"], "type": "function",
                                          "function": {"name": function["name"], "arguments": ""}}]})
            arguments = function["arguments"]
            size = options.chunk_chars
            for start in range(0, len(arguments), size):
                piece = arguments[start:start + size]
                chunk(index, {"tool_calls": [{"index": number, "function": {"arguments": piece}}]})
        if completion._stream_error is not None:
            frames.append(data_frame({"error": completion._stream_error}))
            return frames   # the stream breaks off: no finish, no [DONE]
        chunk(index, {}, choice["finish_reason"])
    if include_usage:
        frames.append(data_frame({**head, "choices": [], "usage": completion.usage}))
    frames.append(DONE)
    return frames
