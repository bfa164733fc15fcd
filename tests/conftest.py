"""Shared setup of the kit's own tests.

- They run under the suite's hypothesis profiles (``ci`` when ``CI`` is set).
- pytester's in-process runs forget the modules first imported inside them, and a C extension
  cannot be loaded twice in one process: the audio stack is imported here, before any such run.
"""

import contextlib
import importlib

from conformance.profiles import register_hypothesis_profiles

register_hypothesis_profiles()

for _module in ("numpy", "scipy.signal", "soundfile", "soxr", "librosa", "lameenc"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_module)


import pytest  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked ``long`` first, each group in its own order. pytest-xdist's worksteal hands
    each worker a contiguous half and a worker keeps the last tests it holds: with a long test last in
    the list, one worker ran it alone while the other sat idle (15 % of two cores' time)."""
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def _fresh_secret_registry():
    """Each test starts with the secrets registered before it: a key one test's client registered (and
    the kit then masks for the rest of the process, as it should for a user) does not mask another's text."""
    from conformance import secrets

    saved = dict(secrets._runtime)
    yield
    secrets._runtime.clear()
    secrets._runtime.update(saved)
