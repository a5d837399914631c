"""What the compat profile layer costs per rendered run (and step), side by side.

    python benchmarks/profile_overhead.py [--number 20000] [--repeat 7]

Rows, per object kind, in microseconds per object (best of ``--repeat``):

* ``renderer only``: ``render.objects.run(run)``, no profile at all;
* ``openai (before)``: the same plus ``Profile.apply`` of the profile module as it was
  before the profiles were written (the stub of commit a04e3a0, loaded from git when
  it is available, else a copy of its ``apply``), i.e. the default path before;
* ``openai (now)``: the default path now;
* one row per compat profile.

The ratio column is relative to ``renderer only``. The default path must not move:
``openai (now)`` should equal ``openai (before)`` within noise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import timeit
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from fakeopenai.core.compat.profiles import PROFILE_NAMES, get_profile
from fakeopenai.families.assistants import render as render_objects
from fakeopenai.families.assistants.objects import Run, RunStep

ROOT = Path(__file__).resolve().parent.parent

STUB_COMMIT = "a04e3a0"  # the Foundation commit: profiles.py was the no-op stub


def _old_openai_profile() -> Any:
    """The ``openai`` profile object as the code base had it before this layer existed."""
    try:
        source = subprocess.run(["git", "show", f"{STUB_COMMIT}:fakeopenai/render/profiles.py"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
        module = types.ModuleType("profiles_before")
        sys.modules[module.__name__] = module  # dataclasses resolve annotations through sys.modules
        exec(compile(source, f"{STUB_COMMIT}:profiles.py", "exec"), module.__dict__)  # noqa: S102 - our own history
        return module.get_profile("openai")
    except (OSError, subprocess.CalledProcessError):
        class _Stub:  # the stub's apply, verbatim in behaviour: one dict lookup, no rewrite
            rewrites: ClassVar[dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {}

            def apply(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
                rewrite = self.rewrites.get(kind)
                return rewrite(data) if rewrite is not None else data
        return _Stub()


def _objects() -> tuple[Run, RunStep]:
    """A completed run as tests see it most: tools of every type, metadata, usage; and its step."""
    run = Run(id="run_abc123", created_at=1735689600, thread_id="thread_abc123", assistant_id="asst_abc123",
              model="gpt-4o", instructions="You answer questions about the weather.",
              tools=[{"type": "code_interpreter"}, {"type": "file_search"},
                     {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city.",
                                                       "parameters": {"type": "object", "properties": {
                                                           "city": {"type": "string"}}, "required": ["city"]}}}],
              status="completed", started_at=1735689601, completed_at=1735689605, metadata={"case": "bench"},
              usage={"prompt_tokens": 120, "completion_tokens": 14, "total_tokens": 134})
    step = RunStep(id="step_abc123", created_at=1735689602, assistant_id="asst_abc123",
                      thread_id="thread_abc123", run_id="run_abc123", type="message_creation",
                      step_details={"type": "message_creation", "message_creation": {"message_id": "msg_abc123"}},
                      status="completed", completed_at=1735689605,
                      usage={"prompt_tokens": 0, "completion_tokens": 14, "total_tokens": 14})
    return run, step


def measure(number: int, repeat: int) -> list[tuple[str, str, float]]:
    run, step = _objects()
    before = _old_openai_profile()
    rows: list[tuple[str, str, float]] = []
    for kind, obj, renderer in (("run", run, render_objects.run), ("step", step, render_objects.run_step)):
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("renderer only", lambda r=renderer, o=obj: r(o)),  # type: ignore[misc]
            ("openai (before)", lambda r=renderer, o=obj, k=kind: before.apply(k, r(o))),  # type: ignore[misc]
        ]
        for name in PROFILE_NAMES:
            label = "openai (now)" if name == "openai" else name
            profile = get_profile(name)
            cases.append((label, lambda r=renderer, o=obj, k=kind, p=profile: p.apply(k, r(o))))  # type: ignore[misc]
        # Interleaved rounds, best per case: a busy machine slows every case alike.
        timers = [(label, timeit.Timer(fn)) for label, fn in cases]
        best = {label: float("inf") for label, _ in timers}
        for _ in range(repeat):
            for label, timer in timers:
                best[label] = min(best[label], timer.timeit(number) / number)
        rows.extend((kind, label, best[label] * 1e6) for label, _ in timers)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="calls per timing (default 20000)")
    parser.add_argument("--repeat", type=int, default=7, help="timings; the best is kept (default 7)")
    args = parser.parse_args(argv)
    rows = measure(args.number, args.repeat)
    print(f"Python {sys.version.split()[0]}; best of {args.repeat} x {args.number} calls; us per object")
    print(f"{'kind':<5} {'path':<18} {'us':>7} {'ratio':>7}")
    base: dict[str, float] = {}
    for kind, label, micros in rows:
        base.setdefault(kind, micros)
        print(f"{kind:<5} {label:<18} {micros:7.3f} {micros / base[kind]:6.2f}x")
    for kind in base:
        old = next(m for k, label, m in rows if k == kind and label == "openai (before)")
        new = next(m for k, label, m in rows if k == kind and label == "openai (now)")
        print(f"default path, {kind}: now/before = {new / old:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
