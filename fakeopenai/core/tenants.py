"""Tenants: one state per bearer API key (README.md, "the standalone server").

A key seen for the first time gets a fresh state with the server's default
scenario, so parallel test workers and CI jobs can share one server, each with
its own key, without seeing each other.

A key the pytest fixture *retired* at the end of its test is remembered (the last
:data:`RETIRED_KEYS_KEPT` of them): a request with it is refused with a 401 that says which
test the key belonged to, instead of silently getting a fresh, empty world (a client built
in an earlier test, docs/troubleshooting.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from fakeopenai.core.compat.profiles import PROFILE_NAMES, is_profile
from fakeopenai.core.errors import APIError, AuthenticationError
from fakeopenai.core.registry import families, refusals
from fakeopenai.core.state import MAX_STORED_BYTES, TenantState
from fakeopenai.scenario.loader import Problem, ScenarioError, did_you_mean, load_scenario
from fakeopenai.scenario.model import Scenario

DEFAULT_MAX_TENANTS = 10_000
RETIRED_KEYS_KEPT = 10_000  # retired keys remembered (a key and a test id each: about 2 MB at most)


class TenantLimitError(APIError):
    status_code = 429
    type = "requests"
    code = "tenant_limit_exceeded"


class RetiredKeyError(AuthenticationError):
    code = "invalid_api_key"


def bad_compat(value: Any) -> str | None:
    """What is wrong with ``value`` as a compat option (given outside a scenario file), or None."""
    if value is None or (isinstance(value, str) and is_profile(value)):
        return None
    return f"invalid value {value!r}; allowed values: {', '.join(PROFILE_NAMES)}{did_you_mean(value, PROFILE_NAMES)}"


def refuse(scenario: Scenario, server: dict[str, Any]) -> None:
    """Raise :class:`ScenarioError` when this server refuses something ``scenario`` asks (``Family.admit``: a
    webhook to an address that is not loopback and not allowed): a tenant's scenario never makes it call out."""
    problems = refusals(scenario, server)
    if problems:
        raise ScenarioError(problems)


class TenantRegistry:
    """Maps API keys to :class:`TenantState`, creating them on first use."""

    def __init__(self, default_scenario: Scenario, *, scenario_dirs: Iterable[str] = (),
                 max_tenants: int = DEFAULT_MAX_TENANTS, max_stored_bytes: int = MAX_STORED_BYTES,
                 defaults: dict[str, Any] | None = None, server: dict[str, Any] | None = None) -> None:
        # The server's own options every tenant's families read (TenantState.server: webhook targets, and the
        # hosts they may call), and against which every scenario is admitted (Family.admit).
        self.server = dict(server or {})
        refuse(default_scenario, self.server)
        self.default_scenario = default_scenario
        # The server's own --seed/--compat: every scenario loaded later gets them unless it, or
        # the request loading it, names its own.
        self.defaults = {k: v for k, v in (defaults or {}).items() if v is not None}
        self.scenario_dirs = list(scenario_dirs)
        self.max_tenants = max_tenants
        self.max_stored_bytes = max_stored_bytes
        self._tenants: dict[str, TenantState] = {}
        # Keys a tenant minted that stand for it (a Realtime client secret, ``ek_...``): key -> tenant key.
        self._aliases: dict[str, str] = {}
        self._retired: OrderedDict[str, str] = OrderedDict()  # key -> who used it (a test id)
        # Keys given a scenario before their tenant exists (install_later): the tenant starts from it on first use.
        self._later: dict[str, Scenario] = {}
        # The last scenario build() admitted, and the families that admitted it (the server's options do not change).
        self._admitted: tuple[Scenario, tuple[Any, ...]] = (default_scenario, families())
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tenants)

    def get(self, key: str) -> TenantState:
        state = self._tenants.get(key)   # every request comes here: the common case first, inline
        if state is not None:
            return state
        owner = self._aliases.get(key)
        if owner is not None and owner in self._tenants:
            return self._tenants[owner]
        return self._create(key, self._later.get(key, self.default_scenario))[0]

    def _existing(self, key: str) -> TenantState | None:
        """The tenant of ``key`` (or of the tenant ``key`` is an alias of), without creating it."""
        state = self._tenants.get(key)
        if state is not None:
            return state
        owner = self._aliases.get(key)
        return self._tenants.get(owner) if owner is not None else None

    def _create(self, key: str, scenario: Scenario) -> tuple[TenantState, bool]:
        """A new tenant for ``key`` starting from ``scenario``, and True; or the tenant another thread made
        meanwhile, as it is, and False."""
        with self._lock:
            state = self._tenants.get(key)
            if state is None:
                retired = self._retired.get(key)
                if retired is not None:
                    raise RetiredKeyError(
                        f"Incorrect API key provided: {key} was the fake_openai fixture's key in {retired}, a "
                        "test that has ended; its tenant was dropped. A client built during an earlier test "
                        "keeps that test's key: build the client inside the test (fake_openai.client(), or "
                        "openai.OpenAI() once the fixture has set OPENAI_API_KEY), or pass it in. See "
                        "docs/troubleshooting.md, \"401: a key of a test that has ended\".",
                        param="authorization")
                if len(self._tenants) >= self.max_tenants:
                    raise TenantLimitError(
                        f"fakeopenai already holds {self.max_tenants} tenants (one per API key), the most this "
                        "server allows. Reuse API keys, remove finished tenants with DELETE /_fake/tenant, or "
                        "start the server with a higher --max-tenants.", param="authorization")
                state = TenantState(key, scenario, max_stored_bytes=self.max_stored_bytes, server=self.server)
                self._tenants[key] = state
                self._later.pop(key, None)
                return state, True
        return state, False

    def states(self) -> list[TenantState]:
        """Every tenant, oldest first (the page ``GET /_fake/ui`` lists them by label, never by key)."""
        return list(self._tenants.values())

    def by_label(self, label: str) -> TenantState | None:
        return next((state for state in list(self._tenants.values()) if state.label == label), None)

    def alias(self, key: str, owner: str) -> None:
        """``key`` stands for the tenant of ``owner`` from now on (until that tenant is dropped): a client
        secret a tenant minted, which its browser or phone app then connects with."""
        with self._lock:
            self._aliases[key] = owner

    def is_alias(self, key: str) -> bool:
        owner = self._aliases.get(key)
        return owner is not None and owner in self._tenants

    def peek(self, key: str) -> TenantState | None:
        """The tenant of ``key`` if it exists (without creating it)."""
        return self._tenants.get(key)

    def waiting(self, key: str) -> Scenario | None:
        """The scenario ``key``'s tenant will start from (:meth:`install_later`) while it is not made yet."""
        return self._later.get(key)

    def drop(self, key: str) -> bool:
        with self._lock:
            self._forget_aliases(key)
            self._later.pop(key, None)
            return self._tenants.pop(key, None) is not None

    def _forget_aliases(self, owner: str) -> None:
        for alias in [alias for alias, of in self._aliases.items() if of == owner]:
            del self._aliases[alias]

    def retire(self, key: str, user: str) -> None:
        """Drop the tenant of ``key`` and refuse the key from now on (with a 401 naming ``user``,
        the test it belonged to). The pytest fixture does this at teardown."""
        with self._lock:
            self._retire(key, user)

    def retire_unmade(self, key: str, user: str) -> bool:
        """:meth:`retire` ``key`` if it never got a tenant (True), touching no tenant state: any thread may
        call it. False, and nothing done, when it has one (retire it on the server loop)."""
        with self._lock:
            if key in self._tenants:
                return False
            self._retire(key, user)
            return True

    def _retire(self, key: str, user: str) -> None:
        self._forget_aliases(key)
        self._tenants.pop(key, None)
        self._later.pop(key, None)
        self._retired[key] = user
        self._retired.move_to_end(key)
        while len(self._retired) > RETIRED_KEYS_KEPT:
            self._retired.popitem(last=False)

    def load(self, key: str, source: Any, *, allow_paths: bool = True, options_from: str = "the compat option",
             **overrides: Any) -> TenantState:
        """Replace the tenant's scenario (and with it all its state). ``options_from`` names where the
        overrides came from, for the message about a bad one (a scenario file has no say in them)."""
        return self.install(key, self.build(source, allow_paths=allow_paths, options_from=options_from,
                                            **overrides))

    def build(self, source: Any, *, allow_paths: bool = True, options_from: str = "the compat option",
              **overrides: Any) -> Scenario:
        """The scenario :meth:`load` would install (no tenant changes: the control API builds a big
        one in a worker thread, so the event loop serves other requests meanwhile)."""
        problem = bad_compat(overrides.get("compat"))
        if problem is not None:
            raise ScenarioError([Problem(options_from, None, None, "", problem)])
        scenario = load_scenario(source, scenario_dirs=self.scenario_dirs, allow_paths=allow_paths, **overrides)
        inherited = {k: v for k, v in self.defaults.items() if k not in overrides and k not in scenario.pinned}
        if inherited:
            scenario = load_scenario(scenario, **inherited)
        last, by = self._admitted   # the same scenario object as the last one (the fixture's, test after test)
        if scenario is not last or families() is not by:
            refuse(scenario, self.server)
            self._admitted = (scenario, families())
        return scenario

    def install(self, key: str, scenario: Scenario) -> TenantState:
        """Replace the tenant's scenario (and with it all its state) with a built one. A key seen for the first
        time (the fixture's, test after test) starts from it, not from the default scenario's state first."""
        state = self._existing(key)
        if state is None:
            state, made = self._create(key, scenario)
            if made:
                return state
        state.load(scenario)
        return state

    def install_later(self, key: str, scenario: Scenario) -> bool:
        """For a key with no tenant yet: its tenant is made when the key is first used (:meth:`get`), from
        ``scenario``; True. The pytest fixture's marker scenario, test after test: a test that never talks to
        the fake costs no tenant (its state, the families' seeds) at all. It touches no tenant state: any
        thread may call it. False, and nothing done, when the key has a tenant (or is retired, or the server
        is full): :meth:`install` it then, on the server loop (which loads it, or refuses the key)."""
        with self._lock:
            if (self._existing(key) is None and key not in self._retired
                    and len(self._tenants) + len(self._later) < self.max_tenants):
                self._later[key] = scenario
                return True
        return False
