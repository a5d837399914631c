"""Runs the code blocks of README.md and docs/*.md, so the docs cannot rot.

Sybil finds the fenced blocks (and ``<!-- skip: next "why" -->`` directives); this
module says how each kind is run. The fence's info string is the language, then
optional words: ``file=PATH`` (also write the block to PATH in the document's sandbox),
``fragment`` (a part of a scenario, only parsed), ``invalid`` and ``run-later`` (below).

- ``python``: the blocks defining ``test_*`` functions are run with ``python -m pytest`` in
  the sandbox once the document's other blocks have run (one process for all), and must
  pass (``run-later``: not on their own, a later block runs them); any other block is
  run with ``python`` and must exit 0.
- ``bash``: run with ``bash -euo pipefail`` in the sandbox; it must exit 0.
- ``console``: ``$ command`` lines, each followed by the output it must print
  (stdout and stderr; ``...`` stands for any text). The exit status is not checked.
- ``yaml``: must load as a scenario (fakeopenai's loader), or parse if a ``fragment``, or
  fail to load if ``invalid`` (a mistake the next block shows the message of).
  ``yaml github-actions``: a workflow; its ``run:`` steps are run in order (``pip install``
  steps excepted: this environment has the package).
- ``js``/``javascript``: run with ``node`` (the official openai package from tests/node).
- ``json``: must parse. ``text``, ``ini``, ``toml``: only written when ``file=`` says so.

Each document gets one sandbox (a temporary folder, blocks run in order) and, when a
block talks to ``127.0.0.1:8000`` without starting a server itself, one ``fakeopenai
serve --port 0``. Port 8000 in a block is replaced by that server's port (or by a free
port when the block starts its own server), and back to 8000 in the output compared.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"
DOC_PORT = "8000"
TIMEOUT = 120
_SCRUBBED_ENV = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "PYTEST_ADDOPTS",
                 "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_CURRENT_TEST")


@dataclass
class Block:
    language: str
    source: str
    file: str | None = None
    flags: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, info: str, source: str) -> Block:
        language, *words = info.split()
        block = cls(language, source)
        for word in words:
            if word.startswith("file="):
                block.file = word[5:]
            else:
                block.flags.add(word)
        return block


class CodeBlocks:
    """A Sybil parser: every fenced block, whatever its language."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(language=r".+", mapping={"language": "info", "source": "source"})

    def __call__(self, document: Document) -> Any:
        for region in self.lexer(document):
            yield Region(region.start, region.end, Block.parse(region.lexemes["info"], str(region.lexemes["source"])),
                         evaluate)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def parse(path: Path) -> Document:
    return Sybil(parsers=[CodeBlocks(), SkipParser()], path=str(ROOT)).parse(path)


class Sandbox:
    """One document's working folder, environment and (when needed) server."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fakeopenai-docs-"))
        bin_dir = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env["NODE_PATH"] = str(NODE_MODULES)
        # The checkout under test, not whichever checkout the installed (editable) package points at.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        # The plugins this project's test tools bring (a reader's project has none of them) cost ~2.5 s
        # of imports per pytest start; pytest-benchmark (not a dependency, but on some machines) ~0.4 s.
        env["PYTEST_ADDOPTS"] = ("-p no:cacheprovider -p no:schemathesis -p no:hypothesispytest -p no:faker "
                                 "-p no:benchmark")
        self.env = env
        self.server: subprocess.Popen[str] | None = None
        self.port = ""
        self.tests: dict[str, str] = {}  # test file -> the block it came from ("README.md:57")

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.communicate(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def port_for(self, code: str) -> str:
        """The port that stands for 8000 in this block."""
        if "fakeopenai serve" in code:
            return str(_free_port())
        if self.server is None:
            self.server = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0",
                                            "--log-level", "warning"], stdout=subprocess.PIPE, text=True,
                                           env=self.env, cwd=self.dir)
            ready = self.server.stdout.readline()  # type: ignore[union-attr]
            match = re.search(r":(\d+)/v1", ready)
            assert match, f"the docs' server did not start: {ready!r}"
            self.port = match.group(1)
        return self.port

    def run(self, argv: list[str]) -> tuple[int, str]:
        """Run a process in the sandbox (its own process group, killed at the end); exit code and output.

        The output goes to a file, not a pipe: a server the block left in the background keeps its
        copy of the output open, and waiting for the end of a pipe would wait for that server."""
        with tempfile.TemporaryFile("w+") as out:
            process = subprocess.Popen(argv, cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, text=True, start_new_session=True)
            try:
                status = process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                status = -1
            try:
                os.killpg(process.pid, signal.SIGKILL if status == -1 else signal.SIGTERM)  # what it left behind
            except ProcessLookupError:
                pass
            process.wait()
            out.seek(0)
            output = out.read()
        if status == -1:
            return -1, f"the block did not finish in {TIMEOUT} s; output so far:\n{output}"
        return status, output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_port(code: str, sandbox: Sandbox) -> tuple[str, str]:
    if DOC_PORT not in code:
        return code, ""
    port = sandbox.port_for(code)
    return re.sub(rf"(?<=:){DOC_PORT}\b|(?<=--port ){DOC_PORT}\b", port, code), port


def sandbox_of(example: Example) -> Sandbox:
    box = example.namespace.get("sandbox")
    if box is None:
        box = example.namespace["sandbox"] = Sandbox()
    return box  # type: ignore[no-any-return]


def evaluate(example: Example) -> str | None:
    block: Block = example.parsed
    box = sandbox_of(example)
    where = f"{Path(example.path).name}:{example.line}"
    if block.file:
        box.write(block.file, block.source)
    runner = RUNNERS.get(block.language)
    return runner(block, box, where) if runner else None


def run_python(block: Block, box: Sandbox, where: str) -> str | None:
    if block.file and (not Path(block.file).name.startswith("test_") or "run-later" in block.flags):
        return None  # a module the following blocks import, or a test a later block runs
    code, _ = _with_port(block.source, box)
    if re.search(r"^(async )?def test_", code, re.M):
        name = block.file or f"test_doc_line_{where.rsplit(':', 1)[1]}.py"
        box.write(name, code)
        box.tests[name] = where  # run_tests() runs them all in one pytest process
        return None
    script = box.write(f"doc_line_{where.rsplit(':', 1)[1]}.py", code)
    status, output = box.run([sys.executable, script.name])
    return None if status == 0 else f"{where}: the Python block exited {status}:\n{output}"


def run_tests(box: Sandbox) -> str | None:
    """Run the document's test blocks, in one pytest process (its start-up is most of the cost)."""
    if not box.tests:
        return None
    status, output = box.run([sys.executable, "-m", "pytest", "-q", *box.tests])
    if status == 0:
        return None
    blocks = ", ".join(f"{name} ({where})" for name, where in box.tests.items())
    return f"the test blocks failed (pytest exit {status}); they are {blocks}:\n{output}"


def run_bash(block: Block, box: Sandbox, where: str) -> str | None:
    code, _ = _with_port(block.source, box)
    status, output = box.run(["bash", "-euo", "pipefail", "-c", code])
    return None if status == 0 else f"{where}: the bash block exited {status}:\n{output}"


def run_console(block: Block, box: Sandbox, where: str) -> str | None:
    problems = []
    for command, expected in _console_pairs(block.source):
        code, port = _with_port(command, box)
        _, output = box.run(["bash", "-o", "pipefail", "-c", code])
        if port:
            output = output.replace(f":{port}", f":{DOC_PORT}")
        if not _output_matches(expected, output):
            problems.append(f"$ {command}\n--- the docs say:\n{expected}\n--- it printed:\n{output}")
    return f"{where}: " + "\n".join(problems) if problems else None


def _console_pairs(source: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"a console block must start with '$ command', not {line!r}")
    return [(command, "\n".join(lines)) for command, lines in pairs]


def _output_matches(expected: str, output: str) -> bool:
    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip().splitlines())

    pattern = ".*?".join(re.escape(part) for part in norm(expected).split("..."))
    return re.fullmatch(pattern, norm(output), re.S) is not None


def run_yaml(block: Block, box: Sandbox, where: str) -> str | None:
    from fakeopenai.scenario.loader import ScenarioError, load_scenario

    if "fragment" in block.flags:
        yaml.safe_load(block.source)
        return None
    if "github-actions" in block.flags:
        return run_workflow(block, box, where)
    path = box.write(block.file or f"doc_line_{where.rsplit(':', 1)[1]}.yaml", block.source)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        return None if "invalid" in block.flags else f"{where}: the scenario does not load:\n{exc}"
    return f"{where}: the block is marked invalid, but the scenario loads" if "invalid" in block.flags else None


def run_workflow(block: Block, box: Sandbox, where: str) -> str | None:
    """A GitHub Actions job's ``run:`` steps, in order, as the runner does it (background processes live
    on until the job ends)."""
    workflow = yaml.safe_load(block.source)
    (job,) = workflow["jobs"].values()
    script = ["set -euo pipefail"]
    for step in job["steps"]:
        run = step.get("run")
        if run is None or run.lstrip().startswith("pip install") or step.get("if") == "failure()":
            continue
        exports = "".join(f"export {k}={shlex.quote(str(v))}\n" for k, v in step.get("env", {}).items())
        script.append(f"(\n{exports}{run}\n)")
    code, _ = _with_port("\n".join(script), box)
    status, output = box.run(["bash", "-c", code])
    return None if status == 0 else f"{where}: the workflow's steps exited {status}:\n{output}"


def run_node(block: Block, box: Sandbox, where: str) -> str | None:
    if not NODE_MODULES.is_dir() or shutil.which("node") is None:
        if os.environ.get("FAKEOPENAI_REQUIRE_MATRIX"):
            return f"{where}: node or tests/node/node_modules is missing (npm ci in tests/node)"
        return None
    code, _ = _with_port(block.source, box)
    script = box.write(block.file or f"doc_line_{where.rsplit(':', 1)[1]}.mjs", code)
    # ES modules resolve packages from the file's folder up, not NODE_PATH: link node_modules in.
    link = box.dir / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES)
    status, output = box.run(["node", script.name])
    return None if status == 0 else f"{where}: the Node block exited {status}:\n{output}"


def run_json(block: Block, box: Sandbox, where: str) -> str | None:
    try:
        json.loads(block.source)
    except ValueError as exc:
        return f"{where}: not JSON: {exc}"
    return None


RUNNERS = {"python": run_python, "bash": run_bash, "console": run_console, "yaml": run_yaml,
           "js": run_node, "javascript": run_node, "json": run_json}
