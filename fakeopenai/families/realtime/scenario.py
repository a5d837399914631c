"""The Realtime family's part of the scenario format: ``realtime:`` scripts, in the shared
conversation step language (:mod:`fakeopenai.scripting.conversation`). A session also takes the
``conversations:`` scripts (after its own), so one scenario tests a text agent and its voice version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fakeopenai.core.family import Built, package_json
from fakeopenai.scripting.conversation import BASIC_KINDS, ConversationMatch, Step, build_steps

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder


@dataclass(frozen=True, slots=True)
class RealtimeMatch(ConversationMatch):
    """A ``realtime:`` script's match, read at a session's first ``response.create``: the session's
    model, the response's metadata, the last user message (typed text, or the transcript of
    committed audio), the instructions and function tools in effect."""

    no_user_message: ClassVar[str] = "the conversation has no user message"
    instructions_are: ClassVar[str] = "session instructions"


@dataclass(frozen=True, slots=True)
class RealtimeScript:
    key: ClassVar[str] = "realtime"
    index: int
    name: str
    match: RealtimeMatch
    times: int | None
    steps: tuple[Step, ...]
    line: int | None = None
    column: int | None = None


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    at = builder.positions.item_positions(("realtime",))
    scripts = tuple(realtime_script(builder, i, s, builder.nth(at, i))
                    for i, s in enumerate(data.get("realtime") or []))
    return Built(scripts={"realtime": scripts})


def realtime_script(builder: Builder, index: int, data: dict[str, Any],
                    at: tuple[int, int] | tuple[None, None]) -> RealtimeScript:
    path = ("realtime", index)
    match = data.get("match") or {}
    for key in ("last_message", "instructions"):
        builder.check_regex(path + ("match", key), match.get(key))
    return RealtimeScript(
        index=index, name=data.get("name") or f"realtime[{index}]",
        match=RealtimeMatch(model=match.get("model"), metadata=match.get("metadata"),
                            last_message=builder.text_match(match.get("last_message")),
                            instructions=builder.text_match(match.get("instructions")),
                            tools=tuple(match.get("tools") or ())),
        times=builder.times(data.get("times")),
        steps=build_steps(builder, path, data.get("steps") or [], "realtime response", kinds=BASIC_KINDS),
        line=at[0], column=at[1])
