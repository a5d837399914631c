"""The Moderations API through the official SDK: every category of the spec, not flagged by default,
flagged categories and scores scripted by ``moderations:``. Every answer is checked against the spec."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from fakeopenai.families.moderations.scores import MODERATION_CATEGORIES


def test_not_flagged_by_default_with_every_category(client: openai.OpenAI) -> None:
    answer = client.moderations.create(input="I like turtles")
    [result] = answer.results
    assert answer.id.startswith("modr-") and answer.model == "omni-moderation-latest"
    assert result.flagged is False and not any(result.categories.model_dump().values())
    scores = result.category_scores.model_dump(by_alias=True)
    assert set(scores) == set(MODERATION_CATEGORIES) and all(0 < s < 0.001 for s in scores.values())
    again = client.moderations.create(input="I like turtles")
    assert again.results[0].category_scores == result.category_scores


def test_arrays_and_multimodal_inputs(client: openai.OpenAI) -> None:
    many = client.moderations.create(input=["a", "b", "c"], model="omni-moderation-2024-09-26")
    assert len(many.results) == 3 and many.model == "omni-moderation-2024-09-26"
    image = client.moderations.create(input=[{"type": "text", "text": "look"},
                                             {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}])
    [result] = image.results
    applied = result.category_applied_input_types.model_dump(by_alias=True)
    assert applied["violence"] == ["text", "image"] and applied["hate"] == ["text"]


def test_scripted_flags_and_scores(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"moderations": [
        {"match": {"input": {"contains": "kill"}}, "categories": {"violence": 0.97}, "scores": {"harassment": 0.3}},
        {"match": {"input": {"regex": "(?i)hate"}}, "categories": ["hate", "harassment"]}]})
    answer = client.moderations.create(input=["I will kill the process", "I hate Mondays", "hello"])
    violent, hateful, fine = answer.results
    assert violent.flagged and violent.categories.violence and violent.category_scores.violence == 0.97
    assert violent.category_scores.harassment == 0.3 and not violent.categories.harassment
    assert hateful.flagged and hateful.categories.hate and hateful.categories.harassment
    assert hateful.category_scores.hate == 0.9 and not fine.flagged


def test_an_unknown_category_is_a_scenario_mistake(fake_openai: Any) -> None:
    with pytest.raises(Exception, match="unknown category 'violent'"):
        fake_openai.load({"moderations": [{"categories": ["violent"]}]})


@pytest.mark.anyio
async def test_the_async_client(async_client: openai.AsyncOpenAI) -> None:
    answer = await async_client.moderations.create(input="hi")
    assert answer.results[0].flagged is False
