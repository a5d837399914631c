"""What every family's converter uses: the options, the base class and small helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from fakeopenai.record.exchange import Exchange


@dataclass(frozen=True)
class ConvertOptions:
    expect_outputs: bool = False        # tool_calls steps check the outputs the client sent
    embeddings: str = "scripted"        # or "generated": embeddings left to the generator
    name: str | None = None
    description: str | None = None
    media: str | None = None            # the folder, beside the scenario file, of recorded pictures and audio

    def media_folder(self) -> str:
        """Where recorded media files go, relative to the scenario file: ``<name>.media`` by default."""
        return self.media or f"{self.name or 'recorded'}.media"


# --- shared helpers ------------------------------------------------------------------------------

TERMINAL = ("completed", "failed", "cancelled", "expired", "incomplete")
ID_SEGMENT = re.compile(r"^(?:resp|thread|run|msg|asst|step|batch|call|conv|chatcmpl|vs|modr|fc|item|cmpl)_|^file-")
RETRY_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")


def path_glob(path: str) -> str:
    """``/v1/threads/thread_abc/runs`` -> ``/v1/threads/*/runs``: ids become one-segment wildcards."""
    return "/".join("*" if ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


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


def tool_call(name: Any, raw_arguments: Any, call_id: Any, used: set[str]) -> dict[str, Any]:
    """A ``tool_calls`` entry: the function, its arguments (see :func:`arguments`) and the call's id as
    ``id`` when the step language can pin it (``call_...``, not yet pinned in this script: ``used``), so
    the replay gives the client the very same call ids."""
    call: dict[str, Any] = {"function": name, "arguments": arguments(raw_arguments)}
    if isinstance(call_id, str) and call_id.startswith("call_") and call_id not in used:
        call["id"] = call_id
        used.add(call_id)
    return call


def expect_key(call: dict[str, Any]) -> str:
    """How ``expect_outputs`` names a call of a step: by its pinned id, else by its function."""
    return str(call.get("id") or call["function"])


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
            payload = part.get_payload(decode=True)   # bytes: a part of form-data is no multipart itself
            fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


# --- the families ---------------------------------------------------------------------------------

def plain_text(body: Any) -> str | None:
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


class Converter:
    """One family's part: ``feed`` every exchange (True: it was this family's), then ``entries``. A
    converter that keeps media files beside the scenario also has ``media()``: the files its entries
    name (path relative to the scenario file -> bytes), asked after ``entries``."""

    key = ""

    def feed(self, ex: Exchange) -> bool:
        raise NotImplementedError

    def entries(self, options: ConvertOptions) -> Any:
        raise NotImplementedError
