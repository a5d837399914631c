"""``unknown_models: error``: a model the scenario does not list is the live API's 404
``model_not_found`` wherever a request names one, through the official SDK (every answer checked
against the official spec); without the key every model is accepted."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

STRICT = {"unknown_models": "error", "models": ["gpt-4o-mini", "text-embedding-3-small", "ft:gpt-4o-mini:acme::t1"],
          "objects": {"assistants": [{"id": "asst_old", "model": "gpt-3.5-turbo"},
                                     {"id": "asst_ok", "model": "gpt-4o-mini"}]}}


def _not_found(caught: pytest.ExceptionInfo[openai.NotFoundError], model: str, param: str = "model") -> None:
    error = caught.value
    assert (error.status_code, error.code, error.param, error.type) == (404, "model_not_found", param,
                                                                         "invalid_request_error")
    assert error.body["message"] == f"The model `{model}` does not exist or you do not have access to it."


@pytest.fixture
def strict(fake_openai: Any, client: openai.OpenAI) -> openai.OpenAI:
    fake_openai.load(STRICT)
    return client


def test_responses_embeddings_and_moderations(strict: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        strict.responses.create(model="gpt-nope", input="Hi")
    _not_found(caught, "gpt-nope")
    assert strict.responses.create(model="gpt-4o-mini", input="Hi").status == "completed"
    with pytest.raises(openai.NotFoundError) as caught:
        strict.embeddings.create(model="text-embedding-3-large", input="Hi")   # in the default list, not here
    _not_found(caught, "text-embedding-3-large")
    assert len(strict.embeddings.create(model="text-embedding-3-small", input="Hi").data[0].embedding) == 1536
    with pytest.raises(openai.NotFoundError) as caught:
        strict.moderations.create(model="omni-moderation-latest", input="Hi")
    _not_found(caught, "omni-moderation-latest")
    assert strict.moderations.create(input="Hi").results[0].flagged is False   # no model named: nothing to check


def test_chat_completions(strict: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "Hi"}]
    with pytest.raises(openai.NotFoundError) as caught:
        strict.chat.completions.create(model="gpt-nope", messages=messages)
    _not_found(caught, "gpt-nope")
    with pytest.raises(openai.NotFoundError) as caught:
        strict.chat.completions.create(model="gpt-nope", messages=messages, stream=True)
    _not_found(caught, "gpt-nope")
    assert strict.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content


def test_assistants_and_runs(strict: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        strict.beta.assistants.create(model="gpt-nope")
    _not_found(caught, "gpt-nope")
    assert [a.id for a in strict.beta.assistants.list()] == ["asst_ok", "asst_old"]   # nothing was created
    with pytest.raises(openai.NotFoundError) as caught:
        strict.beta.assistants.update("asst_ok", model="gpt-nope")
    _not_found(caught, "gpt-nope")
    assert strict.beta.assistants.retrieve("asst_ok").model == "gpt-4o-mini"
    thread = strict.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    with pytest.raises(openai.NotFoundError) as caught:
        strict.beta.threads.runs.create(thread.id, assistant_id="asst_ok", model="gpt-nope")
    _not_found(caught, "gpt-nope")
    with pytest.raises(openai.NotFoundError) as caught:   # the assistant's own model (pinned by the scenario)
        strict.beta.threads.runs.create(thread.id, assistant_id="asst_old")
    _not_found(caught, "gpt-3.5-turbo", "assistant_id")
    assert list(strict.beta.threads.runs.list(thread.id)) == []
    with pytest.raises(openai.NotFoundError) as caught:
        strict.beta.threads.create_and_run(assistant_id="asst_old")
    _not_found(caught, "gpt-3.5-turbo", "assistant_id")
    run = strict.beta.threads.runs.create(thread.id, assistant_id="asst_old", model="gpt-4o-mini")   # overridden
    assert run.model == "gpt-4o-mini"


def test_batch_lines_get_the_404_in_the_error_file(strict: openai.OpenAI) -> None:
    lines = [{"custom_id": f"r{i}", "method": "POST", "url": "/v1/embeddings",
              "body": {"model": "text-embedding-3-large", "input": f"text {i}"}} for i in range(2)]
    upload = strict.files.create(file=("in.jsonl", "".join(json.dumps(x) + "\n" for x in lines).encode()),
                                 purpose="batch")
    batch = strict.batches.create(input_file_id=upload.id, endpoint="/v1/embeddings", completion_window="24h")
    for _ in range(20):
        if batch.status in ("completed", "failed"):
            break
        batch = strict.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.output_file_id is None
    assert batch.request_counts is not None and batch.request_counts.failed == 2
    assert batch.error_file_id is not None
    errors = [json.loads(line) for line in strict.files.content(batch.error_file_id).read().splitlines()]
    assert sorted(e["custom_id"] for e in errors) == ["r0", "r1"]   # in the default shuffled order
    assert {e["response"]["status_code"] for e in errors} == {404}
    assert errors[0]["response"]["body"]["error"] == {
        "message": "The model `text-embedding-3-large` does not exist or you do not have access to it.",
        "type": "invalid_request_error", "param": "model", "code": "model_not_found"}


def test_a_deleted_fine_tune_is_unknown(strict: openai.OpenAI) -> None:
    assert strict.responses.create(model="ft:gpt-4o-mini:acme::t1", input="Hi").model == "ft:gpt-4o-mini:acme::t1"
    strict.models.delete("ft:gpt-4o-mini:acme::t1")
    with pytest.raises(openai.NotFoundError) as caught:
        strict.responses.create(model="ft:gpt-4o-mini:acme::t1", input="Hi")
    _not_found(caught, "ft:gpt-4o-mini:acme::t1")


def test_without_a_models_list_the_default_list_counts(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"unknown_models": "error"})
    assert client.embeddings.create(model="text-embedding-3-large", input="Hi").model == "text-embedding-3-large"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-nope", input="Hi")


def test_by_default_any_model_is_accepted(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"models": ["gpt-4o-mini"]})
    assert client.responses.create(model="gpt-nope", input="Hi").model == "gpt-nope"
    assert client.embeddings.create(model="my-embedder", input="Hi").model == "my-embedder"
    assert client.beta.assistants.create(model="gpt-nope").model == "gpt-nope"


@pytest.mark.anyio
async def test_the_async_client(fake_openai: Any, async_client: openai.AsyncOpenAI) -> None:
    fake_openai.load(STRICT)
    with pytest.raises(openai.NotFoundError) as caught:
        await async_client.embeddings.create(model="gpt-nope", input="Hi")
    _not_found(caught, "gpt-nope")
