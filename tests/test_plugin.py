"""The pytest plugin, exercised the way users use it: a small test suite run by pytester."""

from __future__ import annotations

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
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=4)


def test_violation_fails_the_test_at_teardown_with_a_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite='''
        import pytest

        SCENARIO = """
        objects: {assistants: [{id: asst_weather, model: gpt-4o}]}
        runs:
          - steps:
              - tool_calls: [{function: get_weather, arguments: {city: Paris}, id: call_weather}]
                expect_outputs: {call_weather: {contains: "18"}}
        """

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_sends_the_wrong_output(fake_openai):
            client = fake_openai.client()
            run = client.beta.threads.create_and_run_poll(assistant_id="asst_weather")
            client.beta.threads.runs.submit_tool_outputs(thread_id=run.thread_id, run_id=run.id,
                tool_outputs=[{"tool_call_id": "call_weather", "output": "rainy"}])

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_already_failing(fake_openai):
            client = fake_openai.client()
            run = client.beta.threads.create_and_run_poll(assistant_id="asst_weather")
            client.beta.threads.runs.submit_tool_outputs(thread_id=run.thread_id, run_id=run.id,
                tool_outputs=[{"tool_call_id": "call_weather", "output": "rainy"}])
            assert False, "the test's own failure"
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_sends_the_wrong_output*"])
    output = result.stdout.str()
    assert "fakeopenai: 1 scenario violation(s) in scenario 'scenario':" in output
    assert ("  - runs[0].steps[0].expect_outputs.call_weather: expected containing '18'; the client sent 'rainy'"
            in output)
    assert "Fix the code under test, or the scenario's expectations" in output
    assert "test_already_failing" not in "\n".join(line for line in result.stdout.lines if "at teardown" in line)
    result.stdout.fnmatch_lines(["*the test's own failure*"])


def test_strict_reports_unused_scripts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite='''
        import pytest

        SCENARIO = {"runs": [{"name": "used", "times": 1, "steps": [{"status": "completed"}]},
                             {"name": "never_used", "match": {"model": "gpt-5"}}]}

        @pytest.mark.fake_openai(scenario=SCENARIO, strict=True)
        def test_uses_one_script(fake_openai):
            client = fake_openai.client()
            assistant = client.beta.assistants.create(model="gpt-4o")
            client.beta.threads.create_and_run_poll(assistant_id=assistant.id)

        @pytest.mark.fake_openai(scenario=SCENARIO)
        def test_not_strict(fake_openai):
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=2, errors=1)
    assert "strict scenario 'scenario' has scripts that were never used:\n  - never_used" in result.stdout.str()


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
