"""Every command and Python test in README.md and docs/ runs here (see tests/docs_runner.py)."""

from __future__ import annotations

import unittest
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.ci_steps import STEPS, ci_step
from tests.docs_runner import ROOT, Block, _output_matches, documents, parse, run_tests


def run_document(path: Path) -> tuple[int, int]:
    """Run every block of one document in order; (ran, skipped). Raises on the first failure."""
    document = parse(path)
    examples = list(document)
    assert examples, f"{path.name} has no code blocks"
    ran = skipped = 0
    try:
        for example in examples:
            try:
                example.evaluate()
            except unittest.SkipTest:
                skipped += 1
            else:
                ran += isinstance(example.parsed, Block)
        sandbox = document.namespace.get("sandbox")
        problem = run_tests(sandbox) if sandbox is not None else None
        assert problem is None, f"{path.name}: {problem}"
    finally:
        sandbox = document.namespace.get("sandbox")
        if sandbox is not None:
            sandbox.close()
    return ran, skipped


@pytest.fixture(scope="module")
def document_runs(request: pytest.FixtureRequest) -> Iterator[dict[Path, Future[tuple[int, int]]]]:
    """The documents this process's tests ask for (under xdist, a worker runs only its share), run at once:
    their blocks wait on subprocesses, and each has its own sandbox and server, so they overlap well."""
    wanted = [path for path in documents()
              if any(getattr(item, "callspec", None) is not None and item.callspec.params.get("path") == path
                     for item in request.session.items)]
    pool = ThreadPoolExecutor(max_workers=max(1, len(wanted)))
    yield {path: pool.submit(run_document, path) for path in wanted}
    pool.shutdown(wait=True)


@ci_step("docs")
@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_document_code_blocks_run(path: Path, document_runs: dict[Path, Future[tuple[int, int]]]) -> None:
    ran, _ = document_runs[path].result()
    assert ran, f"{path.name}: every block was skipped"


BROKEN = {
    "python test": "```python file=test_broken.py\ndef test_wrong():\n    assert 1 == 2\n```\n",
    "python script": "```python\nraise SystemExit(3)\n```\n",
    "bash": "```bash\nfalse\n```\n",
    "console": "```console\n$ echo hello\ngoodbye\n```\n",
    "yaml": "```yaml\nruns: [{steps: [{status: complete}]}]\n```\n",
    "yaml invalid": "```yaml invalid\nruns: []\n```\n",
    "json": "```json\n{\"a\": }\n```\n",
    "workflow": "```yaml github-actions\njobs:\n  t:\n    steps:\n      - run: echo fine\n      - run: exit 3\n```\n",
}


@pytest.mark.parametrize("kind", BROKEN)
def test_the_runner_fails_a_broken_block(kind: str, tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n" + BROKEN[kind])
    with pytest.raises(AssertionError) as failure:
        run_document(page)
    assert "page.md" in str(failure.value)


def test_the_runner_honours_skip_and_passes_good_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text('<!-- skip: next "not here" -->\n\n```bash\nfalse\n```\n\n'
                    "```console\n$ echo hello; echo there\nhello\n...\n```\n")
    assert run_document(page) == (1, 1)


def test_every_command_block_is_run_or_says_why_not() -> None:
    """A block of a language the runner does not know, or a bare ``sh``, would silently not run."""
    known = {"python", "bash", "console", "yaml", "js", "javascript", "json", "text", "ini", "toml"}
    for path in documents():
        for example in parse(path):
            if isinstance(example.parsed, Block):
                assert example.parsed.language in known, (
                    f"{path.name}:{example.line}: code block language {example.parsed.language!r}; "
                    f"use one of {sorted(known)} (tests/docs_runner.py runs them)")


def test_console_output_matching() -> None:
    assert _output_matches("a: ok\nb...c", "a: ok  \nb 1 2 c\n")
    assert _output_matches("x...", "x\nmore lines\n")
    assert not _output_matches("a: ok", "a: bad")
    assert not _output_matches("a", "a\nextra")


def test_docs_link_to_files_that_exist() -> None:
    import re

    for path in documents():
        prose = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", prose):
            assert (path.parent / target).exists(), f"{path.name} links to {target}, which does not exist"


def _build_docs() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "scripts" / "build_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scenario_reference_is_generated_from_the_schema() -> None:
    build = _build_docs()
    assert build.main(["--check"]) == 0, "docs/scenarios.md is stale: run python scripts/build_docs.py"  # type: ignore[attr-defined]


def test_every_schema_key_is_described_for_editors_and_the_reference() -> None:
    import json

    schema = json.loads((ROOT / "fakeopenai" / "scenario" / "scenario.schema.json").read_text())
    missing = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{path}.{key}")
            for key, value in node.items():
                if key not in ("enum", "const", "required"):
                    walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(schema, "$")
    assert not missing, f"schema keys without a description: {missing}"
    assert all("description" in definition for definition in schema["$defs"].values())


def test_ci_runs_the_readme_install_and_test_commands() -> None:
    """The README's set-up and test blocks are skipped by the doc runner because CI runs them."""
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    for command in ("pip install -e '.[dev]'", "python -m pytest"):
        assert f"\n{command}" in readme, f"README.md no longer shows {command!r}: update this test and .ci/run"
        assert f" {command}" in ci or f"\n{command}" in ci, f".ci/run does not run the README's {command!r}"
    for name, step in STEPS.items():
        assert f"\n{step.command}\n" in ci, f".ci/run does not run tests/ci_steps.py's {name!r}: {step.command}"


def test_no_doc_installs_the_unrelated_pypi_package() -> None:
    """issue 17 item 16: "fakeopenai" on the package index is an unrelated project: no doc may tell a reader to
    ``pip install fakeopenai``; docs/ci.md installs pytest-fakeopenai from the repository and says why."""
    import re

    from_index = re.compile(r"pip3? install (--?[\w-]+ )*['\"]?fakeopenai(?![\w -]*@|/)(['\"\[\s]|$)")
    for path in documents():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            warning = "unrelated" in line or "Not with" in line  # the lines that say not to
            assert warning or not from_index.search(line), \
                f"{path.name}:{number} installs the unrelated 'fakeopenai' from the package index: {line.strip()}"
    ci = (ROOT / "docs" / "ci.md").read_text()
    assert "belongs to an\nunrelated project" in ci
    # issue 24 item 16: the distribution is pytest-fakeopenai; a git URL must name it so (pip checks the name)
    assert 'pip install "pytest-fakeopenai @ git+https://' in ci and "pip install ./vendor/fakeopenai" in ci
    for text in (ci, (ROOT / "README.md").read_text()):
        assert "`pip install pytest-fakeopenai`" in text
    for path in documents():
        assert '"fakeopenai @ git+' not in path.read_text(), f"{path.name}: the distribution is pytest-fakeopenai"
    assert 'name = "pytest-fakeopenai"' in (ROOT / "pyproject.toml").read_text()
