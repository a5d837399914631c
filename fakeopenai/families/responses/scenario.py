"""The Responses family's part of the scenario format: ``responses:`` scripts, in the shared
conversation step language (:mod:`fakeopenai.scripting.conversation`), and the conversations
seeded under ``objects:`` (as threads are)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fakeopenai.core.family import Built, package_json
from fakeopenai.scenario.model import StreamOptions
from fakeopenai.scripting.conversation import ConversationMatch, Step, build_steps

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder


@dataclass(frozen=True, slots=True)
class ResponseMatch(ConversationMatch):
    """A ``responses:`` script's match: the keys every API shares."""

    no_user_message: ClassVar[str] = "the input has no user message"
    instructions_are: ClassVar[str] = "instructions"


@dataclass(frozen=True, slots=True)
class ResponseScript:
    key: ClassVar[str] = "responses"
    index: int
    name: str
    match: ResponseMatch
    times: int | None
    steps: tuple[Step, ...]
    stream: StreamOptions | None = None
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class ResponsesPart:
    """The conversations ``objects:`` seeds: each a dict (id, metadata, items as create input)."""

    conversations: tuple[dict[str, Any], ...] = ()


# What each seeded item type needs, and may carry (``id`` and ``type`` aside).
_ITEM_KEYS = {"message": ({"content"}, {"role", "content"}),
              "function_call": ({"call_id", "name"}, {"call_id", "name", "arguments"}),
              "function_call_output": ({"call_id", "output"}, {"call_id", "output"})}


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    at = builder.positions.item_positions(("responses",))
    scripts = tuple(response_script(builder, i, s, builder.nth(at, i))
                    for i, s in enumerate(data.get("responses") or []))
    conversations = tuple(seed_conversation(builder, i, item)
                          for i, item in enumerate((data.get("objects") or {}).get("conversations") or []))
    return Built(scripts={"responses": scripts}, part=ResponsesPart(conversations=conversations))


def seed_conversation(builder: Builder, index: int, data: dict[str, Any]) -> dict[str, Any]:
    """A seeded conversation, its items checked and written as ``conversations.create`` takes them."""
    path = ("objects", "conversations", index)
    builder.pin(path, data)
    items = []
    for j, item in enumerate(data.get("items") or []):
        builder.pin(path + ("items", j), item)
        kind = item.get("type", "message")
        needs, allowed = _ITEM_KEYS[kind]
        for key in sorted(set(item) - allowed - {"id", "type"}):
            builder.error(path + ("items", j, key), f"{key} does not belong on a {kind} item "
                          f"(it takes {', '.join(sorted(allowed))})", key=True)
        for key in sorted(needs - set(item)):
            builder.error(path + ("items", j), f"a {kind} item needs {key}")
        prefix = {"message": "msg_", "function_call": "fc_", "function_call_output": "fco_"}[kind]
        if "id" in item and not str(item["id"]).startswith(prefix):
            builder.error(path + ("items", j, "id"), f"a {kind} item's id starts with {prefix}")
        entry = {**item, "type": kind}
        if kind == "message":
            entry["role"] = item.get("role", "user")
        if kind == "function_call" and not isinstance(item.get("arguments", ""), str):
            entry["arguments"] = json.dumps(item["arguments"], ensure_ascii=False)
        elif kind == "function_call":
            entry["arguments"] = item.get("arguments", "{}")
        items.append(entry)
    return {"id": data.get("id"), "metadata": dict(data.get("metadata") or {}), "items": items}


def response_script(builder: Builder, index: int, data: dict[str, Any],
                    at: tuple[int, int] | tuple[None, None]) -> ResponseScript:
    path = ("responses", index)
    match = data.get("match") or {}
    for key in ("last_message", "instructions"):
        builder.check_regex(path + ("match", key), match.get(key))
    return ResponseScript(
        index=index, name=data.get("name") or f"responses[{index}]",
        match=ResponseMatch(model=match.get("model"), metadata=match.get("metadata"),
                            last_message=builder.text_match(match.get("last_message")),
                            instructions=builder.text_match(match.get("instructions")),
                            tools=tuple(match.get("tools") or ())),
        times=builder.times(data.get("times")),
        steps=build_steps(builder, path, data.get("steps") or [], "response"),
        stream=builder.stream_options(data.get("stream"), builder.stream) if data.get("stream") else None,
        line=at[0], column=at[1])
