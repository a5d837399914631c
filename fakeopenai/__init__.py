"""fakeopenai: a local, deterministic fake of the OpenAI API, scripted with YAML scenarios.

Every operation of the API's OpenAPI document answers; the families of
``fakeopenai/families/`` (runs, Responses, Chat Completions, Batch and Files ... listed in
``FAMILIES`` there) script theirs by hand, the others answer from the spec.

Usage::

    from fakeopenai import FakeOpenAI

    with FakeOpenAI("requires_action_then_complete") as fake:
        client = fake.client()
        ...

In pytest, use the ``fake_openai`` fixture (installed with the package).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["FakeOpenAI", "ScenarioError", "__version__", "create_app", "load_scenario"]

if TYPE_CHECKING:
    from fakeopenai.doors.server import FakeOpenAI
    from fakeopenai.http.app import create_app
    from fakeopenai.scenario.loader import ScenarioError, load_scenario


def __getattr__(name: str) -> Any:
    # Lazy, so `import fakeopenai` (the pytest plugin does it) costs nothing until used.
    if name == "create_app":
        from fakeopenai.http.app import create_app

        return create_app
    if name in ("load_scenario", "ScenarioError"):
        from fakeopenai.scenario import loader

        return getattr(loader, name)
    if name == "FakeOpenAI":
        from fakeopenai.doors.server import FakeOpenAI

        return FakeOpenAI
    raise AttributeError(f"module 'fakeopenai' has no attribute {name!r}")
