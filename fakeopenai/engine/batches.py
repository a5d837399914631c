"""Batches: validation as the real service does it, scripted lifecycles, output files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakeopenai.engine.state import TenantState


def refresh_all(state: TenantState) -> None:
    """Apply what time alone does to every batch (expiry)."""
