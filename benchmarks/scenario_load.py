"""Loading (parsing, validating, building) a 1,000-step scenario.

    python -m benchmarks.scenario_load
"""

from __future__ import annotations

import statistics
import time
from typing import Any


def big_scenario(steps: int = 1000) -> str:
    lines = ["name: big", "runs:"]
    per_script = 10
    for script in range(steps // per_script):
        lines += [f"  - name: script_{script}", f'    match: {{metadata: {{case: "{script}"}}}}', "    steps:"]
        for step in range(per_script):
            kind = step % 5
            if kind == 0:
                lines.append("      - status: in_progress")
            elif kind == 1:
                lines.append(f'      - tool_calls: [{{function: lookup, arguments: {{q: "x", n: {step}}}}}]')
            elif kind == 2:
                lines.append(f'      - message: "Step {step} of script {script}."')
            elif kind == 3:
                lines.append("      - {status: in_progress, reads: 2}")
            else:
                lines.append("      - {status: queued, after: 5s}")
    return "\n".join(lines) + "\n"


def measure(repeat: int = 15) -> dict[str, Any]:
    from fakeopenai import load_scenario

    text = big_scenario()
    scenario = load_scenario(text)
    assert sum(len(s.steps) for s in scenario.runs) == 1000
    times = []
    for attempt in range(repeat):
        fresh = f"# attempt {attempt}\n{text}"  # new text each time: the parse cache must not answer
        started = time.perf_counter()
        load_scenario(fresh)
        times.append(time.perf_counter() - started)
    ms = statistics.median(times) * 1000
    return {"name": "scenario load (1,000 steps)", "ms": ms, "target": "< 50 ms", "passed": ms < 50}


def main() -> None:
    result = measure()
    print(f"{result['name']}: {result['ms']:.1f} ms (target {result['target']})")


if __name__ == "__main__":
    main()
