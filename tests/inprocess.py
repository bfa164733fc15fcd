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


# For a pytest run in a new process whose assertion text is not what the test checks: pytest rewrites
# the assertions of every module of every plugin's package (hypothesis, anyio, respx…) as it imports
# them, again in each process where bytecode is not kept (PYTHONDONTWRITEBYTECODE): 1.5 s a process,
# and as much in each of its xdist workers. Runs that check what users see of a failure, or that
# nothing warns in a user's project, keep pytest's default.
PLAIN_ASSERT = "--assert=plain"
