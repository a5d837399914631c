"""The Chat Completions family's part of the scenario format: ``chat:`` scripts, in the shared
conversation step language (:mod:`fakeopenai.scripting.conversation`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fakeopenai.core.family import Built, package_json
from fakeopenai.scenario.model import StreamOptions
from fakeopenai.scripting.conversation import BASIC_KINDS, ConversationMatch, Step, build_steps

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder


@dataclass(frozen=True, slots=True)
class ChatMatch(ConversationMatch):
    """A ``chat:`` script's match: the keys every API shares (a chat's instructions are its system and
    developer messages)."""

    no_user_message: ClassVar[str] = "the messages have no user message"
    instructions_are: ClassVar[str] = "system messages"


@dataclass(frozen=True, slots=True)
class ChatScript:
    key: ClassVar[str] = "chat"
    index: int
    name: str
    match: ChatMatch
    times: int | None
    steps: tuple[Step, ...]
    stream: StreamOptions | None = None
    line: int | None = None
    column: int | None = None


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    at = builder.positions.item_positions(("chat",))
    scripts = tuple(chat_script(builder, i, s, builder.nth(at, i)) for i, s in enumerate(data.get("chat") or []))
    return Built(scripts={"chat": scripts})


def chat_script(builder: Builder, index: int, data: dict[str, Any],
                at: tuple[int, int] | tuple[None, None]) -> ChatScript:
    path = ("chat", index)
    match = data.get("match") or {}
    for key in ("last_message", "instructions"):
        builder.check_regex(path + ("match", key), match.get(key))
    return ChatScript(
        index=index, name=data.get("name") or f"chat[{index}]",
        match=ChatMatch(model=match.get("model"), metadata=match.get("metadata"),
                        last_message=builder.text_match(match.get("last_message")),
                        instructions=builder.text_match(match.get("instructions")),
                        tools=tuple(match.get("tools") or ())),
        times=builder.times(data.get("times")),
        steps=build_steps(builder, path, data.get("steps") or [], "chat completion", BASIC_KINDS),
        stream=builder.stream_options(data.get("stream"), builder.stream) if data.get("stream") else None,
        line=at[0], column=at[1])
