"""Same scenario + same requests = byte-identical responses, across servers, processes and installs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fakeopenai.doors.server import ServerThread
from fakeopenai.http.app import create_app
from tests.transcript import run_sequence

GOLDEN = Path(__file__).parent / "golden" / "transcript.json"


def _in_process() -> list[dict]:
    server = ServerThread(create_app()).start()
    try:
        return run_sequence(server.origin)
    finally:
        server.stop()


def _in_subprocess() -> list[dict]:
    process = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0", "--log-level", "warning"],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # "fakeopenai serving on http://127.0.0.1:PORT/v1"
        assert line.startswith("fakeopenai serving on http://"), line
        return run_sequence(line.split()[-1].removesuffix("/v1"))
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


def test_two_fresh_servers_answer_byte_for_byte_the_same() -> None:
    first, second = _in_process(), _in_subprocess()
    assert len(first) == len(second) >= 14
    for a, b in zip(first, second, strict=True):
        assert a == b, f"{a['request']} differs between two fresh servers"


def test_transcript_matches_the_committed_golden_file() -> None:
    """Guards against dependency updates (Faker's word lists, say) changing generated text.

    If this fails after an intended change, regenerate with:
        python -m tests.transcript > tests/golden/transcript.json
    """
    golden = json.loads(GOLDEN.read_text("utf-8"))
    current = _in_process()
    assert [e["request"] for e in current] == [e["request"] for e in golden]
    for now, then in zip(current, golden, strict=True):
        assert now == then, f"{now['request']} no longer matches tests/golden/transcript.json"


def test_different_seeds_give_different_ids_and_text() -> None:
    server = ServerThread(create_app(seed=1)).start()
    other = ServerThread(create_app(seed=2)).start()
    try:
        import httpx

        def first_reply(origin: str) -> tuple[str, str]:
            headers = {"Authorization": "Bearer k"}
            assistant = httpx.post(origin + "/v1/assistants", headers=headers, json={"model": "gpt-4o"}).json()
            run = httpx.post(origin + "/v1/threads/runs", headers=headers,
                             json={"assistant_id": assistant["id"]}).json()
            while run["status"] != "completed":
                run = httpx.get(f"{origin}/v1/threads/{run['thread_id']}/runs/{run['id']}", headers=headers).json()
            message = httpx.get(f"{origin}/v1/threads/{run['thread_id']}/messages", headers=headers).json()["data"][0]
            return assistant["id"], message["content"][0]["text"]["value"]

        one, two = first_reply(server.origin), first_reply(other.origin)
        assert one[0] != two[0] and one[1] != two[1]
    finally:
        server.stop()
        other.stop()


def test_the_word_list_read_from_fakers_source_is_the_one_it_imports() -> None:
    """Generated text reads Faker's English lorem words from its module's source (importing faker looks up
    every locale, ~60 ms of a first answer): the very tuple the import gives, in the same order."""
    from faker.providers.lorem.en_US import Provider

    from fakeopenai.spec.generate import _word_list_in_source

    assert _word_list_in_source() == tuple(Provider.word_list)
