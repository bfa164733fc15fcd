"""The suite is honest: silence fails every audio check that judges it, and bad options are usage errors.

Every fault on every endpoint it applies to: tests/test_fault_matrix.py. That clean simulators pass
the whole suite is proven by the README's main command (tests/test_readme.py), which runs it.
"""

from __future__ import annotations

import re

import pytest

from tests.inprocess import PLAIN_ASSERT

pytest_plugins = ["pytester"]

SUITE = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-q", "-rf", "--conformance-report", "", PLAIN_ASSERT]


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


# silence is judged by every audio check, cleanly: a failure each, no check crashing on it
SILENCE_CHECKS = {"audio_not_silent", "speaker_verification", "predicted_mos_floor", "timing_preservation"}


def test_silence_fails_every_audio_check_that_judges_it_and_crashes_none(pytester: pytest.Pytester) -> None:
    endpoint = "elevenlabs.speech_to_speech"
    result = run_suite(pytester, "-k", f"speech_to_speech and ({' or '.join(sorted(SILENCE_CHECKS))})",
                       "--conformance-inject", f"silent_audio@{endpoint}")
    log = "\n".join(result.outlines[-60:])
    assert {check for check, ep in failures(result) if ep == endpoint} == SILENCE_CHECKS, log
    assert "ParameterError" not in log and "Traceback" not in log and " error" not in log.split("====")[-1], log


def test_bad_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*SUITE, "--conformance-target", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown target 'nowhere'" in "\n".join(result.errlines + result.outlines)
    result = pytester.runpytest_subprocess(*SUITE, "--conformance-providers", "acme")
    assert "unknown provider(s) acme" in "\n".join(result.errlines + result.outlines)
