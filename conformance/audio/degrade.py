"""Channel degradations, for testing checks the way provider audio really arrives.

Each takes float32 mono samples and their rate and returns ``(samples, rate)``.

>>> y2, sr2 = mp3_roundtrip(y, 44100, kbps=32)      # doctest: +SKIP
>>> y3, sr3 = ulaw_roundtrip(y, 44100)             # 8 kHz G.711 μ-law, back as float32 at 8 kHz
>>> y4, sr4 = add_noise(y, 44100, snr_db=20, seed=1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.audio._env import need

if TYPE_CHECKING:
    import numpy as np


def mp3_roundtrip(y: np.ndarray, sr: int, kbps: int = 32) -> tuple[np.ndarray, int]:
    """Encode to MP3 at ``kbps`` with LAME and decode again (same rate), both in this process (lameenc,
    libsndfile's mpg123): 10x faster than two ffmpeg processes, which a corpus pays per clip."""
    import io

    np = need("numpy", "mp3_roundtrip")
    sf = need("soundfile", "mp3_roundtrip")
    from conformance.audio.encoding import encode_mp3

    z, rate = sf.read(io.BytesIO(encode_mp3(np.asarray(y, dtype=np.float32), sr, kbps)), dtype="float32")
    return (z if z.ndim == 1 else z.mean(axis=1)), int(rate)


def ulaw_roundtrip(y: np.ndarray, sr: int, rate: int = 8000) -> tuple[np.ndarray, int]:
    """Resample to ``rate`` (telephone band), encode as G.711 μ-law and decode again."""
    from conformance.audio.corpus import resample
    from conformance.audio.decoding import decode, encode

    z = resample(y, sr, rate)
    d = decode(encode(z, rate, "ulaw"), sample_rate=rate, sample_format="ulaw")
    return d.samples, rate


def add_noise(y: np.ndarray, sr: int, snr_db: float = 20.0, seed: int = 0) -> tuple[np.ndarray, int]:
    """Add white Gaussian noise at ``snr_db`` relative to the power of the active (non-silent) speech."""
    np = need("numpy", "add_noise")
    x = np.asarray(y, dtype=np.float64)
    frame = max(1, sr // 50)
    m = len(x) // frame
    power = (x[: m * frame].reshape(m, frame) ** 2).mean(axis=1) if m else np.array([np.mean(x**2)])
    active = power[power > power.max() * 1e-4] if power.max() > 0 else power
    p_signal = float(active.mean()) if len(active) else 0.0
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(len(x)) * np.sqrt(p_signal / 10 ** (snr_db / 10))
    return (x + noise).astype(np.float32), sr
