"""The command line: serve (port 0, ready line, logs, clean exit), validate, scenarios; and the wheel."""

from __future__ import annotations

import signal
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from fakeopenai.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()  # type: ignore[union-attr]
    return process, line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_ready_line_logs_and_exits_cleanly(sig: signal.Signals,
                                                       checked_http: Callable[..., httpx.Client]) -> None:
    process, line = _serve("--scenario", "requires_action_then_complete", "--seed", "9")
    try:
        assert line.startswith("fakeopenai serving on http://127.0.0.1:") and line.endswith("/v1")
        base_url = line.split()[-1]
        http = checked_http(headers={"Authorization": "Bearer sk-secret-key-123"})
        thread = http.post(base_url + "/threads", json={}).json()
        run = http.post(f"{base_url}/threads/{thread['id']}/runs", json={"assistant_id": "asst_weather"}).json()
        http.get(f"{base_url}/threads/{thread['id']}/runs/{run['id']}")
    finally:
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"POST /v1/threads/{thread['id']}/runs 200" in stderr
    assert f"{run['id']} queued -> in_progress (step 2/5)" in stderr
    assert "sk-secret-key-123" not in stderr


def test_serve_refuses_a_bad_scenario() -> None:
    process = subprocess.run([sys.executable, "-m", "fakeopenai", "serve", "--scenario", "no_such_thing"],
                             capture_output=True, text=True, timeout=30)
    assert process.returncode == 2
    assert "unknown scenario 'no_such_thing'" in process.stderr


def test_serve_warns_when_not_on_loopback() -> None:
    process, line = _serve("--host", "0.0.0.0", "--no-control")
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    assert line.startswith("fakeopenai serving on http://0.0.0.0:")
    assert "binding to 0.0.0.0: anyone who can reach this address can use the fake" in stderr


def test_validate_reports_file_line_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("runs: [{steps: [{status: completed}]}]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("runs:\n  - steps:\n      - status: complet\n")
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{good}: ok"
    assert out[1].startswith(f"{bad}:3:17: runs[0].steps[0].status: invalid value 'complet'; allowed values:")
    assert main(["validate", str(good)]) == 0


def test_scenarios_lists_builtins_with_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in ("default", "requires_action_then_complete", "parallel_tool_calls", "run_fails", "run_expires",
                 "run_cancelled", "run_incomplete", "stream_with_tool_call", "rate_limited_then_ok",
                 "server_errors_then_ok", "slow_responses"):
        assert f"\n{name}\n    " in "\n" + out, name


def test_wheel_ships_the_builtin_scenarios(tmp_path: Path) -> None:
    """A non-editable install (a wheel) still finds the built-in scenarios."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("fakeopenai-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    probe = subprocess.run(
        [str(python), "-c", "import fakeopenai, fakeopenai.scenario.loader as l; "
         "print(fakeopenai.__file__); print(l.builtin_dir()); "
         "print(l.load_scenario('requires_action_then_complete').runs[0].name)"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    module_file, scenario_dir, script = probe.stdout.split()
    assert str(env_dir) in module_file and str(env_dir) in scenario_dir
    assert script == "weather"
