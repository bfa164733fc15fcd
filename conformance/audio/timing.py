"""Did a voice changer keep the timing and delivery of its input?

``timing_preservation(source, converted)`` compares the input of a speech-to-speech conversion with
its output:

- ``duration_ratio``: output duration / input duration (1.0 = same length);
- ``dtw_slope``: slope of the least-squares line through the dynamic-time-warping path between the
  two MFCC sequences (16 kHz, 20 ms hop, Sakoe-Chiba band), in output seconds per input second: 1.0
  when the words land at the same times, whatever the speaker; ``dtw_deviation_s`` is the RMS
  distance of the path from that line (local timing changes);
- ``f0_correlation``: Pearson correlation of the log-F0 contours (YIN, 10 ms) over frames voiced in
  both after DTW alignment: intonation kept → high, even when the voice's pitch is shifted.

MFCCs are mean- and variance-normalised per file, so a different timbre still aligns.

>>> timing_preservation("input.wav", "converted.mp3")   # doctest: +SKIP
TimingReport(duration_ratio=1.01, dtw_slope=0.99, dtw_deviation_s=0.04, f0_correlation=0.86, ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.audio._env import need

SR = 16000
HOP = 320  # 20 ms
MAX_FRAMES = 6000  # 2 minutes at 20 ms: beyond, the hop grows so DTW stays bounded in memory


@dataclass(frozen=True)
class TimingReport:
    """Timing and intonation of a conversion against its source (see the module docstring)."""

    source_duration_s: float
    converted_duration_s: float
    duration_ratio: float
    dtw_slope: float
    dtw_deviation_s: float
    f0_correlation: float | None
    voiced_frames: int


def _features(y: Any, hop: int) -> Any:
    np = need("numpy", "timing_preservation()")
    from conformance.audio.features import mfcc

    m = mfcc(y, SR, 20, 1024, hop, 40)[1:]
    m = (m - m.mean(axis=1, keepdims=True)) / (m.std(axis=1, keepdims=True) + 1e-6)
    return m.astype(np.float64)


def timing_preservation(source: Any, converted: Any, *, max_duration: float | None = None,
                        band: float = 0.25) -> TimingReport:
    """Duration ratio, DTW alignment slope and F0 contour correlation of ``converted`` vs ``source``.

    ``band`` is the Sakoe-Chiba band radius as a fraction of the longer sequence.
    """
    np = need("numpy", "timing_preservation()")
    need("scipy", "timing_preservation()")
    from conformance.audio.analysis import f0_track
    from conformance.audio.corpus import resample
    from conformance.audio.decoding import as_decoded
    from conformance.audio.features import dtw_path

    a = as_decoded(source, max_duration=max_duration)
    b = as_decoded(converted, max_duration=max_duration)
    ya = resample(a.mono(), a.sample_rate, SR)
    yb = resample(b.mono(), b.sample_rate, SR)
    da, db = len(ya) / SR, len(yb) / SR
    hop = HOP
    while max(len(ya), len(yb)) / hop > MAX_FRAMES:
        hop *= 2
    fa, fb = _features(ya, hop), _features(yb, hop)
    path = dtw_path(fa, fb, band)  # librosa.sequence.dtw's path, without its JIT compile
    ia, ib = path[:, 0].astype(float), path[:, 1].astype(float)
    frame_s = hop / SR
    if np.ptp(ia) > 0:
        slope, intercept = np.polyfit(ia, ib, 1)
        deviation = float(np.sqrt(np.mean((ib - (slope * ia + intercept)) ** 2)) * frame_s)
    else:
        slope, deviation = float("nan"), float("nan")
    # F0 contours on the DTW frame grid (f0_track hops 10 ms: average pairs to the 20 ms grid)
    step = hop / SR / 0.01
    f0a, f0b = f0_track(ya, SR), f0_track(yb, SR)
    corr = None
    pa = np.minimum((ia * step).astype(int), len(f0a) - 1)
    pb = np.minimum((ib * step).astype(int), len(f0b) - 1)
    va, vb = f0a[pa], f0b[pb]
    both = np.isfinite(va) & np.isfinite(vb)
    if both.sum() >= 10:
        la, lb = np.log(va[both]), np.log(vb[both])
        if la.std() > 0 and lb.std() > 0:
            corr = float(np.corrcoef(la, lb)[0, 1])
    return TimingReport(source_duration_s=da, converted_duration_s=db, duration_ratio=db / da if da else float("nan"),
                        dtw_slope=float(slope), dtw_deviation_s=deviation, f0_correlation=corr,
                        voiced_frames=int(both.sum()))
