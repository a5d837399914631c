"""GET /_fake/ui in a real browser: Debian's headless Chromium (``apt-get install chromium``, which
``.ci/run`` does) driven by Playwright for Python pointed at it (never ``playwright install``).

After a scripted tool-call run (its create answered 429 first) and a batch through the official SDK,
the page shows the run's states in order, the fault, the batch's states, opens a request's body on a
click and picks up new requests by itself. It saves a screenshot and prints its path. Without
Chromium or Playwright it skips, saying which is missing; with ``FAKEOPENAI_REQUIRE_MATRIX=1`` (CI)
it fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakeopenai import FakeOpenAI
from tests.test_timeline import BATCH_STATES, RUN_STATES, SCENARIO, drive

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _browser_or_skip() -> Any:
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append(f"Debian's Chromium ({CHROMIUM}: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append("Playwright for Python (pip install -e '.[dev]')")
    if missing:
        message = "the browser test needs " + " and ".join(missing) + "; .ci/run installs both"
        if os.environ.get("FAKEOPENAI_REQUIRE_MATRIX") == "1":
            pytest.fail(message + " (FAKEOPENAI_REQUIRE_MATRIX=1: it must run, not skip)")
        pytest.skip(message)
    return sync_playwright


def test_the_page_shows_a_run_a_fault_and_a_batch(tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    with FakeOpenAI(scenario=SCENARIO) as fake:
        key = "sk-browser"
        client = fake.client(api_key=key)
        run_id, batch_id = drive(client)
        origin = fake.base_url.removesuffix("/v1")
        label = httpx.get(origin + "/_fake/timeline", headers={"Authorization": f"Bearer {key}"}).json()["tenant"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 900})
                page.goto(f"{origin}/_fake/ui#tenant={label}")
                page.wait_for_selector(f'th.lane[data-id="{run_id}"]')

                def states(object_id: str) -> list[str]:
                    return page.locator(f'.state[data-id="{object_id}"]').evaluate_all(
                        "nodes => nodes.map(n => n.dataset.status)")

                assert states(run_id) == RUN_STATES
                assert states(batch_id) == BATCH_STATES
                faulted = page.locator("tr.req", has=page.locator(".badge.fault"))
                assert faulted.count() == 1
                assert "429" in faulted.inner_text() and "rate_limited" in faulted.inner_text()
                assert page.locator("tr.req.retry").count() == 1   # the SDK's retry, shown as such
                assert page.locator(f'nav .tenant[data-tenant="{label}"]').count() == 1

                page.locator('tr.req[data-n="1"]').click()
                assert "Weather in Paris?" in page.locator("#request-body").inner_text()
                assert run_id not in page.locator("#request-body").inner_text()
                assert page.locator("#detail").is_visible()

                shot = tmp_path / "fakeopenai-timeline.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot of the timeline page: {shot}")

                rows = page.locator("tr.req").count()
                client.models.list()                        # the page refreshes by itself
                page.wait_for_selector(f'tr.req[data-n="{rows + 1}"]', timeout=5000)
                assert page.locator("#detail").is_visible()   # the open request stays open
            finally:
                browser.close()
