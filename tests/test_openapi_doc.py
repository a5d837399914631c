"""Our OpenAPI document is the official definitions, regenerated from the vendored spec (its core part and
every family's)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.spec_check import vendored_spec

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_json_is_what_the_official_spec_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("build_openapi", ROOT / "scripts" / "build_openapi.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    # The spec files parsed as the script's load_spec() parses them (gzip, PyYAML's safe loader), but once
    # per session: tests/spec_check.py parses the same two files for the response checks.
    monkeypatch.setattr(module, "load_spec", lambda name: vendored_spec(ROOT / "spec" / name))
    for target, text in module.render().items():
        committed = target.read_text("utf-8")
        assert committed == text, f"{target.relative_to(ROOT)} is stale: run python scripts/build_openapi.py"
