"""A family is one folder plus one registry line: a throwaway family, registered for one test and
written here (no file of the package changed), is served, documented in /openapi.json, part of the
scenario schema (validated with positions), and named in the teardown report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

import conftest_plugin
import fakeopenai.families
from fakeopenai import FakeOpenAI, ScenarioError, load_scenario
from fakeopenai.core.family import Built, Family, ScriptKind
from fakeopenai.http.params import json_body
from fakeopenai.http.rendering import json_response, tenant
from fakeopenai.scenario.matching import TextMatch
from fakeopenai.scripting.stepper import Cursor, choose


@dataclass(frozen=True, slots=True)
class EchoMatch:
    text: TextMatch | None = None

    def mismatch(self, text: str) -> str | None:
        if self.text is not None and not self.text.test(text):
            return f"text {text!r} is not {self.text.describe()}"
        return None


@dataclass(frozen=True, slots=True)
class EchoScript:
    key: ClassVar[str] = "echoes"
    index: int
    name: str
    match: EchoMatch
    times: int | None
    reply: str
    steps: tuple[Any, ...] = ()
    line: int | None = None
    column: int | None = None


DEFAULT = EchoScript(index=-1, name="default script", match=EchoMatch(), times=None, reply="echo")


@dataclass(slots=True)
class Echo:
    id: str
    reply: str
    status: str = "completed"
    _cursor: Cursor = field(default=None)  # type: ignore[assignment]


def build(builder: Any, data: dict[str, Any]) -> Built:
    at = builder.positions.item_positions(("echoes",))
    scripts = tuple(EchoScript(index=i, name=s.get("name") or f"echoes[{i}]",
                               match=EchoMatch(builder.text_match((s.get("match") or {}).get("text"))),
                               times=builder.times(s.get("times")), reply=s["reply"], line=builder.nth(at, i)[0],
                               column=builder.nth(at, i)[1])
                    for i, s in enumerate(data.get("echoes") or []))
    return Built(scripts={"echoes": scripts})


async def create_echo(request: Request) -> Response:
    state = tenant(request)
    text = json_body(request).get("text", "")
    script, violation, used_up = choose(
        state, state.scenario.scripts.get("echoes", ()), lambda s: s.match.mismatch(text), noun="echo",
        plural="echoes", default=DEFAULT, fail=lambda message: EchoScript(-2, "unmatched", EchoMatch(), None, message),
        actual=lambda: f"echo of {text!r}")
    echo = Echo(id=state.ids.new("echo_"), reply=script.reply, _cursor=Cursor(script))
    state.worlds["echo"][echo.id] = echo
    state.record_use(script, echo.id, used_up)
    if violation is not None:
        state.add_violation(**violation, echo_id=echo.id)
    return json_response({"id": echo.id, "object": "echo", "reply": echo.reply})


SCHEMA = {
    "properties": {"echoes": {"type": "array", "description": "Echo scripts.",
                              "items": {"$ref": "#/$defs/echo_script"}}},
    "$defs": {"echo_script": {
        "type": "object", "additionalProperties": False, "required": ["reply"], "description": "One echo script.",
        "properties": {"name": {"type": "string"}, "times": {"$ref": "#/$defs/times"},
                       "match": {"type": "object", "additionalProperties": False,
                                 "properties": {"text": {"$ref": "#/$defs/text_match"}}},
                       "reply": {"type": "string", "description": "What the echo answers."}}}},
}
OPENAPI = {"paths": {"/v1/echoes": {"post": {"operationId": "createEcho", "summary": "Echo (a test's family)",
                                             "responses": {"200": {"description": "The echo."}}}}}}

ECHO = Family(
    name="echo",
    routes=[("/v1/echoes", create_echo, ["POST"])],
    openapi=lambda: OPENAPI,
    scenario_schema=lambda: SCHEMA,
    docs_sections=(("Echo script", "echo_script"),),
    build=build,
    kinds=(ScriptKind(key="echoes", noun="echo", plural="echoes", id_field="echo_id", failed_field="reply",
                      find=lambda state, echo_id: state.worlds["echo"].get(echo_id)),),
    new_world=lambda state: {},
)

SCENARIO = """\
strict: true
unmatched: error
echoes:
  - name: hello
    match: {text: {contains: hello}}
    reply: hi there
  - name: never_used
    match: {text: {equals: never}}
    reply: unused
"""


@pytest.fixture
def echo_family(monkeypatch: pytest.MonkeyPatch) -> Iterator[Family]:
    monkeypatch.setattr(fakeopenai.families, "FAMILIES", (*fakeopenai.families.FAMILIES, ECHO))
    yield ECHO


def test_a_registered_family_is_served_documented_scripted_and_reported(echo_family: Family) -> None:
    with FakeOpenAI(SCENARIO) as fake, httpx.Client(base_url=fake.server.origin,
                                                    headers={"Authorization": f"Bearer {fake.api_key}"}) as http:
        hello = http.post("/v1/echoes", json={"text": "hello world"})
        assert hello.status_code == 200 and hello.json()["reply"] == "hi there"
        assert hello.json()["id"].startswith("echo_")
        stray = http.post("/v1/echoes", json={"text": "bye"})   # no script fits: the stand-in, and a violation
        assert stray.status_code == 200 and "no echo script matched" in stray.json()["reply"]

        document = http.get("/openapi.json").json()
        assert document["paths"]["/v1/echoes"]["post"]["operationId"] == "createEcho"
        assert "/v1/threads/{thread_id}/runs" in document["paths"]   # the real families are still there

        progress = http.get("/_fake/scenario").json()
        assert [(e["name"], e["used"]) for e in progress["echoes"]] == [("hello", 1), ("never_used", 0)]
        assert progress["echoes"][0]["served"][0] == {"id": hello.json()["id"], "status": "completed",
                                                      "step": 0, "steps": 0}

        report = conftest_plugin.teardown_report(fake)
    assert "1 scenario violation" in report
    assert f"echoes: no echo script matched {stray.json()['id']} (unmatched: error)" in report
    assert "expected: an echo script matching this echo" in report and "sent:     echo of 'bye'" in report
    assert "echoes[0] 'hello' at <string>:4:5: already served 1 echo (times: 1)" in report
    assert "echoes[1] 'never_used' at <string>:7:5: text 'bye' is not equal to 'never'" in report
    assert f"The fake failed {stray.json()['id']} (reply server_error)" in report
    assert "echoes[1] 'never_used' at <string>:7:5" in report   # strict: the unused script


def test_the_family_is_part_of_the_scenario_schema(echo_family: Family) -> None:
    from fakeopenai.scenario.loader import scenario_schema

    schema = scenario_schema()
    assert "echoes" in schema["properties"] and "echo_script" in schema["$defs"]
    assert "runs" in schema["properties"] and "batches" in schema["properties"]
    scenario = load_scenario(SCENARIO)
    assert [s.name for s in scenario.echoes] == ["hello", "never_used"]
    with pytest.raises(ScenarioError) as caught:
        load_scenario("echoes:\n  - reply: x\n    replies: 2\n")
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.path) == (3, 5, "echoes[0].replies")


def test_without_the_family_its_keys_are_unknown() -> None:
    """The registration is what made the difference (the test above is not passing by accident)."""
    with pytest.raises(ScenarioError, match="echoes"):
        load_scenario(SCENARIO)
    with FakeOpenAI() as fake:
        answer = httpx.post(fake.server.origin + "/v1/echoes", json={},
                            headers={"Authorization": f"Bearer {fake.api_key}"})
        assert answer.status_code == 404
        assert "/v1/echoes" not in httpx.get(fake.server.origin + "/openapi.json").json()["paths"]
