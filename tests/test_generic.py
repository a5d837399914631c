"""The generic family through the official SDK: every operation no hand-built family serves answers
from the spec, stored per tenant, with lifecycles one step per read (or ``after:`` on the fake
clock), ``lifecycles:`` scripts, ``objects.generic`` pins and ``unknown_ids: generate``. Every
answer the SDK reads here is checked against the official spec (the ``client`` fixture)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

import conftest_plugin
import fakeopenai.families
from fakeopenai import FakeOpenAI, ScenarioError, load_scenario
from fakeopenai.core.family import Family
from fakeopenai.families.generic import engine


def _file(client: openai.OpenAI, name: str = "notes.txt", text: bytes = b"Some notes.\n") -> str:
    return client.files.create(file=(name, text), purpose="assistants").id


# ----------------------------------------------------------------------------- containers
def test_containers_and_their_files_are_stored_nested(client: openai.OpenAI) -> None:
    container = client.containers.create(name="Sandbox")
    assert container.id.startswith("cntr_") and container.object == "container"
    assert container.name == "Sandbox" and container.created_at == 1735689601   # the fake clock
    made = client.containers.files.create(container.id, file=("a.csv", b"x,y\n1,2\n"))
    assert made.object == "container.file" and made.container_id == container.id
    other = client.containers.files.create(container.id, file_id=_file(client, "b.txt"))
    listed = [f.id for f in client.containers.files.list(container.id, order="asc")]
    assert listed == [made.id, other.id]
    assert client.containers.files.retrieve(made.id, container_id=container.id).id == made.id
    client.containers.files.delete(other.id, container_id=container.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.containers.files.retrieve(other.id, container_id=container.id)
    assert caught.value.body["param"] == "file_id"   # type: ignore[index]
    client.containers.delete(container.id)
    with pytest.raises(openai.NotFoundError):
        client.containers.retrieve(container.id)


def test_an_unknown_id_is_a_404_naming_the_parameter(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.containers.files.list("cntr_nope")   # the parent
    assert caught.value.body == {"message": "No container found with id 'cntr_nope'.",  # type: ignore[comparison-overlap]
                                 "type": "invalid_request_error", "param": "container_id", "code": None}
    with pytest.raises(openai.NotFoundError, match="No fine-tuning job found with id 'ftjob-x'"):
        client.fine_tuning.jobs.retrieve("ftjob-x")
    with pytest.raises(openai.NotFoundError, match="No eval found with id 'eval_x'"):
        client.evals.runs.list("eval_x")


def test_lists_page_by_the_specs_cursor(client: openai.OpenAI, http: httpx.Client) -> None:
    made = [client.containers.create(name=f"c{i}").id for i in range(5)]
    assert [c.id for c in client.containers.list(limit=2)] == made[::-1]   # auto-pagination, newest first
    page = http.get("/v1/containers", params={"limit": 2, "order": "asc"}).json()
    assert (page["first_id"], page["last_id"], page["has_more"]) == (made[0], made[1], True)
    page = http.get("/v1/containers", params={"limit": 2, "order": "asc", "after": made[1]}).json()
    assert [c["id"] for c in page["data"]] == made[2:4]
    bad = http.get("/v1/containers", params={"after": "cntr_unknown"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "after"
    bad = http.get("/v1/containers", params={"limit": "many"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"


# ----------------------------------------------------------------------------- fine-tuning
def test_a_fine_tuning_job_runs_its_default_lifecycle_one_step_per_read(client: openai.OpenAI,
                                                                         http: httpx.Client) -> None:
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file="file-train",
                                         suffix="bot", metadata={"run": "1"})
    assert job.id.startswith("ftjob-") and job.status == "validating_files"
    assert (job.model, job.training_file, job.metadata) == ("gpt-4o-mini-2024-07-18", "file-train", {"run": "1"})
    assert job.fine_tuned_model is None and job.finished_at is None and job.error is None
    seen = [client.fine_tuning.jobs.retrieve(job.id).status for _ in range(4)]
    assert seen == ["queued", "running", "succeeded", "succeeded"]
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.fine_tuned_model == f"ft:gpt-4o-mini-2024-07-18:personal:bot:{job.id[-8:]}"
    assert done.finished_at is not None and done.finished_at >= job.created_at
    events = list(client.fine_tuning.jobs.list_events(job.id))
    assert [e.message for e in events] == ["The job has successfully completed", "Fine-tuning job started",
                                           "Fine-tuning job queued", "Validating training file"]   # newest first
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert sorted(c.step_number for c in checkpoints) == [10, 20, 30]
    assert all(c.fine_tuned_model_checkpoint.startswith(done.fine_tuned_model) for c in checkpoints)
    assert [j.id for j in client.fine_tuning.jobs.list()] == [job.id]
    with pytest.raises(openai.BadRequestError, match="already succeeded"):
        client.fine_tuning.jobs.cancel(job.id)
    objects = http.get("/_fake/timeline").json()["objects"]
    lives = {life["id"]: [s["status"] for s in life["states"]] for life in objects}
    assert lives[job.id] == ["validating_files", "queued", "running", "succeeded"]


def test_a_scripted_failure_with_reads_and_after(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"lifecycles": [{
        "name": "bad file", "kind": "fine_tuning.job", "match": {"model": "gpt-4.1-mini"},
        "steps": [{"status": "validating_files"}, {"status": "running", "reads": 2},
                  {"status": "queued", "after": "30s"},
                  {"status": "failed", "error": {"code": "invalid_training_file", "message": "line 3 is not JSON"}}],
        "extra": {"trained_tokens": 1200}}]})
    other = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-a")   # default life
    job = client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file="file-b")
    statuses = []
    while job.status not in ("succeeded", "failed", "cancelled"):
        job = client.fine_tuning.jobs.retrieve(job.id)
        statuses.append(job.status)
    assert statuses == ["running", "running", "queued", "failed"]
    assert job.error is not None and (job.error.code, job.error.message) == ("invalid_training_file",
                                                                               "line 3 is not JSON")
    assert job.trained_tokens == 1200 and job.finished_at is not None
    assert job.finished_at - job.created_at >= 30   # the read that waited passed the fake clock on
    assert client.fine_tuning.jobs.retrieve(other.id).status == "queued"
    progress = fake_openai.scenario["lifecycles"]
    assert [(p["name"], p["used"], p["served"][0]["status"]) for p in progress] == [("bad file", 1, "failed")]
    assert list(client.fine_tuning.jobs.list_events(job.id))[0].message.endswith("line 3 is not JSON")


def test_cancel_pause_and_resume(client: openai.OpenAI) -> None:
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-a")
    assert client.fine_tuning.jobs.pause(job.id).status == "validating_files"
    assert client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"   # paused: reads wait
    client.fine_tuning.jobs.resume(job.id)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"


# ----------------------------------------------------------------------------- videos, uploads, containers
def test_videos_create_and_poll_and_download(client: openai.OpenAI) -> None:
    video = client.videos.create_and_poll(prompt="A cat on a piano", model="sora-2", seconds="4")
    assert video.id.startswith("video_") and (video.status, video.progress) == ("completed", 100)
    assert (video.prompt, video.model, video.seconds) == ("A cat on a piano", "sora-2", "4")
    assert video.completed_at is not None
    content = client.videos.download_content(video.id)
    assert content.read()[4:8] == b"ftyp"
    thumbnail = client.videos.download_content(video.id, variant="thumbnail").read()
    assert thumbnail[:4] == b"RIFF" and thumbnail[8:12] == b"WEBP"
    remix = client.videos.remix(video.id, prompt="Now with a dog")
    assert remix.remixed_from_video_id == video.id and remix.status == "queued" and remix.model == "sora-2"
    with pytest.raises(openai.BadRequestError, match="not ready"):
        client.videos.download_content(remix.id)
    assert {v.id for v in client.videos.list()} == {video.id, remix.id}


def test_uploads_upload_file_chunked(client: openai.OpenAI) -> None:
    data = b"0123456789" * 100
    upload = client.uploads.upload_file_chunked(file=data, filename="data.jsonl", bytes=len(data),
                                                mime_type="text/jsonl", purpose="batch", part_size=300)
    assert upload.id.startswith("upload_") and upload.status == "completed"
    assert upload.file is not None and upload.file.id.startswith("file-")
    assert (upload.file.bytes, upload.file.filename, upload.file.purpose) == (1000, "data.jsonl", "batch")
    assert client.files.content(upload.file.id).read() == data   # a File of the Files API, its parts joined
    pending = client.uploads.create(bytes=5, filename="x.txt", mime_type="text/plain", purpose="assistants")
    assert pending.status == "pending" and pending.expires_at == pending.created_at + 3600
    part = client.uploads.parts.create(pending.id, data=b"abc")
    with pytest.raises(openai.BadRequestError, match="add up to 3 bytes"):
        client.uploads.complete(pending.id, part_ids=[part.id])
    with pytest.raises(openai.BadRequestError, match="has no part"):
        client.uploads.complete(pending.id, part_ids=["part_nope"])
    assert client.uploads.cancel(pending.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="already cancelled"):
        client.uploads.cancel(pending.id)


def test_containers_and_their_files(client: openai.OpenAI, http: httpx.Client) -> None:
    box = client.containers.create(name="box")
    assert box.id.startswith("cntr_") and (box.name, box.object) == ("box", "container")
    made = client.containers.files.create(box.id, file=("hello.py", b"print('hi')\n"))
    assert made.id.startswith("cfile_") and made.container_id == box.id
    assert (made.bytes, made.path) == (12, "/mnt/data/hello.py")
    assert client.containers.files.content.retrieve(made.id, container_id=box.id).read() == b"print('hi')\n"
    assert [f.id for f in client.containers.files.list(box.id)] == [made.id]
    deleted = http.delete(f"/v1/containers/{box.id}/files/{made.id}")
    assert deleted.status_code == 200 and deleted.content == b""   # the spec documents no body
    with pytest.raises(openai.NotFoundError, match="No container file found"):
        client.containers.files.retrieve(made.id, container_id=box.id)
    client.containers.delete(box.id)
    with pytest.raises(openai.NotFoundError, match="No container found"):
        client.containers.files.list(box.id)


def test_eval_runs_complete_with_output_items_and_cancel(client: openai.OpenAI) -> None:
    evaluation = client.evals.create(
        name="answers", data_source_config={"type": "custom", "item_schema": {"type": "object"}},
        testing_criteria=[{"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
                           "reference": "{{item.answer}}", "operation": "eq"}])
    assert evaluation.id.startswith("eval_") and evaluation.name == "answers"
    source: Any = {"type": "jsonl", "source": {"type": "file_content", "content": [{"item": {"answer": "4"}}]}}
    run = client.evals.runs.create(evaluation.id, data_source=source, name="first")
    assert run.id.startswith("evalrun_") and (run.status, run.eval_id, run.name) == ("queued", evaluation.id, "first")
    assert [client.evals.runs.retrieve(run.id, eval_id=evaluation.id).status for _ in range(2)] == [
        "in_progress", "completed"]
    done = client.evals.runs.retrieve(run.id, eval_id=evaluation.id)
    items = list(client.evals.runs.output_items.list(run.id, eval_id=evaluation.id))
    assert len(items) == done.result_counts.total == done.result_counts.passed
    assert client.evals.runs.output_items.retrieve(items[0].id, eval_id=evaluation.id, run_id=run.id).id == items[0].id
    second = client.evals.runs.create(evaluation.id, data_source=source)
    assert client.evals.runs.cancel(second.id, eval_id=evaluation.id).status == "canceled"
    with pytest.raises(openai.BadRequestError):
        client.evals.runs.cancel(run.id, eval_id=evaluation.id)


# ----------------------------------------------------------------------------- answers nothing stores
def test_skills_content_is_a_zip(client: openai.OpenAI, http: httpx.Client) -> None:
    skill = http.post("/v1/skills", files={"files": ("SKILL.md", b"---\nname: x\n---\n")}).json()
    content = http.get(f"/v1/skills/{skill['id']}/content")
    assert content.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(content.content)).namelist()[0].endswith("SKILL.md")


def test_admin_api_answers_with_ambient_objects(fake_openai: Any) -> None:
    admin = fake_openai.client(admin_api_key=fake_openai.api_key)
    project = admin.admin.organization.projects.create(name="Fake")
    assert project.id.startswith("proj_") and project.name == "Fake" and project.status == "active"
    assert admin.admin.organization.projects.archive(project.id).status == "archived"
    users = list(admin.admin.organization.users.list())
    assert len(users) == 1   # the organization has a user nobody created through the API
    assert admin.admin.organization.users.retrieve(users[0].id).id == users[0].id


# ----------------------------------------------------------------------------- scenarios
def test_unknown_ids_generate_answers_as_if_they_existed(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"unknown_ids": "generate"})
    container = client.containers.retrieve("cntr_anything")
    assert container.id == "cntr_anything" and container.object == "container"
    assert client.containers.retrieve("cntr_anything").created_at == container.created_at   # stored
    file = client.containers.files.retrieve("cfile_abc", container_id="cntr_other")   # parent made too
    assert (file.id, file.container_id) == ("cfile_abc", "cntr_other")
    assert [c.id for c in client.containers.list()] == ["cntr_other", "cntr_anything"]
    assert client.fine_tuning.jobs.retrieve("ftjob-123").id == "ftjob-123"


def test_serve_unknown_ids_generate_is_every_tenants_default() -> None:
    with FakeOpenAI(unknown_ids="generate") as fake:
        client = fake.client()
        assert client.containers.retrieve("cntr_x").id == "cntr_x"
        fake.load({"unknown_ids": "error"})   # a scenario that says so wins
        with pytest.raises(openai.NotFoundError):
            client.containers.retrieve("cntr_y")
        fake.load({})
        assert client.containers.retrieve("cntr_z").id == "cntr_z"


def test_objects_pin_any_kind_with_any_id(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"objects": {"generic": [   # a nested object may come before its parent
        {"kind": "eval.run", "id": "nightly", "eval_id": "quality", "status": "completed"},
        {"kind": "eval", "id": "quality", "name": "Answer quality", "metadata": {"v": "1"}},
        {"kind": "fine_tuning.job", "id": "job-7", "model": "gpt-4o-mini", "status": "running"},
        {"kind": "organization.project", "id": "proj_seeded", "name": "Seeded"}]}})
    evaluation = client.evals.retrieve("quality")
    assert (evaluation.name, evaluation.metadata) == ("Answer quality", {"v": "1"})
    assert client.evals.runs.retrieve("nightly", eval_id="quality").status == "completed"
    assert client.fine_tuning.jobs.retrieve("job-7").status == "running"   # a pinned status stays
    assert [j.id for j in client.fine_tuning.jobs.list()] == ["job-7"]


def test_scenario_problems_name_the_kind_and_status() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario("lifecycles:\n  - kind: fine_tuning.jobs\n    steps: [{status: running}]\n")
    assert "did you mean 'fine_tuning.job'" in str(caught.value)
    with pytest.raises(ScenarioError) as caught:
        load_scenario("lifecycles:\n  - kind: video\n    steps: [{status: rendering}]\n")
    [problem] = caught.value.problems
    assert (problem.line, problem.path) == (3, "lifecycles[0].steps[0].status")
    assert "queued, in_progress, completed, failed" in problem.message
    with pytest.raises(ScenarioError, match="give eval_id"):
        load_scenario({"objects": {"generic": [{"kind": "eval.run", "id": "r"}]}})
    with pytest.raises(ScenarioError, match="generate"):
        load_scenario({"unknown_ids": "maybe"})


def test_strict_and_unmatched_lifecycles_in_the_teardown_report(fake_openai: Any,
                                                                 make_client: Callable[..., openai.OpenAI]) -> None:
    fake_openai.load({"strict": True, "unmatched": "error", "lifecycles": [
        {"name": "the ft job", "kind": "fine_tuning.job", "match": {"model": "gpt-4.1"}},
        {"name": "never", "kind": "video", "steps": [{"status": "failed"}]}]})
    client = make_client(max_retries=0)
    job = client.fine_tuning.jobs.create(model="gpt-4o", training_file="file-a")   # no script matches
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed" and job.error is not None and "no fine-tuning job script matched" in job.error.message
    report = conftest_plugin.teardown_report(fake_openai)
    assert f"lifecycles: no object script matched {job.id} (unmatched: error)" in report
    assert "the ft job" in report and "model is 'gpt-4o', not 'gpt-4.1'" in report
    assert "lifecycles[1] 'never'" in report   # strict: the script never used
    fake_openai.take_violations()
    fake_openai.load({})   # the report was the point: the fixture's teardown need not fail the test


# ----------------------------------------------------------------------------- the registry
@pytest.fixture
def containers_family(monkeypatch: pytest.MonkeyPatch) -> Iterator[Family]:
    """A hand-built family that takes /containers, registered after the generic one."""
    async def listed(request: Any) -> Any:
        from starlette.responses import JSONResponse

        return JSONResponse({"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False,
                             "hand_built": True})

    family = Family(name="hand_built_containers", routes=[("/v1/containers", listed, ["GET"])],
                    openapi_paths=("/containers",))
    monkeypatch.setattr(fakeopenai.families, "FAMILIES", (*fakeopenai.families.FAMILIES, family))
    yield family


def test_a_hand_built_family_takes_its_paths_from_the_generic_one(containers_family: Family) -> None:
    with FakeOpenAI() as fake, httpx.Client(base_url=fake.server.origin,
                                            headers={"Authorization": f"Bearer {fake.api_key}"}) as http:
        assert http.get("/v1/containers").json()["hand_built"] is True
        assert http.post("/v1/containers", json={"name": "x"}).status_code == 405   # its path, its methods
        assert http.get("/v1/containers/cntr_x").status_code == 404        # the generic family's still
        paths = http.get("/openapi.json").json()["paths"]
        assert "/v1/containers" not in paths and "/v1/containers/{container_id}" in paths


def test_answers_are_deterministic_across_tenants(fake_openai: Any) -> None:
    def session(client: openai.OpenAI) -> list[Any]:
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-a")
        container = client.containers.create(name="x")
        client.containers.files.create(container.id, file=("a.txt", b"a"))
        return [job.model_dump(), client.fine_tuning.jobs.retrieve(job.id).model_dump(), container.model_dump(),
                client.containers.files.list(container.id).model_dump(),
                client.images.generate(prompt="p").model_dump()]

    first = session(fake_openai.client(api_key="sk-generic-a"))
    second = session(fake_openai.client(api_key="sk-generic-b"))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_every_generic_operation_has_a_role() -> None:
    from fakeopenai.families.generic.operations import table

    ops = table().operations
    assert len(ops) > 200 and all(op.role in engine.ROLES for op in ops)
    assert {op.label for op in ops if op.role == "action"} >= {
        "POST /v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel", "POST /v1/uploads/{upload_id}/complete",
        "POST /v1/evals/{eval_id}/runs/{run_id}"}


def test_assistants_threads_messages_and_files_pin_ids_without_their_prefix(client: openai.OpenAI,
                                                                            fake_openai: Any) -> None:
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}}
    fake_openai.load({"objects": {
        "assistants": [{"id": "weather-bot", "name": "Weather", "model": "gpt-4o"}],
        "threads": [{"id": "support", "messages": [{"id": "first", "role": "user", "content": "Hi"}]}],
        "files": [{"id": "input.jsonl", "purpose": "batch", "filename": "in.jsonl",
                   "content": json.dumps(line) + "\n"}]}})
    assert client.beta.assistants.retrieve("weather-bot").name == "Weather"
    assert client.beta.threads.messages.retrieve("first", thread_id="support").role == "user"
    run = client.beta.threads.runs.create_and_poll(thread_id="support", assistant_id="weather-bot")
    assert run.status == "completed"
    batch = client.batches.create(input_file_id="input.jsonl", endpoint="/v1/chat/completions", completion_window="24h")
    while batch.status not in ("completed", "failed"):
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.request_counts is not None and batch.request_counts.completed == 1


def test_a_field_newer_than_the_spec_that_the_sdk_requires_is_there(client: openai.OpenAI) -> None:
    """openai-python 3.63's ``Voice.type`` is required and newer than the shipped spec (facts.NEWER_FIELDS)."""
    voice = client.audio.voices.create(audio_sample=b"RIFF", consent="cons_1", name="Narrator")
    assert voice.type == "audio_sample" and voice.name == "Narrator"
