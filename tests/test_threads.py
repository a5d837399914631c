"""Assistants, threads and messages through the official SDK."""

from __future__ import annotations

import openai
import pytest


def test_assistant_crud_and_auto_pagination(client: openai.OpenAI) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
    created = [client.beta.assistants.create(model="gpt-4o", name=f"a{i}", tools=tools, metadata={"n": str(i)}).id
               for i in range(7)]
    assistant = client.beta.assistants.retrieve(created[0])
    assert assistant.name == "a0" and assistant.tools[0].function.name == "lookup"
    assert assistant.metadata == {"n": "0"}

    updated = client.beta.assistants.update(created[0], name="renamed", instructions="Be nice.")
    assert (updated.name, updated.instructions, updated.model) == ("renamed", "Be nice.", "gpt-4o")

    assert [a.id for a in client.beta.assistants.list(limit=3)] == created[::-1]
    assert [a.id for a in client.beta.assistants.list(limit=3, order="asc")] == created
    page = client.beta.assistants.list(limit=3)
    assert page.first_id == created[-1] and page.last_id == created[-3] and page.has_more is True

    deleted = client.beta.assistants.delete(created[0])
    assert deleted.deleted is True and deleted.id == created[0] and deleted.object == "assistant.deleted"
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve(created[0])
    assert len(list(client.beta.assistants.list())) == 6


def test_empty_list_envelope(client: openai.OpenAI) -> None:
    page = client.beta.assistants.list()
    assert page.data == [] and page.has_more is False
    assert page.first_id is None and page.last_id is None


def test_thread_with_messages_modify_delete(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "first"},
                  {"role": "user", "content": [{"type": "text", "text": "second"},
                                               {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}],
        metadata={"user": "u1"})
    assert thread.metadata == {"user": "u1"} and thread.object == "thread"
    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc").data
    assert [m.content[0].text.value for m in messages] == ["first", "second"]
    assert messages[1].content[1].image_url.url == "https://x.test/a.png"
    assert all(m.created_at == thread.created_at and m.thread_id == thread.id for m in messages)

    assert client.beta.threads.retrieve(thread.id).id == thread.id
    assert client.beta.threads.update(thread.id, metadata={"user": "u2"}).metadata == {"user": "u2"}
    gone = client.beta.threads.delete(thread.id)
    assert gone.deleted and gone.object == "thread.deleted"
    with pytest.raises(openai.NotFoundError) as missing:
        client.beta.threads.messages.list(thread_id=thread.id)
    assert missing.value.param == "thread_id"


def test_messages_pagination_filters_and_crud(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    ids = [client.beta.threads.messages.create(thread_id=thread.id, role="user", content=f"m{i}").id
           for i in range(25)]
    assert [m.id for m in client.beta.threads.messages.list(thread_id=thread.id, limit=4, order="asc")] == ids
    default_page = client.beta.threads.messages.list(thread_id=thread.id)
    assert len(default_page.data) == 20 and default_page.has_more is True
    after = client.beta.threads.messages.list(thread_id=thread.id, order="asc", after=ids[20], limit=10)
    assert [m.id for m in after.data] == ids[21:] and after.has_more is False
    before = client.beta.threads.messages.list(thread_id=thread.id, order="asc", before=ids[5], limit=3)
    assert [m.id for m in before.data] == ids[2:5] and before.has_more is True
    desc_before = client.beta.threads.messages.list(thread_id=thread.id, before=ids[5], limit=3)
    assert [m.id for m in desc_before.data] == [ids[8], ids[7], ids[6]]

    message = client.beta.threads.messages.update(message_id=ids[0], thread_id=thread.id, metadata={"k": "v"})
    assert message.metadata == {"k": "v"}
    assert client.beta.threads.messages.retrieve(message_id=ids[0], thread_id=thread.id).metadata == {"k": "v"}
    deleted = client.beta.threads.messages.delete(message_id=ids[0], thread_id=thread.id)
    assert deleted.deleted and deleted.object == "thread.message.deleted"
    with pytest.raises(openai.NotFoundError) as missing:
        client.beta.threads.messages.retrieve(message_id=ids[0], thread_id=thread.id)
    assert missing.value.param == "message_id"


def test_messages_filter_by_run(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    first = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    second = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    for run in (first, second):
        [message] = client.beta.threads.messages.list(thread_id=thread.id, run_id=run.id).data
        assert message.run_id == run.id and message.role == "assistant"
    assert len(client.beta.threads.messages.list(thread_id=thread.id).data) == 3


def test_invalid_cursor_and_limit_name_the_param(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as cursor:
        client.beta.threads.messages.list(thread_id=thread.id, after="msg_unknown")
    assert cursor.value.param == "after"
    with pytest.raises(openai.BadRequestError) as limit:
        client.beta.threads.messages.list(thread_id=thread.id, limit=101)
    assert limit.value.param == "limit" and "<= 100" in limit.value.message
    with pytest.raises(openai.BadRequestError) as order:
        client.beta.threads.messages.list(thread_id=thread.id, order="sideways")  # type: ignore[arg-type]
    assert order.value.param == "order"
