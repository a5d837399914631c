"""Scenario loading: safe YAML, strict validation with file:line:column, the shipped JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fakeopenai import ScenarioError, load_scenario
from fakeopenai.scenario.loader import builtin_names, scenario_schema

GOOD = """\
name: weather
description: The assistant calls get_weather.
seed: 7
clock: {start: "2025-06-01T12:00:00Z", step: 2}
poll_after_ms: 25
objects:
  assistants: [{id: asst_weather, name: Weather, model: gpt-4o}]
  threads: [{id: thread_seeded, messages: [{role: user, content: Hi}]}]
  files: [{id: file-input1, purpose: batch, filename: in.jsonl, content: "{}"}]
runs:
  - match:
      assistant_id: asst_weather
      last_message: {contains: weather}
    times: always
    steps:
      - status: queued
      - status: in_progress
        reads: 2
      - tool_calls:
          - {function: get_weather, arguments: {city: Paris}, id: call_weather}
        expect_outputs: {call_weather: {contains: "18"}}
      - message: It is 18 C.
      - status: completed
        usage: {prompt_tokens: 120, completion_tokens: 14}
"""


def problems(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    return [str(p) for p in error.value.problems]


def test_good_scenario_builds_the_model() -> None:
    scenario = load_scenario(GOOD)
    assert scenario.name == "weather" and scenario.seed == 7 and scenario.poll_after_ms == 25
    assert scenario.clock_start == 1748779200 and scenario.clock_step == 2
    [script] = scenario.runs
    assert script.times is None and script.match.assistant_id == "asst_weather"
    assert [s.kind for s in script.steps] == ["status", "status", "tool_calls", "message", "status"]
    assert script.steps[2].tool_calls[0].arguments == '{"city": "Paris"}'
    assert script.steps[4].usage == {"prompt_tokens": 120, "completion_tokens": 14, "total_tokens": 134}
    assert scenario.part("batches").files[0]["content"] == b"{}"


def test_typo_in_key_names_position_allowed_keys_and_suggestion(tmp_path: Path) -> None:
    text = "runs:\n  - match: {}\n    stpes:\n      - status: queued\n"
    [problem] = problems(text, tmp_path)
    assert problem.startswith(f"{tmp_path / 'bad.yaml'}:3:5: runs[0].stpes: unknown key 'stpes'")
    assert "allowed keys: name, match, times, stream, steps" in problem
    assert "(did you mean 'steps'?)" in problem


def test_bad_enum_value_lists_allowed_values(tmp_path: Path) -> None:
    text = "runs:\n  - steps:\n      - status: complete\n"
    [problem] = problems(text, tmp_path)
    assert ":3:17: runs[0].steps[0].status: invalid value 'complete'; allowed values: queued, in_progress" in problem
    assert "(did you mean 'completed'?)" in problem


@pytest.mark.parametrize("key", ["runs", "responses", "chat", "conversations"])
def test_status_requires_action_says_to_use_a_tool_calls_step(key: str, tmp_path: Path, fake_openai: Any) -> None:
    """Issue 24 item 8: `status: requires_action` got only the list of allowed statuses; a run enters it at a
    tool_calls step, and the message now says how to write one (every API whose steps share the run step)."""
    [problem] = problems(f"{key}:\n  - steps:\n      - status: requires_action\n", tmp_path)
    assert problem.endswith(f":3:17: {key}[0].steps[0].status: invalid value 'requires_action'; allowed values: "
                            "queued, in_progress, completed, failed, cancelled, expired, incomplete; "
                            "requires_action is entered by a tool_calls step (a run waits there for the tool "
                            "outputs; a response or chat completion ends with the calls): "
                            "- tool_calls: [{function: NAME, arguments: {...}}]")
    with pytest.raises(ScenarioError, match="requires_action is entered by a tool_calls step"):
        fake_openai.load({key: [{"steps": [{"status": "requires_action"}]}]})
    [cancelling] = problems(f"{key}:\n  - steps:\n      - status: cancelling\n", tmp_path)
    assert cancelling.endswith("a script that ends the run cancelled says - status: cancelled")


def test_wrong_types_and_several_problems_at_once(tmp_path: Path) -> None:
    text = "seed: [1]\npoll_after_ms: fast\nruns:\n  - times: never\n"
    found = problems(text, tmp_path)
    assert len(found) == 3
    assert ":1:7: seed: expected integer or string, got a list" in found[0]
    assert ":2:16: poll_after_ms: expected an integer >= 0, got string 'fast'" in found[1]
    assert ':4:12: runs[0].times: expected an integer >= 1 or "always", got string \'never\'' in found[2]


def test_semantic_rules_are_positioned(tmp_path: Path) -> None:
    text = ("runs:\n"
            "  - steps:\n"
            "      - status: completed\n"
            "      - message: too late\n"
            "  - steps:\n"
            "      - status: in_progress\n"
            "        usage: {prompt_tokens: 1}\n"
            "      - {status: failed, message: both}\n"
            "      - tool_calls: [{function: f, id: call_a}]\n"
            "        expect_outputs: {call_b: {equals: x}}\n")
    found = problems(text, tmp_path)
    assert any(":4:9: runs[0].steps[1]: unreachable: step 0 (status completed) ends the run" in p for p in found)
    assert any(":7:9: runs[1].steps[0].usage: usage belongs on a terminal status step" in p for p in found)
    assert any(":8:9: runs[1].steps[1]: a step needs exactly one of status, tool_calls, message, stream_error "
               "(or, in a response, one of reasoning, file_search, web_search, code_interpreter, image_generation, "
               "mcp) (found: status, message)" in p for p in found)
    assert any(":10:26: runs[1].steps[2].expect_outputs.call_b: no tool call 'call_b'" in p for p in found)


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    [problem] = problems("runs:\n  - steps: [\n", tmp_path)
    assert ":3:1: invalid YAML" in problem


@pytest.mark.parametrize(("text", "expected"), [
    ("runs:\n\t- steps: []\n",
     ":2:1: invalid YAML: found character that cannot start any token; this is a tab: YAML indents with spaces only"),
    ('runs:\n  - steps:\n    - message: "unclosed\n',
     ":4:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at line 3, column 16); "
     "a quote that is never closed?"),
    ("runs:\n  - steps:\n    - status: queued\n   - status: completed\n",
     ":4:4: invalid YAML: did not find expected '-' indicator (while parsing a block collection at line 2, "
     "column 3); check this line's indentation against the lines above it"),
    ("runs:\n  - steps:\n      - status: queued\n    steps: []\n",
     ":4:5: duplicate key 'steps' (first at line 2, column 5): YAML would keep only this one and drop the first; "
     "remove one, or merge them"),
])
def test_yaml_mistakes_say_where_and_why(text: str, expected: str, tmp_path: Path) -> None:
    [problem] = problems(text, tmp_path)
    assert problem.endswith(expected), problem


def test_a_file_that_is_not_utf8_is_a_positioned_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)  # the fixture and serve load files this way too, not only validate
    assert str(error.value) == f"{path}:1:10: this byte is not UTF-8 text; save the file as UTF-8"


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    [problem] = problems("name: !!python/object/apply:os.system ['echo pwned']\n", tmp_path)
    assert "invalid YAML" in problem and "python/object" in problem


def test_unknown_name_suggests(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as error:
        load_scenario("requires_action_then_complet")
    assert str(error.value) == (
        "unknown scenario 'requires_action_then_complet' (did you mean 'requires_action_then_complete'?). "
        f"Built-in scenarios: {', '.join(builtin_names())}. Give one of these names, or the path of a YAML "
        "scenario file.")
    (tmp_path / "orders.yaml").write_text("runs: []\n")
    with pytest.raises(ScenarioError) as error:
        load_scenario("order", scenario_dirs=[tmp_path])
    assert (f"unknown scenario 'order' (did you mean 'orders'?). Built-in scenarios: {', '.join(builtin_names())}. "
            f"In {tmp_path}: orders. ") in str(error.value)


def test_a_missing_file_named_like_a_scenario_says_to_give_the_name(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "orders.yaml").write_text("runs: []\n")
    cases = {
        "chat_tool_loop.yaml": "'chat_tool_loop' is a scenario's name: give the name, without '.yaml'.",
        "orders.yml": "'orders' is a scenario's name: give the name, without '.yml'.",
        "chat_tool_lop.yaml": "Did you mean the scenario named 'chat_tool_loop' (a name, without '.yaml')?",
        "nothing_like_it.yaml": "",
        "sub/chat_tool_loop.yaml": "",   # a path with a folder means a file: no guessing
    }
    for given, hint in cases.items():
        with pytest.raises(ScenarioError) as error:
            load_scenario(given, scenario_dirs=[tmp_path / "mine"])
        assert str(error.value) == (f"{given}: no such scenario file (looked for {tmp_path / given})."
                                    + (f" {hint}" if hint else ""))


def test_dict_and_overrides() -> None:
    scenario = load_scenario({"runs": [{"steps": [{"status": "failed"}]}]}, seed=3)
    assert scenario.seed == 3
    assert scenario.runs[0].steps[0].last_error == {"code": "server_error", "message": "Sorry, something went wrong."}


def test_seed_file_from_path_relative_to_scenario(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.jsonl").write_bytes(b'{"custom_id": "a"}\n')
    (tmp_path / "s.yaml").write_text("objects:\n  files:\n    - {purpose: batch, path: data/in.jsonl}\n")
    scenario = load_scenario(tmp_path / "s.yaml")
    assert scenario.part("batches").files[0]["content"] == b'{"custom_id": "a"}\n'
    assert scenario.part("batches").files[0]["filename"] == "in.jsonl"
    with pytest.raises(ScenarioError) as refused:
        load_scenario((tmp_path / "s.yaml").read_text(), allow_paths=False)
    assert "may not read files from disk" in str(refused.value)


def test_shipped_json_schema_is_valid_and_accepts_every_builtin() -> None:
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "runs" in schema["properties"] and "faults" in schema["properties"]
    for name in builtin_names():
        scenario = load_scenario(name)
        assert scenario.description, f"built-in scenario {name} needs a description"


def test_alias_bombs_and_self_references_are_refused(tmp_path: Path) -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    [problem] = problems(laughs, tmp_path)
    assert "expands (through YAML aliases) to more than 100,000 values" in problem
    [problem] = problems("runs: &r\n  - steps: *r\n", tmp_path)
    assert "a YAML alias refers to the node that contains it" in problem
    shared = load_scenario("runs:\n  - steps: [&done {status: completed}]\n  - steps: [*done]\n")
    assert [s.steps[0].status for s in shared.runs] == ["completed", "completed"]


def test_unbounded_values_are_refused(tmp_path: Path) -> None:
    [problem] = problems("runs: [{steps: [{message: {words: 100000000}}]}]\n", tmp_path)
    assert "runs[0].steps[0].message" in problem
    [problem] = problems("runs: [{steps: [{status: in_progress, after: .nan}]}]\n", tmp_path)
    assert ":1:46: runs[0].steps[0].after: a duration must be a finite number of seconds >= 0, not nan" in problem


@pytest.mark.parametrize(("message", "column", "expected"), [
    ("{words: 0}", 26, "runs[0].steps[0].message.words: expected an integer from 1 to 10000, got number 0"),
    ("{words: 10001}", 26, "runs[0].steps[0].message.words: expected an integer from 1 to 10000, got number 10001"),
    ("{words: ten}", 26, "runs[0].steps[0].message.words: expected an integer from 1 to 10000, got string 'ten'"),
    ("{wrds: 3}", 19, "runs[0].steps[0].message.wrds: unknown key 'wrds'; allowed keys: text, words, refusal, "
                      "deltas (did you mean 'words'?)"),
    ("{text: a, deltas: [b]}", 28, "runs[0].steps[0].message.deltas: deltas are the message's text: give deltas "
                                   "alone, without text"),
    ("{deltas: [a, 3]}", 31, "runs[0].steps[0].message.deltas[1]: expected a string, got number 3"),
    ("{text: 5}", 25, "runs[0].steps[0].message.text: expected a string, got number 5"),
    ("5", 18, "runs[0].steps[0].message: expected the message text, or {words: N} for generated text, got number 5"),
])
def test_a_message_mapping_gets_the_range_and_the_did_you_mean(message: str, column: int, expected: str,
                                                               tmp_path: Path) -> None:
    """issue 17 item 14: inside a union (``message`` is text or ``{words: N}``), the problem of the shape the value
    was meant to have is reported: the range, the unknown key with its "did you mean" (all four used to get one
    generic "expected the message text, or {words: N}")."""
    [problem] = problems(f"runs:\n  - steps:\n      - message: {message}\n", tmp_path)
    assert problem == f"{tmp_path / 'bad.yaml'}:3:{column}: {expected}"


def test_bounded_numbers_say_their_range(tmp_path: Path) -> None:
    """issue 17 item 14: a number out of its bounds says the bounds (it was jsonschema's "is less than the
    minimum of")."""
    found = problems("poll_after_ms: -1\nfaults: [{status: 600}]\n", tmp_path)
    assert found == [f"{tmp_path / 'bad.yaml'}:1:16: poll_after_ms: expected an integer >= 0, got number -1",
                     f"{tmp_path / 'bad.yaml'}:2:19: faults[0].status: expected an integer from 200 to 599, "
                     "got number 600"]


def test_top_level_x_keys_hold_yaml_anchors_and_are_ignored(tmp_path: Path) -> None:
    """issue 17 item 24: top-level keys starting with ``x-`` (docker-compose's extension fields) are ignored, so
    anchors can be defined there; any other unknown key is still refused, and the message says x- keys exist."""
    scenario = load_scenario("x-steps:\n"
                             "  done: &done {status: completed}\n"
                             "x-always: &always {times: always}\n"
                             "x-notes: [anything, {goes: here}]\n"
                             "runs:\n"
                             "  - <<: *always\n"
                             "    steps: [{status: in_progress}, *done]\n")
    assert scenario.runs[0].times is None
    assert [step.status for step in scenario.runs[0].steps] == ["in_progress", "completed"]
    assert load_scenario({"x-anything": 1, "runs": [{"steps": [{"status": "completed"}]}]}).runs

    [problem] = problems("x-ok: 1\ny-not: 2\n", tmp_path)
    assert problem.startswith(f"{tmp_path / 'bad.yaml'}:2:1: y-not: unknown key 'y-not'; allowed keys: name, ")
    assert "(and any key starting with x-, which is ignored)" in problem
    [problem] = problems("x-ok: 1\nruns: [{x-nested: 1, steps: [{status: completed}]}]\n", tmp_path)
    assert "runs[0].x-nested: unknown key 'x-nested'" in problem  # only at the top level


@pytest.mark.parametrize(("pattern", "message"), [
    ("v1/assistants", "'v1/assistants' never matches a request: request paths start with / (did you mean "
                      "'/v1/assistants'?)"),
    ("/v1/assistants/", "'/v1/assistants/' never matches a request: request paths have no trailing / (did you mean "
                        "'/v1/assistants'?)"),
    ("/v1/files?purpose=batch", "'/v1/files?purpose=batch' never matches a request: the query string is never part "
                                "of the path matched (did you mean '/v1/files'?)"),
    ("https://api.openai.com/v1/threads/*/runs", "'https://api.openai.com/v1/threads/*/runs' never matches a "
                                                 "request: it is a full URL: give only its path (did you mean "
                                                 "'/v1/threads/*/runs'?)"),
])
def test_a_fault_path_that_can_never_match_is_refused(pattern: str, message: str, tmp_path: Path) -> None:
    """issue 17 item 18: fault paths no request can have validated "ok" and never fired; they are refused with
    their position and the path that would match."""
    [problem] = problems(f"faults:\n  - status: 500\n    match: {{path: '{pattern}'}}\n", tmp_path)
    assert problem == f"{tmp_path / 'bad.yaml'}:3:19: faults[0].match.path: {message}"


def test_fault_paths_that_can_match_are_taken() -> None:
    """issue 17 item 18: globs, paths without /v1 and ``?`` (one character) stay valid."""
    for pattern in ("/v1/threads/*/runs", "/threads/**", "**/cancel", "/v1/files/file-?", "/"):
        assert load_scenario({"faults": [{"status": 500, "match": {"path": pattern}}]}).faults[0].path == pattern


def test_batch_steps_that_go_backwards_are_refused(tmp_path: Path) -> None:
    """Issue 17 item 21 (and 6): these validated ok; `steps: []` made the create answer completed at once."""
    def problem(text: str) -> str:
        [one] = problems(text, tmp_path)
        return one.removeprefix(str(tmp_path / "bad.yaml"))

    assert problem("batches:\n  - steps: []\n") == (
        ":2:12: batches[0].steps: a batch script needs at least one step (steps: [{status: completed}] is a batch "
        "validating at its create, then completed); leave steps out for the default lifecycle: validating, "
        "in_progress, finalizing, completed")
    backwards = problem("batches:\n  - steps:\n      - status: validating\n      - status: in_progress\n"
                        "      - status: validating\n")
    assert backwards == (":5:17: batches[0].steps[2].status: in_progress -> validating goes backwards; "
                         "after in_progress a batch can be in_progress, finalizing, completed, failed, expired, "
                         "cancelling, cancelled")
    late = load_scenario("batches:\n  - steps: [{status: finalizing}, {status: completed}]\n")   # issue 24 item 15
    assert [s.status for s in late.scripts["batches"][0].steps] == ["validating", "finalizing", "completed"]
    assert problem("batches:\n  - steps: [{status: finalizing}, {status: in_progress}]\n").startswith(
        ":2:44: batches[0].steps[1].status: finalizing -> in_progress goes backwards")
    after_cancelling = problem("batches:\n  - steps: [{status: validating}, {status: cancelling}, "
                               "{status: completed}]\n")
    assert after_cancelling.endswith("batches[0].steps[2].status: a cancelling batch can only end cancelled; "
                                     "after cancelling a batch can be cancelling, cancelled")
    ok = load_scenario({"batches": [{"steps": [{"status": "validating"}, {"status": "completed"}]},
                                    {"responses": [{"line": 1, "content": "Hi"}]}]})
    assert [s.status for s in ok.scripts["batches"][1].steps] == ["validating", "in_progress", "finalizing",
                                                                  "completed"]   # no steps: the default


def test_conversations_scripts_are_checked_like_runs() -> None:
    """A conversations: script serves runs too: its steps follow the run rules, and a compat profile that
    cannot read requires_action refuses its tool calls, with the position."""
    scenario = load_scenario("conversations:\n  - match: {model: gpt-4o}\n    steps:\n      - message: Hi\n")
    [script] = scenario.conversations
    assert script.key == "conversations" and script.steps[0].where == "conversations[0].steps[0]"
    with pytest.raises(ScenarioError) as caught:
        load_scenario("compat: oxillama\nconversations:\n  - steps:\n      - tool_calls: [{function: f}]\n")
    assert "conversations[0].steps[0]: the oxillama client" in str(caught.value)
    with pytest.raises(ScenarioError, match="unreachable: step 0"):
        load_scenario({"conversations": [{"steps": [{"status": "completed"}, {"message": "late"}]}]})


def test_seeded_conversations_are_checked_with_positions(tmp_path: Path) -> None:
    found = problems("objects:\n  conversations:\n    - id: conv_a\n      itmes: []\n    - id: thread_x\n", tmp_path)
    assert ":4:7: objects.conversations[0].itmes: unknown key 'itmes'; allowed keys: id, metadata, items" in found[0]
    assert ":5:11: objects.conversations[1].id: 'thread_x' does not match '^conv_'" in found[1]
    text = ("objects:\n  conversations:\n    - id: conv_a\n      items:\n"
            "        - {role: user, content: hi, call_id: call_1}\n"
            "        - {type: function_call, name: f}\n"
            "        - {type: function_call_output, id: msg_1, call_id: c, output: x}\n"
            "    - id: conv_a\n")
    assert [p.split("bad.yaml:", 1)[1] for p in problems(text, tmp_path)] == [
        "5:37: objects.conversations[0].items[0].call_id: call_id does not belong on a message item "
        "(it takes content, role)",
        "6:11: objects.conversations[0].items[1]: a function_call item needs call_id",
        "7:44: objects.conversations[0].items[2].id: a function_call_output item's id starts with fco_",
        "8:11: objects.conversations[1].id: duplicate id 'conv_a' (also at objects.conversations[0])"]


def test_a_scenario_file_is_read_again_only_when_it_changed(tmp_path: Path) -> None:
    """The fixture loads the same file test after test: kept while its size, time and inode stay; a file
    written in the last seconds is never kept (a rewrite within the clock's granularity may keep its time)."""
    import os

    path = tmp_path / "s.yaml"
    path.write_text("name: first\nseed: 1\n")
    assert load_scenario(str(path)).name == "first"
    path.write_text("name: other\nseed: 1\n")          # same size, just written: read again
    assert load_scenario(str(path)).name == "other"
    os.utime(path, (1_700_000_000, 1_700_000_000))     # settled long ago: kept
    kept = load_scenario(str(path))
    assert load_scenario(str(path)) is kept
    path.write_text("name: third\nseed: 1\n")
    os.utime(path, (1_700_000_100, 1_700_000_100))     # changed since: read again
    assert load_scenario(str(path)).name == "third"
