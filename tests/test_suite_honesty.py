"""The suite is honest: every injected fault makes it fail, naming the check.

That clean simulators pass the whole suite is proven by the README's main command
(tests/test_readme.py), which runs it.

Each run is a separate pytest process (the audio models load once per process). Faults on
different endpoints share a run; each fault must fail its own endpoint's expected check and leave
the other endpoints alone.
"""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["pytester"]

SUITE = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-q", "-rf", "--conformance-report", ""]


def failures(result: pytest.RunResult) -> set[tuple[str, str]]:
    """``(check, endpoint)`` of every failed suite test, from pytest's short summary."""
    out = set()
    for line in result.outlines:
        m = re.match(r"FAILED \S*::test_(\w+)\[([\w.]+)", line)
        if m:
            out.add((m.group(1), m.group(2).split("-")[0]))
        else:
            m = re.match(r"FAILED \S*::test_(\w+)", line)
            if m:
                out.add((m.group(1), ""))
    return out


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*SUITE, *args, timeout=900)


@pytest.fixture(autouse=True)
def _smoke_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failures reported as found, not shrunk: a fault fails every example alike."""
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "smoke")


# fault@endpoint → the checks that must catch it; each run keeps to that endpoint's tests (-k)
FAULTS = {
    "server_error@novita.minimax_voice_cloning": {"positive_data_acceptance"},
    "rate_limit@novita.minimax_voice_cloning": {"positive_data_acceptance"},
    "html_error_page@faseeh.voice_clone": {"positive_data_acceptance", "ignored_auth"},
    "wrong_content_type@faseeh.voice_preview": {"positive_data_acceptance", "ignored_auth"},
    "truncated_body@elevenlabs.speech_to_speech": {"positive_data_acceptance", "ignored_auth"},
    "malformed_json@modelslab.text_to_audio": {"positive_data_acceptance", "ignored_auth"},
    "wrong_error_shape@novita.minimax_voice_cloning": {"negative_data_rejection", "ignored_auth"},
    "job_failed@modelslab.voice_to_voice": {"positive_data_acceptance"},
    "wrong_sample_rate@elevenlabs.speech_to_speech": {"output_format_conformance", "duration_conformance"},
    "silent_audio@faseeh.voice_preview": {"audio_not_silent"},
    "wrong_speaker@modelslab.voice_to_voice": {"speaker_verification"},
    # a new voice's sample must be the voice cloned from the preview
    "wrong_speaker@faseeh.voice_clone": {"speaker_verification"},
}


# silence is judged by every audio check, cleanly: a failure each, no check crashing on it
SILENCE_CHECKS = {"audio_not_silent", "speaker_verification", "predicted_mos_floor", "timing_preservation"}


def test_silence_fails_every_audio_check_that_judges_it_and_crashes_none(pytester: pytest.Pytester) -> None:
    endpoint = "elevenlabs.speech_to_speech"
    result = run_suite(pytester, "-k", f"speech_to_speech and ({' or '.join(sorted(SILENCE_CHECKS))})",
                       "--conformance-inject", f"silent_audio@{endpoint}")
    log = "\n".join(result.outlines[-60:])
    assert {check for check, ep in failures(result) if ep == endpoint} == SILENCE_CHECKS, log
    assert "ParameterError" not in log and "Traceback" not in log and " error" not in log.split("====")[-1], log


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_fails_the_suite_naming_the_check(pytester: pytest.Pytester, fault: str) -> None:
    expected = FAULTS[fault]
    endpoint = fault.split("@")[1]
    select = f"{endpoint.split('.')[1]} and ({' or '.join(sorted(expected))})"
    result = run_suite(pytester, "-k", select, "--conformance-inject", fault)
    failed = failures(result)
    log = "\n".join(result.outlines[-40:])
    caught = {check for check, ep in failed if ep == endpoint}
    assert caught & expected, f"{fault} went unnoticed by {sorted(expected)}; failures: {sorted(failed)}\n{log}"
    # the same checks pass without the fault: tests/test_readme.py runs the whole suite clean


def test_bad_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*SUITE, "--conformance-target", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown target 'nowhere'" in "\n".join(result.errlines + result.outlines)
    result = pytester.runpytest_subprocess(*SUITE, "--conformance-providers", "acme")
    assert "unknown provider(s) acme" in "\n".join(result.errlines + result.outlines)
