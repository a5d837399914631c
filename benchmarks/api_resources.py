"""openai-python's own ``tests/api_resources`` against ``fakeopenai serve --unknown-ids generate``.

The SDK's generated suite calls every method of every resource with the fewest and with all
parameters, through ``with_raw_response`` and ``with_streaming_response``, sync and async (httpx2 and
aiohttp), with loose and strict response validation (``_strict_response_validation=True``: every
answer must parse into the SDK's types). It is written for a stateless spec mock; ``--unknown-ids
generate`` lets the fake answer the made-up ids it uses ("vector_store_id", "file_id" ...).

    python -m benchmarks.api_resources [--version 3.63.0] [--workers 2] [--work DIR] [--min-rate 90]

Prints one row per family (the top-level folder or module of ``tests/api_resources``; ``beta/`` is
split one level deeper), the pass rate, the causes of the failures, and the 5xx answers read from
the server's log. Exits 1 when the rate is under ``--min-rate`` or when any answer was a 5xx.
``.ci/run`` runs it as its own step (minutes, not seconds; the download needs PyPI).

The rate is over the tests of what the shipped spec has. Families newer than the spec (issue 26:
beta agents, live, safety, decisions, webhook endpoints) are shown but left out; so are the tests,
in the other families, of an operation newer than the spec (the SDK is newer: admin health alert
rules, external keys and storage, workload identity providers ...), which the fake answers with its
404 ``Invalid URL`` (405 ``Invalid method for URL``) as for any path its spec lacks; the figure with
them counted as failures is printed too. A test pytest skips counts neither way.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from tests.sdk_corpus import fetch_sdk, sdk_test_python, serve

# Families of the SDK newer than the shipped spec: beta agents, live, safety, decisions, webhook endpoints.
NEWER_THAN_SPEC = frozenset({"beta/agents", "live", "safety", "decisions", "webhooks"})
# The fake's answer to an operation its spec does not have (fakeopenai/http/app.py).
NOT_IN_SPEC = re.compile(r"Invalid (?:method for )?URL \((?P<operation>[A-Z]+ \S+?)\)")
LOG_LINE = re.compile(r"fakeopenai\.http: (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) ")


@dataclass
class Family:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    newer: int = 0       # failed on an operation the spec does not have
    newer_paths: collections.Counter[str] = field(default_factory=collections.Counter)
    causes: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def in_spec(self) -> bool:
        return self.name not in NEWER_THAN_SPEC


def family_of(classname: str) -> str:
    """``tests.api_resources.vector_stores.test_files.TestFiles`` -> ``vector_stores``."""
    parts = classname.split(".")[2:]   # without tests.api_resources
    if parts and parts[-1].startswith("Test"):
        parts.pop()                     # the class (a module-level test has none)
    parts = [part.removeprefix("test_") for part in parts]
    return "/".join(parts[:2]) if parts[0] == "beta" and len(parts) > 1 else parts[0]


def cause_of(message: str) -> str:
    """A failure's message with the test's own values taken out, so that failures group by cause."""
    line = message.strip().splitlines()[0] if message.strip() else "(no message)"
    line = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", line)
    line = re.sub(r"\b[0-9a-f]{8,}\b|\d+", "N", line)
    return line[:160]


def read_results(junit: Path) -> dict[str, Family]:
    families: dict[str, Family] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = family_of(case.get("classname", ""))
        family = families.setdefault(name, Family(name))
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if case.find("skipped") is not None:
            family.skipped += 1
        elif failure is not None:
            message = failure.get("message") or failure.text or ""
            outside = NOT_IN_SPEC.search(message)
            if outside:
                family.newer += 1
                family.newer_paths[outside["operation"]] += 1
            else:
                family.failed += 1
                family.causes[cause_of(message)] += 1
        else:
            family.passed += 1
    return dict(sorted(families.items()))


def read_5xx(log: Path) -> collections.Counter[str]:
    answers: collections.Counter[str] = collections.Counter()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = LOG_LINE.search(line)
        if match and match["status"].startswith("5"):
            answers[f"{match['status']} {match['method']} {match['path']}"] += 1
    return answers


def run_suite(source: Path, python: Path, work: Path, workers: int, selection: list[str]) -> tuple[Path, Path]:
    """The SDK's suite against a fresh server: the JUnit XML of the run and the server's log."""
    junit, log_path = work / "api_resources.xml", work / "serve.log"
    with open(log_path, "w", encoding="utf-8") as log, \
            serve("--unknown-ids", "generate", "--log-level", "info", log=log) as base_url:
        paths = selection or ["tests/api_resources"]
        subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:fakeopenai",
                        "-p", "no:benchmark", "-o", "addopts=", "--tb=line", "-n", str(workers),
                        f"--junitxml={junit}", *paths],
                       cwd=source, env={**os.environ, "TEST_API_BASE_URL": base_url},
                       stdout=subprocess.DEVNULL, check=False)
    return junit, log_path


def report(families: dict[str, Family], errors: collections.Counter[str], top: int) -> float:
    """Print the table, the failures' causes and the 5xx answers; returns the in-spec pass rate (%)."""
    print(f"{'family':<28}{'tests':>7}{'passed':>8}{'failed':>8}{'newer op':>10}{'skipped':>9}{'rate':>8}")
    for family in families.values():
        ran = family.passed + family.failed
        rate = f"{100 * family.passed / ran:.1f}%" if ran and family.in_spec else "-"
        note = "" if family.in_spec else "  (newer than the spec)"
        print(f"{family.name:<28}{ran + family.newer + family.skipped:>7}{family.passed:>8}{family.failed:>8}"
              f"{family.newer:>10}{family.skipped:>9}{rate:>8}{note}")
    in_spec = [family for family in families.values() if family.in_spec]
    passed = sum(family.passed for family in in_spec)
    ran = sum(family.passed + family.failed for family in in_spec)
    newer = sum(family.newer for family in in_spec)
    rate = 100 * passed / ran if ran else 0.0
    print(f"\nin the spec: {passed:,} of {ran:,} tests pass ({rate:.1f}%); {newer:,} more test operations newer "
          f"than the spec (with them as failures: {100 * passed / max(ran + newer, 1):.1f}%); "
          f"{sum(family.skipped for family in in_spec):,} skipped by the SDK's suite")
    outside: collections.Counter[str] = collections.Counter()
    for family in in_spec:
        outside.update(family.newer_paths)
    if outside:
        print(f"\noperations newer than the spec ({len(outside)}): " + ", ".join(sorted(outside)))
    causes: collections.Counter[str] = collections.Counter()
    for family in in_spec:
        causes.update({f"[{family.name}] {cause}": count for cause, count in family.causes.items()})
    if causes:
        print(f"\nfailures in in-spec families by cause (top {top}):")
        for cause, count in causes.most_common(top):
            print(f"{count:>6}  {cause}")
    print(f"\n5xx answers: {sum(errors.values())}")
    for answer, count in errors.most_common(top):
        print(f"{count:>6}  {answer}")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default="3.63.0", help="the openai-python release whose tests to run")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    parser.add_argument("--work", type=Path, help="keep the download, the venv and the results here (reused)")
    parser.add_argument("--min-rate", type=float, default=90.0, help="fail under this in-spec pass rate (%%)")
    parser.add_argument("--top", type=int, default=25, help="how many failure causes to list")
    parser.add_argument("paths", nargs="*", help="only these paths of the SDK's tests (tests/api_resources/...)")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        work = (args.work or Path(scratch)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        source = work / f"openai-{args.version}"
        if not source.is_dir():
            source = fetch_sdk(args.version, work)
        python = work / "venv" / "bin" / "python"
        if not python.exists():
            python = sdk_test_python(work)
        prepared = time.monotonic()
        junit, log = run_suite(source, python, work, args.workers, args.paths)
        families, errors = read_results(junit), read_5xx(log)
    print(f"openai-python {args.version} tests/api_resources against fakeopenai serve --unknown-ids generate "
          f"({prepared - started:.0f}s to prepare, {time.monotonic() - prepared:.0f}s to run, "
          f"{args.workers} workers)\n")
    rate = report(families, errors, args.top)
    failed = rate < args.min_rate or sum(errors.values()) > 0
    if failed:
        print(f"\nFAIL: needs >= {args.min_rate:g}% and no 5xx")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
