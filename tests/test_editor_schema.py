"""Editor support, judged by a real editor backend: yaml-language-server (what VS Code's YAML extension,
JetBrains IDEs and Neovim's yamlls run) reads the shipped schema through the docs' modeline."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fakeopenai.doors.cli import main as cli
from fakeopenai.scenario.loader import ScenarioError, builtin_dir, builtin_names, load_scenario

SERVER = Path(__file__).parent / "node" / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
MODELINE = "# yaml-language-server: $schema=./scenario.schema.json\n"
SETTINGS = {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False}}


class LanguageServer:
    """A JSON-RPC client over the server's stdio, answering the requests the server makes of an editor."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(["node", str(SERVER), "--stdio"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.call("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {
            "textDocument": {"completion": {"completionItem": {"documentationFormat": ["plaintext"]}},
                             "hover": {"contentFormat": ["markdown"]}, "publishDiagnostics": {}},
            "workspace": {"configuration": True}}})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": SETTINGS}})

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline().strip()) != b"":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not length:
                return  # the server ended
            self.inbox.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def call(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        call_id = self.next_id
        self._send({"id": call_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == call_id and "method" not in m)["result"]

    def wait(self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.inbox.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if "method" in message and "id" in message:  # the server asks the editor something
                items = message["params"].get("items", []) if message["method"] == "workspace/configuration" else []
                self._send({"id": message["id"], "result": [SETTINGS for _ in items] if items else None})
            elif message.get("method") == "textDocument/publishDiagnostics":
                self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
            if wanted(message):
                return message
        raise TimeoutError("yaml-language-server did not answer in time")

    def open(self, path: Path) -> list[dict[str, Any]]:
        """Open a document as an editor does; the diagnostics the server publishes for it."""
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                              "text": path.read_text()}})
        self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
        return self.diagnostics[uri]

    def ask(self, method: str, path: Path, line: int, character: int) -> Any:
        """A position request (completion, hover) about an open document; lines count from 0."""
        return self.call(method, {"textDocument": {"uri": path.as_uri()},
                                  "position": {"line": line, "character": character}})

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LanguageServer, Path]]:
    if not SERVER.exists() or shutil.which("node") is None:
        if os.environ.get("FAKEOPENAI_REQUIRE_MATRIX"):
            pytest.fail("yaml-language-server is missing: npm ci in tests/node")
        pytest.skip("yaml-language-server is not installed (npm ci in tests/node)")
    folder = tmp_path_factory.mktemp("scenarios")
    with open(folder / "scenario.schema.json", "w") as out, contextlib.redirect_stdout(out):
        assert cli(["schema"]) == 0  # as docs/scenarios.md says: fakeopenai schema > scenario.schema.json
    server = LanguageServer(folder)
    yield server, folder
    server.close()


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(MODELINE + text)
    return path


def test_the_editor_marks_the_mistakes_the_loader_reports_at_the_same_places(editor: Any) -> None:
    server, folder = editor
    path = _write(folder, "mistakes.yaml", "runs:\n  - steps:\n      - status: complete\n    tiems: 2\n")
    found = {(d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1): d["message"]
             for d in server.open(path)}
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert set(found) == {(p.line, p.column) for p in error.value.problems} == {(4, 17), (5, 5)}
    assert found[(4, 17)].startswith("Value is not accepted. Valid values: \"queued\", \"in_progress\"")
    assert found[(5, 5)] == "Property tiems is not allowed."


def test_every_builtin_scenario_is_clean_in_the_editor(editor: Any) -> None:
    server, folder = editor
    for name in builtin_names():
        path = _write(folder, f"{name}.yaml", (builtin_dir() / f"{name}.yaml").read_text())
        assert server.open(path) == [], name


def test_completion_offers_the_step_keys_with_their_meaning(editor: Any) -> None:
    server, folder = editor
    path = _write(folder, "complete.yaml", "runs:\n  - steps:\n      - st\n")
    server.open(path)
    result = server.ask("textDocument/completion", path, line=3, character=10)
    items = {item["label"]: item.get("documentation") for item in (result.get("items", result) or [])}
    assert {"status", "tool_calls", "message", "stream_error", "reads", "after", "expect_outputs"} <= set(items)
    assert "tool calls (status requires_action)" in str(items["tool_calls"])


def test_hover_shows_the_schema_description(editor: Any) -> None:
    server, folder = editor
    path = _write(folder, "hover.yaml", "faults:\n  - delay_ms: 100\n")
    server.open(path)
    hover = server.ask("textDocument/hover", path, line=2, character=6)
    assert "Answer this late (milliseconds of real time: for client timeouts)." in hover["contents"]["value"]
