"""JSON out (fakeopenai/http/rendering.py): ``dumps`` writes what Starlette's JSONResponse wrote (the standard
library's encoder, compact, UTF-8, no NaN), byte for byte, and raises what it raised; orjson does the
work only where that is so. The float survey here is what the rule in ``dumps`` rests on. The bytes of
an object answered again unchanged are kept, and never outlive a change, however the content shares
its parts with the engine's objects."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import random
import struct
import uuid
from typing import Any

import pytest

from fakeopenai.http.rendering import _ENCODER, dumps, json_response


def _stdlib(content: Any) -> bytes:
    return _ENCODER.encode(content).encode("utf-8")


def _floats() -> list[float]:
    """Floats of every magnitude: random bit patterns, each power of ten with a few mantissas, and
    the values the fake itself writes (rounded log probabilities, scores, unit vectors)."""
    rng = random.Random(31)
    values = [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(40_000)]
    for exponent in range(-325, 309):
        for mantissa in ("1", "1.5", "2.5", "9.999999", "1.2345678901234567", "7"):
            values.append(float(f"{mantissa}e{exponent}"))
    for k in range(60):
        values += [float(2 ** k), float(10 ** k), float(10 ** k) + 0.5, -float(10 ** k)]
    for _ in range(20_000):
        values += [rng.random(), rng.random() * 1000, round(rng.random(), 4), rng.gauss(0, 1e-3),
                   -round(rng.random(), 4)]
    return [value for value in values if math.isfinite(value)]


def test_every_float_is_written_as_the_standard_library_writes_it() -> None:
    floats = _floats()
    for value in floats:
        assert dumps(value) == _stdlib(value), value
    assert dumps(floats) == _stdlib(floats)
    assert dumps({"data": [{"embedding": floats[:1536], "index": 0}]}) == _stdlib(
        {"data": [{"embedding": floats[:1536], "index": 0}]})


def test_every_character_is_written_as_the_standard_library_writes_it() -> None:
    text = "".join(chr(c) for c in range(0x11000) if not 0xD800 <= c < 0xE000)
    text += "".join(chr(c) for c in range(0x11000, 0x110000, 7))
    assert dumps(text) == _stdlib(text)
    assert dumps({text[:500]: text}) == _stdlib({text[:500]: text})
    for piece in ('"', "\\", "\n", "\x00", "\x1f", "\x7f", "\u2028", "/", "é", "😀", "file-abc 1e-5 0.00001"):
        assert dumps({"k": piece}) == _stdlib({"k": piece}), piece


def test_the_answers_of_the_fake_are_written_as_before() -> None:
    run = {"id": "run_abc", "object": "thread.run", "created_at": 1735689603, "status": "queued",
           "metadata": {}, "tools": [], "temperature": 1.0, "top_p": 1.0, "usage": None, "incomplete_details": None,
           "required_action": {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
               {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"q\": \"ü\"}"}}]}}}
    assert dumps(run) == _stdlib(run)
    assert json_response(run).body == _stdlib(run)
    listed = {"object": "list", "data": [run, run], "first_id": "run_abc", "last_id": "run_abc", "has_more": False}
    assert dumps(listed) == _stdlib(listed)


class Text(str):
    pass


class Number(int):
    pass


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    ONE = 1


@dataclasses.dataclass
class Point:
    x: int


def test_what_orjson_writes_its_own_way_is_left_to_the_standard_library() -> None:
    unusual: list[Any] = [
        {"t": (1, 2, [3, (4,)])},            # tuples: arrays in both
        {"s": Text("queued"), "n": Number(3), "l": Level.ONE},
        {1: "int key", 2.5: "float key", False: "bool key", None: "null key"},
        {"big": 2 ** 64, "small": -(2 ** 63) - 1, "huge": 10 ** 40},
        {"deep": json.loads("[" * 300 + "]" * 300)},
        [1e-05, 1.5e-07, 5e-324, 1e16, 1e-4, 0.0001, -0.0],
    ]
    for content in unusual:
        assert dumps(content) == _stdlib(content), content


@pytest.mark.parametrize("content", [
    {"score": float("nan")}, {"score": float("inf")}, [float("-inf")],     # json raises ValueError; orjson: null
    {"id": "\ud800"},                                                    # an unpaired surrogate: UnicodeEncodeError
    {"when": datetime.date(2024, 1, 1)}, {"p": Point(1)}, {"c": Colour.RED}, {"u": uuid.UUID(int=1)},
])
def test_what_the_standard_library_refuses_still_raises_what_it_raised(content: Any) -> None:
    with pytest.raises(Exception) as expected:
        _stdlib(content)
    with pytest.raises(type(expected.value)) as raised:
        dumps(content)
    assert str(raised.value) == str(expected.value)


def _run(**changes: Any) -> dict[str, Any]:
    return {"id": "run_abc", "object": "thread.run", "status": "queued", "metadata": {}, "tools": [], **changes}


def test_an_unchanged_object_gets_the_same_bytes_without_encoding_again() -> None:
    once = json_response(_run(id="run_polled")).body   # its first answer: not kept (most are never asked again)
    first = json_response(_run(id="run_polled")).body
    again = json_response(_run(id="run_polled")).body
    assert again is first and first == once
    assert json.loads(first) == _run(id="run_polled")


def test_a_change_anywhere_in_the_content_is_seen_even_in_a_shared_part() -> None:
    tools: list[Any] = []
    content = _run(tools=tools)
    json_response(content)                  # answered once before: the next answer is kept
    before = json_response(content).body
    tools.append({"type": "code_interpreter"})   # changed in place: the content dict is the same object
    after = json_response(content).body
    assert json.loads(after)["tools"] == [{"type": "code_interpreter"}] and after != before
    assert json.loads(json_response(_run(status=1)).body)["status"] == 1
    assert json.loads(json_response(_run(status=True)).body)["status"] is True   # 1 and True differ


def test_objects_of_the_same_id_in_other_tenants_or_profiles_get_their_own_bytes() -> None:
    plain = json_response(_run(expires_at=None)).body
    profiled = json_response(_run(expires_at=0)).body
    assert json.loads(plain)["expires_at"] is None and json.loads(profiled)["expires_at"] == 0


def test_big_answers_lists_and_unusual_content_are_encoded_as_usual() -> None:
    big = _run(instructions="x" * 20_000)
    json_response(big)
    assert json_response(big).body is not json_response(big).body
    listed = {"object": "list", "data": [_run()], "first_id": "run_abc", "last_id": "run_abc", "has_more": False}
    assert json.loads(json_response(listed).body) == listed

    class Text(str):   # marshal cannot write it; JSON can
        pass

    assert json.loads(json_response(_run(status=Text("queued"))).body)["status"] == "queued"


def test_a_change_anywhere_in_the_content_is_written() -> None:
    tools: list[Any] = []
    content = {"id": "run_abc", "object": "thread.run", "tools": tools}
    json_response(content)
    before = json_response(content).body
    tools.append({"type": "code_interpreter"})
    after = json_response(content).body
    assert json.loads(after)["tools"] == [{"type": "code_interpreter"}] and after != before
    assert json.loads(json_response({"id": "x", "status": 1}).body)["status"] == 1
    assert json.loads(json_response({"id": "x", "status": True}).body)["status"] is True


@pytest.mark.parametrize("status", [200, 201, 204, 304, 400, 500])
@pytest.mark.parametrize("headers", [None, {"x-request-id": "req_1"}, {"Content-Type": "text/plain"}])
def test_the_headers_are_starlettes(status: int, headers: dict[str, str] | None) -> None:
    from starlette.responses import JSONResponse

    content = {"id": "x", "object": "thing", "n": status}
    assert json_response(content, status_code=status, headers=headers).raw_headers == \
        JSONResponse(content, status_code=status, headers=headers).raw_headers
