"""GET /_fake/timeline, /_fake/tenants and /_fake/ui (docs/control-api.md, "Timeline"), and the page the
pytest plugin writes for a failed test (--fake-openai-report), driven through the official SDK."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import openai
import pytest

from fakeopenai import FakeOpenAI, create_app
from fakeopenai.doors.server import ServerThread

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCENARIO = """\
name: timeline_demo
seed: 7
objects:
  assistants:
    - id: asst_weather
      model: gpt-4o
runs:
  - name: weather
    times: always
    steps:
      - status: queued
      - status: in_progress
      - tool_calls:
          - function: get_weather
            arguments: {city: Paris}
        expect_outputs: {get_weather: {contains: "18"}}
      - message: It is 18 C and sunny in Paris.
      - status: completed
batches:
  - name: completes
    steps:
      - status: validating
      - status: in_progress
      - status: finalizing
      - status: completed
faults:
  - name: rate_limited
    match: {method: POST, path: "/v1/threads/*/runs"}
    status: 429
"""

RUN_STATES = ["queued", "in_progress", "requires_action", "queued", "in_progress", "completed"]
BATCH_STATES = ["validating", "in_progress", "finalizing", "completed"]


def drive(client: Any, output: str = "18 C") -> tuple[str, str]:
    """A tool-call run (its create answered 429 once, then retried by the SDK) and a batch."""
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_weather",
                                                   poll_interval_ms=0)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": output}],
        poll_interval_ms=0)
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}}
    upload = client.files.create(file=("in.jsonl", json.dumps(line).encode() + b"\n"), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h")
    while batch.status != "completed":
        batch = client.batches.retrieve(batch.id)
    return run.id, batch.id


@pytest.fixture(scope="module")
def fake() -> Any:
    with FakeOpenAI(scenario=SCENARIO) as server:
        yield server


def origin(fake: FakeOpenAI) -> str:
    return fake.base_url.removesuffix("/v1")


def test_timeline_shows_requests_faults_retries_and_each_objects_life(fake: FakeOpenAI) -> None:
    key = "sk-timeline-1"
    run_id, batch_id = drive(fake.client(api_key=key), output="rainy")
    body = httpx.get(origin(fake) + "/_fake/timeline", headers={"Authorization": f"Bearer {key}"}).json()

    assert body["tenant"].startswith("tenant-") and key not in json.dumps(body)   # never the key itself
    assert body["scenario"]["name"] == "timeline_demo"
    requests = body["requests"]
    assert [r["n"] for r in requests] == list(range(1, len(requests) + 1))
    limited, retried = requests[1], requests[2]
    assert (limited["method"], limited["status"], limited["fault"]) == ("POST", 429, "rate_limited")
    assert limited["path"] == retried["path"] and retried["status"] == 200 and retried["fault"] is None
    assert (retried["retry_of"], retried["attempt"]) == (limited["n"], 2)   # the SDK's retry, grouped
    assert limited["response"]["body"]["error"]["type"]
    assert retried["response"]["body"]["id"] == run_id
    assert retried["headers"]["authorization"] == "<redacted>"
    assert all(isinstance(r["time"], int) and isinstance(r["wall"], float) for r in requests)
    assert requests[0]["body"]["messages"][0]["content"] == "Weather in Paris?"

    lives = {life["id"]: life for life in body["objects"]}
    run, batch = lives[run_id], lives[batch_id]
    assert (run["kind"], run["script"], batch["kind"], batch["script"]) == ("run", "weather", "batch", "completes")
    assert [s["status"] for s in run["states"]] == ["queued", "in_progress", "requires_action", "failed"]
    assert [s["status"] for s in batch["states"]] == BATCH_STATES
    waiting = run["states"][2]
    assert (waiting["step"], waiting["steps"], waiting["where"]) == (3, 5, "runs[0].steps[2]")
    assert waiting["at"] == "<string>:13:9"
    by_n = {r["n"]: r for r in requests}
    assert by_n[waiting["request"]]["method"] == "GET"    # the poll that moved it there
    times = [s["time"] for s in run["states"] + batch["states"]]
    assert times == sorted(times)

    [violation] = body["violations"]   # "rainy" broke expect_outputs: marked on the request that sent it
    assert violation["kind"] == "expect_outputs" and violation["run_id"] == run_id
    assert by_n[violation["n"]]["path"].endswith("/submit_tool_outputs")


def test_a_clean_run_walks_every_state(fake: FakeOpenAI) -> None:
    key = "sk-timeline-2"
    run_id, _ = drive(fake.client(api_key=key))
    body = httpx.get(origin(fake) + "/_fake/timeline", headers={"Authorization": f"Bearer {key}"}).json()
    [run] = [life for life in body["objects"] if life["id"] == run_id]
    assert [s["status"] for s in run["states"]] == RUN_STATES
    assert body["violations"] == []


def test_a_chat_conversation_shows_each_round_it_waits_for_tool_outputs(fake: FakeOpenAI) -> None:
    key = "sk-timeline-chat"
    httpx.put(origin(fake) + "/_fake/scenario", json={"name": "chat_tool_loop"},
              headers={"Authorization": f"Bearer {key}"}).raise_for_status()
    client = fake.client(api_key=key)
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris and Lyon?"}]
    while True:
        choice = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools).choices[0]
        if choice.finish_reason != "tool_calls":
            break
        messages += [choice.message, *({"role": "tool", "tool_call_id": call.id, "content": "18 C"}
                                       for call in choice.message.tool_calls)]
    body = httpx.get(origin(fake) + "/_fake/timeline", headers={"Authorization": f"Bearer {key}"}).json()
    [chat] = body["objects"]
    waits = [(s["status"], s["step"], s["request"]) for s in chat["states"] if s["status"] == "waiting"]
    assert waits == [("waiting", 1, 1), ("waiting", 2, 2)]   # one per round, at the request that asked
    assert chat["states"][-1]["status"] == "completed"


def test_tenants_and_the_page_on_loopback(fake: FakeOpenAI) -> None:
    fake.client(api_key="sk-timeline-3").models.list()
    tenants = httpx.get(origin(fake) + "/_fake/tenants").json()["tenants"]   # no key needed on loopback
    assert "sk-timeline-3" not in json.dumps(tenants)
    label = next(t["tenant"] for t in tenants if t["requests"] == 1 and t["scenario"] == "timeline_demo")
    other = httpx.get(origin(fake) + "/_fake/timeline", params={"tenant": label}).json()
    assert [r["path"] for r in other["requests"]] == ["/v1/models"] and other["total_requests"] == 1
    fake.client(api_key="sk-timeline-3").models.list()
    latest = httpx.get(origin(fake) + "/_fake/timeline", params={"tenant": label, "last": 1}).json()
    assert [r["n"] for r in latest["requests"]] == [2] and latest["total_requests"] == 2

    page = httpx.get(origin(fake) + "/_fake/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/_fake/timeline" in page.text and "const EMBEDDED = null;" in page.text
    assert not re.search(r"https?://", page.text)   # nothing fetched from outside: works offline


def test_with_api_keys_a_caller_sees_only_its_own_tenant() -> None:
    server = ServerThread(create_app(scenario=SCENARIO, api_keys=["sk-a", "sk-b"])).start()
    try:
        base = server.base_url.removesuffix("/v1")
        httpx.get(server.base_url + "/models", headers={"Authorization": "Bearer sk-b"})
        assert httpx.get(base + "/_fake/tenants").status_code == 401
        assert httpx.get(base + "/_fake/timeline").status_code == 401
        page = httpx.get(base + "/_fake/ui")
        assert page.status_code == 200 and "const ASK_KEY = true;" in page.text   # the page asks for a key
        mine = httpx.get(base + "/_fake/tenants", headers={"Authorization": "Bearer sk-a"}).json()["tenants"]
        assert len(mine) == 1
        others = [t for t in [*mine] if t["requests"]]
        assert others == []
        label_b = httpx.get(base + "/_fake/timeline", headers={"Authorization": "Bearer sk-b"}).json()["tenant"]
        refused = httpx.get(base + "/_fake/timeline", params={"tenant": label_b},
                            headers={"Authorization": "Bearer sk-a"})
        assert refused.status_code == 404 and refused.json()["error"]["param"] == "tenant"
        assert httpx.get(base + "/_fake/tenants", headers={"Authorization": "Bearer sk-c"}).status_code == 401
    finally:
        server.stop()


def test_a_failed_test_gets_a_self_contained_page(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=f'''
        import pytest

        SCENARIO = {SCENARIO!r}

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_fails_on_purpose(fake_openai):
            client = fake_openai.client()
            thread = client.beta.threads.create(messages=[{{"role": "user", "content": "</script><b>hi</b>"}}])
            client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_weather",
                                                     poll_interval_ms=0)
            assert False, "failed on purpose"

        def test_passes(fake_openai):
            fake_openai.client().models.list()
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
                                "--fake-openai-report", "reports")
    result.assert_outcomes(passed=1, failed=1)
    pages = list((pytester.path / "reports").iterdir())
    assert [p.name for p in pages] == ["test_suite.py_test_fails_on_purpose.html"]
    result.stdout.fnmatch_lines(["*fakeopenai timeline*", f"timeline page: {pages[0]}"])
    html = pages[0].read_text()
    assert not re.search(r"https?://", html)      # self-contained: no external URL at all
    assert not re.search(r'(src|href)="(?!data:)', html)   # no script, style or icon from a file or URL
    assert html.count("</script>") == 1           # the client's text cannot close the script early
    data = json.loads(re.search(r"const EMBEDDED = (.*);\n", html).group(1))
    assert data["test"] == "test_suite.py::test_fails_on_purpose"
    assert [r["status"] for r in data["requests"]][:3] == [200, 429, 200]
    assert data["requests"][0]["body"]["messages"][0]["content"] == "</script><b>hi</b>"
    assert [s["status"] for s in data["objects"][0]["states"]] == ["queued", "in_progress", "requires_action"]


def test_a_stream_records_every_state_it_passes(fake: FakeOpenAI) -> None:
    key = "sk-timeline-4"
    client = fake.client(api_key=key, max_retries=0)
    thread = client.beta.threads.create()
    with pytest.raises(Exception, match="429"):
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_weather")   # the 429 fault
    events = [e.event for e in client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_weather",
                                                               stream=True)]
    assert events[-1] in ("thread.run.requires_action", "done") or "thread.run.requires_action" in events
    body = httpx.get(origin(fake) + "/_fake/timeline", headers={"Authorization": f"Bearer {key}"}).json()
    [run] = body["objects"]
    assert [s["status"] for s in run["states"]] == ["queued", "in_progress", "requires_action"]
    assert {s["request"] for s in run["states"]} == {3}    # all inside the one streamed request
    assert body["requests"][2]["retry_of"] is None          # a new request (stream: true), not a retry


def test_time_alone_ending_an_object_is_recorded_without_a_request(fake: FakeOpenAI) -> None:
    key = "sk-timeline-5"
    client = fake.client(api_key=key)
    thread = client.beta.threads.create()
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_weather",
                                                   poll_interval_ms=0)
    assert run.status == "requires_action"
    headers = {"Authorization": f"Bearer {key}"}
    httpx.post(origin(fake) + "/_fake/clock", headers=headers, json={"advance": 601})
    body = httpx.get(origin(fake) + "/_fake/timeline", headers=headers).json()
    [life] = body["objects"]
    assert [s["status"] for s in life["states"]][-2:] == ["requires_action", "expired"]
    assert life["states"][-1]["request"] is None and life["states"][-1]["time"] == body["clock"]["now"]


# ------------------------------------------------------------------ conversations (Responses, Chat Completions)
LOOPS = """\
name: loops
responses:
  - name: weather_loop
    times: always
    steps:
      - tool_calls: [{function: get_weather, arguments: {city: Paris}}]
        expect_outputs: {get_weather: {contains: "18"}}
      - tool_calls: [{function: get_weather, arguments: {city: Lyon}}]
      - message: It is 18 C in Paris and 21 C in Lyon.
chat:
  - name: chat_loop
    times: always
    steps:
      - tool_calls: [{function: get_weather, arguments: {city: Paris}}]
        expect_outputs: {get_weather: {contains: "18"}}
      - tool_calls: [{function: get_weather, arguments: {city: Lyon}}]
      - message: It is 18 C in Paris and 21 C in Lyon.
"""
RESPONSE_TOOLS: Any = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
CHAT_TOOLS: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def control(fake: FakeOpenAI, key: str, path: str) -> Any:
    return httpx.get(origin(fake) + path, headers={"Authorization": f"Bearer {key}"}).json()


def loaded(fake: FakeOpenAI, key: str) -> Any:
    httpx.put(origin(fake) + "/_fake/scenario", content=LOOPS,
              headers={"Authorization": f"Bearer {key}"}).raise_for_status()
    return fake.client(api_key=key, max_retries=0)


def response_loop(client: Any, output: str = "18 C", **options: Any) -> list[Any]:
    """The Responses tool loop by previous_response_id, to its end (or a failed response): every response."""
    made = [client.responses.create(model="gpt-4o", input="Weather in Paris and Lyon?", tools=RESPONSE_TOOLS,
                                    **options)]
    while made[-1].status == "completed" and any(item.type == "function_call" for item in made[-1].output):
        outputs = [{"type": "function_call_output", "call_id": item.call_id, "output": output}
                   for item in made[-1].output if item.type == "function_call"]
        made.append(client.responses.create(model="gpt-4o", input=outputs, previous_response_id=made[-1].id,
                                            tools=RESPONSE_TOOLS, **options))
    return made


def lane(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    [life] = body["objects"]
    return [(s["status"], s["step"], s.get("object"), s["did"], s["request"]) for s in life["states"]]


def test_a_responses_tool_loop_is_one_lane_through_each_of_its_responses(fake: FakeOpenAI) -> None:
    key = "sk-timeline-responses"
    first, second, third = response_loop(loaded(fake, key))
    assert third.output_text == "It is 18 C in Paris and 21 C in Lyon."
    body = control(fake, key, "/_fake/timeline")
    assert body["objects"][0]["id"] == first.id and body["objects"][0]["kind"] == "response"
    # tool call (in the 1st response), tool call (2nd), message and completed (3rd), each at its request
    assert lane(body) == [("in_progress", 0, first.id, None, 1),
                          ("waiting", 1, first.id, "tool calls get_weather", 1),
                          ("waiting", 2, second.id, "tool calls get_weather", 2),
                          ("in_progress", 3, third.id, "message", 3),
                          ("completed", 3, third.id, None, 3)]
    [script] = control(fake, key, "/_fake/scenario")["responses"]
    assert script["used"] == 1   # one conversation, three responses: each as responses.retrieve says
    assert [(s["id"], s["status"], s["step"], s["conversation"]) for s in script["served"]] == [
        (first.id, "completed", 1, first.id), (second.id, "completed", 2, first.id),
        (third.id, "completed", 3, first.id)]


def test_a_violation_that_fails_a_continued_response_shows_in_its_lane(fake: FakeOpenAI) -> None:
    key = "sk-timeline-responses-violation"
    first, second = response_loop(loaded(fake, key), output="rainy")   # expect_outputs wants "18"
    assert second.status == "failed" and second.error.code == "server_error"
    body = control(fake, key, "/_fake/timeline")
    [violation] = body["violations"]
    assert violation["response_id"] == second.id
    *_, (status, step, object_id, _, request) = lane(body)
    assert (status, step, object_id, request) == ("failed", 1, second.id, violation["n"])
    [script] = control(fake, key, "/_fake/scenario")["responses"]
    assert [(s["id"], s["status"]) for s in script["served"]] == [(first.id, "completed"), (second.id, "failed")]


def test_a_background_tool_loop_polled_moves_its_lane_read_by_read(fake: FakeOpenAI) -> None:
    key = "sk-timeline-responses-background"
    client = loaded(fake, key)
    made: list[Any] = []
    options: dict[str, Any] = {"input": "Weather in Paris and Lyon?"}
    while True:
        response = client.responses.create(model="gpt-4o", tools=RESPONSE_TOOLS, background=True, **options)
        while response.status in ("queued", "in_progress"):
            response = client.responses.retrieve(response.id)
        made.append(response)
        outputs = [{"type": "function_call_output", "call_id": item.call_id, "output": "18 C"}
                   for item in response.output if item.type == "function_call"]
        if not outputs:
            break
        options = {"input": outputs, "previous_response_id": response.id}
    assert [r.status for r in made] == ["completed", "completed", "completed"]
    states = lane(control(fake, key, "/_fake/timeline"))
    assert [(status, object_id) for status, _, object_id, _, _ in states if status != "in_progress"] == [
        ("queued", made[0].id), ("waiting", made[0].id), ("queued", made[1].id), ("waiting", made[1].id),
        ("queued", made[2].id), ("completed", made[2].id)]
    assert [r["status"] for r in control(fake, key, "/_fake/scenario")["responses"][0]["served"]] == \
        ["completed", "completed", "completed"]


def chat_loop(client: Any, output: str) -> list[Any]:
    """The Chat Completions tool loop, history resent, to its end or an error: (completion or error) each."""
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris and Lyon?"}]
    made: list[Any] = []
    while True:
        try:
            completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=CHAT_TOOLS)
        except openai.APIStatusError as error:
            return [*made, error]
        made.append(completion)
        message = completion.choices[0].message
        if not message.tool_calls:
            return made
        messages += [message, *({"role": "tool", "tool_call_id": call.id, "content": output}
                                for call in message.tool_calls)]


def test_a_chat_tool_loop_is_one_lane_and_each_completion_is_served(fake: FakeOpenAI) -> None:
    key = "sk-timeline-chat-loop"
    first, second, third = chat_loop(loaded(fake, key), "18 C")
    body = control(fake, key, "/_fake/timeline")
    assert lane(body) == [("in_progress", 0, first.id, None, 1),
                          ("waiting", 1, first.id, "tool calls get_weather", 1),
                          ("waiting", 2, second.id, "tool calls get_weather", 2),
                          ("in_progress", 3, third.id, "message", 3),
                          ("completed", 3, third.id, None, 3)]
    [script] = control(fake, key, "/_fake/scenario")["chat"]
    assert script["used"] == 1 and [(s["id"], s["status"], s["step"], s["conversation"]) for s in script["served"]] \
        == [(first.id, "waiting", 1, first.id), (second.id, "waiting", 2, first.id),
            (third.id, "completed", 3, first.id)]


def test_a_violation_that_fails_a_chat_round_names_that_completion(fake: FakeOpenAI) -> None:
    key = "sk-timeline-chat-violation"
    first, error = chat_loop(loaded(fake, key), "rainy")
    assert error.status_code == 500
    body = control(fake, key, "/_fake/timeline")
    [violation] = body["violations"]
    *_, (status, step, object_id, _, request) = lane(body)
    assert (status, step, object_id, request) == ("failed", 1, violation["completion_id"], violation["n"])
    [script] = control(fake, key, "/_fake/scenario")["chat"]
    assert [(s["id"], s["status"]) for s in script["served"]] == [(first.id, "waiting"),
                                                                   (violation["completion_id"], "failed")]


# ------------------------------------------------------------------ answers at once (images, speech, transcripts)
def test_pictures_speech_and_transcripts_each_show_what_was_answered(fake_openai: Any) -> None:
    fake_openai.load({"images": [{"match": {"prompt": {"contains": "sea"}}, "colour": "navy"},
                                 {"match": {"prompt": {"contains": "blood"}}, "refuse": ["violence"]}],
                      "transcriptions": [{"match": {"file": {"equals": "call.wav"}},
                                          "text": "Hello, this is the support line. How can I help you today?"}]})
    client = fake_openai.client(max_retries=0)
    client.images.generate(model="gpt-image-2", prompt="A fox", size="64x48", output_format="jpeg", n=2)
    client.images.generate(model="gpt-image-2", prompt="The sea", size="32x32", stream=True, partial_images=1)
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="gpt-image-1", prompt="A river of blood")
    wav = client.audio.speech.create(model="tts-1", voice="alloy", input="One two three.", response_format="wav",
                                     speed=2.0).read()
    client.audio.transcriptions.create(model="whisper-1", file=("call.wav", wav), response_format="srt")
    body = httpx.get(fake_openai.server.origin + "/_fake/timeline",
                     headers={"Authorization": f"Bearer {fake_openai.api_key}"}).json()
    ids = {r["n"]: r["request_id"] for r in body["requests"]}
    lanes = [(life["id"] == ids[life["states"][0]["request"]], life["kind"], life["script"],
              [(s["status"], s["did"]) for s in life["states"]]) for life in body["objects"]]
    seconds = (len(wav) - 44) / 2 / 24000
    assert lanes == [
        (True, "image generation", "generated", [("completed", "2 pictures 64x48 jpeg")]),
        (True, "image generation", "images[0]", [
            ("completed", "1 picture 32x32 png, colour #000080, streamed with 1 partial image each")]),
        (True, "image generation", "images[1]", [("failed", "refused (moderation_blocked): violence")]),
        (True, "speech", "generated", [("completed", f"wav, {seconds:.1f} s, {len(wav)} bytes")]),
        (True, "transcription", "transcriptions[0]", [
            ("completed", "'Hello, this is the support line. How can I help…' as srt")])]
    assert body["objects"][1]["script_at"] is None and body["objects"][0]["states"][0]["time"] == body["clock"]["now"]


def test_past_the_object_limit_the_oldest_ended_lives_go_first(fake: FakeOpenAI,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from fakeopenai.core import timeline

    monkeypatch.setattr(timeline, "OBJECT_LIMIT", 3)
    key = "sk-timeline-limit"
    waits = ("objects: {assistants: [{id: asst_w, model: gpt-4o}]}\n"
             "runs: [{times: always, steps: [{tool_calls: [{function: f, arguments: {}}]}]}]\n")
    httpx.put(origin(fake) + "/_fake/scenario", content=waits,
              headers={"Authorization": f"Bearer {key}"}).raise_for_status()
    client = openai.OpenAI(api_key=key, base_url=fake.base_url, max_retries=0)
    thread = client.beta.threads.create()
    waiting = client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_w")   # waits for outputs
    made = [client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Hi {n}"}]).id
            for n in range(4)]
    body = httpx.get(origin(fake) + "/_fake/timeline", headers={"Authorization": f"Bearer {key}"}).json()
    assert [life["id"] for life in body["objects"]] == [waiting.id, *made[2:]]
