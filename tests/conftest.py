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
