"""Running the shipped suite in the test's own process (pytester), leaving the process as it was.

A new process loads Python, hypothesis and the audio models again (2–3 s a run). In this process the
suite's conftest loads its hypothesis profile (from ``HYPOTHESIS_PROFILE``, else ``dev`` or ``ci``),
which would stay loaded for the kit's own tests after it: the profile before the run is loaded again.
"""

from __future__ import annotations

import pytest


def run_suite(pytester: pytest.Pytester, *args: str, profile: str | None = None) -> pytest.RunResult:
    """``pytester.runpytest_inprocess(*args)`` under hypothesis ``profile`` (or the suite's own choice),
    with this process's profile restored afterwards."""
    from hypothesis import settings

    from conformance.profiles import register_hypothesis_profiles

    before = settings.get_current_profile_name()
    with pytest.MonkeyPatch.context() as env:
        if profile is not None:
            env.setenv("HYPOTHESIS_PROFILE", profile)
            register_hypothesis_profiles()  # the suite's conftest does this only where it is imported first
        try:
            return pytester.runpytest_inprocess(*args)
        finally:
            settings.load_profile(before)
