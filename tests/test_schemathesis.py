"""Schemathesis against our own ``/openapi.json``, served by a live server.

Every operation of the served document is fuzzed with a fixed seed and a fixed
number of examples per generation mode (positive: valid by the schema; negative:
one part made invalid), so a run is reproducible and bounded. For every answer:

* never a 5xx (``not_a_server_error``);
* a 2xx body matches the operation's schema (``response_schema_conformance``, and
  again against the official spec with :class:`~tests.spec_check.SpecChecker`,
  which also checks every event of a streamed answer) and its content type is the
  documented one (``content_type_conformance``);
* any other answer is the OpenAI error shape ``{"error": {"message", "type",
  "param", "code"}}`` with a non-empty message; every answer has an ``x-request-id``.

The generic family's operations (every spec operation no hand-built family serves) are
fuzzed with :data:`GENERIC_EXAMPLES` examples per mode, in a tenant whose scenario says
``unknown_ids: generate``: every id a case names answers as an object, so their 2xx answers
are checked on every path. For the hand-built families,
random ids would only ever reach the 404 branch, so :class:`World` replaces the
generated path parameters (and the ids a body refers to: ``assistant_id``,
``input_file_id``, ``tool_call_id``) with real objects in the state the operation
needs: a run waiting for tool outputs for ``submit_tool_outputs``, an active run for
``cancel``, a fresh object for every ``DELETE``. One case in four keeps its generated
ids, so unknown ids are fuzzed too. Hypothesis does not shrink here: every failing
case is collected with the request that caused it and reported at the end.

The summary (operations, examples, status codes, failures, time) is printed at the
end of the module; run ``pytest tests/test_schemathesis.py -s`` to see it at once.
"""

from __future__ import annotations

import json
import ssl
import zlib
from collections import Counter
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from fakeopenai.core.registry import families
from fakeopenai.spec import openapi
from tests.ci_steps import ci_step
from tests.conftest import tally
from tests.family_tables import family_rows
from tests.spec_check import SpecChecker, answer_readers

SEED = 20250101
EXAMPLES = 8  # per operation and generation mode
# The generic family's operations (every spec operation no hand-built family serves, ~230 of them) answer
# from one engine: fewer examples each keep the module's time in check (README's test command).
GENERIC_EXAMPLES = 2
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
KEEP_GENERATED_IDS = 4  # one case in this many keeps the generated (unknown) ids
KEEP_BAD_AUTH = 3  # one header-negative case in this many keeps its bad Authorization
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
OPERATIONS = [f"{method.upper()} {path}" for path, ops in openapi.document()["paths"].items()
              for method in ops if method in METHODS]
ERROR_FIELDS = {"message", "type", "param", "code"}
WEATHER_LINE = {"method": "POST", "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}}

# The clients here speak plain HTTP to 127.0.0.1, yet httpx builds an SSL context (loading the CA
# bundle, ~20 ms) for each client it makes: three per operation otherwise.
SSL_CONTEXT = ssl.create_default_context()


@lru_cache(maxsize=4)
def served_schema(origin: str) -> Any:
    """The document as the server serves it (not the packaged file), loaded once per server."""
    return schemathesis.openapi.from_url(origin + "/openapi.json")


def test_served_document_is_the_packaged_one(fake_openai: Any) -> None:
    served = httpx.get(fake_openai.server.origin + "/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    assert served.json() == openapi.document()
    # The API's routes (not a family's control endpoint, /_fake/webhooks, nor the image urls it serves, /media/...)
    served_routes = {f"{method} {path}" for family in families() for path, _, methods in family.routes
                     for method in methods if path.startswith("/v1/")}
    assert set(OPERATIONS) == served_routes  # every route we serve is fuzzed, and nothing else


def test_golden_transcript_answers_match_the_spec(spec: SpecChecker) -> None:
    """The committed golden transcript (tests/determinism) is what every install must answer byte for
    byte, so its answers are held to the spec too: each ``/v1`` answer against its operation, each
    streamed event against its object, each batch output line against ``BatchRequestOutput``."""
    golden = json.loads((Path(__file__).parent / "golden" / "transcript.json").read_text("utf-8"))
    checked = 0
    for entry in golden:
        method, path = entry["request"].split(" ", 1)
        if not path.startswith("/v1"):
            continue
        body = entry["body"].encode()
        if path.endswith("/content"):
            for line in body.splitlines():
                spec.validate(json.loads(line), "BatchRequestOutput", entry["request"])
        else:
            content_type = "text/event-stream" if body.startswith((b"event: ", b"data: ")) else "application/json"
            spec.check_response(method, path, entry["status"], content_type, body)
        checked += 1
    assert checked >= 15


# ----------------------------------------------------------------------------- real objects for path ids

class World:
    """Creates the objects an operation's path parameters need, in the right state.

    The tenant runs ``requires_action_then_complete``: every run goes queued,
    in_progress, requires_action (one get_weather call), then a message, completed.
    """

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.assistant = self._post("/v1/assistants", {"model": "gpt-4o", "name": "fuzzed"})["id"]
        self.thread = self._post("/v1/threads", {"messages": [{"role": "user", "content": "Weather?"}]})["id"]
        self.message = self._get(f"/v1/threads/{self.thread}/messages")["data"][0]["id"]
        self.run_thread, self.run = self.finished_run()
        steps = self._get(f"/v1/threads/{self.run_thread}/runs/{self.run}/steps")["data"]
        self.step = steps[0]["id"]
        self.batch_file = self.upload()
        self.file = self.upload(purpose="assistants", filename="notes.txt", content=b"some notes\n")
        self.batch = self.new_batch()
        self.response = self.new_response()
        self.completion = self.new_completion()
        self.conversation, self.conversation_item = self.new_conversation()
        self.vector_store, self.vector_store_batch = self.new_vector_store()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def _get(self, path: str) -> Any:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def new_thread(self) -> str:
        return str(self._post("/v1/threads", {"messages": [{"role": "user", "content": "Weather in Paris?"}]})["id"])

    def active_run(self, reads: int = 0) -> tuple[str, str]:
        run = self._post("/v1/threads/runs", {"assistant_id": "asst_weather"})
        for _ in range(reads):
            run = self._get(f"/v1/threads/{run['thread_id']}/runs/{run['id']}")
        return run["thread_id"], run["id"]

    def waiting_run(self) -> tuple[str, str, str]:
        thread, run_id = self.active_run(reads=2)
        run = self._get(f"/v1/threads/{thread}/runs/{run_id}")  # a read of requires_action does not move it
        assert run["status"] == "requires_action", run
        return thread, run_id, run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]

    def finished_run(self) -> tuple[str, str]:
        thread, run_id, call = self.waiting_run()
        self._post(f"/v1/threads/{thread}/runs/{run_id}/submit_tool_outputs",
                   {"tool_outputs": [{"tool_call_id": call, "output": "18C"}]})
        run = {"status": "queued"}
        while run["status"] != "completed":
            run = self._get(f"/v1/threads/{thread}/runs/{run_id}")
        return thread, run_id

    def upload(self, *, purpose: str = "batch", filename: str = "in.jsonl", content: bytes | None = None) -> str:
        if content is None:
            content = b"".join(json.dumps({"custom_id": f"r{i}", **WEATHER_LINE}).encode() + b"\n" for i in range(3))
        response = self.http.post("/v1/files", files={"file": (filename, content)}, data={"purpose": purpose})
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def new_batch(self) -> str:
        return str(self._post("/v1/batches", {"input_file_id": self.batch_file, "endpoint": "/v1/chat/completions",
                                              "completion_window": "24h"})["id"])

    def new_response(self, *, background: bool = False) -> str:
        return str(self._post("/v1/responses", {"model": "gpt-4o", "input": "Hi", "background": background})["id"])

    def new_completion(self) -> str:
        return str(self._post("/v1/chat/completions", {"model": "gpt-4o", "store": True, "metadata": {"a": "b"},
                                                       "messages": [{"role": "user", "content": "Hi"}]})["id"])

    def new_conversation(self) -> tuple[str, str]:
        conversation = self._post("/v1/conversations", {"items": [{"role": "user", "content": "Weather?"}]})
        return conversation["id"], self._get(f"/v1/conversations/{conversation['id']}/items")["data"][0]["id"]

    def new_vector_store(self) -> tuple[str, str]:
        """A store with the notes file attached, and a file batch of it."""
        store = self._post("/v1/vector_stores", {"name": "fuzzed", "file_ids": [self.file]})["id"]
        return store, self._post(f"/v1/vector_stores/{store}/file_batches", {"file_ids": [self.file]})["id"]

    def bind(self, case: Any) -> None:
        """Point the case at real objects (path ids, and ids its body refers to)."""
        label = case.operation.label
        method, path = label.split(" ", 1)
        params: dict[str, str] = {}
        pending_call = None
        if path.startswith("/v1/assistants/"):
            params["assistant_id"] = self._post("/v1/assistants", {"model": "gpt-4o"})["id"] \
                if method == "DELETE" else self.assistant
        elif path.startswith("/v1/threads/{thread_id}/runs/{run_id}"):
            if path.endswith("/submit_tool_outputs"):
                thread, run_id, pending_call = self.waiting_run()
            elif path.endswith("/cancel") or (path.endswith("{run_id}") and method == "GET"):
                thread, run_id = self.active_run(reads=zlib.crc32(repr(case.query).encode()) % 3)
            else:
                thread, run_id = self.run_thread, self.run
            params.update(thread_id=thread, run_id=run_id)
            if "step_id" in path:
                params["step_id"] = self.step
        elif path.startswith("/v1/threads/{thread_id}/runs"):
            params["thread_id"] = self.new_thread() if method == "POST" else self.run_thread
        elif path.startswith("/v1/threads/{thread_id}/messages/{message_id}"):
            if method == "DELETE":
                thread = self.new_thread()
                params.update(thread_id=thread, message_id=self._get(f"/v1/threads/{thread}/messages")["data"][0]["id"])
            else:
                params.update(thread_id=self.thread, message_id=self.message)
        elif path.startswith("/v1/threads/{thread_id}"):
            params["thread_id"] = self.new_thread() if method == "DELETE" else self.thread
        elif path.startswith("/v1/files/"):
            params["file_id"] = self.upload(purpose="assistants", filename="x.txt", content=b"x") \
                if method == "DELETE" else self.file
        elif path.startswith("/v1/batches/"):
            params["batch_id"] = self.new_batch()
        elif path.startswith("/v1/models/"):
            params["model"] = "gpt-4o"   # DELETE: the live API's 403 (a base model)
        elif path.startswith("/v1/responses/"):
            if method == "DELETE":
                params["response_id"] = self.new_response()
            elif path.endswith("/cancel") or (method == "GET" and _pick(case, 2)):
                params["response_id"] = self.new_response(background=True)
            else:
                params["response_id"] = self.response
        elif path.startswith("/v1/chat/completions/"):
            params["completion_id"] = self.new_completion() if method == "DELETE" else self.completion
        elif path.startswith("/v1/conversations/"):
            fresh = method == "DELETE" or (method == "POST" and path.endswith("/items"))
            params["conversation_id"], item = self.new_conversation() if fresh else (self.conversation,
                                                                                     self.conversation_item)
            if "{item_id}" in path:
                params["item_id"] = item
        elif path.startswith("/v1/vector_stores/"):
            fresh = method == "DELETE" or path.endswith("/cancel")
            params["vector_store_id"], batch = self.new_vector_store() if fresh else (self.vector_store,
                                                                                       self.vector_store_batch)
            if "{file_id}" in path:
                params["file_id"] = self.file
            if "{batch_id}" in path:
                params["batch_id"] = batch
        if params and isinstance(case.path_parameters, dict):
            case.path_parameters = {**case.path_parameters, **params}
        body = case.body
        if isinstance(body, dict):
            if "assistant_id" in body and path in ("/v1/threads/runs", "/v1/threads/{thread_id}/runs"):
                body["assistant_id"] = "asst_weather"
            if "input_file_id" in body:
                body["input_file_id"] = self.batch_file
            if path.startswith("/v1/vector_stores"):   # the Files a store reads must exist
                if "file_id" in body:
                    body["file_id"] = self.file
                if isinstance(body.get("file_ids"), list):
                    body["file_ids"] = [self.file for _ in body["file_ids"]]
                for item in body.get("files") or () if isinstance(body.get("files"), list) else ():
                    if isinstance(item, dict) and "file_id" in item:
                        item["file_id"] = self.file
            outputs = body.get("tool_outputs")
            if pending_call and isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
                body["tool_outputs"] = [{**outputs[0], "tool_call_id": pending_call}]
            if path.endswith(("/runs", "/submit_tool_outputs", "/chat/completions")) and _pick(case, 3):
                body["stream"] = True
        self._bind_cursors(case, path, params)

    def _bind_cursors(self, case: Any, path: str, params: dict[str, str]) -> None:
        """``after``/``before`` name an object of the list, or the answer is a 400."""
        query = case.query
        if not isinstance(query, dict) or not ({"after", "before"} & set(query)):
            return
        listed = path.format(**params) if "{" in path else path
        if "{" in listed:
            return
        items = self._get(listed + "?limit=100")["data"]
        if items:
            for name in ("after", "before"):
                if name in query:
                    query[name] = items[zlib.crc32(repr(query[name]).encode()) % len(items)]["id"]


def _pick(case: Any, one_in: int) -> bool:
    """A deterministic choice (one case in ``one_in``) that follows the generated data."""
    return zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % one_in == 0


@cache
def declared_fields(label: str) -> frozenset[str] | None:
    """The properties the request body schema of ``label`` declares (None: no body schema)."""
    method, path = label.split(" ", 1)
    body = openapi.document()["paths"][path][method.lower()].get("requestBody", {})
    for media in body.get("content", {}).values():
        name = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
        properties = openapi.document()["components"]["schemas"].get(name, {}).get("properties")
        if properties:
            return frozenset(properties)
    return None


def only_declared_fields(case: Any) -> None:
    """Positive cases: drop body fields the schema does not declare. Where the official schema does not
    say ``additionalProperties: false`` (CreateBatchRequest, ...) Hypothesis adds random fields, and the
    live API refuses them ("Unrecognized request argument supplied"), so such a case is not positive
    for the API; negative mode still sends them."""
    declared = declared_fields(case.operation.label)
    if isinstance(case.body, dict) and declared:
        for key in [k for k in case.body if k not in declared]:
            del case.body[key]


def keeps_generated_ids(case: Any) -> bool:
    return _pick(case, KEEP_GENERATED_IDS)


def keeps_bad_auth(case: Any, bad_auth_seen: Counter[str]) -> bool:
    """Whether a case keeps its generated Authorization header (else it is sent with our tenant's key:
    a random well-formed key would make a new tenant).

    A case whose only negative part is the Authorization header (missing, empty, not Bearer) keeps it
    one time in :data:`KEEP_BAD_AUTH`, and must get a 401: more would spend the negative budget on
    401s, which say nothing about how the rest of the request is answered.
    """
    components = case.meta.components.items() if case.meta is not None else ()
    negative = {location.value for location, info in components if info.mode is GenerationMode.NEGATIVE}
    if negative != {"header"}:
        return False
    bad_auth_seen["n"] += 1
    return bad_auth_seen["n"] % KEEP_BAD_AUTH == 1


# ----------------------------------------------------------------------------- checks

# Operations whose answers schemathesis cannot read as the spec is written (each family's
# testing.SCHEMATHESIS_UNMAPPED says why); spec.check_response below still validates them.
UNMAPPED_DISCRIMINATOR = frozenset(family_rows("SCHEMATHESIS_UNMAPPED"))


def _reads_differently(reader: Any, body: bytes, request_bytes: bytes) -> bool:
    try:
        return bool(reader(body, request_bytes) != body)
    except ValueError:
        return True   # spec.check_response names the problem


MEDIA_LABELS = frozenset({"POST /v1/audio/speech", "POST /v1/audio/transcriptions", "POST /v1/audio/translations"})


def header(response: Any, name: str) -> str:
    """A header of a schemathesis Response (values are lists there)."""
    for key, values in response.headers.items():
        if key.lower() == name:
            return str(values[0]) if isinstance(values, list) else str(values)
    return ""


def check_answer(case: Any, response: Any, spec: SpecChecker) -> None:
    """Our checks on one answer; raises AssertionError (or a schemathesis failure) on the first problem."""
    status = response.status_code
    content_type = header(response, "content-type")
    assert header(response, "x-request-id").startswith("req_"), "no x-request-id"
    streamed = content_type.startswith("text/event-stream")
    raw_bytes = case.operation.label == "GET /v1/files/{file_id}/content" and status == 200
    # speech as audio/mpeg (...), a transcript as text/plain: the live API's types, not the spec's
    # (spec.check_response below checks them: tests/spec_check.py, MEDIA_ANSWERS)
    media_answer = status == 200 and case.operation.label in MEDIA_LABELS and \
        not content_type.startswith(("application/json", "text/event-stream"))
    checks: list[Callable[..., Any]] = [not_a_server_error]
    # An answer the spec does not model as sent (a family's testing.SPEC_ANSWER_READERS: base64 embeddings):
    # spec.check_response reads it first, schemathesis cannot.
    request_bytes = json.dumps(case.body).encode() if isinstance(case.body, dict) else b""
    reader = answer_readers().get(response.request.path_url.split("?")[0])
    read_first = reader is not None and 200 <= status < 300 and _reads_differently(reader, response.content,
                                                                                    request_bytes)
    # The spec gives a stream its event schema (the chat chunk, ResponseStreamEvent), which schemathesis applies
    # to each SSE event's envelope ({event: ..., data: "..."}), not to its data; spec.check_response below checks
    # every event's data (and chat's [DONE]) instead.
    if 200 <= status < 300 and case.operation.label not in UNMAPPED_DISCRIMINATOR and not read_first \
            and not streamed and not media_answer:
        checks.append(response_schema_conformance)
        if not streamed and not raw_bytes:  # the spec documents only JSON for these two
            checks.append(content_type_conformance)
    case.validate_response(response, checks=checks)
    if 200 <= status < 300:
        if streamed:
            # stream: true (a form sends "true"), or speech's stream_format: sse
            asked = (isinstance(case.body, dict) and (str(case.body.get("stream")).lower() == "true"
                                                      or case.body.get("stream_format") == "sse")) or \
                (isinstance(case.query, dict) and str(case.query.get("stream")).lower() == "true")
            assert asked, "SSE for a non-stream request"
        spec.check_response(case.method, response.request.path_url.split("?")[0], status, content_type,
                            response.content, json.dumps(case.body).encode() if isinstance(case.body, dict) else b"")
        return
    assert content_type == "application/json", f"{status} answered as {content_type!r}"
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not an OpenAI error: {response.text[:300]}"
    assert set(body["error"]) >= ERROR_FIELDS, f"error fields: {sorted(body['error'])}"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip(), "empty message"
    spec.validate(body, "ErrorResponse")


# ----------------------------------------------------------------------------- the run



class Fuzzer:
    """Runs one operation's cases against the server and keeps the tally."""

    def __init__(self, origin: str, key: str, world: World | None, session: requests.Session,
                 spec: SpecChecker) -> None:
        self.origin, self.world, self.session, self.spec = origin, world, session, spec
        self.auth = {"Authorization": f"Bearer {key}"}
        self.statuses: Counter[str] = Counter()
        self.failures: list[str] = []
        self.streamed = 0
        self.bad_auth_seen: Counter[str] = Counter()

    def run(self, operation: Any, mode: GenerationMode, examples: int = EXAMPLES) -> None:
        @seed(SEED)
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            self.one(case, mode)

        fuzz()

    def one(self, case: Any, mode: GenerationMode) -> None:
        if mode is GenerationMode.POSITIVE:
            only_declared_fields(case)
        if self.world is not None and not keeps_generated_ids(case):
            self.world.bind(case)
        if not keeps_bad_auth(case, self.bad_auth_seen):
            # Assigned, not updated in place: schemathesis then sees that the header is no longer the
            # negative part and sends it (a missing-header case otherwise drops it on the wire).
            case.headers = {**(case.headers or {}), **self.auth}
        response = case.call(base_url=self.origin, session=self.session)
        self.statuses[f"{mode.value} {response.status_code}"] += 1
        self.streamed += "event-stream" in header(response, "content-type")
        try:
            check_answer(case, response, self.spec)
        except (AssertionError, FailureGroup) as exc:  # collected, not raised: no shrinking, every case
            self.failures.append(f"[{mode.value}] {response.status_code} {str(exc).strip()[:600]}\n"
                                 f"    {case.as_curl_command()[:600]}\n"
                                 f"    answer: {response.content[:400].decode('utf-8', 'replace')}")


def generic_labels() -> frozenset[str]:
    from fakeopenai.families.generic import Routes

    return frozenset(f"{methods[0]} {path}" for path, _, methods in Routes())


@ci_step("fuzz")
@pytest.mark.parametrize("label", OPERATIONS)
def test_operation(label: str, fake_openai: Any, spec: SpecChecker, request: pytest.FixtureRequest) -> None:
    generic = label in generic_labels()
    # The generic family's operations need no World: under unknown_ids: generate every id a case names
    # answers as an object (made, then stored), so 2xx answers are checked on every path of the spec.
    fake_openai.load({"unknown_ids": "generate"} if generic else "requires_action_then_complete")
    origin = fake_openai.server.origin
    operation = served_schema(origin).find_operation_by_label(label)
    assert operation is not None, label
    tenants = httpx.get(origin + "/_fake/health", verify=SSL_CONTEXT).json()["tenants"]
    auth = {"Authorization": f"Bearer {fake_openai.api_key}"}
    with httpx.Client(base_url=origin, headers=auth, verify=SSL_CONTEXT) as http, requests.Session() as session:
        fuzzer = Fuzzer(origin, fake_openai.api_key, None if generic else World(http), session, spec)
        for mode in MODES:
            fuzzer.run(operation, mode, GENERIC_EXAMPLES if generic else EXAMPLES)
    # Random requests break the scenario's expectations (its script calls get_weather, which a generated
    # request does not offer): the answers are what is checked here, not the scenario.
    fake_openai.take_violations()
    tally(request.node, f"schemathesis {schemathesis.__version__} ({len(MODES)} modes x up to {EXAMPLES} examples, "
          f"{GENERIC_EXAMPLES} for the generic family's operations, seed {SEED})",
          {"operations": 1, "cases": sum(fuzzer.statuses.values()), "failures": len(fuzzer.failures),
           "streamed (SSE, every event checked)": fuzzer.streamed, "answers": dict(fuzzer.statuses)})
    assert not fuzzer.failures, f"{label}: {len(fuzzer.failures)} failing case(s):\n" + "\n".join(fuzzer.failures[:8])
    assert fuzzer.statuses, f"{label}: no case was generated"
    assert httpx.get(origin + "/_fake/health", verify=SSL_CONTEXT).json()["tenants"] == tenants, (
        "a case made a tenant of its own")
