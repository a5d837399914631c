"""The public surface stays small and deliberate (as httpx guards its __all__)."""

from __future__ import annotations

import fakeopenai


def test_exported_members() -> None:
    assert fakeopenai.__all__ == ["FakeOpenAI", "ScenarioError", "__version__", "create_app", "load_scenario"]
    for name in fakeopenai.__all__:
        assert getattr(fakeopenai, name) is not None


def test_scenario_error_is_a_value_error_with_problems() -> None:
    error = fakeopenai.ScenarioError([])
    assert isinstance(error, ValueError) and error.problems == []
