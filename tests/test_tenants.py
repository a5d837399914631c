"""Tenants as the pytest fixture makes them, test after test: what a new key costs, and what it must still get
(a fresh state from its scenario, a refused key once retired). No server: the registry itself."""

from __future__ import annotations

import logging

import pytest

from fakeopenai.core.errors import AuthenticationError
from fakeopenai.core.state import TenantState
from fakeopenai.core.tenants import TenantRegistry
from fakeopenai.scenario.loader import load_scenario

SCENARIO = "requires_action_then_complete"


@pytest.fixture(scope="module")
def registry() -> TenantRegistry:
    return TenantRegistry(load_scenario(None))


def test_a_new_key_starts_from_its_scenario_without_the_default_state_first(registry: TenantRegistry,
                                                                              caplog: pytest.LogCaptureFixture) -> None:
    scenario = registry.build(SCENARIO)
    with caplog.at_level(logging.INFO, logger="fakeopenai.engine"):
        state = registry.install("sk-new", scenario)
    assert [r.getMessage().split("] ", 1)[1] for r in caplog.records if "loaded" in r.getMessage()] == [
        f"scenario {SCENARIO!r} loaded ({scenario.source})"]
    assert state.scenario is scenario and [a.id for a in state.worlds["assistants"].assistants] == ["asst_weather"]
    registry.drop("sk-new")


def test_a_scenario_installed_later_makes_the_tenant_on_first_use(registry: TenantRegistry) -> None:
    scenario = registry.build(SCENARIO, seed=5)
    assert registry.install_later("sk-later", scenario)
    assert registry.peek("sk-later") is None and registry.waiting("sk-later") is scenario
    state = registry.get("sk-later")
    assert state.scenario is scenario and registry.waiting("sk-later") is None
    assert registry.get("sk-later") is state
    assert not registry.install_later("sk-later", registry.build("run_fails"))   # it has a tenant: install it
    assert registry.peek("sk-later") is state and state.scenario is scenario
    assert not registry.retire_unmade("sk-later", "a test")   # it has a tenant: retire it on the loop
    registry.drop("sk-later")


def test_a_retired_or_dropped_key_forgets_its_waiting_scenario(registry: TenantRegistry) -> None:
    scenario = registry.build(SCENARIO)
    assert registry.install_later("sk-retired", scenario)
    assert registry.retire_unmade("sk-retired", "tests/test_x.py::test_y")
    assert registry.waiting("sk-retired") is None
    with pytest.raises(AuthenticationError, match="test_y"):
        registry.get("sk-retired")
    assert not registry.install_later("sk-retired", scenario)   # refused: install() says why
    with pytest.raises(AuthenticationError, match="test_y"):
        registry.install("sk-retired", scenario)
    assert registry.install_later("sk-dropped", scenario)
    registry.drop("sk-dropped")
    assert registry.get("sk-dropped").scenario is registry.default_scenario
    registry.drop("sk-dropped")


def test_a_world_is_made_on_first_lookup_and_the_state_is_freed_without_the_cyclic_gc() -> None:
    state = TenantState("sk-worlds", load_scenario(SCENARIO))
    assert "chat" not in state.worlds and state.worlds.get("chat") is None
    chat = state.worlds["chat"]
    assert state.worlds["chat"] is chat and state.worlds.get("chat") is chat
    with pytest.raises(KeyError):
        state.worlds["no_such_family"]
    import weakref

    gone = weakref.ref(state)
    del state, chat
    assert gone() is None   # no cycle between the state and its worlds
