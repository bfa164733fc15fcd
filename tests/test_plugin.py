"""The pytest plugin as a user meets it: fixtures in their own tests, targets, and xdist.

Each run is a separate pytest process, as a user's would be.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.inprocess import PLAIN_ASSERT, run_suite

pytest_plugins = ["pytester"]

USER_TESTS = '''
import httpx

def test_simulator_fixture_answers_on_the_real_hosts(simulator):
    r = httpx.post("https://api.novita.ai/v3/minimax-voice-cloning", json={"audio_url": "x"},
                   headers={"Authorization": "Bearer k"})
    assert r.status_code == 400 and r.json()["reason"]
    assert simulator.calls[-1].endpoint_id == "novita.minimax_voice_cloning"

def test_one_provider_alone(novita_simulator):
    assert list(novita_simulator.providers) == ["novita"]

def test_client_bound_to_the_target_and_expect_audio(elevenlabs_client, expect_audio):
    from conformance.strategies import audio_bytes
    out = elevenlabs_client.speech_to_speech("JBFqnCBsd6RMkjVDRZzb", audio_bytes(3.0, "wav", 16000),
                                             output_format="mp3_44100_128")
    expect_audio(out).has_format("mp3", sample_rate=44100).duration_between(2.0, 4.5)

def test_simulator_options_can_be_overridden(simulator_server):
    assert simulator_server.sim.seed == 7

import pytest

@pytest.fixture
def simulator_options():
    return {"seed": 7}
'''


def run(pytester: pytest.Pytester, *args: str, timeout: float = 600) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", PLAIN_ASSERT, "--conformance-report", "", *args,
                                         timeout=timeout)


def test_users_get_the_simulator_client_and_audio_fixtures_without_a_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester, "-q")
    result.assert_outcomes(passed=4)


def test_live_target_without_a_key_skips_naming_the_variable(pytester: pytest.Pytester,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ELEVENLABS_API_KEY", "MODELSLAB_API_KEY", "NOVITA_API_KEY", "FASEEH_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    pytester.makepyfile(test_live='''
def test_novita(novita_client):
    raise AssertionError("must not run without a key")

def test_faseeh(faseeh_client):
    raise AssertionError("must not run without a key")
''')
    result = run(pytester, "-q", "-rs", "--conformance-target", "live")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*live novita: set NOVITA_API_KEY*", "*live faseeh: set FASEEH_API_KEY*"])


def test_the_suite_skips_live_providers_without_keys_and_says_which_variable(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASEEH_API_KEY", raising=False)
    result = run(pytester, "--pyargs", "conformance.suite", "-q", "-rs", "--conformance-target", "live",
                 "--conformance-providers", "faseeh", "--block-network")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) > 0 and not outcomes.get("failed") and not outcomes.get("passed"), outcomes
    result.stdout.fnmatch_lines(["*live faseeh: set FASEEH_API_KEY*"])


@pytest.mark.long
def test_url_target_sends_the_suite_to_a_gateway(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """``url=BASE``: the suite's requests go over HTTP to the loopback server (one provider, one base)."""
    from conformance.simulators import Simulator
    from conformance.simulators.server import serve_in_thread

    monkeypatch.setenv("NOVITA_API_KEY", "gateway-key")
    # a gateway knows its keys: the suite's wrong key must get the auth error
    with serve_in_thread(Simulator("novita", keys=["gateway-key"], unknown_urls="error", fetch_urls=True)) as server:
        result = run(pytester, "--pyargs", "conformance.suite", "-q", "-n", "2",
                     "--conformance-target", f"url={server.base_url}", "--conformance-providers", "novita",
                     "-k", "test_protocol")
        calls = list(server.sim.calls)
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 10 and not outcomes.get("failed"), "\n".join(result.outlines[-30:])
    assert {c.endpoint_id for c in calls} == {"novita.minimax_voice_cloning"}
    assert len(calls) >= outcomes["passed"]


def _outcomes(junit: Path) -> dict[str, str]:
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        out[f"{case.get('classname')}::{case.get('name')}"] = kinds[0] if kinds else "passed"
    return out


@pytest.mark.long
def test_xdist_gives_the_outcomes_of_a_serial_run(pytester: pytest.Pytester) -> None:
    common = ("--pyargs", "conformance.suite", "-q", "--conformance-providers", "faseeh")
    # serial runs in this process (tests/inprocess.py), the parallel ones start their workers as users do
    serial = run_suite(pytester, "-p", "no:cacheprovider", "--conformance-report", "", *common, "-p", "no:xdist",
                       "--junitxml", "serial.xml")
    run(pytester, *common, "-n", "2", "--junitxml", "parallel.xml")
    a, b = _outcomes(pytester.path / "serial.xml"), _outcomes(pytester.path / "parallel.xml")
    assert len(a) > 20, serial.outlines[-5:]
    assert a == b, {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
    # and a fault shows up the same way in both
    fault = ("--conformance-inject", "silent_audio@faseeh.voice_preview", "-k", "voice_preview")
    run_suite(pytester, "-p", "no:cacheprovider", "--conformance-report", "", *common, *fault, "-p", "no:xdist",
              "--junitxml", "serial-fault.xml")
    run(pytester, *common, *fault, "-n", "2", "--junitxml", "parallel-fault.xml")
    a, b = _outcomes(pytester.path / "serial-fault.xml"), _outcomes(pytester.path / "parallel-fault.xml")
    assert "failure" in a.values() and a == b


def test_live_url_audio_without_a_public_address_skips_naming_the_variable(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOVITA_API_KEY", "live-key")
    monkeypatch.delenv("VOICE_CONFORMANCE_AUDIO_BASE", raising=False)
    result = run(pytester, "--pyargs", "conformance.suite", "-q", "-rs", "--conformance-target", "live",
                 "--conformance-providers", "novita", "--block-network", "-k", "positive_data_acceptance")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*live novita: audio_url takes an audio URL*VOICE_CONFORMANCE_AUDIO_BASE*"])


def test_the_targets_provider_list_is_the_specs() -> None:
    """Targets name providers without importing the spec (the plugin must load cheaply): keep them in step."""
    from conformance import spec, target

    assert tuple(spec.providers()) == target.selected_providers(None)


def test_a_gateway_voice_is_verified_against_the_recording_the_user_names(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Off the simulator the suite cannot know a premade voice's speech: it skips speaker verification
    saying which variables name the account's voice and a recording of it, and uses them when set."""
    from conformance.simulators import Simulator
    from conformance.simulators.server import serve_in_thread
    from conformance.strategies import audio_bytes

    monkeypatch.setenv("ELEVENLABS_API_KEY", "gateway-key")
    for var in ("VOICE_CONFORMANCE_ELEVENLABS_VOICE_ID", "VOICE_CONFORMANCE_ELEVENLABS_VOICE_REFERENCE"):
        monkeypatch.delenv(var, raising=False)
    args = ("--pyargs", "conformance.suite", "-q", "-rs", "--conformance-providers", "elevenlabs",
            "-k", "test_speaker_verification")
    sim = Simulator("elevenlabs", keys=["gateway-key"])
    sim.add_voice("elevenlabs", "my-account-voice", speaker="en_slt")
    with serve_in_thread(sim) as server:
        skipped = run(pytester, *args, "--conformance-target", f"url={server.base_url}")
        skipped.assert_outcomes(skipped=1)
        skipped.stdout.fnmatch_lines(["*VOICE_CONFORMANCE_ELEVENLABS_VOICE_ID and VOICE_CONFORMANCE_ELEVENLABS_VOICE_REFERENCE*"])
        recording = pytester.path / "my-voice.wav"
        recording.write_bytes(audio_bytes(8.0, "wav", 16000, "en_slt"))
        monkeypatch.setenv("VOICE_CONFORMANCE_ELEVENLABS_VOICE_ID", "my-account-voice")
        monkeypatch.setenv("VOICE_CONFORMANCE_ELEVENLABS_VOICE_REFERENCE", str(recording))
        checked = run(pytester, *args, "--conformance-target", f"url={server.base_url}")
        checked.assert_outcomes(passed=1)
        recording.write_bytes(audio_bytes(8.0, "wav", 16000, "en_kal"))  # another speaker's recording
        wrong = run(pytester, *args, "--conformance-target", f"url={server.base_url}")
        wrong.assert_outcomes(failed=1)
    assert any("/v1/speech-to-speech/my-account-voice" in c.url for c in sim.calls)
