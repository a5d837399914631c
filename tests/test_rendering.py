"""JSON out (fakeopenai/http/rendering.py): ``dumps`` writes what Starlette's JSONResponse wrote (the standard
library's encoder, compact, UTF-8, no NaN), byte for byte, and raises what it raised; orjson does the
work only where that is so. The float survey here is what the rule in ``dumps`` rests on. The bytes of
an object answered again unchanged are kept, and never outlive a change, however the content shares
its parts with the engine's objects."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import gc
import json
import math
import random
import struct
import uuid
from typing import Any

import orjson
import pytest

from fakeopenai.http.rendering import _ENCODER, _ORJSON_OPTIONS, _refuse, _written_alike, dumps, json_response


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


class Word(enum.StrEnum):
    QUEUED = "queued"


def _orjson(content: Any) -> bytes:
    return orjson.dumps(content, default=_refuse, option=_ORJSON_OPTIONS)


_WRITTEN_OWN_WAY: list[Any] = [   # orjson writes each (so only the walk keeps its output out); json refuses or differs
    Colour.RED, Level.ONE, Word.QUEUED, uuid.UUID(int=1), orjson.Fragment(b"[1]"),
    float("nan"), float("inf"), float("-inf"), 1e-05, 9.99e-05, 1.5e-07, 1e16, -1e22, 5e-324,
]


@pytest.mark.parametrize("value", _WRITTEN_OWN_WAY, ids=lambda value: type(value).__name__ + str(value)[:20])
def test_what_orjson_writes_its_own_way_is_found_wherever_it_is(value: Any) -> None:
    places = [value, {"v": value}, [1, "a", value], (value,), {"a": [{"b": ({"c": [None, value]},)}]},
              {"x": 1.5, "y": [0.5, value, 2.0]}]
    for content in places:
        _orjson(content)                     # orjson takes it: the walk is what keeps its bytes out
        assert not _written_alike(content), content
        try:
            expected = _stdlib(content)
        except (TypeError, ValueError) as refused:
            with pytest.raises(type(refused)):
                dumps(content)
        else:
            assert dumps(content) == expected


def test_the_walk_sees_every_value_at_every_depth() -> None:
    """gc.get_referents of exact dicts, lists and tuples is all their items: a NaN put in place of any
    one value of a nested answer is found."""
    rng = random.Random(7)

    def build(depth: int) -> Any:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(["text", 3, 2.5, True, None, 0.0, -7])
        kind = rng.choice(["dict", "list", "tuple"])
        items = [build(depth - 1) for _ in range(rng.randint(0, 4))]
        if kind == "dict":
            return {f"k{i}": item for i, item in enumerate(items)}
        return items if kind == "list" else tuple(items)

    def slots(node: Any) -> list[tuple[Any, Any]]:   # (container, key or index) of every leaf
        if isinstance(node, dict):
            pairs = list(node.items())
        elif isinstance(node, (list, tuple)):
            pairs = list(enumerate(node))
        else:
            return []
        found = []
        for key, item in pairs:
            found += slots(item) if isinstance(item, (dict, list, tuple)) else [(node, key)]
        return found

    checked = 0
    for _ in range(200):
        content = {"root": [build(5), build(5)]}
        assert _written_alike(content) and dumps(content) == _stdlib(content)
        for container, key in slots(content):
            if isinstance(container, tuple):
                continue
            before = container[key]
            container[key] = float("nan")
            assert not _written_alike(content), content
            container[key] = before
            checked += 1
    assert checked > 500


def test_the_referents_of_a_dict_are_its_values_and_its_keys_unless_all_are_strings() -> None:
    value = [1]
    assert gc.get_referents({"a": value, "b": "s"}) == [value, "s"]
    general: dict[Any, Any] = {1: None}
    del general[1]
    general["a"] = value        # a table that once held a key not a string: keys are visited too
    assert sorted(map(repr, gc.get_referents(general))) == sorted(map(repr, ["a", value]))
    assert _written_alike(general) and dumps(general) == _stdlib(general)
    assert sorted(map(id, gc.get_referents((1, "a", value)))) == sorted(map(id, (1, "a", value)))
    assert sorted(map(id, gc.get_referents([2, "b", value]))) == sorted(map(id, (2, "b", value)))
    assert gc.get_referents("text", 3, 2.5, None, True) == []


@pytest.mark.parametrize("key", [Text("k"), Word.QUEUED, 1, 2.5, None, (1,)], ids=repr)
def test_orjson_refuses_every_key_not_exactly_a_string(key: Any) -> None:
    with pytest.raises(TypeError):
        _orjson({key: 1})
    try:
        expected = _stdlib({key: 1})
    except TypeError:
        with pytest.raises(TypeError):
            dumps({key: 1})
    else:
        assert dumps({key: 1}) == expected


def test_orjson_refuses_a_cycle_and_deep_nesting_so_the_walk_ends() -> None:
    looped: list[Any] = []
    looped.append(looped)
    cyclic: dict[str, Any] = {"a": {}}
    cyclic["a"]["back"] = cyclic
    for content in (looped, cyclic, json.loads("[" * 256 + "]" * 256)):
        with pytest.raises(TypeError):
            _orjson(content)
    for content in (looped, cyclic):
        with pytest.raises(ValueError, match="Circular reference detected"):
            dumps(content)
    deep = json.loads("[" * 300 + "]" * 300)
    assert dumps(deep) == _stdlib(deep)


def test_floats_at_the_edges_of_the_range_orjson_writes_are_written_as_before() -> None:
    edges = [1e-4, 1e16, 0.0, -0.0]
    for edge in (1e-4, 1e16):
        below, above = math.nextafter(edge, 0.0), math.nextafter(edge, math.inf)
        edges += [below, above, -below, -above, math.nextafter(below, 0.0), math.nextafter(above, math.inf)]
    for value in edges:
        assert dumps(value) == _stdlib(value) and dumps({"v": [value]}) == _stdlib({"v": [value]}), value
    assert _written_alike([1e-4, 0.0, -0.0, math.nextafter(1e16, 0.0)])
    assert not _written_alike([math.nextafter(1e-4, 0.0)]) and not _written_alike([1e16])


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
