"""Vector stores through the official SDK: files attached, chunked and processed (the SDK's polling
helpers), file batches, attributes, content, search ranked by the fake's embeddings with filters and
thresholds, pinned results, scripted processing, seeded stores, and the Responses ``file_search`` tool
against a real store. Every answer is checked against the official spec (the ``client`` fixture)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import openai
import pytest

from fakeopenai import ScenarioError, load_scenario
from fakeopenai.spec.generate import count_tokens

REFUNDS = b"# Refunds\n\nRefunds are issued within 30 days of purchase when the item is unused.\n"
OFFICE = b"The office opens at nine on weekdays and closes at five."
SHIPPING = b'{"shipping": "Parcels ship within five business days inside the EU."}'


def _upload(client: openai.OpenAI, name: str, content: bytes) -> str:
    return client.files.create(file=(name, content), purpose="assistants").id


def _store(client: openai.OpenAI, **files: Any) -> tuple[str, dict[str, str]]:
    """A store with ``files`` (name -> bytes, or (bytes, attributes)) attached and processed."""
    store = client.vector_stores.create(name="Docs")
    ids = {}
    for name, value in files.items():
        content, attributes = value if isinstance(value, tuple) else (value, None)
        ids[name] = client.vector_stores.files.upload_and_poll(
            vector_store_id=store.id, file=(name.replace("_", "."), content),
            **({"attributes": attributes} if attributes else {})).id
    return store.id, ids


# ----------------------------------------------------------------------------- files and batches

def test_files_are_processed_and_counted_through_the_sdk_helpers(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="Docs", metadata={"team": "search"})
    assert (store.id[:3], store.status, store.usage_bytes, store.file_counts.total) == ("vs_", "completed", 0, 0)
    attached = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=("refunds.md", REFUNDS))
    assert (attached.status, attached.last_error, attached.usage_bytes) == ("completed", None, len(REFUNDS))
    assert attached.chunking_strategy.type == "static"   # auto: static 800 / 400
    assert (attached.chunking_strategy.static.max_chunk_size_tokens,
            attached.chunking_strategy.static.chunk_overlap_tokens) == (800, 400)
    office = _upload(client, "office.txt", OFFICE)
    made = client.vector_stores.files.create(vector_store_id=store.id, file_id=office, attributes={"lang": "en"})
    assert (made.status, made.usage_bytes) == ("in_progress", 0)   # the create shows it being processed
    assert client.vector_stores.retrieve(store.id).status == "completed"   # a read moves it on
    polled = client.vector_stores.files.create_and_poll(vector_store_id=store.id, file_id=office,
                                                        attributes={"lang": "fr"})
    assert (polled.id, polled.status, polled.attributes) == (office, "completed", {"lang": "fr"})   # attached again

    batch = client.vector_stores.file_batches.upload_and_poll(
        vector_store_id=store.id, files=[("shipping.json", SHIPPING), ("logo.png", b"\x89PNG")])
    assert batch.id.startswith("vsfb_") and batch.status == "completed"
    assert (batch.file_counts.completed, batch.file_counts.failed, batch.file_counts.total) == (1, 1, 2)
    failed = next(f for f in client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
                  if f.status == "failed")
    assert failed.last_error is not None and failed.last_error.code == "unsupported_file"
    assert failed.usage_bytes == 0

    store = client.vector_stores.retrieve(store.id)
    assert (store.file_counts.completed, store.file_counts.failed, store.file_counts.total) == (3, 1, 4)
    assert store.usage_bytes == len(REFUNDS) + len(OFFICE) + len(SHIPPING)
    done = [f.id for f in client.vector_stores.files.list(vector_store_id=store.id, filter="completed", order="asc")]
    assert done[:2] == [attached.id, office] and failed.id not in done

    updated = client.vector_stores.files.update(office, vector_store_id=store.id, attributes={"year": 2026})
    assert updated.attributes == {"year": 2026}
    content = client.vector_stores.files.content(attached.id, vector_store_id=store.id)
    assert [part.text for part in content] == [REFUNDS.decode()]
    deleted = client.vector_stores.files.delete(office, vector_store_id=store.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (office, True, "vector_store.file.deleted")
    assert client.vector_stores.retrieve(store.id).usage_bytes == len(REFUNDS) + len(SHIPPING)
    assert client.files.retrieve(office).id == office   # detached, the File stays
    client.files.delete(batch_file := done[2])   # a deleted File leaves every store
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 1
    assert batch_file not in [f.id for f in client.vector_stores.files.list(vector_store_id=store.id)]
    assert client.vector_stores.retrieve(store.id).usage_bytes == len(REFUNDS)
    assert client.vector_stores.delete(store.id).deleted is True
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.retrieve(store.id)
    assert caught.value.body["param"] == "vector_store_id"   # type: ignore[index]



def _pdf(text: str) -> bytes:
    """A one-page PDF whose text layer is ``text`` (Helvetica, as a word processor writes it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"xref\n0 %d\n0000000000 65535 f \n%strailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, table, len(objects) + 1, len(out))
    return bytes(out)


def test_a_pdfs_text_is_indexed_and_a_broken_pdf_fails_its_processing(client: openai.OpenAI) -> None:
    store_id, ids = _store(client, policy_pdf=_pdf("Refunds are issued within 14 days."), broken_pdf=b"%PDF-1.4 no")
    assert client.vector_stores.files.retrieve(ids["policy_pdf"], vector_store_id=store_id).status == "completed"
    broken = client.vector_stores.files.retrieve(ids["broken_pdf"], vector_store_id=store_id)
    assert broken.status == "failed" and broken.last_error.code == "invalid_file"  # type: ignore[union-attr]
    hits = client.vector_stores.search(vector_store_id=store_id, query="refunds")
    assert hits.data[0].content[0].text == "Refunds are issued within 14 days."


def test_a_store_made_with_file_ids_is_in_progress_until_its_files_are_read(client: openai.OpenAI) -> None:
    ids = [_upload(client, "a.txt", OFFICE), _upload(client, "b.md", REFUNDS)]
    store = client.vector_stores.create(name="Both", file_ids=ids,
                                        chunking_strategy={"type": "static", "static": {
                                            "max_chunk_size_tokens": 100, "chunk_overlap_tokens": 50}})
    assert (store.status, store.file_counts.in_progress) == ("in_progress", 2)
    store = client.vector_stores.retrieve(store.id)
    assert (store.status, store.file_counts.completed) == ("completed", 2)
    file = client.vector_stores.files.retrieve(ids[0], vector_store_id=store.id)
    assert file.chunking_strategy.static.max_chunk_size_tokens == 100   # type: ignore[union-attr]


def test_unknown_files_and_bad_chunking_are_400s_naming_their_param(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="Docs")
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.files.create(vector_store_id=store.id, file_id="file-nope")
    assert caught.value.body["param"] == "file_id"   # type: ignore[index]
    file_id = _upload(client, "a.txt", OFFICE)
    with pytest.raises(openai.BadRequestError) as bad:
        client.vector_stores.files.create(vector_store_id=store.id, file_id=file_id, chunking_strategy={
            "type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 150}})
    assert bad.value.body["param"] == "chunking_strategy.static.chunk_overlap_tokens"   # type: ignore[index]
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[file_id, "file-gone"])
    assert caught.value.body["param"] == "file_ids"   # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.search("vs_nope", query="x")


def test_static_chunks_overlap_and_stay_under_their_size(client: openai.OpenAI, fake_openai: Any) -> None:
    text = " ".join(f"sentence{i} about topic{i % 7}." for i in range(300)).encode()
    store = client.vector_stores.create(name="Long")
    client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=("long.txt", text),
        chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 40}})
    results = client.vector_stores.search(store.id, query="sentence1 topic1", max_num_results=50).data
    chunks = sorted((r.content[0].text for r in results), key=text.decode().index)   # in the file's order
    assert len(chunks) > 10 and all(count_tokens(c) <= 100 for c in chunks)
    assert chunks[0].startswith("sentence0 about") and chunks[-1].endswith("sentence299 about topic5.")
    for before, after in itertools.pairwise(chunks):
        overlap = next(before[i:] for i in range(len(before)) if after.startswith(before[i:]))
        assert 20 <= count_tokens(overlap) <= 40   # the next chunk starts inside this one


def test_processing_is_scripted_and_a_batch_can_be_cancelled(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"vector_store_files": [
        {"match": {"filename": {"contains": "broken"}}, "steps": [
            {"status": "in_progress", "reads": 2},
            {"status": "failed", "last_error": {"code": "invalid_file", "message": "The file is corrupt."}}]},
        {"match": {"filename": {"contains": "slow"}}, "steps": [{"status": "in_progress", "reads": 5}]}]})
    store = client.vector_stores.create(name="Docs")
    made = client.vector_stores.files.create(vector_store_id=store.id,
                                             file_id=_upload(client, "broken.txt", OFFICE))
    seen = [client.vector_stores.files.retrieve(made.id, vector_store_id=store.id).status for _ in range(2)]
    assert seen == ["in_progress", "failed"]
    failed = client.vector_stores.files.retrieve(made.id, vector_store_id=store.id)
    assert failed.last_error is not None and (failed.last_error.code, failed.last_error.message) == (
        "invalid_file", "The file is corrupt.")
    batch = client.vector_stores.file_batches.create(
        vector_store_id=store.id, file_ids=[_upload(client, "slow.txt", OFFICE), _upload(client, "quick.md", REFUNDS)])
    assert client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id).file_counts.completed == 1
    cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert (cancelled.status, cancelled.file_counts.cancelled, cancelled.file_counts.completed) == ("cancelled", 1, 1)
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert client.vector_stores.retrieve(store.id).file_counts.failed == 1


# ----------------------------------------------------------------------------- search

def test_a_query_ranks_the_passage_sharing_its_words_first(client: openai.OpenAI) -> None:
    store_id, ids = _store(client, refunds_md=REFUNDS, office_txt=OFFICE, shipping_json=SHIPPING)
    for query, expected in [("How do refunds work?", "refunds_md"), ("When does the office open?", "office_txt"),
                            ("shipping time to the EU", "shipping_json")]:
        page = client.vector_stores.search(store_id, query=query)
        assert page.data[0].file_id == ids[expected], query
        assert [r.score for r in page.data] == sorted((r.score for r in page.data), reverse=True)
        assert page.search_query == [query] and page.has_more is False   # type: ignore[attr-defined]
    assert [r.filename for r in client.vector_stores.search(store_id, query="refunds", max_num_results=1)] == [
        "refunds.md"]
    strong = client.vector_stores.search(store_id, query="refunds purchase",
                                         ranking_options={"score_threshold": 0.2}).data
    assert [r.filename for r in strong] == ["refunds.md"]


def test_scores_are_the_cosine_of_the_embeddings_api_vectors(client: openai.OpenAI) -> None:
    store_id, _ = _store(client, office_txt=OFFICE)
    [result] = client.vector_stores.search(store_id, query="office hours").data
    vectors = client.embeddings.create(model="text-embedding-3-large", input=["office hours", OFFICE.decode()],
                                       encoding_format="float").data
    cosine = math.fsum(a * b for a, b in zip(vectors[0].embedding, vectors[1].embedding, strict=True))
    assert result.score == pytest.approx(cosine, abs=1e-5) and result.content[0].text == OFFICE.decode()


FILTERS = [
    ({"type": "eq", "key": "team", "value": "sales"}, ["a", "c"]),
    ({"type": "ne", "key": "team", "value": "sales"}, ["b", "d"]),
    ({"type": "gt", "key": "year", "value": 2024}, ["b", "c"]),
    ({"type": "gte", "key": "year", "value": 2024}, ["a", "b", "c"]),
    ({"type": "lt", "key": "year", "value": 2025}, ["a"]),
    ({"type": "lte", "key": "year", "value": 2025}, ["a", "b"]),
    ({"type": "in", "key": "team", "value": ["ops", "legal"]}, ["b"]),
    ({"type": "nin", "key": "team", "value": ["ops", "legal"]}, ["a", "c", "d"]),
    ({"type": "and", "filters": [{"type": "eq", "key": "team", "value": "sales"},
                                 {"type": "gt", "key": "year", "value": 2024}]}, ["c"]),
    ({"type": "or", "filters": [{"type": "eq", "key": "team", "value": "ops"},
                                {"type": "and", "filters": [{"type": "eq", "key": "draft", "value": True}]}]},
     ["b", "d"]),
]


def test_attribute_filters(client: openai.OpenAI) -> None:
    text = b"Quarterly report on revenue."
    store_id, ids = _store(client, a_txt=(text, {"team": "sales", "year": 2024}),
                           b_txt=(text, {"team": "ops", "year": 2025}), c_txt=(text, {"team": "sales", "year": 2026}),
                           d_txt=(text, {"draft": True}))
    names = {file_id: name[0] for name, file_id in ids.items()}
    for filters, expected in FILTERS:
        found = client.vector_stores.search(store_id, query="revenue report", filters=filters)  # type: ignore[arg-type]
        assert sorted(names[r.file_id] for r in found) == expected, filters


def test_rewrite_query_several_queries_and_paging(client: openai.OpenAI) -> None:
    store_id, ids = _store(client, refunds_md=REFUNDS, office_txt=OFFICE)
    page = client.vector_stores.search(store_id, query="What is the refund policy?", rewrite_query=True)
    assert page.search_query == ["refund policy"]   # type: ignore[attr-defined]
    both = client.vector_stores.search(store_id, query=["refunds", "office"], max_num_results=2)
    assert {r.file_id for r in both} == set(ids.values())   # each query's best (SyncPage iterates its one page)


def test_search_entries_pin_results(client: openai.OpenAI, fake_openai: Any) -> None:
    store_id, ids = _store(client, refunds_md=REFUNDS)
    fake_openai.load({"search": [{"match": {"query": {"contains": "warranty"}}, "results": [
        {"filename": "refunds.md", "text": "Two years of warranty.", "score": 0.97},
        {"file_id": "file-elsewhere", "text": "See the manual."}]}]})
    store_id, ids = _store(client, refunds_md=REFUNDS)   # the load reset the tenant
    pinned = client.vector_stores.search(store_id, query="How long is the warranty?").data
    assert [(r.file_id, r.filename, r.score, r.content[0].text) for r in pinned] == [
        (ids["refunds_md"], "refunds.md", 0.97, "Two years of warranty."),
        ("file-elsewhere", "file-elsewhere.txt", 0.8, "See the manual.")]
    assert client.vector_stores.search(store_id, query="refunds").data[0].content[0].text == REFUNDS.decode().strip()


def test_seeded_stores_are_indexed_from_the_start(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"objects": {
        "files": [{"id": "file-office", "purpose": "assistants", "filename": "office.txt", "content": OFFICE.decode()}],
        "vector_stores": [{"id": "vs_docs", "name": "Docs", "files": [
            {"file_id": "file-office", "attributes": {"kind": "hours"}},
            {"filename": "refunds.md", "content": REFUNDS.decode()}]}]}})
    store = client.vector_stores.retrieve("vs_docs")
    assert (store.name, store.file_counts.completed, store.usage_bytes) == ("Docs", 2, len(OFFICE) + len(REFUNDS))
    [top, _] = client.vector_stores.search("vs_docs", query="office opening hours").data
    assert (top.file_id, top.attributes) == ("file-office", {"kind": "hours"})


def test_scenario_problems_name_their_place() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario("vector_store_files:\n  - steps:\n      - {status: completed, last_error: {message: x}}\n")
    assert "vector_store_files[0].steps[0].last_error" in str(caught.value)
    with pytest.raises(ScenarioError, match="in_progress, completed, failed, cancelled"):
        load_scenario({"vector_store_files": [{"steps": [{"status": "done"}]}]})
    with pytest.raises(ScenarioError, match="search\\[0\\].results\\[0\\]"):
        load_scenario({"search": [{"results": [{"score": 0.5}]}]})


# ----------------------------------------------------------------------------- Responses file_search

def test_responses_file_search_reads_the_store_and_cites_the_right_file(client: openai.OpenAI,
                                                                         fake_openai: Any) -> None:
    """What the Agents SDK's FileSearchTool sends: the store, max_num_results, and the results included;
    the script's step has no results of its own, so the store answers."""
    fake_openai.load({"responses": [{"steps": [{"file_search": {"query": "refund window"}},
                                               {"message": "Refunds are issued within 30 days."}]}]})
    store_id, ids = _store(client, office_txt=OFFICE, refunds_md=REFUNDS, shipping_json=SHIPPING)
    tool = {"type": "file_search", "vector_store_ids": [store_id], "max_num_results": 2}
    response = client.responses.create(model="gpt-4.1", input="How long do I have for a refund?", tools=[tool],
                                       include=["file_search_call.results"])
    call, message = response.output
    assert call.type == "file_search_call" and call.queries == ["refund window"]
    assert call.results is not None and len(call.results) == 2
    assert (call.results[0].file_id, call.results[0].filename) == (ids["refunds_md"], "refunds.md")
    assert call.results[0].text == REFUNDS.decode().strip()
    cited = [a.file_id for a in message.content[0].annotations]   # type: ignore[union-attr]
    assert cited == [ids["refunds_md"]]   # the weak match is read, not cited
    assert fake_openai.violations == []


def test_a_forced_file_search_filters_and_streams_from_the_store(client: openai.OpenAI) -> None:
    store_id, ids = _store(client, a_md=(REFUNDS, {"region": "eu"}), b_md=(REFUNDS, {"region": "us"}))
    tool = {"type": "file_search", "vector_store_ids": [store_id],
            "filters": {"type": "eq", "key": "region", "value": "us"}}
    request: dict[str, Any] = {"model": "gpt-4.1", "input": "refunds", "tools": [tool],
                               "tool_choice": {"type": "file_search"}, "include": ["file_search_call.results"]}
    with client.responses.stream(**request) as stream:
        final = stream.get_final_response()
    call = final.output[0]
    assert call.type == "file_search_call" and [r.file_id for r in call.results or ()] == [ids["b_md"]]
    # Unscripted, the answer says what the best passage says, and cites its file.
    assert final.output_text == "# Refunds Refunds are issued within 30 days of purchase when the item is unused."
    assert [a.file_id for a in final.output[1].content[0].annotations] == [ids["b_md"]]   # type: ignore[union-attr]
    unasked = client.responses.create(**{**request, "include": []}).output[0]
    assert unasked.type == "file_search_call" and unasked.results is None   # results only when included



def test_unscripted_a_request_offering_only_a_file_search_searches_then_answers(client: openai.OpenAI) -> None:
    """What a RAG app sends (its stores, the only tool, ``tool_choice`` left to the model): the fake searches,
    as a model asked about the stores' content does; with a function tool offered too, it answers as before."""
    store_id, ids = _store(client, refunds_md=REFUNDS, shipping_md=b"We ship worldwide in five business days.")
    tool = {"type": "file_search", "vector_store_ids": [store_id]}
    response = client.responses.create(model="gpt-4.1", input="How long do refunds take?", tools=[tool])
    assert [item.type for item in response.output] == ["file_search_call", "message"]
    assert [a.file_id for a in response.output[1].content[0].annotations] == [ids["refunds_md"]]  # type: ignore[union-attr]
    function = {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}}
    mixed = client.responses.create(model="gpt-4.1", input="How long do refunds take?", tools=[tool, function])
    assert [item.type for item in mixed.output] == ["message"]


# ----------------------------------------------------------------------------- file_search in runs

@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_runs_file_search_step_searches_the_assistants_stores_and_the_message_cites(
        client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"runs": [{"steps": [{"file_search": {"query": "refund window"}}, {"message": "30 days."}]}]})
    store_id, ids = _store(client, refunds_md=REFUNDS, office_txt=OFFICE)
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "file_search"}],
                                              tool_resources={"file_search": {"vector_store_ids": [store_id]}})
    with client.beta.threads.create_and_run_stream(
            assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Refunds?"}]}) as stream:
        events = [event.event for event in stream]
        [message] = stream.get_final_messages()
        run = stream.get_final_run()
    assert events[4:7] == ["thread.run.step.created", "thread.run.step.in_progress", "thread.run.step.completed"]
    search, _ = client.beta.threads.runs.steps.list(run.id, thread_id=run.thread_id, order="asc")
    [call] = search.step_details.tool_calls   # type: ignore[union-attr]
    assert call.type == "file_search" and call.file_search.results is not None
    assert [r.file_name for r in call.file_search.results] == ["refunds.md", "office.txt"]
    text = message.content[0].text   # type: ignore[union-attr]
    assert text.value == "30 days.【0†source】"
    [citation] = text.annotations
    assert (citation.file_citation.file_id, citation.start_index, citation.end_index) == (  # type: ignore[union-attr]
        ids["refunds_md"], 8, 18)
