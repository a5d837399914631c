"""Timeline._note on objects of any shape: the attribute reads it tries first (``status``, ``_cursor``) and
the ``getattr`` it falls back to must record the same states (core/timeline.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fakeopenai.core.timeline import Life, Timeline, current_entry


def _follow(store: dict[str, Any], object_id: str) -> tuple[Timeline, Life, Any]:
    timeline = Timeline()
    life = Life(object_id, "thing", None, "<test>", lambda state, key: store.get(key))
    timeline.lives[object_id] = timeline.live[object_id] = life
    state = SimpleNamespace(clock=SimpleNamespace(micros=5_000_000))
    return timeline, life, state


def _shown(life: Life) -> list[tuple[Any, ...]]:
    return [(status, step, member, request, entered)
            for status, step, member, _micros, _wall, request, _total, _step, entered in life.states]


def test_an_object_without_status_or_cursor_is_created_then_deleted() -> None:
    store: dict[str, Any] = {"x": object()}   # neither attribute: the getattr fallback
    timeline, life, state = _follow(store, "x")
    token = current_entry.set({"n": 4})
    try:
        timeline._note(state, life)
        timeline._note(state, life)   # the same state: not recorded again
        del store["x"]
        timeline._note(state, life)
    finally:
        current_entry.reset(token)
    assert _shown(life) == [("created", None, None, 4, True), ("deleted", None, None, 4, False)]
    assert "x" not in timeline.live   # deleted is an end state


def test_a_status_read_as_an_attribute_or_through_getattr_is_the_same() -> None:
    class OnlyStatus:
        status = ""   # empty: shown as created

    class Both:
        def __init__(self, status: str) -> None:
            self.status = status
            self._cursor = None
            self.latest = SimpleNamespace(id="resp_2")

    store: dict[str, Any] = {"a": OnlyStatus(), "b": Both("in_progress")}
    timeline_a, life_a, state = _follow(store, "a")
    timeline_b, life_b, _ = _follow(store, "b")
    timeline_a._note(state, life_a)
    timeline_b._note(state, life_b)
    store["b"].status = "completed"
    timeline_b._note(state, life_b)
    assert _shown(life_a) == [("created", None, None, None, True)]
    assert _shown(life_b) == [("in_progress", None, "resp_2", None, True), ("completed", None, "resp_2", None, False)]
    assert "b" not in timeline_b.live


def test_an_object_never_stored_is_dropped_after_three_notes() -> None:
    timeline, life, state = _follow({}, "gone")
    for _ in range(3):
        assert "gone" in timeline.live
        timeline._note(state, life)
    assert "gone" not in timeline.live and life.states == [] and life.misses == 3
