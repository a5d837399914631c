"""``unknown_ids: generate`` in the hand-built families (SPEC 11.2): an id the tenant never made
answers as if it existed, made by the family's own create path under that id and stored; the
default stays the live API's 404. Also what openai-python's own ``tests/api_resources`` needed of
the shared request path (``python -m benchmarks.api_resources``): unknown list cursors, an Upload's
``file`` null until it completes."""

from __future__ import annotations

from typing import Any

import openai
import pytest


@pytest.fixture
def generating(client: openai.OpenAI, fake_openai: Any) -> openai.OpenAI:
    fake_openai.load({"unknown_ids": "generate"})
    return client


def test_assistants_threads_messages_and_runs(generating: openai.OpenAI) -> None:
    client = generating
    assistant = client.beta.assistants.retrieve("assistant_from_config")
    assert (assistant.id, assistant.model) == ("assistant_from_config", "gpt-4o")
    thread = client.beta.threads.retrieve("thread_elsewhere")
    assert client.beta.threads.retrieve("thread_elsewhere").created_at == thread.created_at   # stored
    message = client.beta.threads.messages.retrieve("msg_x", thread_id="thread_new")   # its thread made too
    assert (message.id, message.thread_id) == ("msg_x", "thread_new")
    run = client.beta.threads.runs.retrieve("run_x", thread_id="thread_elsewhere")
    assert (run.id, run.status) == ("run_x", "completed")   # played to its end: the thread is free
    [step] = client.beta.threads.runs.steps.list("run_x", thread_id="thread_elsewhere")
    assert step.run_id == "run_x"
    made = client.beta.threads.runs.steps.retrieve("step_x", thread_id="thread_elsewhere", run_id="run_x")
    assert (made.id, made.run_id, made.type) == ("step_x", "run_x", step.type)   # like the run's last step
    assert client.beta.threads.runs.create("thread_elsewhere", assistant_id=assistant.id).status == "queued"


def test_responses_conversations_and_chat_completions(generating: openai.OpenAI) -> None:
    client = generating
    response = client.responses.retrieve("resp_elsewhere")
    assert (response.id, response.status, response.background) == ("resp_elsewhere", "completed", True)
    events = list(client.responses.retrieve("resp_elsewhere", stream=True))   # its events, again
    assert events[0].type == "response.created" and events[0].response.id == "resp_elsewhere"
    assert client.responses.cancel("resp_elsewhere").status == "completed"   # ended: given back as it is
    follow = client.responses.create(model="gpt-4o", input="And?", previous_response_id="resp_other")
    assert follow.previous_response_id == "resp_other"
    item = client.conversations.items.retrieve("msg_x", conversation_id="conv_x")
    assert item.id == "msg_x" and client.conversations.retrieve("conv_x").id == "conv_x"
    completion = client.chat.completions.retrieve("chatcmpl-x")
    assert completion.id == "chatcmpl-x"
    assert [m.id for m in client.chat.completions.messages.list("chatcmpl-x")] == ["chatcmpl-x-0"]


def test_files_batches_and_models(generating: openai.OpenAI) -> None:
    client = generating
    assert client.files.retrieve("file-x").id == "file-x"
    assert client.files.content("file-x").read() == b"Hello"
    assert client.batches.retrieve("batch_x").id == "batch_x"
    batch = client.batches.create(input_file_id="file-in", endpoint="/v1/embeddings", completion_window="24h")
    assert client.files.retrieve("file-in").purpose == "batch"   # a batch input file was made for it
    assert batch.input_file_id == "file-in"
    model = client.models.retrieve("ft:gpt-4o-mini:acme:tuned:abc123")
    assert model.owned_by == "acme"
    assert client.models.delete("ft:gpt-4o-mini:acme:tuned:abc123").deleted


def test_the_default_is_the_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="No thread found with id 'thread_x'"):
        client.beta.threads.retrieve("thread_x")
    with pytest.raises(openai.NotFoundError, match="Response with id 'resp_x' not found"):
        client.responses.retrieve("resp_x")
    with pytest.raises(openai.BadRequestError, match="no object with id 'vs_x'"):
        client.vector_stores.list(after="vs_x")


def test_an_unknown_cursor_is_an_empty_page(generating: openai.OpenAI) -> None:
    generating.vector_stores.create(name="Docs")
    assert generating.vector_stores.list(after="vs_elsewhere").data == []
    assert len(generating.vector_stores.list().data) == 1


def test_an_upload_has_no_file_until_it_completes(client: openai.OpenAI) -> None:
    upload = client.uploads.create(bytes=5, filename="a.txt", mime_type="text/plain", purpose="assistants")
    assert upload.file is None
    part = client.uploads.parts.create(upload.id, data=b"Hello")
    assert client.uploads.complete(upload.id, part_ids=[part.id]).file.bytes == 5


def test_an_upload_checks_the_md5_it_is_given(client: openai.OpenAI) -> None:
    upload = client.uploads.create(bytes=5, filename="a.txt", mime_type="text/plain", purpose="assistants")
    part = client.uploads.parts.create(upload.id, data=b"Hello")
    with pytest.raises(openai.BadRequestError) as wrong:
        client.uploads.complete(upload.id, part_ids=[part.id], md5="0" * 32)
    assert wrong.value.body["param"] == "md5"  # type: ignore[index]
    done = client.uploads.complete(upload.id, part_ids=[part.id], md5="8b1a9953c4611296a827abf8c47804d7")
    assert done.status == "completed" and done.file.bytes == 5  # type: ignore[union-attr]
