"""The in-process suite runner leaves this process's hypothesis profile as it found it."""

from __future__ import annotations

import pytest
from hypothesis import settings

from tests.inprocess import run_suite

pytest_plugins = ["pytester"]


@pytest.mark.parametrize("profile", [None, "smoke"])
def test_a_run_that_loads_another_profile_leaves_this_ones(pytester: pytest.Pytester, profile: str | None) -> None:
    pytester.makeconftest("from hypothesis import settings\nsettings.load_profile('thorough')\n")
    pytester.makepyfile(test_inner="""
from hypothesis import settings

def test_inner():
    assert settings.get_current_profile_name() == 'thorough'
""")
    before = settings.get_current_profile_name()
    assert before != "thorough"
    run_suite(pytester, "-q", "-p", "no:cacheprovider", profile=profile).assert_outcomes(passed=1)
    assert settings.get_current_profile_name() == before
