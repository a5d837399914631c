"""The common machinery on the Chat Completions, Embeddings, Models and Moderations paths, through
the official SDK: scripted faults, the fake clock, tenants, the request log, and the teardown
report of a chat script's violations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import openai
import pytest

import conftest_plugin

HI: Any = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


def test_faults_fire_on_every_new_path(fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    paths = ["/v1/chat/completions", "/v1/embeddings", "/v1/moderations", "/v1/models", "/v1/models/*"]
    fake_openai.load({"faults": [{"match": {"path": path}, "status": 429, "times": 1,
                                  "headers": {"retry-after-ms": "1"}} for path in paths]})
    client = make_client(max_retries=1)
    client.chat.completions.create(**HI)
    client.embeddings.create(model="text-embedding-3-small", input="x")
    client.moderations.create(input="x")
    client.models.list()
    client.models.retrieve("gpt-4o")
    assert [f["fired"] for f in fake_openai.scenario["faults"]] == [1] * 5
    log = [(r["path"], r["headers"]["x-stainless-retry-count"]) for r in fake_openai.requests]
    assert log == [(p.replace("*", "gpt-4o"), n) for p in paths for n in "01"]   # the request log


def test_the_fake_clock_and_tenants(fake_openai: Any, client: openai.OpenAI) -> None:
    first = client.chat.completions.create(**HI, store=True)
    fake_openai.clock.advance(3600)
    assert client.chat.completions.create(**HI).created >= first.created + 3600
    other = fake_openai.client(api_key="sk-another-tenant")
    with pytest.raises(openai.NotFoundError):
        other.chat.completions.retrieve(first.id)   # stored completions belong to their tenant
    assert other.chat.completions.create(**HI).created < first.created + 3600   # its own clock
    assert client.chat.completions.retrieve(first.id).id == first.id


def test_the_teardown_report_names_chat_violations(fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    fake_openai.load({"name": "checked", "unmatched": "error", "chat": [
        {"name": "weather", "match": {"tools": ["get_weather"]}, "steps": [
            {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}, "id": "call_w"}],
             "expect_outputs": {"call_w": {"contains": "18"}}},
            {"message": "18 C"}]}]})
    client = make_client(max_retries=0)
    tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    first = client.chat.completions.create(**HI, tools=tools)
    message = first.choices[0].message.model_dump(exclude_none=True)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", tools=tools, messages=[
            *HI["messages"], message, {"role": "tool", "tool_call_id": "call_w", "content": "rainy"}])
    with pytest.raises(openai.InternalServerError, match="no chat completion script matched"):
        client.chat.completions.create(**HI)
    report = conftest_plugin.teardown_report(fake_openai)
    assert "2 scenario violations in scenario 'checked'" in report
    assert re.search(r"chat completion: chatcmpl-\w+ \(script weather\), tool call call_w \(get_weather\)", report)
    assert "expected: an output containing '18'" in report and "sent:     'rainy'" in report
    assert "chat: no chat completion script matched chatcmpl-" in report
    assert "chat[0] 'weather': already served 1 chat completion (times: 1)" in report
    fake_openai.take_violations()   # the test's own check: the fixture's teardown need not report them
