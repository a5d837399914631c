"""The chat completions engine's shortcuts (issue 31), each against what it stands for: the first
script taking every request is what ``choose`` picks, a conversation keeps no answered completion,
ids skip reserved ones, and the stepper's and counters' call-free forms equal their plain ones."""

from __future__ import annotations

import contextlib
import gc
from typing import Any

import pytest

from fakeopenai.core.clock import MAX_MICROS, MICROS, FakeClock
from fakeopenai.core.errors import APIError
from fakeopenai.core.ids import IdFactory
from fakeopenai.core.state import TenantState
from fakeopenai.families.chat import completions
from fakeopenai.families.chat.objects import Completion
from fakeopenai.families.chat.world import world
from fakeopenai.scenario.loader import parse_scenario_text
from fakeopenai.scripting.stepper import Cursor, scripts_for
from fakeopenai.spec.generate import count_tokens

BODY: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be brief."},
                                                       {"role": "user", "content": "Hi"}]}
SCENARIOS = {
    "always": "chat: [{times: always, steps: [message: a]}]",
    "no times": "chat: [{steps: [message: a]}]",
    "once": "chat: [{times: 1, steps: [message: a]}]",
    "a match that fits": "chat: [{match: {model: gpt-4o}, steps: [message: a]}]",
    "a match that does not fit": "chat: [{match: {model: gpt-5}, steps: [message: a]}]",
    "conversations only": "conversations: [{times: always, steps: [message: a]}]",
    "chat then conversations": "chat: [{times: 1, steps: [message: a]}]\n"
                               "conversations: [{times: always, steps: [message: b]}]",
    "none": "name: empty",
    "unmatched error": "unmatched: error\nchat: [{match: {model: gpt-5}, steps: [message: a]}]",
}


def _state(text: str) -> TenantState:
    return TenantState("sk-engine", parse_scenario_text(text, "test"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_new_conversation_gets_the_script_choose_picks(name: str) -> None:
    """``_new_chain`` takes the first script without asking ``choose`` when it serves every request; for
    every scenario, over three requests (a ``times: 1`` script is used up by the first), it serves
    conversations as ``choose`` would."""
    state = _state(SCENARIOS[name])
    for _ in range(3):
        scripts = scripts_for(state, "chat")
        expected = completions._choose(state, scripts, BODY, BODY["messages"])
        chain = completions._new_chain(state, world(state), BODY, BODY["messages"])
        assert (chain._cursor.script, chain.violation, chain.used_up) == expected
        with contextlib.suppress(APIError):   # unmatched: error answers a 500
            completions.create_completion(state, dict(BODY))


@pytest.mark.parametrize("name", SCENARIOS)
def test_scripts_for_is_the_api_s_scripts_then_the_conversations_ones(name: str) -> None:
    state = _state(SCENARIOS[name])
    scripts = state.scenario.scripts
    for key in ("chat", "responses", "runs"):
        assert scripts_for(state, key) == (*scripts.get(key, ()), *scripts.get("conversations", ()))
        assert type(scripts_for(state, key)) is tuple


def test_a_conversation_keeps_no_answered_completion() -> None:
    """A conversation lives as long as its tenant (GET /_fake/scenario); an unstored completion is freed
    once its request is answered, while its turn shows where the request left the conversation."""
    state = _state("chat: [{times: always, steps: [message: a, message: b]}]")
    completion = completions.create_completion(state, dict(BODY))
    completion_id = completion.id
    del completion
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is Completion and o.id == completion_id]
    assert state.progress()["chat"][0]["served"] == [
        {"id": completion_id, "status": "completed", "step": 2, "steps": 2, "conversation": completion_id}]
    stored = completions.create_completion(state, {**BODY, "store": True})
    assert completions.get_completion(state, stored.id) is stored


def test_a_generated_id_is_never_a_reserved_one() -> None:
    made = IdFactory(seed=7)
    first, second = made.new("call_"), made.new("call_")
    again = IdFactory(seed=7)
    again.reserve(first)
    assert again.new("call_") == second   # the reserved id is passed over, the next one taken


@pytest.mark.parametrize("pos", [-1, 0, 1, 2, 3, 7])
def test_a_cursor_enters_and_numbers_steps_as_current_and_min_say(pos: int) -> None:
    state = _state("chat: [{steps: [message: a, message: b, message: c]}]")
    script = state.scenario.scripts["chat"][0]
    cursor = Cursor(script, pos=0)
    step = cursor.enter(pos, 5)
    assert (cursor.pos, cursor.entered_us) == (pos, 5)
    assert step is cursor.current() and step is (script.steps[pos] if 0 <= pos < 3 else None)
    assert cursor.step_number() == min(pos + 1, cursor.total)


@pytest.mark.parametrize("text", ["", "Hi", "a b c d e f", "The answer, as scripted.", "x" * 17, " a\tb\nc ",
                                  "abcd" * 5, "é ü ö"])
def test_count_tokens_is_the_larger_of_words_and_quarters(text: str) -> None:
    expected = max(len(text.split()), -(-len(text) // 4)) if text else 0
    assert count_tokens(text) == expected


@pytest.mark.parametrize(("start", "step"), [(0, 1), (1735689600, 7), (2**31 - 3, 1), (2**31 - 1, 5)])
def test_a_tick_is_step_seconds_on_up_to_the_cap(start: int, step: int) -> None:
    clock = FakeClock(start=start, step=step)
    expected = min(start * MICROS + step * MICROS, MAX_MICROS)
    assert clock.tick() == expected // MICROS and clock.micros == expected
