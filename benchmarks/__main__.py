"""Every benchmark, one table: ``python -m benchmarks [--quick]``.

Each figure is a ratio measured side by side in the same run (absolute medians shown
for context). ``--quick`` uses small counts and checks no thresholds: CI runs it to
prove the benchmarks still work, not to time them.

The openai-responses comparison needs its own virtualenv (openai-responses requires
openai<3)::

    python -m benchmarks --setup     # creates .venv-bench with openai==2.54.0 + openai-responses
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".venv-bench"
BENCH_PYTHON = BENCH_VENV / "bin" / "python"


def setup_venv() -> None:
    """``.venv-bench``: its own openai 2.x and openai-responses over the packages of the Python running
    this (fakeopenai, uvicorn, ...), a virtualenv's included (tests/venvs.py; not --system-site-packages);
    and aimock (``npm ci`` in benchmarks/aimock, the version its lock file pins) for row 8."""
    from benchmarks import peers
    from tests import venvs

    python = venvs.create(BENCH_VENV)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "openai==2.54.0", "openai-responses"],
                   check=True)
    peers.setup_aimock()


def _row(name: str, fake: str, base: str, ratio: float | None, target: str, passed: bool | None) -> list[str]:
    verdict = "-" if passed is None else ("yes" if passed else "NO")
    return [name, fake, base, f"{ratio:.2f}x" if ratio is not None else "-", target, verdict]


def run_all(quick: bool) -> list[list[str]]:
    from benchmarks import (
        batch_scale,
        fixture_overhead,
        media,
        peers,
        profile_overhead,
        record_proxy,
        responses_flow,
        scenario_load,
        sdk_flow,
        tenant_stall,
        throughput,
    )

    rows: list[list[str]] = []

    flow = sdk_flow.measure(rounds=3 if quick else 200)
    rows.append(_row(f"1. SDK tool-call flow ({flow['requests_per_flow']} requests)", f"{flow['fake_ms']:.2f} ms",
                     f"{flow['bare_ms']:.2f} ms bare Starlette", flow["ratio"], flow["target"], flow["passed"]))

    chat = sdk_flow.measure_chat(rounds=3 if quick else 300)
    rows.append(_row("   chat.completions.create per call", f"{chat['fake_ms']:.2f} ms",
                     f"{chat['bare_ms']:.2f} ms bare Starlette", chat["ratio"], chat["target"], chat["passed"]))
    loop = responses_flow.measure(rounds=3 if quick else 200)
    rows.append(_row(f"   SDK background response tool loop ({loop['requests_per_flow']} requests)",
                     f"{loop['fake_ms']:.2f} ms", f"{loop['bare_ms']:.2f} ms bare Starlette", loop["ratio"],
                     loop["target"], loop["passed"]))

    if BENCH_PYTHON.exists():
        out = subprocess.run([str(BENCH_PYTHON), "-m", "benchmarks.fixture_client", "--json", "--rounds",
                              "5" if quick else "300"], check=True, capture_output=True, text=True, cwd=ROOT)
        client, chat_client = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(_row(f"2. fixture client per call (openai {client['openai']})", f"{client['fake_us']:.0f} us",
                         f"{client['openai_responses_us']:.0f} us openai-responses", client["ratio"],
                         client["target"], client["passed"]))
        rows.append(_row("   fixture client, chat.completions.create", f"{chat_client['fake_us']:.0f} us",
                         f"{chat_client['openai_responses_us']:.0f} us openai-responses", chat_client["ratio"],
                         chat_client["target"], chat_client["passed"]))
    else:
        rows.append(_row("2. fixture client per call", "skipped", "run: python -m benchmarks --setup", None, "", None))

    overhead = fixture_overhead.measure(tests=40 if quick else 400, repeat=1 if quick else 3)
    rows.append(_row("3. fixture overhead per test", f"{overhead['per_test_ms']:.2f} ms", "test without fixture",
                     None, "< 2 ms", overhead["per_test_ms"] < 2))
    rows.append(_row("   session server start (warm / cold)",
                     f"{overhead['server_start_ms']:.0f} / {overhead['cold_start_ms']:.0f} ms",
                     "cold: a fresh process, imports included", None, "< 300 ms",
                     overhead["cold_start_ms"] < 300))

    load = throughput.measure(seconds=0.2 if quick else 3.0, slices=1 if quick else 3)
    rows.append(_row("4. throughput, run retrieves, 32 clients", f"{load['fake_rps']:.0f} req/s",
                     f"{load['bare_rps']:.0f} req/s bare Starlette", load["ratio"], load["target"], load["passed"]))

    sizes = batch_scale.QUICK_SIZES if quick else batch_scale.SIZES
    batches = [batch_scale.measure(lines) for lines in sizes]
    base = batches[0]
    for row in batches:
        linear = row.total / (base.total * row.lines / base.lines)
        within = row.total <= batch_scale.BUDGET_SECONDS and row.peak_rss_mb <= batch_scale.BUDGET_RSS_MB
        rows.append(_row(f"5. batch {row.lines:,} lines end to end", f"{row.total:.2f} s, {row.peak_rss_mb:.0f} MB",
                         f"{linear:.2f} of linear vs {base.lines:,}", None, "<= 10 s, <= 400 MB at 50k",
                         within if row.lines == 50_000 else None))

    stall = tenant_stall.measure(tenant_stall.QUICK_LINES if quick else tenant_stall.LINES)
    rows.append(_row(f"5b. tenant B's worst wait during a {stall.lines:,}-line batch",
                     f"{stall.worst_ms:.1f} ms", f"median {stall.median_ms:.1f} ms, {stall.reads} reads", None,
                     f"<= {tenant_stall.BOUND_MS:.0f} ms", None if quick else stall.worst_ms <= tenant_stall.BOUND_MS))

    scenario = scenario_load.measure(repeat=3 if quick else 15)
    rows.append(_row("6. scenario load, 1,000 steps", f"{scenario['ms']:.1f} ms", "", None, "< 50 ms",
                     scenario["passed"]))

    profiles = profile_overhead.measure(number=2000 if quick else 20000, repeat=3 if quick else 7)
    for kind in ("run", "step"):
        old = next(m for k, label, m in profiles if k == kind and label == "openai (before)")
        new = next(m for k, label, m in profiles if k == kind and label == "openai (now)")
        rows.append(_row(f"   compat layer, default path ({kind})", f"{new:.2f} us", f"{old:.2f} us before",
                         new / old, "~1.0x", None))

    proxy = record_proxy.measure(rounds=5 if quick else 300)
    rows.append(_row("7. record proxy, added per request", f"{proxy['added_ms']:.2f} ms",
                     f"{proxy['direct_ms']:.2f} ms direct", None, proxy["target"], None if quick else proxy["passed"]))

    rows += peer_rows(peers, quick)
    rows += media_rows(media, quick)
    return rows


def peer_rows(peers: Any, quick: bool) -> list[list[str]]:
    """Row 8: one request against aimock (the fastest peer) and the bare app, raw and through the SDK."""
    rows: list[list[str]] = []
    raw = peers.measure_raw(rounds=3 if quick else 200, per_round=5 if quick else 20, warmup=20 if quick else 3000)
    us = raw["us"]

    def against(name: str, fake: float, base: float | None, label: str, target: float) -> list[str]:
        if base is None:
            return _row(name, f"{fake:.0f} us", f"aimock skipped: {raw['aimock_missing']}", None, "", None)
        ratio = fake / base
        return _row(name, f"{fake:.0f} us", f"{base:.0f} us {label}", ratio, f"<= {target:g}x",
                    None if quick else ratio <= target)

    rows.append(against("8. chat completion, raw keep-alive socket", us["fakeopenai"], us.get("aimock"),
                        f"aimock {peers.AIMOCK_VERSION}", 1.0))
    rows.append(against("   the same request", us["fakeopenai"], us["bare"], "bare Starlette", peers.BARE_TARGET))
    for row in peers.measure_sdk(rounds=3 if quick else 100, per_round=3 if quick else 10,
                                 warmup=10 if quick else 500):
        us = row["us"]
        if row["peer"]:
            rows.append(against(f"   SDK {row['call']}", us["fakeopenai"], us.get("aimock"),
                                f"aimock {peers.AIMOCK_VERSION}", 1.0))
        else:
            rows.append(against(f"   SDK {row['call']} (aimock has none)", us["fakeopenai"], us["bare"],
                                "bare Starlette", peers.BARE_TARGET))
    return rows


def media_rows(media: Any, quick: bool) -> list[list[str]]:
    """Row 9: a 1024x1024 picture and 10 s of speech in each format through the SDK, the median per call."""
    result = media.measure(rounds=3 if quick else 30)
    return [_row(("9. media: " if number == 0 else "   ") + label, f"{median:.2f} ms",
                 f"first call {first:.0f} ms (imports, empty caches)", None, result["target"], None if quick else met)
            for number, (label, median, first, met) in enumerate(media.rows(result))]


def render(rows: list[list[str]]) -> str:
    head = ["benchmark", "fakeopenai", "baseline", "ratio", "target", "met"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark and print one table.")
    parser.add_argument("--quick", action="store_true", help="small counts, no thresholds (CI)")
    parser.add_argument("--setup", action="store_true", help="create .venv-bench for the openai-responses row")
    args = parser.parse_args()
    if args.setup:
        setup_venv()
        return 0
    import os

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{'quick mode (no thresholds)' if args.quick else 'full run'}", flush=True)
    print(render(run_all(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
