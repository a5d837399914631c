"""One tenant's big batch never stalls another tenant (issue 18): against a real ``fakeopenai
serve`` process, tenant B reads a thread every 5 ms through the SDK while tenant A's batch is
uploaded, created, polled to ``completed`` and downloaded through the SDK; B's slowest answer
must stay under 50 ms.

A correctness bar with a wide margin, not a timing benchmark: built at once on the event loop,
as it was before, the answers of this batch held every other request for about a second (the
50,000-line figure, 2.4 s, is in ``python -m benchmarks``, row 5b). 20,000 lines keep this test
within a few seconds and still hold a stalling server 15 times past the bound. On a machine
shared with other work the OS may not schedule the server for a while whatever it does, so a
run over the bound is measured once more; a real stall (hundreds of ms) fails both.
"""

from __future__ import annotations

import warnings

from benchmarks import tenant_stall
from benchmarks.batch_scale import input_file
from benchmarks.servers import fakeopenai_server

LINES = 20_000


def test_a_big_batch_does_not_stall_another_tenant() -> None:
    import openai

    with warnings.catch_warnings(), fakeopenai_server() as (_proc, base_url):
        warnings.simplefilter("ignore", DeprecationWarning)   # the Assistants API (threads) is deprecated
        # First use of a route loads its schemas once per server: not one tenant's work.
        warm = openai.OpenAI(base_url=base_url, api_key="sk-stall-warmup", max_retries=0)
        tenant_stall.batch_flow(warm, input_file(10), 10)
        warm.close()
        runs = [tenant_stall.measure_at(base_url, LINES)]
        if runs[0].worst_ms > tenant_stall.BOUND_MS:
            runs.append(tenant_stall.measure_at(base_url, LINES))
    best = min(runs, key=lambda run: run.worst_ms)
    figures = "; ".join(f"worst {r.worst_ms:.1f} ms, median {r.median_ms:.1f} ms over {r.reads} reads, "
                        f"flow {r.flow_s:.2f} s" for r in runs)
    print(f"tenant B while a {LINES:,}-line batch completed: {figures}")
    assert best.reads >= 10, figures
    assert best.worst_ms <= tenant_stall.BOUND_MS, f"tenant B waited on tenant A's batch: {figures}"
