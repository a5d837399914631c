"""JSON out (fakeopenai/rendering.py): the bytes of an object answered again unchanged are kept,
and never outlive a change, however the content shares its parts with the engine's objects."""

from __future__ import annotations

import json
from typing import Any

from fakeopenai.rendering import json_response


def _run(**changes: Any) -> dict[str, Any]:
    return {"id": "run_abc", "object": "thread.run", "status": "queued", "metadata": {}, "tools": [], **changes}


def test_an_unchanged_object_gets_the_same_bytes_without_encoding_again() -> None:
    first = json_response(_run()).body
    again = json_response(_run()).body
    assert again is first
    assert json.loads(first) == _run()


def test_a_change_anywhere_in_the_content_is_seen_even_in_a_shared_part() -> None:
    tools: list[Any] = []
    content = _run(tools=tools)
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
    assert json_response(big).body is not json_response(big).body
    listed = {"object": "list", "data": [_run()], "first_id": "run_abc", "last_id": "run_abc", "has_more": False}
    assert json.loads(json_response(listed).body) == listed

    class Text(str):   # marshal cannot write it; JSON can
        pass

    assert json.loads(json_response(_run(status=Text("queued"))).body)["status"] == "queued"
