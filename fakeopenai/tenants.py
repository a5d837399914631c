"""Tenants: one state per bearer API key (README.md, "the standalone server").

A key seen for the first time gets a fresh state with the server's default
scenario, so parallel test workers and CI jobs can share one server, each with
its own key, without seeing each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from fakeopenai.errors import APIError
from fakeopenai.scenario.loader import load_scenario
from fakeopenai.scenario.model import Scenario
from fakeopenai.state import MAX_STORED_BYTES, TenantState

DEFAULT_MAX_TENANTS = 10_000


class TenantLimitError(APIError):
    status_code = 429
    type = "requests"
    code = "tenant_limit_exceeded"


class TenantRegistry:
    """Maps API keys to :class:`TenantState`, creating them on first use."""

    def __init__(self, default_scenario: Scenario, *, scenario_dirs: Iterable[str] = (),
                 max_tenants: int = DEFAULT_MAX_TENANTS, max_stored_bytes: int = MAX_STORED_BYTES,
                 defaults: dict[str, Any] | None = None) -> None:
        self.default_scenario = default_scenario
        # The server's own --seed/--compat: every scenario loaded later gets them unless it, or
        # the request loading it, names its own.
        self.defaults = {k: v for k, v in (defaults or {}).items() if v is not None}
        self.scenario_dirs = list(scenario_dirs)
        self.max_tenants = max_tenants
        self.max_stored_bytes = max_stored_bytes
        self._tenants: dict[str, TenantState] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tenants)

    def get(self, key: str) -> TenantState:
        state = self._tenants.get(key)
        if state is not None:
            return state
        with self._lock:
            state = self._tenants.get(key)
            if state is None:
                if len(self._tenants) >= self.max_tenants:
                    raise TenantLimitError(
                        f"fakeopenai already holds {self.max_tenants} tenants (one per API key), the most this "
                        "server allows. Reuse API keys, remove finished tenants with DELETE /_fake/tenant, or "
                        "start the server with a higher --max-tenants.", param="authorization")
                state = TenantState(key, self.default_scenario, max_stored_bytes=self.max_stored_bytes)
                self._tenants[key] = state
        return state

    def peek(self, key: str) -> TenantState | None:
        """The tenant of ``key`` if it exists (without creating it)."""
        return self._tenants.get(key)

    def drop(self, key: str) -> bool:
        with self._lock:
            return self._tenants.pop(key, None) is not None

    def load(self, key: str, source: Any, *, allow_paths: bool = True, **overrides: Any) -> TenantState:
        """Replace the tenant's scenario (and with it all its state)."""
        scenario = load_scenario(source, scenario_dirs=self.scenario_dirs, allow_paths=allow_paths, **overrides)
        inherited = {k: v for k, v in self.defaults.items() if k not in overrides and k not in scenario.pinned}
        if inherited:
            scenario = load_scenario(scenario, **inherited)
        state = self.get(key)
        state.load(scenario)
        return state
