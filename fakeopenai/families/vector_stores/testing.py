"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``;
the tables are described in ``fakeopenai/families/responses/testing.py``)."""

from __future__ import annotations

SDK_TEST_MODULES = ("tests/test_vector_stores.py",)
