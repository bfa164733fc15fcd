"""The kit's real speech: several distinct speakers, several sentences each, with provenance.

The files ship inside the package, in ``conformance/fixtures/speech/<speaker_id>/<nn>.wav`` (mono
16-bit WAV at the source's own rate), listed in ``speech/manifest.json``; ``conformance/fixtures/README.md``
states where every file comes from and its licence, and the repository's ``scripts/make_fixtures.py``
regenerates them. ``$VOICE_CONFORMANCE_FIXTURES`` points the kit at another folder of the same shape.

>>> from conformance.audio import corpus
>>> [s.id for s in corpus.speakers() if s.wideband]          # doctest: +SKIP
['en_slt', 'cs_dita', 'cs_machac', 'cs_krb', 'en_alsa']
>>> y, sr = corpus.load(corpus.clips("en_slt")[0], sr=16000)  # float32 mono, 16 kHz
>>> x = corpus.make_clip("en_slt", 4.0, 44100)                # exactly 176400 samples of her speech

**Wide-band speakers.** ``SpeakerInfo.sample_rate`` is the rate the source really produced (nothing
is resampled when the fixtures are made), and ``SpeakerInfo.bandwidth_hz`` is the highest frequency
the source can carry (``sample_rate / 2``). Audio meant to be *declared* at 44.1 or 48 kHz and still
pass the effective-bandwidth check of :func:`conformance.audio.analyze` must come from a speaker with
``wideband`` true (source rate ≥ 32 kHz, measured speech content above 10 kHz): ``en_slt`` (32 kHz),
``cs_dita``, ``cs_machac``, ``cs_krb`` (32 kHz) and ``en_alsa`` (48 kHz, a real recording). The
16 kHz speakers (``en_kal``, ``en_ked``, ``en_awb``, ``en_rms``, ``en_librivox``) carry nothing above
8 kHz: upsampled and declared at 44.1 kHz they are exactly what the check must catch.

Importing this module is light (no numpy); :func:`load` and :func:`make_clip` import numpy,
soundfile and (to change rate) soxr or scipy on first use.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

ENV_VAR = "VOICE_CONFORMANCE_FIXTURES"
WIDEBAND_MIN_RATE = 32000


@dataclass(frozen=True)
class SpeakerInfo:
    """One speaker of the corpus. ``sample_rate`` is the source's real rate in Hz."""

    id: str
    description: str
    gender: str | None
    language: str
    source_package: str
    licence: str
    kind: str  # "synthetic" or "recording"
    sample_rate: int

    @property
    def bandwidth_hz(self) -> float:
        """Highest frequency the source can carry (Nyquist of its real rate), Hz."""
        return self.sample_rate / 2

    @property
    def wideband(self) -> bool:
        """True when the speech really holds content above 8 kHz (source rate ≥ 32 kHz)."""
        return self.sample_rate >= WIDEBAND_MIN_RATE


@dataclass(frozen=True)
class Clip:
    """One recorded or synthesised sentence: absolute ``path``, ``duration`` in s, ``text`` if known."""

    speaker: str
    path: Path
    duration: float
    sample_rate: int
    text: str | None


def fixtures_dir() -> Path:
    """The fixtures folder: ``$VOICE_CONFORMANCE_FIXTURES`` if set, else the one shipped in the package."""
    return _fixtures_dir(os.environ.get(ENV_VAR) or None)


@lru_cache(maxsize=8)
def _fixtures_dir(env: str | None) -> Path:
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parents[1] / "fixtures"


@lru_cache(maxsize=4)
def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "speech" / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"speech manifest not found: {path} ({ENV_VAR} names a folder without "
                                f"speech/manifest.json; unset it to use the fixtures shipped with the kit)"
                                if os.environ.get(ENV_VAR) else f"speech manifest not found: {path} (the "
                                f"installation is incomplete: reinstall voice-conformance)")
    return json.loads(path.read_text(encoding="utf-8"))


def speakers() -> list[SpeakerInfo]:
    """Every speaker of the corpus, in manifest order."""
    return list(_speakers(fixtures_dir()))


@lru_cache(maxsize=4)
def _speakers(folder: Path) -> tuple[SpeakerInfo, ...]:
    return tuple(
        SpeakerInfo(id=s["id"], description=s["description"], gender=s.get("gender"),
                    language=s["language"], source_package=s["source_package"], licence=s["licence"],
                    kind=s.get("kind", "synthetic"), sample_rate=int(s["sample_rate"]))
        for s in _manifest(folder)["speakers"]
    )


def speaker(speaker_id: str) -> SpeakerInfo:
    """One speaker by id; ``KeyError`` names the known ids."""
    for s in speakers():
        if s.id == speaker_id:
            return s
    raise KeyError(f"unknown speaker {speaker_id!r}; known: {', '.join(s.id for s in speakers())}")


def clips(speaker_id: str) -> list[Clip]:
    """The clips of one speaker, in order."""
    speaker(speaker_id)  # raise a clear KeyError for unknown ids
    folder = fixtures_dir() / "speech"
    return [
        Clip(speaker=c["speaker"], path=folder / c["path"], duration=float(c["duration"]),
             sample_rate=int(c["sample_rate"]), text=c.get("text"))
        for c in _manifest(fixtures_dir())["clips"] if c["speaker"] == speaker_id
    ]


def resample(y: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    """``y`` (float32 mono) from ``orig_sr`` to ``sr`` Hz with a high-quality band-limited resampler."""
    import numpy as np

    if orig_sr == sr:
        return np.asarray(y, dtype=np.float32)
    try:
        import soxr

        return np.asarray(soxr.resample(y, orig_sr, sr, quality="HQ"), dtype=np.float32)
    except ImportError:  # pragma: no cover - soxr comes with the audio extra
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(orig_sr, sr)
        return np.asarray(resample_poly(y, sr // g, orig_sr // g), dtype=np.float32)


def load(clip_or_path: Clip | str | os.PathLike[str], sr: int | None = None) -> tuple[np.ndarray, int]:
    """Read a clip or WAV/FLAC file as float32 mono in [-1, 1]; resample to ``sr`` Hz if given."""
    import numpy as np
    import soundfile as sf

    path = clip_or_path.path if isinstance(clip_or_path, Clip) else Path(clip_or_path)
    y, rate = sf.read(str(path), dtype="float32", always_2d=True)
    y = y.mean(axis=1) if y.shape[1] > 1 else y[:, 0]
    y = np.ascontiguousarray(y, dtype=np.float32)
    if sr is not None and sr != rate:
        y, rate = resample(y, rate, sr), sr
    return y, int(rate)


def make_clip(speaker_id: str, duration: float, sr: int, *, gap: float = 0.15, start: int = 0) -> np.ndarray:
    """Exactly ``round(duration * sr)`` samples of one speaker's speech at ``sr`` Hz (float32 mono).

    The speaker's clips are joined (from clip ``start`` on, cycling) with ``gap`` seconds of silence
    between them, then cut to length; the cut end gets a 10 ms fade so it does not click.
    """
    import numpy as np

    if duration <= 0 or sr <= 0:
        raise ValueError(f"make_clip needs a positive duration and rate, got {duration} s at {sr} Hz")
    n = round(duration * sr)
    items = clips(speaker_id)
    if not items:
        raise KeyError(f"speaker {speaker_id!r} has no clips")
    pieces: list[np.ndarray] = []
    have, i = 0, start
    silence = np.zeros(round(gap * sr), dtype=np.float32)
    while have < n:
        y, _ = _load_cached(str(items[i % len(items)].path), sr)
        pieces += [y, silence]
        have += len(y) + len(silence)
        i += 1
    out = np.concatenate(pieces)[:n].copy()
    fade = min(len(out), round(0.01 * sr))
    if fade:
        out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out


@lru_cache(maxsize=64)
def _load_cached(path: str, sr: int) -> tuple[np.ndarray, int]:
    y, rate = load(path, sr)
    y.setflags(write=False)
    return y, rate
