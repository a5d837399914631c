"""What the framework tests share: the scenario's facts, the tool, the structured type, media, and
helpers that read what reached the fake."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

# ------------------------------------------------------------------ the scenario's facts (scenario.yaml)
WEATHER_QUESTION = "What is the weather in Paris?"
WEATHER_ANSWER = "It is 18 °C and sunny in Paris."
WEATHER_ARGUMENTS = {"city": "Paris"}
FIRST_TURN, FIRST_ANSWER = "My name is Ada.", "Nice to meet you, Ada."
SECOND_TURN, SECOND_ANSWER = "What is my name?", "Your name is Ada."
IMAGE_QUESTION, IMAGE_ANSWER = "Describe the image.", "A small red square."
FILE_QUESTION, FILE_ANSWER = "Summarize the file.", "The report says sales grew 12%."
STRUCTURED_PROMPT = "Give the weather report for Paris as JSON."
# JSON mode (json_object) sends no schema: the scenario scripts the answer to this prompt.
JSON_MODE_PROMPT = ("Reply with a JSON object with the keys city, temperature_c, conditions (sunny, cloudy or rain) "
                    "and humidity_percent: the weather in Paris.")
JSON_MODE_ANSWER = {"city": "Paris", "temperature_c": 18.0, "conditions": "sunny", "humidity_percent": 40}

LONG_PROMPT, MAX_TOKENS = "Tell me a long story about Paris.", 16   # 16: the Responses API's least max_output_tokens

CHAT, RESPONSES = "chat", "responses"
APIS = (CHAT, RESPONSES)
MODEL = "gpt-4o"


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"18C and sunny in {city}"


class WeatherReport(BaseModel):
    """A weather report."""

    city: str
    temperature_c: float
    conditions: Literal["sunny", "cloudy", "rain"]
    humidity_percent: int = Field(ge=0, le=100)


class Station(BaseModel):
    """A weather station; its code has a pattern (JSON Schema ``pattern``) the answer must honour."""

    name: str
    code: str = Field(pattern=r"^[A-Z]{4}$")


# ------------------------------------------------------------------ media
def _png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


PNG = _png()
PNG_B64 = base64.b64encode(PNG).decode()
PNG_DATA_URL = f"data:image/png;base64,{PNG_B64}"

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 50]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PDF_B64 = base64.b64encode(PDF).decode()
PDF_DATA_URL = f"data:application/pdf;base64,{PDF_B64}"
PDF_NAME = "report.pdf"


# ------------------------------------------------------------------ what reached the fake
def api_requests(fake: Any, api: str | None = None) -> list[dict[str, Any]]:
    """The recorded model requests (POST /v1/chat/completions or /v1/responses), oldest first."""
    paths = {CHAT: ("/v1/chat/completions",), RESPONSES: ("/v1/responses",),
             None: ("/v1/chat/completions", "/v1/responses")}[api]
    return [r for r in fake.requests if r["method"] == "POST" and r["path"] in paths]


def timeline(fake: Any) -> dict[str, Any]:
    """``GET /_fake/timeline`` of the test's tenant: each request with its status and answer."""
    answer = httpx.get(fake.server.origin + "/_fake/timeline",
                       headers={"Authorization": f"Bearer {fake.api_key}"}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def answers(fake: Any, api: str | None = None) -> list[Any]:
    """The JSON bodies the fake answered to the model requests (None for a stream), oldest first."""
    paths = {CHAT: ("/v1/chat/completions",), RESPONSES: ("/v1/responses",),
             None: ("/v1/chat/completions", "/v1/responses")}[api]
    return [(r["response"] or {}).get("body") for r in timeline(fake)["requests"]
            if r["method"] == "POST" and r["path"] in paths]


def structured_answer(fake: Any, api: str) -> dict[str, Any]:
    """The JSON object the fake answered to the last model request: its message's text (json_schema,
    json_object) or its one tool call's arguments (a structured output sent as a tool call)."""
    body = answers(fake, api)[-1]
    assert isinstance(body, dict), f"the last {api} answer is not JSON: {body!r}"
    if api == CHAT:
        message = body["choices"][0]["message"]
        if message.get("tool_calls"):
            return json.loads(message["tool_calls"][0]["function"]["arguments"])
        return json.loads(message["content"])
    for item in body["output"]:
        if item["type"] == "function_call":
            return json.loads(item["arguments"])
        if item["type"] == "message":
            return json.loads("".join(p["text"] for p in item["content"] if p["type"] == "output_text"))
    raise AssertionError(f"no message or function_call in {body['output']!r}")


def tool_output_sent(request_body: dict[str, Any], api: str) -> list[str]:
    """The tool outputs a request brings (chat ``tool`` messages, Responses ``function_call_output`` items)."""
    if api == CHAT:
        return [_text(m.get("content")) for m in request_body.get("messages", []) if m.get("role") == "tool"]
    items = request_body.get("input")
    items = items if isinstance(items, list) else []
    return [_text(i.get("output")) for i in items if isinstance(i, dict) and i.get("type") == "function_call_output"]


def tool_calls_sent(request_body: dict[str, Any], api: str) -> list[tuple[str, dict[str, Any]]]:
    """The assistant tool calls a request resends in its history: (name, arguments)."""
    if api == CHAT:
        return [(c["function"]["name"], json.loads(c["function"]["arguments"]))
                for m in request_body.get("messages", []) if m.get("role") == "assistant"
                for c in m.get("tool_calls") or ()]
    items = request_body.get("input")
    items = items if isinstance(items, list) else []
    return [(i["name"], json.loads(i["arguments"])) for i in items
            if isinstance(i, dict) and i.get("type") == "function_call"]


def offered_tools(request_body: dict[str, Any]) -> list[str]:
    names = []
    for tool in request_body.get("tools") or ():
        function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        names.append(function.get("name"))
    return names


def history_texts(request_body: dict[str, Any], api: str) -> list[tuple[str, str]]:
    """(role, text) of each message a request carries, in order (its history and its new turn)."""
    if api == CHAT:
        return [(m["role"], _text(m.get("content"))) for m in request_body.get("messages", [])]
    items = request_body.get("input")
    if isinstance(items, str):
        return [("user", items)]
    return [(i["role"], _text(i.get("content"))) for i in items
            if isinstance(i, dict) and "role" in i and i.get("type", "message") == "message"]


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def parts(request_body: dict[str, Any], api: str) -> list[dict[str, Any]]:
    """Every content part of every message of a request (image and file parts among them)."""
    if api == CHAT:
        messages = request_body.get("messages", [])
    else:
        messages = request_body.get("input") if isinstance(request_body.get("input"), list) else []
    return [p for m in messages if isinstance(m, dict) and isinstance(m.get("content"), list)
            for p in m["content"] if isinstance(p, dict)]


def assert_cut_at_max_tokens(fake: Any, api: str) -> None:
    """The fake's last answer was cut at MAX_TOKENS: finish_reason length (chat), or incomplete for
    max_output_tokens (Responses), with at most MAX_TOKENS output tokens."""
    body = answers(fake, api)[-1]
    if api == CHAT:
        assert body["choices"][0]["finish_reason"] == "length", body["choices"][0]
        assert body["usage"]["completion_tokens"] <= MAX_TOKENS, body["usage"]
    else:
        assert (body["status"], body["incomplete_details"]) == ("incomplete", {"reason": "max_output_tokens"}), (
            body["status"], body["incomplete_details"], body["usage"])
        assert body["usage"]["output_tokens"] <= MAX_TOKENS, body["usage"]
