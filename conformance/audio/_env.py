"""Lazy imports of the heavy audio stack, with clear errors naming the extra to install.

Nothing here imports numpy at module import. :func:`prepare_numba_cache` points numba's on-disk
cache at a writable user cache directory *before* librosa is first imported, so a new process does
not pay librosa's JIT compile cost again and again.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

EXTRA_FOR = {
    "numpy": "audio", "scipy": "audio", "soundfile": "audio", "librosa": "audio", "pyloudnorm": "audio",
    "soxr": "audio", "torch": "speaker", "resemblyzer": "speaker", "onnxruntime": "quality",
    "speechmos": "quality", "pocketsphinx": "quality", "jiwer": "quality",
}


class MissingExtraError(ImportError):
    """A measurement needs an optional dependency that is not installed; names the extra."""


def cache_dir() -> Path:
    """The kit's user cache directory (``$XDG_CACHE_HOME/voice-conformance`` or ``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "voice-conformance"


def prepare_numba_cache() -> None:
    """Set ``NUMBA_CACHE_DIR`` to a writable user cache dir unless the user already set it."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    for candidate in (cache_dir() / "numba", Path(tempfile.gettempdir()) / f"voice-conformance-numba-{os.getuid()}"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            if os.access(candidate, os.W_OK):
                os.environ["NUMBA_CACHE_DIR"] = str(candidate)
                return
        except OSError:
            continue


def need(module: str, what: str) -> Any:
    """Import ``module`` or raise :class:`MissingExtraError` saying which extra provides it."""
    if module == "librosa" and "librosa" not in sys.modules:
        prepare_numba_cache()
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = EXTRA_FOR.get(top, "all")
        raise MissingExtraError(
            f"{what} needs {top!r}, which is not installed: pip install 'voice-conformance[{extra}]' ({exc})"
        ) from None


def import_resemblyzer() -> Any:
    """Import resemblyzer; its webrtcvad dependency still imports ``pkg_resources``, which recent
    setuptools no longer ship, so give it the one call it makes (its own version) while it imports.
    The stand-in leaves ``sys.modules`` afterwards: other code (pytest's ``syspath_prepend``) must not
    take it for the real ``pkg_resources``."""
    shim = None
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        import importlib.metadata as md

        shim = types.ModuleType("pkg_resources")
        shim.get_distribution = lambda name: types.SimpleNamespace(version=md.version(name))  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
    try:
        if "librosa" not in sys.modules:
            prepare_numba_cache()
        need("torch", "the Resemblyzer speaker encoder")
        import warnings

        with warnings.catch_warnings():  # it imports a deprecated scipy.ndimage namespace
            warnings.simplefilter("ignore", DeprecationWarning)
            return need("resemblyzer", "the Resemblyzer speaker encoder")
    finally:
        if shim is not None and sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]
