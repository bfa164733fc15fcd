"""A provider that keeps the suite waiting is waited for once per check, not once per example.

Hypothesis runs a failing test again and again to shrink and explain its failure. Each run of a
check whose endpoint timed out would wait out the timeout again: on the simulators a stuck job's
poll timeout, on a live provider ten minutes, for every attempt. The suite sends an endpoint that
timed out nothing more in that test; the test fails with the first timeout, and says so.
"""

from __future__ import annotations

import pytest

from tests.inprocess import run_suite

pytest_plugins = ["pytester"]

COUNTER = '''
import pytest


@pytest.fixture(scope="session", autouse=True)
def _count_submissions(conformance_simulator):
    yield
    sent = [c for c in conformance_simulator.calls if c.endpoint_id == "modelslab.text_to_audio"]
    with open("submitted.txt", "w") as f:
        f.write(str(len(sent)))
'''


def _stuck(pytester: pytest.Pytester, selection: str, profile: str) -> tuple[pytest.RunResult, int]:
    """The modelslab suite tests ``selection`` with every text_to_audio job stuck: the result, and how
    many requests the simulator got for that endpoint."""
    pytester.makepyfile(count_submissions=COUNTER)
    pytester.syspathinsert()
    result = run_suite(pytester, "--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-p", "count_submissions",
                       "--conformance-report", "", "--conformance-providers", "modelslab",
                       "--conformance-inject", "job_stuck@modelslab.text_to_audio", "-k", selection, profile=profile)
    return result, int((pytester.path / "submitted.txt").read_text())


def test_a_stuck_job_is_waited_for_once_and_the_test_fails_naming_it(pytester: pytest.Pytester) -> None:
    # dev: the default profile, which shrinks and explains a failure (the most runs)
    result, submitted = _stuck(pytester, "test_positive_data_acceptance and text_to_audio", "dev")
    result.assert_outcomes(failed=1)
    assert submitted == 1
    text = result.stdout.str()
    assert "JobTimeout" in text and "still processing after" in text
    assert "not sent: modelslab.text_to_audio timed out earlier in this test" in text


def test_the_next_check_sends_again(pytester: pytest.Pytester) -> None:
    """What timed out in one test is asked again in the next: each check judges what it is sent."""
    result, submitted = _stuck(pytester, "text_to_audio and (test_positive_data_acceptance or test_audio_not_silent)",
                               "smoke")
    result.assert_outcomes(failed=2)
    assert submitted == 2
