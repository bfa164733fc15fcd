"""The shipped suite's hypothesis profiles (``dev``, ``ci``, ``thorough``, ``smoke``).

Loaded by the suite, by cassette recording and replay, and by the kit's own tests; never for a
user's own tests, whose hypothesis settings stay theirs.
"""

from __future__ import annotations

import os


def register_hypothesis_profiles(default: str | None = None) -> None:
    """The shipped suite's profiles: ``dev`` (quick), ``ci`` (derandomized, used when ``CI`` is set),
    ``thorough`` and ``smoke`` (a first look: five derandomized examples, failures reported as found,
    not shrunk). None keeps an example database: the suite writes nothing in the user's folder.

    ``HYPOTHESIS_PROFILE`` picks one; else ``ci`` under ``CI``; else ``default`` (the suite's ``dev``).
    Called by the suite (and the kit's own tests), never for a user's tests: their settings are theirs.
    """
    from hypothesis import HealthCheck, Phase, settings

    common = {"deadline": None, "database": None,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much,
                                        HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]}
    settings.register_profile("dev", max_examples=10, **common)
    settings.register_profile("ci", max_examples=10, derandomize=True, print_blob=True,
                              phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink], **common)
    settings.register_profile("thorough", max_examples=200, **common)
    settings.register_profile("smoke", max_examples=5, derandomize=True, phases=[Phase.explicit, Phase.generate],
                              **common)
    chosen = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else default)
    if chosen:
        settings.load_profile(chosen)
