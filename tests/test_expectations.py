"""expect_outputs and unmatched: error - violations recorded, runs failed with an explanation."""

from __future__ import annotations

from typing import Any

import httpx
import openai

SCENARIO = """
name: checked_weather
objects:
  assistants: [{id: asst_weather, model: gpt-4o}]
runs:
  - name: weather
    steps:
      - tool_calls:
          - {function: get_weather, arguments: {city: Paris}, id: call_weather}
          - {function: get_time, arguments: {tz: CET}}
        expect_outputs:
          call_weather: {json: {temp_c: 18}}
          get_time: {regex: "^\\\\d\\\\d:\\\\d\\\\d$"}
      - message: It is 18 C.
"""


def _submit(client: openai.OpenAI, outputs: dict[str, str]) -> Any:
    run = client.beta.threads.create_and_run_poll(assistant_id="asst_weather")
    calls = run.required_action.submit_tool_outputs.tool_calls
    return client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id, run_id=run.id,
        tool_outputs=[{"tool_call_id": c.id, "output": outputs[c.function.name]} for c in calls])


def test_outputs_that_meet_expectations_complete(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load(SCENARIO)
    run = _submit(client, {"get_weather": '{"temp_c": 18, "sky": "clear"}', "get_time": "14:05"})
    assert run.status == "completed"
    assert fake_openai.violations == []


def test_wrong_output_fails_the_run_and_records_a_violation(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load(SCENARIO)
    run = _submit(client, {"get_weather": '{"temp_c": 25}', "get_time": "2pm"})

    assert run.status == "failed" and run.last_error.code == "server_error"
    assert "call_weather (get_weather)" in run.last_error.message
    assert "runs[0].steps[0].expect_outputs.call_weather expected it JSON matching" in run.last_error.message
    over_http = httpx.get(fake_openai.server.origin + "/_fake/violations",
                          headers={"Authorization": f"Bearer {fake_openai.api_key}"}).json()
    violations = fake_openai.take_violations()
    assert over_http == violations
    assert [(v["kind"], v["where"], v["actual"]) for v in violations] == [
        ("expect_outputs", "runs[0].steps[0].expect_outputs.call_weather", '{"temp_c": 25}'),
        ("expect_outputs", "runs[0].steps[0].expect_outputs.get_time", "2pm")]
    assert violations[1]["expected"] == "matching /^\\d\\d:\\d\\d$/"
    assert violations[0]["run_id"] == run.id and violations[0]["tool_call_id"] == "call_weather"
    # Where the expectation is (the step's line and column in the YAML text), and the request that broke it.
    assert {k: violations[0][k] for k in ("scenario", "source", "at", "request", "thread_id", "function",
                                          "script")} == {
        "scenario": "checked_weather", "source": "<string>", "at": "<string>:8:9",
        "request": f"POST /v1/threads/{run.thread_id}/runs/{run.id}/submit_tool_outputs",
        "thread_id": run.thread_id, "function": "get_weather", "script": "weather"}


def test_unmatched_error_fails_the_run_and_says_why(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({
        "unmatched": "error",
        "objects": {"assistants": [{"id": "asst_a", "model": "gpt-4o"}, {"id": "asst_b", "model": "gpt-4o"}]},
        "runs": [{"name": "only_for_a", "match": {"assistant_id": "asst_a"}},
                 {"name": "weather_question", "match": {"last_message": {"contains": "weather"}}}]})
    run = client.beta.threads.create_and_run_poll(
        assistant_id="asst_b", thread={"messages": [{"role": "user", "content": "What time is it?"}]})
    assert run.status == "failed"
    message = run.last_error.message
    assert "no run script matched" in message
    assert "only_for_a: assistant_id is 'asst_b', not 'asst_a'" in message
    assert "weather_question: last user message 'What time is it?' is not containing 'weather'" in message
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "unmatched" and violation["where"] == "runs"
    assert violation["run_id"] == run.id and violation["request"] == "POST /v1/threads/runs"
    assert violation["at"] is None and violation["source"] == "<dict>"  # a dict has no lines to point at
    assert violation["tried"] == [
        {"script": "only_for_a", "key": "runs[0]", "at": None, "reason": "assistant_id is 'asst_b', not 'asst_a'"},
        {"script": "weather_question", "key": "runs[1]", "at": None,
         "reason": "last user message 'What time is it?' is not containing 'weather'"}]


def test_times_limits_a_script_then_default_applies(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"runs": [{"name": "fails_once", "times": 1, "steps": [{"status": "failed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    first = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    second = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert (first.status, second.status) == ("failed", "completed")
    [script] = fake_openai.scenario["runs"]
    assert script["used"] == 1 and script["served"][0]["id"] == first.id


def test_objects_a_used_up_script_fits_are_noted_in_every_family(fake_openai: Any, http: httpx.Client) -> None:
    """Issue 24 item 9: when a script that fits has used up its times, the default script answers, and the
    tenant notes it (GET /_fake/scenario, the teardown report): runs, batches, responses, chat completions.
    A later script that fits, or unmatched: error's violation (its reason says it), leaves no note."""
    fake_openai.load({
        "runs": [{"name": "run once", "steps": [{"status": "completed"}]}],
        "batches": [{"steps": [{"status": "completed"}]}],
        "responses": [{"match": {"last_message": {"contains": "hello"}}, "steps": [{"message": "Hi."}]}],
        "chat": [{"match": {"model": "gpt-4o-mini"}, "times": 2, "steps": [{"message": "Hi."}]}]})
    client = fake_openai.client(max_retries=0)
    assistant = client.beta.assistants.create(model="gpt-4o")
    runs = [client.beta.threads.create_and_run(assistant_id=assistant.id).id for _ in range(2)]
    upload = client.files.create(file=("in.jsonl", b'{"custom_id": "a", "method": "POST", "url": '
                                       b'"/v1/embeddings", "body": {"model": "m", "input": "x"}}\n'), purpose="batch")
    batches = [client.batches.create(input_file_id=upload.id, endpoint="/v1/embeddings",
                                     completion_window="24h").id for _ in range(2)]
    responses = [client.responses.create(model="gpt-4o", input="hello").id for _ in range(2)]
    chats = [client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]).id
             for _ in range(3)]

    notes = http.get("/_fake/scenario").json()["used_up"]
    assert [(n["key"], n["object"], n["served"], n["times"]) for n in notes] == [
        ("runs[0]", runs[1], runs[:1], 1), ("batches[0]", batches[1], batches[:1], 1),
        ("responses[0]", responses[1], responses[:1], 1), ("chat[0]", chats[2], chats[:2], 2)]
    assert notes[0]["message"] == (f"runs[0] 'run once' matched {runs[1]}, but its times: 1 was used up by {runs[0]}; "
                                   f"the default script answered {runs[1]}. Give times: 2 or times: always for the "
                                   "script to serve it.")
    assert notes[3]["message"].endswith("Give times: 3 or times: always for the script to serve it.")
    assert fake_openai.violations == []   # information, not a violation (strict: true makes it one)

    fake_openai.load({"unmatched": "error", "runs": [{"steps": [{"status": "completed"}]}]})
    client.beta.threads.create_and_run(assistant_id=client.beta.assistants.create(model="gpt-4o").id)
    client.beta.threads.create_and_run(assistant_id=client.beta.assistants.create(model="gpt-4o").id)
    [violation] = fake_openai.take_violations()
    assert violation["tried"][0]["reason"] == ("already served 1 run (times: 1); it fits this run: give times: 2 or "
                                               "times: always")
    assert fake_openai.scenario["used_up"] == []
