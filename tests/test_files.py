"""The Files API through the official SDK: upload, list, retrieve, delete, exact content, limits."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from fakeopenai.families.batches.files import BATCH_FILE_LIFETIME

BATCH_LINE = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}}


def _snapshot(client: openai.OpenAI) -> list[dict[str, object]]:
    return [f.model_dump() for f in client.files.list()]


def test_upload_retrieve_content_delete_round_trip(client: openai.OpenAI) -> None:
    payload = bytes(range(256)) * 3  # not UTF-8: the content must come back byte for byte

    uploaded = client.files.create(file=("blob.bin", payload), purpose="user_data")

    assert uploaded.id.startswith("file-") and len(uploaded.id) == len("file-") + 24
    assert (uploaded.object, uploaded.bytes, uploaded.filename, uploaded.purpose, uploaded.status) == \
        ("file", len(payload), "blob.bin", "user_data", "processed")
    assert uploaded.expires_at is None  # only purpose=batch files expire by default
    assert client.files.retrieve(uploaded.id) == uploaded
    assert client.files.content(uploaded.id).read() == payload

    deleted = client.files.delete(uploaded.id)

    assert (deleted.id, deleted.object, deleted.deleted) == (uploaded.id, "file", True)
    with pytest.raises(openai.NotFoundError) as missing:
        client.files.retrieve(uploaded.id)
    assert missing.value.body["message"] == f"No file found with id '{uploaded.id}'."  # type: ignore[index]
    assert missing.value.body["param"] == "file_id"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        client.files.content(uploaded.id)


def test_batch_files_expire_after_30_days_unless_told_otherwise(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    content = (json.dumps(BATCH_LINE) + "\n").encode()
    default = client.files.create(file=("in.jsonl", content), purpose="batch")
    short = client.files.create(file=("short.jsonl", content), purpose="batch",
                                expires_after={"anchor": "created_at", "seconds": 3600})

    assert default.expires_at == default.created_at + BATCH_FILE_LIFETIME
    assert short.expires_at == short.created_at + 3600

    fake_openai.clock.advance(3600)

    assert [f.id for f in client.files.list()] == [default.id]  # the expired file is gone
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(short.id)


def test_list_filters_orders_and_auto_paginates(client: openai.OpenAI) -> None:
    ids = [client.files.create(file=(f"n{i}.txt", b"x" * i), purpose="assistants").id for i in range(5)]
    batch_input = client.files.create(file=("in.jsonl", json.dumps(BATCH_LINE).encode()), purpose="batch")

    assert [f.id for f in client.files.list()] == [batch_input.id, *reversed(ids)]  # newest first
    assert [f.id for f in client.files.list(purpose="assistants", order="asc", limit=2)] == ids  # every page
    first_page = client.files.list(purpose="assistants", order="asc", limit=2)
    assert [f.id for f in first_page.data] == ids[:2] and first_page.has_more is True
    assert [f.id for f in client.files.list(purpose="batch")] == [batch_input.id]
    assert [f.id for f in client.files.list(order="asc", after=ids[3])] == [ids[4], batch_input.id]


@pytest.mark.parametrize(("kwargs", "param", "fragment"), [
    ({"purpose": "nonsense"}, "purpose", "Invalid value for 'purpose'"),
    ({"purpose": "batch", "name": "in.txt"}, "file", "Must be .jsonl"),
    ({"purpose": "batch", "expires_after": {"anchor": "created_at", "seconds": 60}}, "expires_after.seconds",
     "between 3600 and 2592000"),
])
def test_bad_uploads_are_400s_naming_the_param_and_change_nothing(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                                   kwargs, param, fragment) -> None:
    client.files.create(file=("keep.txt", b"keep me"), purpose="assistants")
    before, clock = _snapshot(client), fake_openai.clock.now
    kwargs = dict(kwargs)  # the parametrized dict is shared: do not change it
    name = kwargs.pop("name", "in.jsonl")

    with pytest.raises(openai.BadRequestError) as refused:
        client.files.create(file=(name, b"{}\n"), **kwargs)

    assert refused.value.body["param"] == param and fragment in refused.value.body["message"]  # type: ignore[index]
    assert _snapshot(client) == before and fake_openai.clock.now == clock


@pytest.mark.parametrize(("expires_after", "param", "message"), [
    ({"anchor": "created_at"}, "expires_after.seconds", "Missing required parameter: 'expires_after.seconds': the "
     "form field expires_after[seconds] (3600 to 2592000) goes with expires_after[anchor]."),
    ({"seconds": 3600}, "expires_after.anchor", "Missing required parameter: 'expires_after.anchor': the form field "
     "expires_after[anchor] ('created_at') goes with expires_after[seconds]."),
    ({"anchor": "created_at", "seconds": "soon"}, "expires_after.seconds",
     "Invalid type for 'expires_after.seconds': expected an integer, but got 'soon' instead."),
], ids=["no seconds", "no anchor", "seconds not a number"])
def test_a_partial_expires_after_names_the_missing_parameter(client: openai.OpenAI, expires_after: dict[str, object],
                                                             param: str, message: str) -> None:
    """issue 17 item 15: half an ``expires_after`` on upload names the missing half (it was "Invalid value ...:
    None." or "expected an integer")."""
    with pytest.raises(openai.BadRequestError) as refused:
        client.files.create(file=("in.jsonl", b"{}\n"), purpose="batch", expires_after=expires_after)  # type: ignore[arg-type]

    assert (refused.value.body["param"], refused.value.body["message"]) == (param, message)  # type: ignore[index]
    assert _snapshot(client) == []


def test_upload_without_multipart_or_purpose_is_refused(http: httpx.Client) -> None:
    wrong_type = http.post("/v1/files", json={"purpose": "batch"})
    no_purpose = http.post("/v1/files", files={"file": ("a.jsonl", b"{}")})
    unknown = http.post("/v1/files", files={"file": ("a.jsonl", b"{}")},
                        data={"purpose": "batch", "expires_after": '{"anchor": "created_at"}'})
    too_many = http.get("/v1/files", params={"limit": 10_001})
    assert wrong_type.status_code == 415 and wrong_type.json()["error"]["param"] == "file"
    assert no_purpose.status_code == 400 and no_purpose.json()["error"]["param"] == "purpose"
    assert too_many.status_code == 400 and too_many.json()["error"]["param"] == "limit"
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "expires_after"


def test_files_seeded_from_a_scenario_inline_and_by_relative_path(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    on_disk = (json.dumps(BATCH_LINE) + "\n").encode()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "requests.jsonl").write_bytes(on_disk)
    (tmp_path / "seeded.yaml").write_text(
        "objects:\n"
        "  files:\n"
        "    - {id: file-inline, purpose: assistants, filename: notes.txt, content: \"hello\\n\"}\n"
        "    - {id: file-fromdisk, purpose: batch, path: data/requests.jsonl}\n")
    fake_openai.load(tmp_path / "seeded.yaml")

    inline, from_disk = client.files.retrieve("file-inline"), client.files.retrieve("file-fromdisk")

    assert (inline.filename, inline.purpose, inline.bytes) == ("notes.txt", "assistants", 6)
    assert client.files.content("file-inline").read() == b"hello\n"
    assert (from_disk.filename, from_disk.purpose) == ("requests.jsonl", "batch")
    assert client.files.content("file-fromdisk").read() == on_disk


def test_every_upload_purpose_is_accepted_and_echoed(client: openai.OpenAI) -> None:
    for purpose in ("assistants", "batch", "fine-tune", "vision", "user_data", "evals"):
        name = "data.jsonl" if purpose in ("batch", "fine-tune", "evals") else "data.txt"
        stored = client.files.create(file=(name, b'{"a": 1}\n'), purpose=purpose)  # type: ignore[arg-type]
        assert stored.purpose == purpose  # the spec check (conftest) validates each File too


def test_a_big_file_downloads_in_chunks_in_process(client: openai.OpenAI) -> None:
    """Past 1 MB the content goes out in chunks with pauses between them (the in-process transport
    drives a request without a task: this used to be a 500)."""
    payload = bytes(range(256)) * (3 * 4096 + 7)   # about 3 MB
    uploaded = client.files.create(file=("big.bin", payload), purpose="user_data")
    assert uploaded.bytes == len(payload)
    assert client.files.content(uploaded.id).read() == payload
