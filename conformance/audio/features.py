"""Spectral features and dynamic time warping on numpy and scipy alone: no JIT compiler on the hot path.

librosa computes these with numba, whose first compile in a new process (a fresh CI machine, each
xdist worker, a user's first run) takes tens of seconds and whose cache does not survive a new
machine. The functions here compute the same values as their librosa counterparts (the kit's tests
compare them): ``mel_filters`` as ``librosa.filters.mel`` (Slaney scale and norm), ``melspectrogram``
as ``librosa.feature.melspectrogram`` (centred frames, zero padding, periodic Hann, power 2),
``power_to_db``, ``mfcc`` (orthonormal DCT-II), ``rms`` and ``delta`` as librosa's, ``dtw_path`` as
``librosa.sequence.dtw(metric="euclidean", global_constraints=True, band_rad=...)``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    import numpy as np

    f = np.asanyarray(f, dtype=np.float64)
    mels = f / (200.0 / 3)
    log = f >= 1000.0
    return np.where(log, 15.0 + np.log(np.maximum(f, 1e-12) / 1000.0) / (np.log(6.4) / 27.0), mels)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    import numpy as np

    m = np.asanyarray(m, dtype=np.float64)
    freqs = (200.0 / 3) * m
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), freqs)


@lru_cache(maxsize=16)
def mel_filters(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """(n_mels, 1 + n_fft // 2) Slaney-normalised triangular filters on the Slaney mel scale (float32)."""
    import numpy as np

    fmax = sr / 2.0 if fmax is None else fmax
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fft_f = np.fft.rfftfreq(n_fft, 1.0 / sr)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_f)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    out = weights.astype(np.float32)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=16)
def _hann(n: int) -> np.ndarray:
    import numpy as np

    out = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)  # periodic
    out.flags.writeable = False
    return out


def _fft_workers(frames: int) -> int:
    """FFT threads: :func:`~conformance.audio._env.worker_threads` for long signals, one for short
    ones (where threads cost more than they save)."""
    from conformance.audio._env import worker_threads

    return 1 if frames < 2000 else worker_threads()


def power_spectrogram(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """(1 + n_fft // 2, frames) |STFT|² of centred, zero-padded, Hann-windowed frames."""
    import numpy as np
    from scipy import fft

    y = np.pad(np.asarray(y, dtype=np.float32), n_fft // 2)
    if len(y) < n_fft:
        y = np.pad(y, (0, n_fft - len(y)))
    n = 1 + (len(y) - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(y, (n, n_fft), (y.strides[0] * hop, y.strides[0]), writeable=False)
    spec = fft.rfft(frames * _hann(n_fft), axis=1, workers=_fft_workers(n))
    return (spec.real ** 2 + spec.imag ** 2).T.astype(np.float32)


def melspectrogram(y: np.ndarray, sr: int, n_fft: int, hop: int, n_mels: int) -> np.ndarray:
    """(n_mels, frames) power mel spectrogram."""
    return mel_filters(sr, n_fft, n_mels) @ power_spectrogram(y, n_fft, hop)


def power_to_db(s: np.ndarray, ref: float | None = 1.0, amin: float = 1e-10, top_db: float | None = 80.0) -> np.ndarray:
    """10·log10(s / ref), floored at ``top_db`` below the peak; ``ref=None`` is the maximum of ``s``."""
    import numpy as np

    s = np.asarray(s)
    ref_value = float(np.max(s)) if ref is None else ref
    out = 10.0 * np.log10(np.maximum(amin, s)) - 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        out = np.maximum(out, out.max() - top_db)
    return out


def mfcc(y: np.ndarray, sr: int, n_mfcc: int, n_fft: int, hop: int, n_mels: int) -> np.ndarray:
    """(n_mfcc, frames) MFCCs: orthonormal DCT-II of the dB mel spectrogram."""
    from scipy import fft

    return fft.dct(power_to_db(melspectrogram(y, sr, n_fft, hop, n_mels)), axis=0, type=2, norm="ortho")[:n_mfcc]


def rms(y: np.ndarray, frame_length: int, hop: int) -> np.ndarray:
    """(frames,) root-mean-square of centred, zero-padded frames (as ``librosa.feature.rms``)."""
    import numpy as np

    y = np.pad(np.asarray(y, dtype=np.float32), frame_length // 2)
    if len(y) < frame_length:
        y = np.pad(y, (0, frame_length - len(y)))
    n = 1 + (len(y) - frame_length) // hop
    frames = np.lib.stride_tricks.as_strided(y, (n, frame_length), (y.strides[0] * hop, y.strides[0]),
                                             writeable=False)
    return np.sqrt(np.mean(np.abs(frames) ** 2, axis=1))


def delta(data: np.ndarray, width: int = 9) -> np.ndarray:
    """First-order deltas along the last axis: a Savitzky-Golay derivative (as ``librosa.feature.delta``)."""
    from scipy.signal import savgol_filter

    return savgol_filter(data, width, deriv=1, polyorder=1, axis=-1, mode="interp")


def dtw_path(x: np.ndarray, y: np.ndarray, band_rad: float = 0.25) -> np.ndarray:
    """The optimal alignment path of feature sequences ``x`` (d, N) and ``y`` (d, M) under Euclidean
    cost, steps (1,1), (0,1), (1,0), within librosa's Sakoe-Chiba band of ``band_rad``: (L, 2) index
    pairs from (0, 0) to (N-1, M-1).

    Each row of the accumulated cost is one vectorised min-plus scan: with ``a[k]`` the best way into
    cell k from the row above and ``P`` the running sum of the row's costs,
    ``D[j] = P[j] + min(a[k] - P[k] for k <= j)``.
    """
    import numpy as np
    from scipy.spatial.distance import cdist

    cost = cdist(np.asarray(x, dtype=np.float64).T, np.asarray(y, dtype=np.float64).T, "euclidean")
    n, m = cost.shape
    radius = int(np.round(band_rad * min(n, m)))
    offset = abs(n - m)
    # librosa.util.fill_off_diagonal: cells with -lo < j - i < hi stay in the band
    hi, lo = (radius + offset, radius) if n < m else (radius, radius + offset)
    d = np.full((n, m), np.inf)
    for i in range(n):
        start, stop = max(0, i - lo + 1), min(m, i + hi)
        if start >= stop:
            continue
        c = cost[i, start:stop]
        if i == 0:
            d[0, start:stop] = np.cumsum(c) if start == 0 else np.inf
            continue
        prev = d[i - 1]
        diag = np.concatenate(([np.inf], prev[start:stop - 1])) if start == 0 else prev[start - 1:stop - 1]
        a = c + np.minimum(diag, prev[start:stop])
        p = np.cumsum(c)
        d[i, start:stop] = p + np.minimum.accumulate(a - p)
    path = [(n - 1, m - 1)]
    i, j = n - 1, m - 1
    while (i, j) != (0, 0):  # librosa's order of preference on ties: diagonal, then left, then up
        options = ((i - 1, j - 1), (i, j - 1), (i - 1, j))
        best = min((o for o in options if o[0] >= 0 and o[1] >= 0), key=lambda o: d[o])
        i, j = best
        path.append(best)
    return np.array(path[::-1], dtype=int)
