"""The Models API through the official SDK: the default list, a scenario's ``models:`` list, and the
404 ``model_not_found`` for an id that is not listed. Every answer is checked against the official spec."""

from __future__ import annotations

from typing import Any

import openai
import pytest


def test_the_default_list(client: openai.OpenAI) -> None:
    listed = client.models.list()
    ids = [model.id for model in listed]
    assert {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-5", "o3", "text-embedding-3-small", "text-embedding-3-large",
            "omni-moderation-latest"} <= set(ids)
    assert all(model.object == "model" and model.created == 1_700_000_000 for model in listed)
    assert {model.owned_by for model in listed} == {"system", "openai"}
    model = client.models.retrieve("gpt-4o")
    assert (model.id, model.object, model.owned_by) == ("gpt-4o", "model", "system")


def test_a_scenario_lists_its_own_models(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"models": ["gpt-4o-mini", {"id": "ft:gpt-4o-mini:acme::abc123", "owned_by": "acme",
                                                 "created": 1735689600}]})
    assert [model.id for model in client.models.list()] == ["gpt-4o-mini", "ft:gpt-4o-mini:acme::abc123"]
    tuned = client.models.retrieve("ft:gpt-4o-mini:acme::abc123")
    assert (tuned.owned_by, tuned.created) == ("acme", 1735689600)
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")   # in the default list, not in this one


def test_an_unknown_model_is_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-nope")
    assert caught.value.code == "model_not_found" and caught.value.param is None
    assert caught.value.body["message"] == "The model `gpt-nope` does not exist or you do not have access to it."


@pytest.mark.anyio
async def test_the_async_client(async_client: openai.AsyncOpenAI) -> None:
    ids = [model.id async for model in async_client.models.list()]
    assert "gpt-4o" in ids and (await async_client.models.retrieve("o3")).id == "o3"


def test_a_model_listed_twice_is_a_scenario_mistake(fake_openai: Any) -> None:
    with pytest.raises(Exception, match="listed twice"):
        fake_openai.load({"models": ["gpt-4o", "gpt-4o"]})


def test_only_a_fine_tuned_model_can_be_deleted(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"models": ["gpt-4o", "ft:gpt-4o-mini:acme::abc123"]})
    assert client.models.delete("ft:gpt-4o-mini:acme::abc123").deleted is True
    assert [model.id for model in client.models.list()] == ["gpt-4o"]
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("ft:gpt-4o-mini:acme::abc123")
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o")
