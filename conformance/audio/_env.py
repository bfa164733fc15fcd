"""Lazy imports of the heavy audio stack, with clear errors naming the extra to install.

Nothing here imports numpy at module import. No measurement imports a JIT compiler (numba): the
first run on a new machine compiles nothing (see :mod:`conformance.audio.features`).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import threading
from typing import Any

EXTRA_FOR = {
    "numpy": "audio", "scipy": "audio", "soundfile": "audio", "pyloudnorm": "audio",
    "soxr": "audio", "webrtcvad": "speaker", "onnxruntime": "quality",
    "speechmos": "quality", "pocketsphinx": "quality", "jiwer": "quality",
}


class MissingExtraError(ImportError):
    """A measurement needs an optional dependency that is not installed; names the extra."""


def need(module: str, what: str) -> Any:
    """Import ``module`` or raise :class:`MissingExtraError` saying which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = EXTRA_FOR.get(top, "all")
        raise MissingExtraError(
            f"{what} needs {top!r}, which is not installed: pip install 'voice-conformance[{extra}]' ({exc})"
        ) from None


def worker_threads(limit: int = 4) -> int:
    """Threads a measurement may use: every core (at most ``limit``) when the process has them to
    itself, one in a pytest-xdist worker (the workers already share the cores)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return 1
    return max(1, min(os.cpu_count() or 1, limit))


_ORT_IMPORT = threading.Lock()


def import_onnxruntime(what: str) -> Any:
    """onnxruntime, imported without leaving files in the user's cache folder.

    Importing onnxruntime writes a device id and a telemetry database under
    ``$XDG_CACHE_HOME/Microsoft/DeveloperTools`` (``~/.cache`` without the variable), except on a CI
    machine (it reads ``CI``, ``GITHUB_ACTIONS`` and the like) or with ``ORT_DISABLE_TELEMETRY`` set.
    The import runs with ``ORT_DISABLE_TELEMETRY=1`` (unless the user set it) and, for a release that
    does not read it, with ``XDG_CACHE_HOME`` pointed at a temporary folder removed afterwards; both
    variables are restored. Raises :class:`MissingExtraError` naming the extra when onnxruntime is not
    installed.
    """
    if sys.modules.get("onnxruntime") is not None:  # imported already: its files are written or steered
        return need("onnxruntime", what)
    with _ORT_IMPORT:
        if sys.modules.get("onnxruntime") is not None:
            return need("onnxruntime", what)
        before = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY")}
        scratch = tempfile.mkdtemp(prefix="voice-conformance-ort-")
        os.environ["XDG_CACHE_HOME"] = scratch
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        try:
            return need("onnxruntime", what)
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            shutil.rmtree(scratch, ignore_errors=True)
