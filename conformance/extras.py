"""Optional parts of the kit, and the one line that names the extra a missing module belongs to.

The core install (clients, spec, plugin, strategies' request data) needs no audio stack. Audio
measurement, the simulators' audio, speaker verification, predicted MOS, cassettes and parallel
runs come with extras; when one is missing, the kit says which to install instead of a traceback::

    >>> explain(ModuleNotFoundError("No module named 'lameenc'", name="lameenc"))  # doctest: +SKIP
    "the simulators' audio needs the 'simulator' extra (module lameenc is missing): pip install 'voice-conformance[simulator]'"
"""

from __future__ import annotations

DIST = "voice-conformance"

# top-level module -> (extra, what needs it). tests/test_guest.py holds it against the extras
# declared in the distribution's metadata.
MODULES: dict[str, tuple[str, str]] = {
    "numpy": ("audio", "audio measurement"),
    "scipy": ("audio", "audio measurement"),
    "soundfile": ("audio", "audio measurement"),
    "soxr": ("audio", "audio measurement"),
    "pyloudnorm": ("audio", "loudness measurement"),
    "webrtcvad": ("speaker", "speaker verification (voice-activity detection)"),
    "speechmos": ("quality", "predicted MOS (DNSMOS)"),
    "onnxruntime": ("quality", "predicted MOS (DNSMOS)"),
    "pocketsphinx": ("quality", "intelligibility (speech recognition)"),
    "jiwer": ("quality", "intelligibility (word error rate)"),
    "lameenc": ("simulator", "the simulators' audio"),
    "uvicorn": ("simulator", "the loopback simulator server"),
    "threadpoolctl": ("simulator", "the simulators' audio"),
    "vcr": ("cassettes", "cassettes"),
    "yaml": ("cassettes", "cassettes"),
    "xdist": ("parallel", "worker processes (-n)"),
}


class MissingExtra(ModuleNotFoundError):
    """A module of an optional extra is not installed; the message names the extra to install."""


def install_hint(extra: str) -> str:
    return f"pip install '{DIST}[{extra}]'"


def explain(exc: BaseException) -> str | None:
    """The one-line explanation of ``exc`` when it is a missing module of an extra, else ``None``."""
    if isinstance(exc, MissingExtra):
        return str(exc)
    if not isinstance(exc, ModuleNotFoundError):
        return None
    top = (exc.name or "").split(".")[0]
    if top not in MODULES or exc.name != top:  # a broken installation of a package is not a missing extra
        return None
    import importlib.util

    if importlib.util.find_spec(top) is not None:
        return None
    extra, purpose = MODULES[top]
    return f"{purpose} needs the '{extra}' extra (module {top} is missing): {install_hint(extra)}"


def require(module: str) -> None:
    """Raise :class:`MissingExtra` naming the extra when ``module`` (a key of :data:`MODULES`) cannot load."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        message = explain(ModuleNotFoundError(f"No module named {module!r}", name=module))
        raise MissingExtra(message or f"No module named {module!r}", name=module)
