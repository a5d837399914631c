"""The command line: serve (port 0, ready line, logs, clean exit), validate, scenarios, schema, --version;
and the wheel."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from fakeopenai import __version__
from fakeopenai.doors.cli import main
from tests import venvs

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


def test_serve_warns_when_a_scenario_dir_file_has_a_builtin_name(tmp_path: Path) -> None:
    """issue 17 item 24: built-ins are looked up first, so ``run_fails.yaml`` in a ``--scenario-dir``
    is never used by that name; serve says so as it starts."""
    (tmp_path / "run_fails.yaml").write_text("runs: [{steps: [{status: completed}]}]\n")
    (tmp_path / "mine.yaml").write_text("runs: []\n")
    process, line = _serve("--scenario-dir", str(tmp_path))
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    assert line.startswith("fakeopenai serving on ")
    assert (f"--scenario-dir: {tmp_path / 'run_fails.yaml'} is never used by name: the built-in scenario "
            "'run_fails' has that name, and built-ins are looked up first. Rename the file, or load it by its "
            "path.") in stderr
    assert "mine.yaml" not in stderr


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


GOOD = "runs: [{steps: [{status: completed}]}]\n"
BAD = "runs:\n  - steps:\n      - status: complet\n"
COMPLET = ("runs[0].steps[0].status: invalid value 'complet'; allowed values: queued, in_progress, completed, "
           "failed, cancelled, expired, incomplete (did you mean 'completed'?)")


def _tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def test_validate_reads_folders_recursively_in_sorted_order(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path / "scenarios", {"b.yaml": GOOD, "a.yml": GOOD, "sub/bad.yaml": BAD,
                                          "sub/deeper/z.yaml": GOOD, "notes.txt": "not a scenario", "c.json": "{}"})
    single = _tree(tmp_path, {"single.yaml": GOOD}) / "single.yaml"

    assert main(["validate", str(single), str(root)]) == 1

    assert capsys.readouterr().out.splitlines() == [
        f"{single}: ok",
        f"{root}/a.yml: ok",
        f"{root}/b.yaml: ok",
        f"{root}/sub/bad.yaml:3:17: {COMPLET}",
        f"{root}/sub/deeper/z.yaml: ok",
        "5 files checked, 1 with errors",
    ]


def test_validate_all_good_exits_0_with_a_summary_only_for_several_files(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, {"one.yaml": GOOD, "two.yaml": GOOD})

    assert main(["validate", str(root)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{root}/one.yaml: ok", f"{root}/two.yaml: ok",
                                                    "2 files checked, all valid"]
    assert main(["validate", str(root / "one.yaml")]) == 0
    assert capsys.readouterr().out == f"{root}/one.yaml: ok\n"


def test_validate_checks_a_file_named_twice_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, {"one.yaml": GOOD})

    assert main(["validate", str(root / "one.yaml"), str(root)]) == 0
    assert capsys.readouterr().out == f"{root}/one.yaml: ok\n"


def test_validate_says_which_paths_are_missing_or_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, {"good.yaml": GOOD, "empty/readme.txt": "nothing here"})

    assert main(["validate", str(root / "good.yaml"), str(root / "nope.yaml"), str(root / "empty")]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{root}/good.yaml: ok",
        f"{root}/nope.yaml: no such file or folder",
        f"{root}/empty: no scenario files (*.yaml, *.yml) in this folder or its subfolders",
        "1 file checked, all valid; 1 path not found; 1 folder without scenario files",
    ]
    assert main(["validate", str(root / "nope.yaml")]) == 1
    assert capsys.readouterr().out == f"{root}/nope.yaml: no such file or folder\n"
    assert main(["validate", str(root / "empty")]) == 1
    assert capsys.readouterr().out == \
        f"{root}/empty: no scenario files (*.yaml, *.yml) in this folder or its subfolders\n"


def test_validate_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin1 = "name: menu\ndescription: caf\u00e9\n".encode("latin-1")
    root = _tree(tmp_path, {"latin1.yaml": latin1, "good.yaml": GOOD})

    assert main(["validate", str(root)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{root}/good.yaml: ok",
        f"{root}/latin1.yaml:2:17: this byte is not UTF-8 text; save the file as UTF-8",
        "2 files checked, 1 with errors",
    ]


def test_scenarios_show_prints_a_builtin_file_exactly() -> None:
    """Through a real process: the bytes on stdout are the file's (comments, non-ASCII and all)."""
    shown = subprocess.run([sys.executable, "-m", "fakeopenai", "scenarios", "--show",
                            "requires_action_then_complete"], capture_output=True, timeout=60)

    assert shown.returncode == 0 and shown.stderr == b""
    assert shown.stdout == (ROOT / "scenarios" / "requires_action_then_complete.yaml").read_bytes()
    assert "°C".encode() in shown.stdout and b"# the create response: queued" in shown.stdout


def test_scenarios_show_finds_names_in_scenario_dirs_and_paths(tmp_path: Path,
                                                               capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    text = b"# my scenario\r\nname: weather\r\nruns: [{steps: [{status: completed}]}]   # done\r\n"
    root = _tree(tmp_path / "mine", {"weather.yml": text, "broken.yaml": BAD})

    assert main(["scenarios", "--scenario-dir", str(root), "--show", "weather"]) == 0
    assert capsysbinary.readouterr() == (text, b"")
    assert main(["scenarios", "--show", str(root / "weather.yml")]) == 0
    assert capsysbinary.readouterr() == (text, b"")
    assert main(["scenarios", "--show", str(root / "broken.yaml")]) == 0  # shown as it is, even if invalid
    assert capsysbinary.readouterr() == (BAD.encode(), b"")
    assert main(["scenarios", "--scenario-dir", str(root), "--show", "run_fails"]) == 0  # built-ins first
    assert capsysbinary.readouterr().out == (ROOT / "scenarios" / "run_fails.yaml").read_bytes()


BUILTINS = ("batch_cancelled, batch_completes, batch_expires, batch_fails_partway, batch_validation_fails, "
            "chat_length_cut, chat_refusal, chat_stream_with_tool_call, chat_tool_loop, default, "
            "embeddings_similarity, parallel_tool_calls, rate_limited_then_ok, requires_action_then_complete, "
            "response_background_completes, "
            "response_fails, response_incomplete_max_tokens, response_tool_loop, run_cancelled, run_expires, "
            "run_fails, run_incomplete, server_errors_then_ok, slow_responses, stream_with_tool_call, strict_models")
CHOOSE = "Give one of these names or the path of a scenario file; 'fakeopenai scenarios' describes each.\n"


def test_scenarios_show_unknown_name_suggests_and_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--show", "run_fail"]) == 2
    assert capsys.readouterr() == ("", f"fakeopenai: unknown scenario 'run_fail' (did you mean 'run_fails'?)\n"
                                       f"Built-in scenarios: {BUILTINS}\n{CHOOSE}")

    root = _tree(tmp_path / "mine", {"weather.yaml": GOOD, "orders.yml": GOOD})
    assert main(["scenarios", "--scenario-dir", str(root), "--show", "wether"]) == 2
    assert capsys.readouterr() == ("", f"fakeopenai: unknown scenario 'wether' (did you mean 'weather'?)\n"
                                       f"Built-in scenarios: {BUILTINS}\nIn {root}: orders, weather\n{CHOOSE}")

    assert main(["scenarios", "--scenario-dir", str(tmp_path / "typo"), "--show", "zzz"]) == 2
    assert capsys.readouterr() == ("", f"fakeopenai: unknown scenario 'zzz'\nBuilt-in scenarios: {BUILTINS}\n"
                                       f"--scenario-dir {tmp_path / 'typo'}: no such folder\n{CHOOSE}")


def test_scenarios_show_missing_file_or_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--show", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr() == ("", f"fakeopenai: no such scenario file: '{tmp_path}/nope.yaml'; check the "
                                       "path, or give a built-in scenario's name\n")
    assert main(["scenarios", "--show", "chat_tool_loop.yaml"]) == 2
    assert capsys.readouterr().err == ("fakeopenai: no such scenario file: 'chat_tool_loop.yaml'. 'chat_tool_loop' is "
                                       "a scenario's name: give the name, without '.yaml'.\n")
    assert main(["scenarios", "--show", str(tmp_path)]) == 2
    assert capsys.readouterr() == ("", f"fakeopenai: '{tmp_path}' is a folder, not a scenario file; give the path "
                                       f"of one file in it, or --scenario-dir {tmp_path} and the scenario's name\n")


def test_schema_prints_the_shipped_json_schema(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    shipped = ROOT / "fakeopenai" / "scenario" / "scenario.schema.json"

    assert main(["schema"]) == 0
    out, err = capsysbinary.readouterr()
    assert (out, err) == (shipped.read_bytes(), b"")
    assert json.loads(out)["properties"]["runs"]

    assert main(["schema", "--path"]) == 0
    assert capsysbinary.readouterr() == (f"{shipped}\n".encode(), b"")


def test_schema_output_is_what_the_validator_uses(tmp_path: Path) -> None:
    """What an editor gets from ``fakeopenai schema > scenario.schema.json`` is the schema validate applies."""
    from fakeopenai.scenario.loader import scenario_schema

    written = subprocess.run([sys.executable, "-m", "fakeopenai", "schema"], capture_output=True, timeout=60,
                             check=True).stdout
    assert json.loads(written) == scenario_schema()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])

    assert done.value.code == 0
    assert capsys.readouterr() == (f"fakeopenai {__version__}\n", "")
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)


def test_scenarios_lists_builtins_with_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in ("default", "requires_action_then_complete", "parallel_tool_calls", "run_fails", "run_expires",
                 "run_cancelled", "run_incomplete", "stream_with_tool_call", "rate_limited_then_ok",
                 "server_errors_then_ok", "slow_responses"):
        assert f"\n{name}\n    " in "\n" + out, name


def test_wheel_ships_the_builtin_scenarios(tmp_path: Path) -> None:
    """A non-editable install (a wheel) still finds the built-in scenarios. The distribution is
    pytest-fakeopenai (issue 24 item 16: "fakeopenai" on the package index is another project); the import
    package, the CLI and the pytest plugin are fakeopenai."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("pytest_fakeopenai-*.whl")
    env_dir = tmp_path / "venv"
    # The wheel's dependencies come from this environment (a virtualenv's too, see tests/venvs.py); the
    # venv's own site-packages, where the wheel goes, comes first. Without pip of its own, python -m pip
    # runs this environment's pip, which installs into the venv.
    python = venvs.create(env_dir, with_pip=False)
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}   # the wheel's package, not a checkout's
    probe = subprocess.run(
        [str(python), "-c", "import fakeopenai, fakeopenai.scenario.loader as l; "
         "print(fakeopenai.__file__); print(l.builtin_dir()); "
         "print(l.load_scenario('requires_action_then_complete').conversations[0].name)"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert probe.returncode == 0, probe.stderr
    module_file, scenario_dir, script = probe.stdout.split()
    assert str(env_dir) in module_file and str(env_dir) in scenario_dir
    assert script == "weather"
    # the distribution's name, and what it installs under the name fakeopenai: the CLI and the pytest plugin
    metadata = subprocess.run(
        [str(python), "-c", "import json, importlib.metadata as m; d = m.distribution('pytest-fakeopenai'); "
         "print(json.dumps([d.metadata['Name'], d.version, sorted((e.group, e.name, e.value) for e in "
         "d.entry_points)]))"], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert metadata.returncode == 0, metadata.stderr
    assert json.loads(metadata.stdout) == ["pytest-fakeopenai", __version__, [
        ["console_scripts", "fakeopenai", "fakeopenai.doors.cli:main"], ["pytest11", "fakeopenai", "conftest_plugin"]]]


SERVE_HELP = " (see 'fakeopenai serve --help')\n"
LIMIT = "give a whole number of 1 or more (leave the option out for the default, {})"


@pytest.mark.parametrize("args,message", [
    (["--port", "99999"], "argument --port: '99999' is not a port: give a number from 0 to 65535 (0 picks a free one)"),
    (["--port", "-1"], "argument --port: '-1' is not a port: give a number from 0 to 65535 (0 picks a free one)"),
    (["--max-tenants", "-1"], f"argument --max-tenants: invalid value '-1': {LIMIT.format('10,000')}"),
    (["--max-tenants", "0"], f"argument --max-tenants: invalid value '0': {LIMIT.format('10,000')}"),
    (["--max-stored-bytes", "0"], f"argument --max-stored-bytes: invalid value '0': {LIMIT.format('2 GiB')}"),
    (["--scenario-dir", "/nonexistent"], "argument --scenario-dir: '/nonexistent' is not a folder that exists"),
    (["--api-key", ""], "argument --api-key: an API key cannot be empty"),
    (["--host", ""], "argument --host: the address cannot be empty"),
], ids=["port too big", "negative port", "negative max-tenants", "zero max-tenants", "zero max-stored-bytes",
        "missing scenario-dir", "empty api-key", "empty host"])
def test_serve_refuses_a_bad_option_in_one_line_with_exit_2(args: list[str], message: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """issue 17 item 10: every bad option of serve is one argparse-style line and exit status 2 (a port out of
    range was an OverflowError traceback and exit 1; -1 tenants was accepted and then refused every key; 0 for a
    limit silently meant the default; a missing --scenario-dir was accepted silently)."""
    with pytest.raises(SystemExit) as done:
        main(["serve", *args])

    assert done.value.code == 2
    assert capsys.readouterr() == ("", f"fakeopenai serve: error: {message}{SERVE_HELP}")


def test_serve_port_out_of_range_through_a_real_process() -> None:
    """issue 17 item 10: what a user at a shell sees (it was an OverflowError traceback, exit 1)."""
    process = subprocess.run([sys.executable, "-m", "fakeopenai", "serve", "--port", "99999"],
                             capture_output=True, text=True, timeout=60)
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == ("fakeopenai serve: error: argument --port: '99999' is not a port: give a number from "
                              f"0 to 65535 (0 picks a free one){SERVE_HELP}")


def test_serve_limits_of_one_are_taken_and_the_library_refuses_less(tmp_path: Path) -> None:
    """issue 17 item 10: the smallest limits work as given; ``create_app`` refuses 0 and -1 instead of reading
    0 as the default and -1 as "refuse every key"; the CLI's documented default is the server's."""
    from fakeopenai.core.tenants import DEFAULT_MAX_TENANTS as SERVER_DEFAULT
    from fakeopenai.doors.cli import DEFAULT_MAX_TENANTS, _parser
    from fakeopenai.http.app import create_app

    args = _parser().parse_args(["serve", "--max-tenants", "1", "--max-stored-bytes", "1", "--port", "65535",
                                 "--scenario-dir", str(tmp_path)])
    assert (args.max_tenants, args.max_stored_bytes, args.port, args.scenario_dir) == (1, 1, 65535, [str(tmp_path)])
    assert create_app(max_tenants=1, max_stored_bytes=1).registry.max_tenants == 1
    for limit in ("max_tenants", "max_stored_bytes"):
        for value in (0, -1):
            with pytest.raises(ValueError, match=f"{limit} must be 1 or more"):
                create_app(**{limit: value})
    assert DEFAULT_MAX_TENANTS == SERVER_DEFAULT


def test_output_cut_short_by_the_reader_is_no_traceback() -> None:
    """``fakeopenai scenarios | head -1``: the reader leaves early; the CLI stops quietly (exit 0), as Unix
    tools do, instead of printing a BrokenPipeError traceback."""
    result = subprocess.run(f"'{sys.executable}' -m fakeopenai scenarios | head -1", shell=True,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "batch_cancelled"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
