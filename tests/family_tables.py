"""The tables each family keeps for the project's tests (``fakeopenai/families/<name>/testing.py``), read
through the registry: a new family brings its rows, and no shared test table changes for it."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from fakeopenai.core.registry import families


def family_rows(table: str) -> list[Any]:
    """Every registered family's ``testing.<table>``, in registry order (a family without it adds nothing)."""
    rows: list[Any] = []
    for family in families():
        try:
            testing = import_module(f"fakeopenai.families.{family.name}.testing")
        except ModuleNotFoundError:
            continue
        rows.extend(getattr(testing, table, ()))
    return rows
