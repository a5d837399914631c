"""Capture the requests the official SDK's own test suite sends, for the families the fake serves.

openai-python's ``tests/api_resources`` calls every method with the fewest and with all parameters
(normally against a stateless mock). Run against ``fakeopenai serve``, its requests are what the SDK
can send; they are kept in ``tests/data/sdk_requests.jsonl`` and replayed by
``tests/test_request_corpus.py``, which fails when the fake refuses one the live API takes.

    python -m tests.sdk_corpus [--version 3.63.0]    # refresh tests/data/sdk_requests.jsonl

It downloads the SDK's source distribution from PyPI (the package index is reachable from CI and
from here), makes a virtualenv beside the main environment with what the SDK's tests import
(``python -m tests.venvs``), runs their synchronous tests of the served families, and reads the
tenant's request log (``GET /_fake/timeline``). Not part of the suite: it takes minutes and the network.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "sdk_requests.jsonl"
SDK_TEST_KEY = "My API Key"        # the key the SDK's tests/conftest.py sends
SERVED = ("test_responses.py", "responses", "test_conversations.py", "conversations", "chat", "test_embeddings.py",
          "test_models.py", "test_moderations.py", "test_files.py", "test_batches.py", "beta/test_assistants.py",
          "beta/test_threads.py", "beta/threads",
          # the generic family's (requests to operations the shipped spec lacks are left out: Invalid URL)
          "test_vector_stores.py", "vector_stores", "test_uploads.py", "uploads", "fine_tuning", "test_evals.py",
          "evals", "test_containers.py", "containers", "test_images.py", "audio", "test_videos.py", "test_skills.py",
          "skills", "admin", "realtime", "test_completions.py", "test_content_provenance_checks.py", "beta/chatkit")
TEST_NEEDS = ("pytest-asyncio", "dirty-equals", "inline-snapshot", "respx", "time-machine", "nest_asyncio", "aiohttp")


def fetch_sdk(version: str, work: Path) -> Path:
    """openai-python ``version``'s source distribution from PyPI, extracted under ``work``: its folder."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                    f"openai=={version}", "-d", str(work)], check=True)
    [sdist] = work.glob("openai-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(work, filter="data")
    return work / f"openai-{version}"


def sdk_test_python(work: Path) -> Path:
    """A virtualenv under ``work`` over the main environment, with what the SDK's tests import: its python."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "tests.venvs", str(venv)], check=True, cwd=ROOT)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", *TEST_NEEDS], check=True)
    return python


@contextlib.contextmanager
def serve(*options: str, log: IO[str] | None = None) -> Iterator[str]:
    """``fakeopenai serve --port 0 OPTIONS`` of this checkout (cwd ``ROOT``): its base URL (``.../v1``).

    Its log (one line per request, with the status) goes to ``log``, or nowhere."""
    server = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0", *options],
                              stdout=subprocess.PIPE, stderr=log or subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=30)


def capture(version: str, work: Path) -> list[dict[str, object]]:
    source = fetch_sdk(version, work)
    python = sdk_test_python(work)
    with serve() as base_url:
        paths = [str(Path("tests/api_resources") / name) for name in SERVED]
        subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "no:benchmark", "-p", "no:fakeopenai", "-n", "0", "-k", "not async", *paths],
                       cwd=source, env={**os.environ, "TEST_API_BASE_URL": base_url}, check=False)
        origin = base_url.removesuffix("/v1")
        timeline = httpx.get(origin + "/_fake/timeline", headers={"Authorization": f"Bearer {SDK_TEST_KEY}"},
                             timeout=60).json()
    kept = [r for r in timeline["requests"] if not _invalid_url(r)]
    return [{"n": n, "method": r["method"], "path": r["path"], "query": r["query"] or None, "body": r["body"],
             "content_type": r["headers"].get("content-type")}
            for n, r in enumerate(kept)]


def _invalid_url(request: dict[str, object]) -> bool:
    """A request to an operation the shipped spec does not have (the SDK is newer): the fake's 404."""
    answer = request.get("response")
    body = answer.get("body") if isinstance(answer, dict) else None
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and str(error.get("message", "")).startswith("Invalid URL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default="3.63.0", help="the openai-python release whose tests to run")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        requests = capture(args.version, Path(folder))
    lines = [json.dumps({"sdk": f"openai-python {args.version}", **request}, ensure_ascii=False, sort_keys=True)
             for request in requests]
    CORPUS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{CORPUS.relative_to(ROOT)}: {len(lines)} requests of openai-python {args.version}'s "
          f"tests/api_resources ({time.monotonic() - started:.0f}s)")


if __name__ == "__main__":
    main()
