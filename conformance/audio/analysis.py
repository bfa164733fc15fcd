"""Signal measurements of one audio file: ``analyze(src) -> AudioReport``.

Every figure has its unit in its name and a documented definition:

- ``loudness_lufs``: integrated loudness, ITU-R BS.1770-4 (K-weighting, 400 ms blocks, absolute
  −70 LUFS and relative −10 LU gates), measured with pyloudnorm on all channels at the native rate;
  ``None`` when the audio is shorter than one 400 ms block or entirely gated out.
- ``peak_dbfs``: largest absolute sample. ``true_peak_dbtp``: BS.1770-4 Annex 2 true peak, the peak of
  the signal oversampled 4× (8× under 44.1 kHz, 16× under 16 kHz), see :func:`true_peak`.
- ``clipping_ratio``: share of samples within 1 LSB (16-bit) of full scale, in runs of ≥ 2 samples
  (a lone full-scale sample is a peak, not clipping).
- ``dc_offset``: mean sample value (full scale = 1).
- ``silence_ratio``, ``leading_silence_s``, ``trailing_silence_s``: 20 ms frames whose RMS is under
  ``silence_threshold_dbfs`` (default −50 dBFS) are silent.
- ``snr_db``: energy-percentile SNR estimate: noise power = 10th percentile of 20 ms frame powers,
  signal power = 95th percentile minus noise; floored at −100 dBFS, so digital silence reads ~+100 dB.
- ``bandwidth_hz``: **effective bandwidth**. The long-term average power spectrum of the active
  frames (2048-point Hann frames within 40 dB of the loudest) is taken in dB; each bin weighs its
  level above a floor 60 dB under the spectrum's peak; the effective bandwidth is the frequency under
  which 99 % of that weight lies. (The plain 99 %-of-power roll-off lies between 2 and 7 kHz for all
  speech, wide-band or not, so it cannot tell upsampled audio; the dB-weighted measure reads
  7–8.6 kHz for 16 kHz speech upsampled to 44.1 kHz by soxr, ffmpeg or scipy and 11.5–15.7 kHz for
  the kit's 32–48 kHz speakers — see ``tests/audio/test_analyze.py``.)
- ``f0_median_hz``, ``f0_min_hz``, ``f0_max_hz``: YIN pitch (50–600 Hz, 40 ms frames, 10 ms hop, on an
  8 kHz copy) over voiced frames (YIN aperiodicity < 0.2 and not silent); range = 5th–95th percentile.
  A frame whose first dip under 0.2 lies outside 50–600 Hz is unvoiced: a 700 Hz whistle is not
  read as a 350 Hz voice.

>>> r = analyze("conformance/fixtures/speech/en_slt/01.wav")     # doctest: +SKIP
>>> r.sample_rate, round(r.bandwidth_hz), round(r.f0_median_hz)
(32000, 14300, 180)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.audio._env import need
from conformance.audio.decoding import Decoded, as_decoded
from conformance.audio.probe import AudioDecodeError, AudioInfo, Source

if TYPE_CHECKING:
    import numpy as np

MIN_ANALYSIS_SECONDS = 0.05
FRAME_S = 0.02
F0_SR = 8000


@dataclass(frozen=True)
class AudioReport:
    """What :func:`analyze` measured; units in the names (s, Hz, dBFS, dBTP, LUFS, dB)."""

    info: AudioInfo
    sample_rate: int
    channels: int
    duration_s: float
    loudness_lufs: float | None
    peak_dbfs: float
    true_peak_dbtp: float
    clipping_ratio: float
    dc_offset: float
    silence_ratio: float
    leading_silence_s: float
    trailing_silence_s: float
    snr_db: float
    bandwidth_hz: float
    f0_median_hz: float | None
    f0_min_hz: float | None
    f0_max_hz: float | None
    voiced_ratio: float
    silence_threshold_dbfs: float = -50.0
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def nyquist_hz(self) -> float:
        return self.sample_rate / 2

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["info"] = self.info.as_dict()
        return d

    def short(self) -> str:
        f0 = f"F0 {self.f0_median_hz:.0f} Hz" if self.f0_median_hz else "unvoiced"
        lufs = f"{self.loudness_lufs:.1f} LUFS" if self.loudness_lufs is not None else "loudness n/a"
        return (f"{self.duration_s:.2f} s @ {self.sample_rate} Hz, {lufs}, peak {self.peak_dbfs:.1f} dBFS, "
                f"true peak {self.true_peak_dbtp:.1f} dBTP, SNR {self.snr_db:.0f} dB, "
                f"bandwidth {self.bandwidth_hz / 1000:.1f} kHz, {f0}")


def _db(x: float, floor: float = -200.0) -> float:
    import math

    return 20 * math.log10(x) if x > 0 else floor


def load_audio(src: Any, *, max_duration: float | None = None, **raw: Any) -> Decoded:
    """``src`` decoded: a source, a :class:`Decoded`, ``(samples, sr)`` or a result with ``.audio``."""
    return as_decoded(src, max_duration=max_duration, **raw)


def analyze(src: Source | Decoded | Any, *, silence_threshold_dbfs: float = -50.0, max_duration: float | None = None,
            **raw: Any) -> AudioReport:
    """Measure loudness, peaks, clipping, DC, silence, SNR, effective bandwidth and F0 of ``src``.

    ``src`` is a path, bytes, binary file, ``(samples, sr)``, a client result with ``.audio`` or a
    :class:`~conformance.audio.decoding.Decoded`; headerless
    audio takes ``sample_rate=``, ``sample_format=`` and ``channels=`` as in :func:`decode`.
    Raises :class:`AudioDecodeError` for unreadable audio or audio shorter than 50 ms.
    """
    np = need("numpy", "analyze()")
    d = load_audio(src, max_duration=max_duration, **raw)
    sr = d.sample_rate
    if d.duration < MIN_ANALYSIS_SECONDS:
        raise AudioDecodeError(f"audio too short to analyse: {d.samples.shape[-1]} sample(s) "
                               f"({d.duration * 1000:.2f} ms); need at least {MIN_ANALYSIS_SECONDS * 1000:.0f} ms")
    multi = d.samples if d.samples.ndim == 2 else d.samples[None, :]
    y = d.mono()
    # the longest measure first, so that the other thread takes the rest meanwhile
    f0, loudness, tpeak, bandwidth, frame_db, clipping = _in_parallel(
        lambda: f0_track(y, sr), lambda: integrated_loudness(multi, sr), lambda: true_peak(multi, sr),
        lambda: effective_bandwidth(y, sr), lambda: frame_levels_db(y, sr), lambda: clipping_ratio(multi),
        parallel=d.duration >= PARALLEL_SECONDS)
    peak = max(float(np.max(multi)), -float(np.min(multi)))  # no |x| copy of the samples
    silent = frame_db < silence_threshold_dbfs
    active_idx = np.nonzero(~silent)[0]
    if len(active_idx):
        lead = active_idx[0] * FRAME_S
        trail = (len(silent) - 1 - active_idx[-1]) * FRAME_S
    else:
        lead = trail = d.duration
    voiced = f0[np.isfinite(f0)]
    return AudioReport(
        info=d.info, sample_rate=sr, channels=d.channels, duration_s=d.duration,
        loudness_lufs=loudness,
        peak_dbfs=_db(peak), true_peak_dbtp=_db(tpeak),
        clipping_ratio=clipping, dc_offset=float(np.mean(y, dtype=np.float64)),
        silence_ratio=float(np.mean(silent)) if len(silent) else 1.0,
        leading_silence_s=float(min(lead, d.duration)), trailing_silence_s=float(min(trail, d.duration)),
        snr_db=snr_estimate(frame_db), bandwidth_hz=bandwidth,
        f0_median_hz=float(np.median(voiced)) if len(voiced) else None,
        f0_min_hz=float(np.percentile(voiced, 5)) if len(voiced) else None,
        f0_max_hz=float(np.percentile(voiced, 95)) if len(voiced) else None,
        voiced_ratio=float(len(voiced) / max(1, len(f0))),
        silence_threshold_dbfs=silence_threshold_dbfs,
    )


#: audio at least this long is measured on two threads (filters and FFTs release the GIL); not in a
#: pytest-xdist worker, where the workers already share the cores
PARALLEL_SECONDS = 20.0


def _in_parallel(*tasks: Any, parallel: bool = True) -> list[Any]:
    from conformance.audio._env import worker_threads

    threads = worker_threads(limit=2) if parallel else 1
    if threads < 2:
        return [t() for t in tasks]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda t: t(), tasks))


SILENCE_PEAK_DBFS = -80.0  # below this everywhere: nothing a listener or a model could judge
MIN_SOUND_SECONDS = 0.1  # less sound than this (a click, a pop) is not speech to judge


def judgeable(src: Source | Decoded | Any, *, max_duration: float | None = None,
              **raw: Any) -> tuple[Decoded | None, str | None]:
    """``(decoded, None)`` when ``src`` holds sound to judge, else ``(None, why)`` (see :func:`unusable`):
    the checks decode once and measure the decoded audio."""
    try:
        d = load_audio(src, max_duration=max_duration, **raw)
    except AudioDecodeError as exc:  # unreadable, non-finite samples, too long: the reason is the answer
        return None, f"unreadable audio: {exc}"
    why = unusable(d)
    return (None, why) if why is not None else (d, None)


def unusable(src: Source | Decoded | Any, *, max_duration: float | None = None, **raw: Any) -> str | None:
    """Why ``src`` holds nothing to judge as speech, or ``None`` when it holds sound: samples that are
    not finite numbers, no samples, silence, a constant (DC) level, or a lone click (under
    ``MIN_SOUND_SECONDS`` of sound). The speaker, quality, intelligibility and timing checks fail on
    such audio with this reason instead of measuring it (their models answer nonsense, or raise)."""
    np = need("numpy", "unusable()")
    try:
        d = load_audio(src, max_duration=max_duration, **raw)
    except AudioDecodeError as exc:  # unreadable, non-finite samples, too long: the reason is the answer
        return f"unreadable audio: {exc}"
    y = d.mono().astype(np.float64)
    if y.size == 0:
        return "no samples"
    bad = ~np.isfinite(y)
    if bad.any():
        return f"{bad.mean():.0%} of the samples are not finite numbers (NaN or infinite)"
    peak = float(np.max(np.abs(y)))
    if peak <= 10 ** (SILENCE_PEAK_DBFS / 20):
        return f"silence (no sample above {SILENCE_PEAK_DBFS:.0f} dBFS)"
    ac = y - y.mean()
    if float(np.max(np.abs(ac))) <= 10 ** (SILENCE_PEAK_DBFS / 20):
        return f"a constant level (DC {y.mean():+.3f}) without sound"
    levels = frame_levels_db(ac, d.sample_rate)
    sound = levels > max(float(levels.max()) - 40.0, SILENCE_PEAK_DBFS + 20)
    seconds = float(sound.sum()) * FRAME_S
    if seconds < MIN_SOUND_SECONDS:
        return f"only {seconds * 1000:.0f} ms of sound (a click, not speech)"
    return None


def frame_levels_db(y: np.ndarray, sr: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS level of consecutive ``frame_s`` frames in dBFS (floored at −100 dBFS)."""
    np = need("numpy", "frame levels")
    n = max(1, round(frame_s * sr))
    m = len(y) // n
    if m == 0:
        return np.array([10 * np.log10(max(float(np.mean(y.astype(np.float64) ** 2)), 1e-10))])
    frames = y[: m * n].reshape(m, n)
    power = np.empty(m)
    for a in range(0, m, 256):  # in float64, a part at a time: no float64 copy of the whole signal
        fr = frames[a: a + 256].astype(np.float64)
        power[a: a + 256] = np.einsum("ij,ij->i", fr, fr)
    return 10 * np.log10(np.maximum(power / n, 1e-10))


def snr_estimate(frame_db: np.ndarray) -> float:
    """SNR (dB) from frame levels: 95th-percentile power over the 10th-percentile (noise) power."""
    np = need("numpy", "SNR")
    p = 10 ** (frame_db / 10)
    noise = max(float(np.percentile(p, 10)), 1e-10)
    signal = float(np.percentile(p, 95)) - noise
    return float(10 * np.log10(max(signal, 1e-10) / noise))


def integrated_loudness(multi: np.ndarray, sr: int) -> float | None:
    """BS.1770-4 integrated loudness (LUFS) of ``(channels, n)`` audio, ``None`` when undefined.

    The K-weighting filters are pyloudnorm's (``Meter(sr)``), run as float32 second-order sections
    kept out of subnormal numbers in digital silence (:func:`_k_weighted`); the 400 ms / 75 %-overlap
    gating is computed from a running sum instead of a Python loop (the tests check the result
    against ``pyloudnorm.Meter.integrated_loudness``).
    """
    np = need("numpy", "loudness")
    sos = _k_weighting_sos(sr)
    signal = need("scipy.signal", "loudness")
    n = multi.shape[-1]
    block, step = round(0.4 * sr), 0.1 * sr
    if n < block + 1 or multi.shape[0] > 5:
        return None
    n_blocks = int(np.round((n / sr - 0.4) / 0.1)) + 1
    z = np.zeros(n_blocks)
    weights = [1.0, 1.0, 1.0, 1.41, 1.41]
    seg = int(step)
    for i, ch in enumerate(multi):
        k = _k_weighted(ch, sos, signal)
        k *= k
        if seg == step and block == 4 * seg:  # every standard rate: sum 100 ms segments, 4 to a block
            m = n // seg
            parts = k[: m * seg].reshape(m, seg).sum(axis=1, dtype=np.float64)
            parts = np.concatenate((parts, [k[m * seg:].sum(dtype=np.float64)], np.zeros(4)))
            blocks = parts[0:n_blocks] + parts[1:n_blocks + 1] + parts[2:n_blocks + 2] + parts[3:n_blocks + 3]
        else:
            starts = (np.arange(n_blocks) * step).astype(np.int64)
            c = np.concatenate(([0.0], np.cumsum(k, dtype=np.float64)))
            blocks = c[np.minimum(starts + block, n)] - c[np.minimum(starts, n)]
        z += weights[i] * blocks / block
    with np.errstate(divide="ignore"):
        lj = -0.691 + 10 * np.log10(z)
    gated = z[lj >= -70.0]
    if not len(gated):
        return None
    rel = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    final = z[(lj > rel) & (lj > -70.0)]
    if not len(final):
        return None
    return float(-0.691 + 10 * np.log10(final.mean()))


def _k_weighting_sos(sr: int) -> np.ndarray:
    """pyloudnorm's two K-weighting biquads (``Meter(sr)``) as float32 second-order sections: 4x
    faster than one 4th-order float64 filter, within 1e-4 of it (0.001 LU on the result). Both
    stages have pyloudnorm's default passband gain, 1.0 (a test holds it)."""
    np = need("numpy", "loudness")
    pyln = need("pyloudnorm", "loudness")
    return np.array([np.concatenate([stage.b, stage.a]) for stage in pyln.Meter(sr)._filters.values()],
                    dtype=np.float32)


#: amplitude of the Nyquist-rate square wave added before the K-weighting filter (about -600 dBFS)
DENORMAL_GUARD = 1e-30


def _denormal_guarded(ch: np.ndarray) -> np.ndarray:
    """``ch`` as a new float32 array with ``±DENORMAL_GUARD`` added to alternate samples.

    In digital silence the recursive filter's state decays into the subnormal range, where each
    operation costs some hundred cycles on many x86 cores (5x the whole filter's time on speech
    with pauses); a signal at the Nyquist rate passes both K-weighting stages and keeps the state
    normal. Its power, 1e-60, is below what float32 holds: nothing a gate or a mean can see.
    """
    np = need("numpy", "loudness")
    x = np.array(ch, dtype=np.float32)
    x[0::2] += DENORMAL_GUARD
    x[1::2] -= DENORMAL_GUARD
    return x


#: samples filtered at a time (even, so that the guard's signs run on across parts): the guarded copy
#: of the input is one part long, not the whole signal's
FILTER_PART = 1 << 20


def _k_weighted(ch: np.ndarray, sos: np.ndarray, signal: Any) -> np.ndarray:
    """``ch`` through the K-weighting sections (float32), the input guarded part by part: the same
    samples as one ``sosfilt`` call over the whole guarded signal, the state carried between parts."""
    np = need("numpy", "loudness")
    out = np.empty(len(ch), dtype=np.float32)
    state = np.zeros((len(sos), 2), dtype=np.float32)
    for start in range(0, len(ch), FILTER_PART):
        part = _denormal_guarded(ch[start:start + FILTER_PART])
        out[start:start + len(part)], state = signal.sosfilt(sos, part, zi=state)
    return out


def true_peak(multi: np.ndarray, sr: int) -> float:
    """BS.1770-4 true peak (linear): the peak of the 4× oversampled signal (8× under 44.1 kHz).

    Only the stretches whose sample peak lies within 6 dB of the overall sample peak are
    oversampled (with 32 samples of context on each side): an inter-sample peak more than 6 dB
    over its neighbouring samples does not occur in real audio, so the result equals the full
    computation at a fraction of its cost. The oversampling filter runs as its ``factor`` phases,
    one matrix product over windows of the input (what ``scipy.signal.upfirdn`` computes, a third
    of its time; the tests compare the two).
    """
    np = need("numpy", "true peak")
    signal = need("scipy.signal", "true peak")
    factor = 4 if sr >= 44100 else 8 if sr >= 16000 else 16
    taps = factor * signal.firwin(20 * factor + 1, 1.0 / factor, window=("kaiser", 5.0))
    phases = _phase_matrix(taps, factor)
    best = 0.0
    block = 1024
    for ch in multi:
        ch = np.asarray(ch)
        n = len(ch)
        m = n // block
        # each block's peak from its largest and smallest sample: no |x| copy of the whole channel
        full = ch[: m * block].reshape(m, block)
        blocks = np.maximum(full.max(axis=1), -full.min(axis=1)) if m else np.zeros(0, ch.dtype)
        if n > m * block:
            tail = ch[m * block:]
            blocks = np.append(blocks, max(float(tail.max()), -float(tail.min())))
        peak = float(blocks.max())
        if peak == 0:
            continue
        hot = np.nonzero(blocks >= peak * 0.5)[0]
        # merge neighbouring hot blocks into runs
        runs: list[tuple[int, int]] = []
        for b in hot:
            if runs and b == runs[-1][1]:
                runs[-1] = (runs[-1][0], b + 1)
            else:
                runs.append((int(b), int(b) + 1))
        # every run oversampled in one pass: the runs joined by zeros longer than the filter, so each
        # is filtered as if alone (as separate calls would), without a Python call per run
        gap = np.zeros(len(taps) // factor + 2)
        pieces: list[Any] = []
        for a, b in runs:
            lo, hi = max(0, a * block - 32), min(n, b * block + 32)
            pieces += [ch[lo:hi].astype(np.float64), gap]
        best = max(best, _oversampled_peak(np.concatenate(pieces), phases), peak)
    return best


def _phase_matrix(taps: np.ndarray, factor: int) -> np.ndarray:
    """``(k, factor)`` matrix: column ``p`` holds the filter's phase ``p`` (``taps[p::factor]``),
    reversed, so a window ``x[i-k+1 .. i]`` times the matrix gives the oversampled ``y[i*factor + p]``."""
    np = need("numpy", "true peak")
    k = -(-len(taps) // factor)
    h = np.zeros(k * factor)
    h[: len(taps)] = taps
    return np.ascontiguousarray(h.reshape(k, factor)[::-1])


def _oversampled_peak(x: np.ndarray, phases: np.ndarray, rows: int = 4096) -> float:
    """``max |upfirdn(taps, x, factor)[delay:]|`` for the centred filter of :func:`true_peak`
    (``delay = (len(taps) - 1) / 2``: the filter's lead-in before the first sample is left out),
    in chunks of ``rows`` input samples small enough to stay in cache."""
    np = need("numpy", "true peak")
    k = phases.shape[0]
    padded = np.concatenate((np.zeros(k - 1), x, np.zeros(k - 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, k)  # windows[i] = x[i-k+1 .. i]
    delay = (k - 1) // 2  # rows before it are outputs before the delay: (20 * factor + 1) taps, delay 10 * factor
    best = 0.0
    for a in range(delay, len(windows), rows):
        up = windows[a: a + rows] @ phases
        best = max(best, float(up.max()), -float(up.min()))
    return best


def clipping_ratio(multi: np.ndarray) -> float:
    """Share of samples at full scale (within 1 LSB at 16 bits) in runs of two or more."""
    np = need("numpy", "clipping")
    limit = 1.0 - 1.5 / 32768
    total = 0
    for ch in multi:
        if not len(ch) or max(float(np.max(ch)), -float(np.min(ch))) < limit:  # the common case, no |x| copy
            continue
        hot = np.abs(ch) >= limit
        run = hot[1:] & hot[:-1]
        mark = np.zeros_like(hot)
        mark[1:] |= run
        mark[:-1] |= run
        total += int(np.count_nonzero(mark))
    return total / multi.size


def effective_bandwidth(y: np.ndarray, sr: int, *, floor_db: float = 60.0, share: float = 0.99,
                        n_fft: int = 2048) -> float:
    """Effective bandwidth (Hz): where 99 % of the dB-above-floor long-term spectrum lies.

    >>> effective_bandwidth(y16k_upsampled_to_44k, 44100)   # doctest: +SKIP
    7540.0
    """
    np = need("numpy", "effective bandwidth")
    sfft = need("scipy.fft", "effective bandwidth")
    y = np.asarray(y, dtype=np.float32)  # its float32 samples, as analyze measures them, whatever it is given
    if len(y) < n_fft:
        y = np.pad(y, (0, n_fft - len(y)))
    m = len(y) // n_fft
    window = np.hanning(n_fft).astype(np.float32)
    total = np.zeros(n_fft // 2 + 1)
    energies = []
    part = 256  # frames transformed at a time: a part's arrays stay in cache
    spectra = []
    for i in range(0, m, part):
        fr = y[i * n_fft: min(m, i + part) * n_fft].reshape(-1, n_fft) * window  # float32 frames
        spec = sfft.rfft(fr, axis=1)  # float32 in, complex64 out: half numpy's float64 work
        p = spec.real ** 2
        p += spec.imag ** 2
        spectra.append(p)  # float32: each value converts to float64 exactly when summed
        energies.append(p.astype(np.float64).sum(axis=1))
    e = np.concatenate(energies)
    if e.max() <= 0:
        return 0.0
    keep = e >= e.max() * 1e-4
    for p, k in zip(spectra, np.split(keep, np.cumsum([len(s) for s in spectra])[:-1]), strict=True):
        total += p[k].astype(np.float64).sum(axis=0)  # a part's kept powers in one sum, then to the total
    level = 10 * np.log10(np.maximum(total / max(1, keep.sum()), 1e-30))
    weight = np.clip(level - (level.max() - floor_db), 0, None)
    if weight.sum() <= 0:
        return 0.0
    cum = np.cumsum(weight) / weight.sum()
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    return float(freqs[min(len(freqs) - 1, int(np.searchsorted(cum, share)))])


#: a lag whose difference d(tau) is under this share of the two windows' energies repeats the frame
#: exactly, as far as float32 FFTs can tell (their rounding is about 1e-7 of the energy)
DIFFERENCE_FLOOR = 1e-5


def f0_track(y: np.ndarray, sr: int, *, fmin: float = 50.0, fmax: float = 600.0, hop_s: float = 0.01,
             frame_s: float = 0.04, threshold: float = 0.2, silence_dbfs: float = -50.0) -> np.ndarray:
    """YIN F0 (Hz) every ``hop_s`` seconds on an 8 kHz copy; NaN where unvoiced or silent."""
    np = need("numpy", "F0")
    sfft = need("scipy.fft", "F0")
    from conformance.audio.corpus import resample

    x = resample(np.asarray(y, dtype=np.float32), sr, F0_SR) if sr != F0_SR else np.asarray(y, np.float32)
    w = round(frame_s * F0_SR)  # integration window
    tau_max = int(F0_SR / fmin)
    hop = round(hop_s * F0_SR)
    span = w + tau_max
    if len(x) < span:
        x = np.pad(x, (0, span - len(x)))
    n_frames = 1 + (len(x) - span) // hop
    nfft = 1 << (span - 1).bit_length()  # no wrap-around reaches lags 0..tau_max: N >= w + tau_max
    out = np.full(n_frames, np.nan)
    c2 = np.concatenate(([0.0], np.cumsum(x.astype(np.float64) ** 2)))
    energy = c2[w:] - c2[:-w]  # energy[j]: of the w samples from j on
    windows = np.lib.stride_tricks.sliding_window_view
    frame_at = windows(x, span)[::hop]  # row i: frame i, from sample i * hop (views, copied per part)
    energy_at = windows(energy, tau_max + 1)[::hop]  # row i: the window's energy at lags 0..tau_max
    level = 10 * np.log10(np.maximum(energy_at[:n_frames, 0] / w, 1e-10))
    active = np.nonzero(level > silence_dbfs)[0]  # silent frames are unvoiced: skip their work
    taus = np.arange(1, tau_max + 1)
    for part in range(0, len(active), 4096):
        sel = active[part: part + 4096]
        frames = frame_at[sel]
        # difference function d(tau) = E0 + E_tau - 2 r(tau) over a window of w samples
        spec_a = sfft.rfft(frames, nfft, axis=1)
        spec_b = sfft.rfft(frames[:, :w], nfft, axis=1)
        r = sfft.irfft(spec_a * np.conj(spec_b), nfft, axis=1)[:, 1: tau_max + 1]
        e = energy_at[sel]
        d = e[:, :1] + e[:, 1:]
        scale = d * DIFFERENCE_FLOOR
        d -= 2 * r
        # under the floor d is rounding, not a difference (it is a sum of squares, so never below 0):
        # 0 there. Without it a constant (DC) frame's rounding noise read as a pitch, 235 Hz at 0.1
        d[d < scale] = 0
        total = np.cumsum(d, axis=1)
        np.maximum(total, 1e-12, out=total)
        cm = d * taus
        cm /= total  # cumulative mean normalised difference
        # the first dip under the threshold at any lag: one shorter than 1/fmax means a fundamental over
        # fmax, unvoiced below (holding those lags back would read such a tone an octave or more down).
        # A frame with no dip is unvoiced whatever lag it ends on (its every value is over the threshold):
        # its walk starts at the first lag
        below = cm < threshold
        first = below.argmax(axis=1)
        # walk down to the local minimum at or after it, however wide the dip (a low voice's is wide)
        rising = cm[:, 1:] >= cm[:, :-1]  # rising[:, j]: lag j + 2 is no lower than lag j + 1
        rising &= np.arange(cm.shape[1] - 1) >= first[:, None]
        first = np.where(rising.any(axis=1), rising.argmax(axis=1), cm.shape[1] - 1)
        rows = np.arange(len(cm))
        aperiodicity = cm[rows, first]
        # parabolic interpolation around the chosen lag
        lo = np.maximum(first - 1, 0)
        hi = np.minimum(first + 1, cm.shape[1] - 1)
        a, b, c = cm[rows, lo], cm[rows, first], cm[rows, hi]
        denom = a - 2 * b + c
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - c) / np.where(denom == 0, 1, denom), 0.0)
        lag = first + 1 + np.clip(shift, -1, 1)
        f0 = F0_SR / lag
        ok = (aperiodicity < threshold) & (f0 >= fmin) & (f0 <= fmax)
        out[sel] = np.where(ok, f0, np.nan)
    return out
