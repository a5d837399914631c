"""instructor (instructor.from_openai over fake_openai.client()) against the fake: its modes on Chat
Completions (TOOLS, TOOLS_STRICT, JSON_SCHEMA, JSON, MD_JSON) and on Responses (RESPONSES_TOOLS).

instructor is structured output only: its "tool loop" is the tool call it asks for and validates."""

from __future__ import annotations

from typing import Any

import instructor
import pytest
from instructor.processing.multimodal import PDF, Image
from pydantic import BaseModel

from tests.frameworks.common import (
    CHAT,
    FIRST_ANSWER,
    FIRST_TURN,
    JSON_MODE_ANSWER,
    JSON_MODE_PROMPT,
    MODEL,
    PDF_B64,
    PDF_DATA_URL,
    PNG_B64,
    PNG_DATA_URL,
    RESPONSES,
    STRUCTURED_PROMPT,
    Station,
    WeatherReport,
    api_requests,
    history_texts,
    offered_tools,
    parts,
    structured_answer,
)

pytestmark = pytest.mark.fake_openai("scenario.yaml")

TOOL_MODES = {CHAT: instructor.Mode.TOOLS, RESPONSES: instructor.Mode.RESPONSES_TOOLS}
APIS = tuple(TOOL_MODES)


class UserName(BaseModel):
    name: str


class Picture(BaseModel):
    caption: str


def client(fake_openai: Any, mode: instructor.Mode) -> Any:
    return instructor.from_openai(fake_openai.client(max_retries=0), mode=mode)


def create(fake_openai: Any, mode: instructor.Mode, model: type[BaseModel], content: Any, **kw: Any) -> Any:
    messages = kw.pop("messages", None) or [{"role": "user", "content": content}]
    return client(fake_openai, mode).create(model=MODEL, response_model=model, messages=messages, max_retries=1, **kw)


@pytest.mark.parametrize("mode", [instructor.Mode.TOOLS, instructor.Mode.TOOLS_STRICT, instructor.Mode.JSON_SCHEMA,
                                  instructor.Mode.RESPONSES_TOOLS], ids=lambda m: m.name)
def test_structured_output(fake_openai: Any, mode: instructor.Mode) -> None:
    api = RESPONSES if mode == instructor.Mode.RESPONSES_TOOLS else CHAT
    report = create(fake_openai, mode, WeatherReport, STRUCTURED_PROMPT)
    assert isinstance(report, WeatherReport)
    assert report.model_dump() == structured_answer(fake_openai, api)
    [request] = api_requests(fake_openai, api)
    if mode == instructor.Mode.JSON_SCHEMA:
        assert request["body"]["response_format"]["type"] == "json_schema"
    else:   # the tool call it asks for, by name
        assert offered_tools(request["body"]) == ["WeatherReport"]


@pytest.mark.parametrize("mode", [instructor.Mode.JSON, instructor.Mode.MD_JSON], ids=lambda m: m.name)
def test_json_modes_read_the_message(fake_openai: Any, mode: instructor.Mode) -> None:
    """JSON (response_format json_object) and MD_JSON (none): the schema is in the prompt; the answer scripted."""
    assert create(fake_openai, mode, WeatherReport, JSON_MODE_PROMPT).model_dump() == JSON_MODE_ANSWER


@pytest.mark.parametrize("api", APIS)
def test_pattern_is_honoured(fake_openai: Any, api: str) -> None:
    """A field with a JSON Schema ``pattern``: the generated arguments must match it (else instructor retries)."""
    station = create(fake_openai, TOOL_MODES[api], Station, "Name a weather station in Paris.")
    assert isinstance(station, Station) and len(station.code) == 4


@pytest.mark.parametrize("api", APIS)
def test_stream_partial(fake_openai: Any, api: str) -> None:
    partials = list(client(fake_openai, TOOL_MODES[api]).create_partial(
        model=MODEL, response_model=WeatherReport, messages=[{"role": "user", "content": STRUCTURED_PROMPT}]))
    assert len(partials) > 1
    assert partials[-1].model_dump() == WeatherReport.model_validate(partials[-1].model_dump()).model_dump()
    [request] = api_requests(fake_openai, api)
    assert request["body"]["stream"] is True


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_history(fake_openai: Any, api: str) -> None:
    messages = [{"role": "user", "content": FIRST_TURN}, {"role": "assistant", "content": FIRST_ANSWER},
                {"role": "user", "content": "Extract the user's name from this conversation."}]
    name = create(fake_openai, TOOL_MODES[api], UserName, None, messages=messages)
    assert name.model_dump() == structured_answer(fake_openai, api)
    [request] = api_requests(fake_openai, api)
    assert [t for t in history_texts(request["body"], api) if t[0] != "system"][:2] == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER)]


@pytest.mark.parametrize("api", APIS)
def test_image_input(fake_openai: Any, api: str) -> None:
    picture = create(fake_openai, TOOL_MODES[api], Picture, ["Caption this picture.", Image.from_base64(PNG_DATA_URL)])
    assert picture.model_dump() == structured_answer(fake_openai, api)
    [request] = api_requests(fake_openai, api)
    images = [p for p in parts(request["body"], api) if p["type"] in ("image_url", "input_image")]
    assert len(images) == 1 and PNG_B64 in str(images[0])


@pytest.mark.parametrize("api", APIS)
def test_file_input(fake_openai: Any, api: str) -> None:
    report = create(fake_openai, TOOL_MODES[api], WeatherReport,
                    ["Read the weather report in this file.", PDF.from_base64(PDF_DATA_URL)])
    assert report.model_dump() == structured_answer(fake_openai, api)
    [request] = api_requests(fake_openai, api)
    files = [p for p in parts(request["body"], api) if p["type"] in ("file", "input_file")]
    assert len(files) == 1 and PDF_B64 in str(files[0])
