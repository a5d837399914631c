"""The pytest plugin, exercised the way users use it: a small test suite run by pytester."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CODE_UNDER_TEST = '''
import openai

def ask_weather(city):
    client = openai.OpenAI()          # built by the code under test, from the environment
    thread = client.beta.threads.create(messages=[{"role": "user", "content": f"Weather in {city}?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_weather")
    outputs = [{"tool_call_id": c.id, "output": "18"} for c in run.required_action.submit_tool_outputs.tool_calls]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(thread_id=thread.id, run_id=run.id,
                                                                tool_outputs=outputs)
    return client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value
'''

# An in-process inner run may find the plugin's modules imported already (by an earlier inner run in the
# same worker) and note "Module already imported so cannot be rewritten" once per module: not what the
# tests that count the plugin's own warnings are about.
NO_REWRITE_NOTES = ("-W", "ignore::pytest.PytestAssertRewriteWarning")


def test_fixture_marker_and_environment(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(weather=CODE_UNDER_TEST)
    pytester.makepyfile(test_suite='''
        import os
        import pytest
        import weather

        @pytest.mark.fake_openai(scenario="requires_action_then_complete")
        def test_code_builds_its_own_client(fake_openai):
            assert os.environ["OPENAI_BASE_URL"] == fake_openai.base_url
            assert weather.ask_weather("Paris") == "It is 18 °C and sunny in Paris."
            assert fake_openai.requests[0]["path"] == "/v1/threads"

        def test_fresh_tenant_each_test(fake_openai):
            client = fake_openai.client()
            assert client.beta.assistants.list().data == []   # nothing from the other test
            assert client.beta.assistants.create(model="gpt-4o").model == "gpt-4o"

        @pytest.mark.fake_openai("run_fails", seed=3)
        def test_positional_scenario_and_seed(fake_openai):
            assert fake_openai.scenario["name"] == "run_fails" and fake_openai.scenario["seed"] == 3

        def test_environment_is_restored():
            assert os.environ.get("OPENAI_BASE_URL") is None

        KEY_BEFORE = os.environ.get("OPENAI_API_KEY")

        def test_monkeypatch_on_top_of_the_fixture(monkeypatch, fake_openai):   # monkeypatch set up first
            monkeypatch.setenv("OPENAI_API_KEY", "sk-my-own")

        def test_the_fixture_under_monkeypatch(fake_openai, monkeypatch):
            monkeypatch.setenv("OPENAI_BASE_URL", "http://elsewhere/v1")

        def test_both_are_undone():
            assert os.environ.get("OPENAI_API_KEY") == KEY_BEFORE and os.environ.get("OPENAI_BASE_URL") is None

        @pytest.mark.fake_openai("requires_action_then_complete")
        def test_the_tenant_is_made_from_the_marker_on_first_use(fake_openai):
            registry = fake_openai.server.registry
            assert registry.peek(fake_openai.api_key) is None          # a test that never talks costs no tenant
            assert [a.id for a in fake_openai.client().beta.assistants.list()] == ["asst_weather"]
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=8)


def _lines(*lines: str) -> list[str]:
    """Report lines as exact ``fnmatch_lines`` patterns: literal text, ``{id}`` for a generated id."""
    return ["*".join(glob.escape(part) for part in line.split("{id}")) for line in lines]


WEATHER_YAML = """\
name: weather
objects:
  assistants: [{id: asst_weather, model: gpt-4o}]
runs:
  - name: weather
    steps:
      - status: in_progress
      - tool_calls: [{function: get_weather, arguments: {city: Paris}, id: call_weather}]
        expect_outputs: {call_weather: {contains: "18"}}
      - message: It is 18 C.
"""


def test_violation_fails_the_test_at_teardown_with_a_report(pytester: pytest.Pytester) -> None:
    (pytester.path / "weather.yaml").write_text(WEATHER_YAML)
    pytester.makepyfile(test_suite='''
        import pytest

        def submit(fake_openai, output):
            client = fake_openai.client()
            run = client.beta.threads.create_and_run_poll(assistant_id="asst_weather")
            client.beta.threads.runs.submit_tool_outputs(thread_id=run.thread_id, run_id=run.id,
                tool_outputs=[{"tool_call_id": "call_weather", "output": output}])

        @pytest.mark.fake_openai(scenario="weather.yaml")
        def test_sends_the_wrong_output(fake_openai):
            submit(fake_openai, "rainy")

        @pytest.mark.fake_openai(scenario="weather.yaml")
        def test_sends_a_long_wrong_output(fake_openai):
            submit(fake_openai, "cloudy, " * 100)

        @pytest.mark.fake_openai(scenario="weather.yaml")
        def test_already_failing(fake_openai):
            submit(fake_openai, "rainy")
            assert False, "the test's own failure"
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=2, failed=1, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_sends_the_wrong_output*", *_lines(
        "fakeopenai: 1 scenario violation in scenario 'weather' (weather.yaml):",
        "",
        "  1. runs[0].steps[1].expect_outputs.call_weather at weather.yaml:8:9",
        "     run:      run_{id} (script weather), tool call call_weather (get_weather)",
        "     request:  POST /v1/threads/thread_{id}/runs/run_{id}/submit_tool_outputs",
        "     expected: an output containing '18'",
        "     sent:     'rainy'",
        "     The fake failed run_{id} (last_error.code server_error): the code under test saw a failed run.",
        "",
        "What to do: make the code under test submit the tool output the scenario expects, or change the "
        "expectation at the position above if the scenario is what is wrong. fake_openai.requests lists every "
        "request the test made.")], consecutive=True)
    # What the client sent is cut at 200 characters, and says how long it was.
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_sends_a_long_wrong_output*", *_lines(
        "     expected: an output containing '18'",
        "     sent:     " + repr("cloudy, " * 25) + "… (800 characters in all)")])
    assert "test_already_failing" not in "\n".join(line for line in result.stdout.lines if "at teardown" in line)
    result.stdout.fnmatch_lines(["*the test's own failure*"])


def test_unmatched_runs_and_batches_are_reported_with_every_script_tried(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite='''
        import json

        import pytest

        SCENARIO = """
        name: two_scripts
        unmatched: error
        objects: {assistants: [{id: asst_a, model: gpt-4o}, {id: asst_b, model: gpt-4o}]}
        runs:
          - name: only_for_a
            match: {assistant_id: asst_a}
          - match: {last_message: {contains: weather}}
            times: 1
        batches:
          - match: {endpoint: /v1/embeddings}
        """
        LINE = json.dumps({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
                           "body": {"model": "gpt-4o", "messages": []}}).encode()

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_nothing_matches(fake_openai):
            client = fake_openai.client()
            run = client.beta.threads.create_and_run_poll(
                assistant_id="asst_b", thread={"messages": [{"role": "user", "content": "What time is it?"}]})
            assert run.status == "failed"
            upload = client.files.create(file=("in.jsonl", LINE), purpose="batch")
            client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                  completion_window="24h", metadata={"job": "nightly"})
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(_lines(
        "fakeopenai: 2 scenario violations in scenario 'two_scripts' (<string>):",
        "",
        "  1. runs: no run script matched run_{id} (unmatched: error)",
        "     request:  POST /v1/threads/runs",
        "     expected: a run script matching this run",
        "     sent:     run on thread_{id} with assistant asst_b, model gpt-4o, last user message 'What time is it?'",
        "     scripts tried:",
        "       - runs[0] 'only_for_a' at <string>:6:5: assistant_id is 'asst_b', not 'asst_a'",
        "       - runs[1] at <string>:8:5: last user message 'What time is it?' is not containing 'weather'",
        "     The fake failed run_{id} (last_error.code server_error): the code under test saw a failed run.",
        "",
        "  2. batches: no batch script matched batch_{id} (unmatched: error)",
        "     request:  POST /v1/batches",
        "     expected: a batch script matching this batch",
        "     sent:     batch of file-{id} to /v1/chat/completions, metadata {'job': 'nightly'}",
        "     scripts tried:",
        "       - batches[0] at <string>:11:5: endpoint is '/v1/chat/completions', not '/v1/embeddings'",
        "     The fake failed batch_{id} (errors.data[0].code server_error): the code under test saw a failed batch.",
        "",
        "What to do: change a script's match: so it fits (each script's reason is listed above), add a script, "
        "or set unmatched: default so that unscripted requests get the default script. "
        "fake_openai.requests lists every request the test made."), consecutive=True)


def test_a_script_whose_uses_ran_out_is_named_when_the_test_fails(pytester: pytest.Pytester) -> None:
    """Issue 24 item 9: once a script's times (default 1) were used up, the next run it fits got the default
    script, and the test failed only on a mismatch against generated text. The failure now says which script
    fit, what used it up and what to write; under strict: true it is a violation; a passing test is left alone."""
    pytester.makepyfile(test_suite='''
        import pytest

        SCENARIO = """
        runs:
          - name: weather
            match: {last_message: {contains: weather}}
            steps: [{message: Sunny.}]
        """

        def ask(client):
            run = client.beta.threads.create_and_run_poll(
                assistant_id=client.beta.assistants.create(model="gpt-4o").id,
                thread={"messages": [{"role": "user", "content": "weather?"}]})
            return client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_fails_on_generated_text(fake_openai):
            client = fake_openai.client()
            assert ask(client) == "Sunny."
            assert ask(client) == "Sunny."

        @pytest.mark.fake_openai(scenario=SCENARIO, strict=True)
        def test_strict(fake_openai):
            client = fake_openai.client()
            ask(client)
            ask(client)

        @pytest.mark.fake_openai(scenario=SCENARIO, strict=True)
        def test_strict_fails_on_generated_text(fake_openai):   # no teardown report then: the section says it
            client = fake_openai.client()
            assert ask(client) == ask(client)

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_passes(fake_openai):
            client = fake_openai.client()
            ask(client)
            ask(client)
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=2, failed=2, errors=1)
    assert sum("- fakeopenai -" in line for line in result.outlines) == 2
    result.stdout.fnmatch_lines(["*- fakeopenai -*", *_lines(
        "fakeopenai: in scenario 'scenario' (<string>), 1 object was answered by the default script because the "
        "script that fits had no uses left:",
        "  - runs[0] 'weather' (<string>:3:5) matched run_{id}, but its times: 1 was used up by run_{id}; the "
        "default script answered run_{id}. Give times: 2 or times: always for the script to serve it.")],
        consecutive=True)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_strict*", *_lines(
        "fakeopenai: 1 scenario violation in scenario 'scenario' (<string>):",
        "",
        "  1. runs[0] at <string>:3:5: fits run_{id}, but its uses ran out (strict: true); the default script "
        "answered it",
        "     request:  POST /v1/threads/runs",
        "     expected: a run script with uses left for run_{id}",
        "     found:    runs[0] has times: 1, used up by run_{id}; the default script answered it",
        "",
        "What to do: give the script more uses (times: N or times: always) if the test means it to serve that "
        "object too, or add a script for it. fake_openai.requests lists every request the test made.")],
        consecutive=True)
    assert "test_passes" not in "".join(line for line in result.outlines if "ERROR" in line or "FAILED" in line)


def test_strict_reports_unused_scripts(pytester: pytest.Pytester) -> None:
    (pytester.path / "weather.yaml").write_text(WEATHER_YAML + """\
  - name: never_used
    match: {model: gpt-5}
  - match: {model: gpt-6}
""")
    pytester.makepyfile(test_suite='''
        import pytest

        SCENARIO = {"runs": [{"name": "used", "times": 1, "steps": [{"status": "completed"}]},
                             {"name": "never_used", "match": {"model": "gpt-5"}}]}

        @pytest.mark.fake_openai(scenario=SCENARIO, strict=True)
        def test_uses_one_script(fake_openai):
            client = fake_openai.client()
            assistant = client.beta.assistants.create(model="gpt-4o")
            client.beta.threads.create_and_run_poll(assistant_id=assistant.id)

        @pytest.mark.fake_openai(scenario="weather.yaml", strict=True)
        def test_uses_no_script_of_a_file(fake_openai):
            pass

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_not_strict(fake_openai):
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_uses_one_script*", *_lines(
        "fakeopenai: strict scenario 'scenario' (<dict>) has 1 script the test never used:",
        "  - runs[1] 'never_used'",
        "What to do: make the test use them, remove them from the scenario, or drop strict.")], consecutive=True)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_uses_no_script_of_a_file*", *_lines(
        "fakeopenai: strict scenario 'weather' (weather.yaml) has 3 scripts the test never used:",
        "  - runs[0] 'weather' at weather.yaml:5:5",
        "  - runs[1] 'never_used' at weather.yaml:11:5",
        "  - runs[2] at weather.yaml:13:5",
        "What to do: make the test use them, remove them from the scenario, or drop strict.")], consecutive=True)


def test_strict_reports_unused_embeddings_and_moderations_entries(pytester: pytest.Pytester) -> None:
    (pytester.path / "vectors.yaml").write_text("""\
strict: true
embeddings:
  - match: {input: {equals: cat}}
    vector: [1, 0, 0]
  - match: {input: {equals: dog}}
    similar_to: cat
    similarity: 0.9
moderations:
  - match: {input: {contains: kill}}
    categories: [violence]
""")
    pytester.makepyfile(test_suite='''
        import pytest

        @pytest.mark.fake_openai(scenario="vectors.yaml")
        def test_asks_for_cat_only(fake_openai):
            client = fake_openai.client()
            client.embeddings.create(model="text-embedding-3-small", input=["cat", "bird"])

        @pytest.mark.fake_openai(scenario="vectors.yaml")
        def test_uses_every_entry(fake_openai):
            client = fake_openai.client()
            client.embeddings.create(model="text-embedding-3-small", input=["cat", "dog"])
            assert client.moderations.create(input="I will kill it").results[0].flagged
            assert [e["used"] for e in fake_openai.scenario["embeddings"]] == [1, 1]
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_asks_for_cat_only*", *_lines(
        "fakeopenai: strict scenario 'vectors' (vectors.yaml) has 2 entries the test never used:",
        "  - embeddings[1] at vectors.yaml:5:5",
        "  - moderations[0] at vectors.yaml:9:5",
        "What to do: make the test use them, remove them from the scenario, or drop strict.")], consecutive=True)


def test_bad_marker_and_bad_scenario_say_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite='''
        import pytest

        @pytest.mark.fake_openai(scenaro="default")
        def test_typo(fake_openai):
            pass

        @pytest.mark.fake_openai(scenario={"runs": [{"stpes": []}]})
        def test_bad_scenario(fake_openai):
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    output = result.stdout.str()
    assert "unknown option(s) scenaro; allowed: scenario, seed, compat, strict" in output
    assert ("fake_openai: cannot load the scenario:\n<dict>: runs[0].stpes: unknown key 'stpes'; allowed keys: "
            "name, match, times, stream, steps (did you mean 'steps'?)") in output
    assert "During handling" not in output


def test_ini_scenario_dirs(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfakeopenai_scenario_dirs = my_scenarios\n")
    pytester.mkdir("my_scenarios")
    (pytester.path / "my_scenarios" / "always_fails.yaml").write_text(
        "description: every run fails\nruns: [{times: always, steps: [{status: failed}]}]\n")
    pytester.makepyfile(test_suite='''
        import pytest

        @pytest.mark.fake_openai(scenario="always_fails")
        def test_named_from_ini(fake_openai):
            client = fake_openai.client()
            assistant = client.beta.assistants.create(model="gpt-4o")
            assert client.beta.threads.create_and_run_poll(assistant_id=assistant.id).status == "failed"
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1)


MODULE_CLIENT_SUITE = '''
    import openai
    import pytest

    kept = {}

    def test_first_builds_the_module_client(fake_openai):
        openai.beta.assistants.create(model="gpt-4o", name="first")
        assert len(fake_openai.requests) == 1
        kept["client"] = openai.OpenAI()   # made in this test: keeps this test's key

    @pytest.mark.fake_openai("requires_action_then_complete")
    def test_second_gets_its_own_tenant_through_the_module_client(fake_openai):
        assert [a.id for a in openai.beta.assistants.list()] == ["asst_weather"]   # the marker's scenario
        upload = openai.files.create(file=("in.jsonl", b"{}"), purpose="batch")
        assert upload.purpose == "batch"
        assert [r["path"] for r in fake_openai.requests] == ["/v1/assistants", "/v1/files"]

    def test_a_client_of_an_ended_test_gets_a_401_that_says_so(fake_openai):
        with pytest.raises(openai.AuthenticationError) as refused:
            kept["client"].beta.assistants.list()
        message = refused.value.message if hasattr(refused.value, "message") else str(refused.value)
        assert "test_module_client.py::test_first_builds_the_module_client, a test that has ended" in message
        assert refused.value.status_code == 401 and refused.value.code == "invalid_api_key"
        assert fake_openai.requests == []
        kept["client"].close()

    def test_module_settings_are_put_back():
        assert openai.api_key is None and openai.base_url is None and openai._client is None
        assert openai.http_client is None
'''


def test_module_level_client_talks_to_each_tests_tenant(pytester: pytest.Pytester) -> None:
    """issue 17 item 1 (openai 3.x, the main environment): ``openai.beta.assistants.create(...)`` in
    one test, then another: each goes to its own test's tenant; a client holding an ended test's key
    gets a 401 that names that test."""
    pytester.makepyfile(test_module_client=MODULE_CLIENT_SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=4)


def test_module_level_client_talks_to_each_tests_tenant_on_openai_1x(pytester: pytest.Pytester) -> None:
    """issue 17 item 1, on openai 1.x (``.venv-sdk1``, in a subprocess): the same suite passes."""
    import subprocess

    from tests.test_client_matrix import ROOT, _child_env, _sdk1_python

    python = _sdk1_python()
    pytester.makepyfile(test_module_client=MODULE_CLIENT_SUITE)
    check = "import openai; assert openai.__version__.startswith('1.'), openai.__version__"
    result = subprocess.run([str(python), "-c", check + "; import pytest, sys; sys.exit(pytest.main(sys.argv[1:]))",
                             "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", "-o",
                             "addopts=", str(pytester.path)],
                            cwd=pytester.path, env=_child_env(PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0 and "4 passed" in result.stdout, result.stdout[-5000:] + result.stderr[-2000:]


def test_marker_scenario_path_is_found_from_the_test_file_or_rootdir(pytester: pytest.Pytester) -> None:
    """issue 17 item 12: a relative marker path works whatever the current directory (pytest run from
    ``tests/`` or by an IDE), and when it is nowhere the failure lists every place it looked."""
    pytester.makeini("[pytest]\n")
    (pytester.path / "tests" / "scenarios").mkdir(parents=True)
    (pytester.path / "tests" / "scenarios" / "fails.yaml").write_text(
        "name: fails\nruns: [{times: always, steps: [{status: failed}]}]\n")
    (pytester.path / "tests" / "test_paths.py").write_text('''
import pytest

@pytest.mark.fake_openai("tests/scenarios/fails.yaml")
def test_from_rootdir(fake_openai):
    assert fake_openai.scenario["name"] == "fails"

@pytest.mark.fake_openai("scenarios/fails.yaml")
def test_from_the_test_files_folder(fake_openai):
    assert fake_openai.scenario["name"] == "fails"

@pytest.mark.fake_openai("scenarios/nowhere.yaml")
def test_nowhere(fake_openai):
    pass

@pytest.mark.fake_openai("chat_tool_loop.yaml")
def test_a_builtin_name_as_a_file(fake_openai):
    pass
''')
    for cwd in (pytester.path, pytester.path / "tests"):
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(cwd)
            result = pytester.runpytest("-p", "no:cacheprovider", str(pytester.path / "tests" / "test_paths.py"))
        result.assert_outcomes(passed=2, errors=2)
        result.stdout.fnmatch_lines(_lines("fake_openai: cannot load the scenario: " + _LOOKED_FOR,
                                           *_places_looked(pytester.path, cwd)), consecutive=True)
        result.stdout.fnmatch_lines(_lines(
            "'chat_tool_loop' is a scenario's name: give the name, without '.yaml'.",
            "A relative path is looked up from the test file's folder, then pytest's rootdir, then the current "
            "directory."), consecutive=True)



_LOOKED_FOR = "no scenario file 'scenarios/nowhere.yaml'; looked for it at:"


def _places_looked(root: Path, cwd: Path) -> list[str]:
    """The lines after :data:`_LOOKED_FOR` for a project at ``root`` with its tests in ``tests/``."""
    tests = root / "tests"
    return [f"  {tests / 'scenarios' / 'nowhere.yaml'} (the test file's folder"
            + (", the current directory)" if cwd == tests else ")"),
            f"  {root / 'scenarios' / 'nowhere.yaml'} (pytest's rootdir"
            + (", the current directory)" if cwd == root else ")"),
            "A relative path is looked up from the test file's folder, then pytest's rootdir, then the current "
            "directory."]

def test_the_fixtures_load_finds_a_relative_path_as_the_marker_does(pytester: pytest.Pytester) -> None:
    """issue 24 item 7: ``fake_openai.load("scenarios/x.yaml")`` inside a test looks next to the test file, then
    in rootdir, then in the current directory, like the marker (it used to look in the current directory only),
    whatever the current directory; when the file is nowhere, the ScenarioError lists where it looked."""
    pytester.makeini("[pytest]\n")
    (pytester.path / "tests" / "scenarios").mkdir(parents=True)
    (pytester.path / "tests" / "scenarios" / "fails.yaml").write_text(
        "name: fails\nruns: [{times: always, steps: [{status: failed}]}]\n")
    (pytester.path / "tests" / "test_load.py").write_text('''
import pytest
from fakeopenai import ScenarioError

def test_next_to_the_test_file(fake_openai):
    fake_openai.load("scenarios/fails.yaml")
    assert fake_openai.scenario["name"] == "fails"

def test_from_rootdir(fake_openai):
    fake_openai.load("tests/scenarios/fails.yaml", seed=3)
    assert fake_openai.scenario["name"] == "fails"

def test_nowhere(fake_openai):
    with pytest.raises(ScenarioError) as error:
        fake_openai.load("scenarios/nowhere.yaml")
    print(error.value)
    raise AssertionError("shown")
''')
    for cwd in (pytester.path, pytester.path / "tests"):
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(cwd)
            result = pytester.runpytest("-p", "no:cacheprovider", str(pytester.path / "tests" / "test_load.py"))
        result.assert_outcomes(passed=2, failed=1)
        result.stdout.fnmatch_lines(_lines(_LOOKED_FOR, *_places_looked(pytester.path, cwd)), consecutive=True)


def test_a_test_with_a_very_long_id_plays_the_default_scenario(pytester: pytest.Pytester) -> None:
    """A parametrized test whose id is longer than a path may be runs (the fixture looks for the file
    --fake-openai-record writes for a test, whose name is now cut, with a hash: it used to be an OSError,
    "File name too long", that errored the test)."""
    pytester.makepyfile(test_long='''
import pytest

@pytest.mark.parametrize("body", ["x" * 5000, "y" * 5000])
def test_long(fake_openai, body):
    assert fake_openai.scenario["name"] == "default"
''')
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_fake_openai_load_outside_pytest_reads_from_the_current_directory(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 24 item 7: outside the fixture, ``FakeOpenAI.load`` keeps reading a relative path from the current
    directory (not from this test file's folder, which has no such file either)."""
    from fakeopenai import FakeOpenAI, ScenarioError

    (tmp_path / "here.yaml").write_text("name: here\n")
    monkeypatch.chdir(tmp_path)
    with FakeOpenAI() as fake:
        assert fake.load("here.yaml").scenario["name"] == "here"
        monkeypatch.chdir(tmp_path.parent)
        with pytest.raises(ScenarioError, match="no such scenario file"):
            fake.load("here.yaml")


def test_bad_compat_in_the_marker_is_blamed_on_the_marker(pytester: pytest.Pytester) -> None:
    """issue 17 item 13: the scenario file has no compat key; the marker's option is what is wrong."""
    pytester.makepyfile(test_compat='''
        import pytest

        @pytest.mark.fake_openai("run_fails", compat="nope")
        def test_bad_compat(fake_openai):
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(_lines(
        "@pytest.mark.fake_openai(compat='nope'): invalid value 'nope'; allowed values: openai, zio-openai, "
        "api-openai, async-openai, oxillama, portable (did you mean 'openai'?). The option is the marker's, not "
        "the scenario's."))
    assert "run_fails.yaml" not in result.stdout.str()


def test_marker_without_the_fixture_warns(pytester: pytest.Pytester) -> None:
    """issue 17 item 20: the marker on a test that forgot the ``fake_openai`` argument does nothing; a
    warning names the test and says to add the argument (an error under ``-W error``)."""
    pytester.makepyfile(test_forgot='''
        import pytest

        @pytest.mark.fake_openai("run_fails")
        def test_forgot_the_argument():
            pass

        @pytest.mark.fake_openai("run_fails")
        def test_uses_it(fake_openai):
            pass

        @pytest.mark.fake_openai("run_fails")
        @pytest.mark.usefixtures("fake_openai")
        def test_uses_it_by_usefixtures():
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "default::pytest.PytestWarning", *NO_REWRITE_NOTES)
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(_lines(
        "{id}FakeOpenAIWarning: test_forgot.py::test_forgot_the_argument has @pytest.mark.fake_openai but does not use "
        "the fake_openai fixture, so the marker does nothing (no fake, no scenario): add a fake_openai argument to "
        "the test."))
    strict = pytester.runpytest("-p", "no:cacheprovider", "-W", "error::pytest.PytestWarning", *NO_REWRITE_NOTES)
    strict.assert_outcomes(passed=2, errors=1)


def test_a_scenario_dir_file_with_a_builtin_name_warns(pytester: pytest.Pytester) -> None:
    """issue 17 item 24: a file of ``fakeopenai_scenario_dirs`` named like a built-in is never used by
    that name (built-ins are looked up first): a warning says so."""
    pytester.makeini("[pytest]\nfakeopenai_scenario_dirs = my_scenarios\n")
    pytester.mkdir("my_scenarios")
    (pytester.path / "my_scenarios" / "run_fails.yaml").write_text("runs: [{steps: [{status: completed}]}]\n")
    pytester.makepyfile(test_shadow='''
        import pytest

        @pytest.mark.fake_openai("run_fails")
        def test_gets_the_builtin(fake_openai):
            assert fake_openai.scenario["source"].endswith("run_fails.yaml")
            assert "my_scenarios" not in fake_openai.scenario["source"]
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", *NO_REWRITE_NOTES)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(_lines(
        "{id}FakeOpenAIWarning: fakeopenai_scenario_dirs: "
        f"{pytester.path / 'my_scenarios' / 'run_fails.yaml'} is never "
        "used by name: the built-in scenario 'run_fails' has that name, and built-ins are looked up first. Rename "
        "the file, or give the marker its path."))


def test_strict_reports_faults_that_never_fired(pytester: pytest.Pytester) -> None:
    """issue 17 item 18: under ``strict``, a fault that never fired fails the test at teardown, with where it is,
    what it matches and how many requests it saw (such a fault used to go unnoticed)."""
    (pytester.path / "faults.yaml").write_text("""\
strict: true
faults:
  - match: {method: GET, path: /v1/assistants}
    status: 500
  - name: upload fails
    match: {method: POST, path: /v1/files}
    status: 500
  - match: {path: /v1/threads}
    after: 5
    status: 429
  - match: {path: /v1/threads/*/runs}
    after_events: 1
    disconnect: true
""")
    pytester.makepyfile(test_suite='''
        import openai
        import pytest

        @pytest.mark.fake_openai(scenario="faults.yaml")
        def test_fires_one_fault(fake_openai):
            client = fake_openai.client(max_retries=0)
            with pytest.raises(openai.InternalServerError):
                client.beta.assistants.list()
            client.beta.threads.create()
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_fires_one_fault*", *_lines(
        "fakeopenai: strict scenario 'faults' (faults.yaml) has 3 faults that never fired:",
        "  - faults[1] 'upload fails' at faults.yaml:5:5 (POST /v1/files): matched no request",
        "  - faults[2] at faults.yaml:8:5 (any method /v1/threads): matched 1 request, and after: 5 lets the first "
        "5 through",
        "  - faults[3] at faults.yaml:11:5 (any method /v1/threads/*/runs (streaming)): matched no request",
        "What to do: make the test send the requests they match (a stream fault matches streaming requests only), "
        "fix their match or after, remove them from the scenario, or drop strict.")], consecutive=True)


def test_the_plugin_sets_openai_base_url_only_in_tests_that_use_the_fixture(pytester: pytest.Pytester,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 17 item 17: what docs/ci.md now says of the plugin: a CI job's ``OPENAI_BASE_URL`` reaches every test
    that does not take the ``fake_openai`` fixture, before and after one that does (so ``-p no:fakeopenai`` is not
    needed for it; the docs gave that as its reason)."""
    from pathlib import Path

    job_server = "http://127.0.0.1:9/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", job_server)
    pytester.makepyfile(test_suite=f'''
        import os

        def test_before():
            assert os.environ["OPENAI_BASE_URL"] == {job_server!r}

        def test_with_the_fixture(fake_openai):
            assert os.environ["OPENAI_BASE_URL"] == fake_openai.base_url != {job_server!r}

        def test_after():
            assert os.environ["OPENAI_BASE_URL"] == {job_server!r}
    ''')
    pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning").assert_outcomes(passed=3)

    ci = (Path(__file__).resolve().parent.parent / "docs" / "ci.md").read_text()
    assert "-p no:fakeopenai tests/test_e2e.py" not in ci
    assert "acts only in tests that\n  take the `fake_openai` fixture" in ci
