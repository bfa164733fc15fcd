"""Effective bandwidth, YIN F0, the usability verdicts and analyze() against references and known answers."""

from __future__ import annotations

import importlib
import math
import threading

import numpy as np
import pytest
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal as sps

from conformance.audio import _env, analysis, corpus
from conformance.audio._env import MissingExtraError
from conformance.audio.analysis import (
    _in_parallel,
    analyze,
    clipping_ratio,
    effective_bandwidth,
    f0_track,
    frame_levels_db,
    integrated_loudness,
    judgeable,
    load_audio,
    snr_estimate,
    true_peak,
    unusable,
)
from conformance.audio.decoding import Decoded, encode
from conformance.audio.probe import AudioDecodeError, AudioInfo

SILENCE_PEAK = 10 ** (-80 / 20)


# --- signals -------------------------------------------------------------------------------------


def _tone(freq: float, sr: int, seconds: float, amp: float = 0.3, phase: float = 0.3) -> np.ndarray:
    t = np.arange(round(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def _harmonic(f0: float, sr: int, seconds: float, amp: float = 0.3, harmonics: int = 5) -> np.ndarray:
    t = np.arange(round(sr * seconds)) / sr
    return (amp * sum(np.sin(2 * np.pi * k * f0 * t + k) / k for k in range(1, harmonics + 1))).astype(np.float32)


def _noise(n: int, seed: int, amp: float = 0.1) -> np.ndarray:
    return (amp * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def _lowpassed(sr: int, cutoff: float, n: int, seed: int, amp: float = 0.1) -> np.ndarray:
    sos = sps.butter(10, cutoff, fs=sr, output="sos")
    y = sps.sosfiltfilt(sos, np.random.default_rng(seed).standard_normal(n))
    return (amp * y / np.std(y)).astype(np.float32)


def _decoded(samples: np.ndarray, sr: int) -> Decoded:
    info = AudioInfo(format="array", codec="float", sample_rate=sr, channels=1,
                     duration=samples.shape[-1] / sr, size=samples.nbytes)
    return Decoded(samples, sr, info)


# --- references ----------------------------------------------------------------------------------


def reference_bandwidth(y: np.ndarray, sr: int, floor_db: float = 60.0, share: float = 0.99,
                        n_fft: int = 2048) -> float:
    """The documented definition, frame by frame in float64."""
    x = np.asarray(y, dtype=np.float64)
    if len(x) < n_fft:
        x = np.concatenate([x, np.zeros(n_fft - len(x))])
    window = np.hanning(n_fft)
    spectra = [np.abs(np.fft.rfft(x[j * n_fft:(j + 1) * n_fft] * window)) ** 2 for j in range(len(x) // n_fft)]
    energies = [float(p.sum()) for p in spectra]
    loudest = max(energies)
    if loudest <= 0:
        return 0.0
    kept = [p for p, e in zip(spectra, energies, strict=True) if e >= loudest * 1e-4]
    level = 10 * np.log10(np.maximum(np.mean(kept, axis=0), 1e-30))
    weight = np.maximum(level - (level.max() - floor_db), 0.0)
    if weight.sum() <= 0:
        return 0.0
    cum = np.cumsum(weight) / weight.sum()
    over = np.nonzero(cum >= share)[0]
    k = int(over[0]) if len(over) else len(cum) - 1
    return k * sr / n_fft


def exact_weight_shares(y: np.ndarray, floor_db: float = 60.0, n_fft: int = 2048) -> np.ndarray:
    """The cumulative weight share under each bin in the measure's own arithmetic (float32 Hann frames
    and FFT, float64 powers summed frame by frame within parts of 256 frames), bit for bit."""
    x = np.asarray(y)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    m = len(x) // n_fft
    window = np.hanning(n_fft).astype(np.float32)
    rows = []
    for j in range(m):
        spec = scipy.fft.rfft(x[j * n_fft:(j + 1) * n_fft].astype(np.float32) * window)
        rows.append((spec.real ** 2 + spec.imag ** 2).astype(np.float64))
    energies = np.array([r.sum() for r in rows])
    keep = energies >= energies.max() * 1e-4
    total = np.zeros(n_fft // 2 + 1)
    for start in range(0, m, 256):
        block = np.zeros(n_fft // 2 + 1)
        first = True
        for j in range(start, min(m, start + 256)):
            if keep[j]:
                block = rows[j].copy() if first else block + rows[j]
                first = False
        total += block
    level = 10 * np.log10(np.maximum(total / max(1, int(keep.sum())), 1e-30))
    weight = np.clip(level - (level.max() - floor_db), 0, None)
    return np.cumsum(weight) / weight.sum()


def assert_share_edges(y: np.ndarray, sr: int, bins: list[int], **passed: float) -> None:
    """At a share equal to a bin's cumulative share, and one ulp either side, the answer is that bin or the next."""
    n_fft = int(passed.get("n_fft", 2048))
    cum = exact_weight_shares(y, passed.get("floor_db", 60.0), n_fft)
    freqs = np.arange(len(cum)) * (sr / n_fft)
    for k in bins:
        for share in (cum[k], np.nextafter(cum[k], 0.0), np.nextafter(cum[k], 2.0)):
            expected = freqs[min(len(cum) - 1, int(np.searchsorted(cum, share)))]
            assert effective_bandwidth(y, sr, share=float(share), **passed) == pytest.approx(expected, rel=1e-12)


def reference_yin(y: np.ndarray, sr: int, *, fmin: float = 50.0, fmax: float = 600.0, hop_s: float = 0.01,
                  frame_s: float = 0.04, threshold: float = 0.2, silence_dbfs: float = -50.0) -> np.ndarray:
    """YIN frame by frame on the 8 kHz copy: the difference function summed directly over w samples,
    cumulative-mean normalised, the first dip under the threshold at any lag (else the minimum) walked down
    to its local minimum, parabolic interpolation, F0 = 8000/lag, voiced only within fmin-fmax."""
    x = corpus.resample(np.asarray(y, np.float32), sr, 8000).astype(np.float64)
    w = round(frame_s * 8000)
    longest = int(8000 / fmin)
    hop = round(hop_s * 8000)
    span = w + longest
    if len(x) < span:
        x = np.concatenate([x, np.zeros(span - len(x))])
    n = 1 + (len(x) - span) // hop
    out = np.full(n, np.nan)
    lags = np.arange(1, longest + 1)
    for i in range(n):
        seg = x[i * hop: i * hop + span]
        head = seg[:w]
        if 10 * np.log10(max(float(np.mean(head ** 2)), 1e-10)) <= silence_dbfs:
            continue
        d = ((sliding_window_view(seg, w)[1: longest + 1] - head) ** 2).sum(axis=1)
        cm = d * lags / np.maximum(np.cumsum(d), 1e-12)
        under = np.nonzero(cm < threshold)[0]
        k = int(under[0]) if len(under) else int(np.argmin(cm))
        while k + 1 < len(cm) and cm[k + 1] < cm[k]:
            k += 1
        a, b, c = cm[max(k - 1, 0)], cm[k], cm[min(k + 1, len(cm) - 1)]
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if abs(den) > 1e-12 else 0.0
        f0 = 8000 / (k + 1 + min(max(shift, -1.0), 1.0))
        if b < threshold and fmin <= f0 <= fmax:
            out[i] = f0
    return out


def assert_same_track(got: np.ndarray, want: np.ndarray, rel: float = 1e-6) -> None:
    assert got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    voiced = ~np.isnan(want)
    np.testing.assert_allclose(got[voiced], want[voiced], rtol=rel, atol=0)


# --- effective_bandwidth ---------------------------------------------------------------------------


@pytest.mark.parametrize(("sr", "cutoff", "seed"), [(16000, 4000, 1), (44100, 8000, 2), (48000, 12000, 3),
                                                    (44100, 5500, 4), (16000, 6500, 5)])
def test_bandwidth_of_lowpassed_noise_equals_the_reference(sr, cutoff, seed):
    y = _lowpassed(sr, cutoff, sr, seed)
    got = effective_bandwidth(y, sr)
    assert got == pytest.approx(reference_bandwidth(y, sr), rel=1e-12, abs=1e-9)
    assert cutoff * 0.9 < got < cutoff * 1.25


@pytest.mark.parametrize(("floor_db", "share", "n_fft"), [
    (30.0, 0.99, 2048), (80.0, 0.99, 2048), (60.0, 0.5, 2048), (60.0, 0.9, 1024), (45.0, 0.95, 4096), (60.0, 0.99, 512),
])
def test_bandwidth_with_other_floor_share_and_frame_size_equals_the_reference(floor_db, share, n_fft):
    sr = 16000
    y = _lowpassed(sr, 3000, sr, 7) + _noise(sr, 8, amp=1e-3)
    got = effective_bandwidth(y, sr, floor_db=floor_db, share=share, n_fft=n_fft)
    assert got == pytest.approx(reference_bandwidth(y, sr, floor_db, share, n_fft), rel=1e-12, abs=1e-9)


def test_bandwidth_defaults_are_60_db_99_percent_and_2048_points():
    sr = 16000
    y = _lowpassed(sr, 3000, sr, 7) + _noise(sr, 8, amp=1e-3)
    want = reference_bandwidth(y, sr, 60.0, 0.99, 2048)
    assert effective_bandwidth(y, sr) == pytest.approx(want, rel=1e-12)
    assert want not in (reference_bandwidth(y, sr, 61.0), reference_bandwidth(y, sr, share=1.99))
    assert want % (sr / 2048) == 0
    cum = exact_weight_shares(y)
    assert_share_edges(y, sr, [int(np.searchsorted(cum, s)) for s in (0.2, 0.6, 0.99)])


def test_bandwidth_of_a_signal_shorter_than_a_frame_is_that_of_the_zero_padded_frame():
    sr = 16000
    y = _lowpassed(sr, 2500, 1500, 9)
    assert effective_bandwidth(y, sr) == pytest.approx(reference_bandwidth(y, sr), rel=1e-12)
    cum = exact_weight_shares(y)
    assert_share_edges(y, sr, [int(np.searchsorted(cum, s)) for s in (0.1, 0.3, 0.5, 0.7, 0.9, 0.99)])
    exact = _lowpassed(sr, 2500, 2048, 9)
    assert effective_bandwidth(exact, sr) == pytest.approx(reference_bandwidth(exact, sr), rel=1e-12)


def test_bandwidth_over_more_than_one_part_of_256_frames_equals_the_reference():
    sr, n_fft = 16000, 64
    n = n_fft * 258 + 10
    y = _lowpassed(sr, 2000, n, 10)
    y[-2 * n_fft - 10:] = _noise(2 * n_fft + 10, 11, amp=0.3)  # the last two frames broadband and loud
    got = effective_bandwidth(y, sr, n_fft=n_fft)
    assert got == pytest.approx(reference_bandwidth(y, sr, n_fft=n_fft), rel=1e-12)
    cum = exact_weight_shares(y, n_fft=n_fft)
    assert_share_edges(y, sr, list(range(len(cum))), n_fft=n_fft)
    three = np.concatenate([y, _lowpassed(sr, 5000, n_fft * 255, 12)])
    assert effective_bandwidth(three, sr, n_fft=n_fft) == pytest.approx(
        reference_bandwidth(three, sr, n_fft=n_fft), rel=1e-12)


def test_bandwidth_adds_frame_powers_block_by_block():
    """Two tones in alternate frames, then only the second, over three parts of 256 frames: the first tone's
    bins add tiny and large powers, which round by the order they are added in (found by search: parts
    of 255, 257 or 512 frames round differently here)."""
    sr, n_fft, frames = 8000, 32, 600
    t = np.arange(n_fft)
    a = (np.sin(2 * np.pi * 1000 * t / sr) * 0.125 * np.sqrt(2)).astype(np.float32)
    b = (np.sin(2 * np.pi * 3000 * t / sr) * 0.125 * np.sqrt(2)).astype(np.float32)
    y = np.concatenate([a if j % 2 == 0 and j < 300 else b for j in range(frames)])
    y += _noise(len(y), 3, amp=1e-6)
    want = reference_bandwidth(y, sr, n_fft=n_fft)
    assert effective_bandwidth(y, sr, n_fft=n_fft) == pytest.approx(want, rel=1e-12)
    assert_share_edges(y, sr, list(range(n_fft // 2 + 1)), floor_db=7.0, n_fft=n_fft)


@pytest.mark.parametrize("amp", [0.05, 0.3])
def test_bandwidth_of_a_single_frame_averages_over_one_frame(amp):
    sr, n_fft = 8000, 32
    y = _tone(1000, sr, n_fft / sr, amp=amp, phase=0.0) + _noise(n_fft, 0, amp=1e-6)
    assert_share_edges(y, sr, list(range(n_fft // 2 + 1)), floor_db=7.0, n_fft=n_fft)
    assert_share_edges(y[:20], sr, list(range(n_fft // 2 + 1)), floor_db=7.0, n_fft=n_fft)


def test_bandwidth_drops_frames_under_one_ten_thousandth_of_the_loudest_energy():
    sr = 16000
    loud = _lowpassed(sr, 2000, 8 * 2048, 14, amp=0.3)
    for ratio, gated in ((0.3e-4, True), (3e-4, False)):
        quiet = _noise(8 * 2048, 15, amp=0.3 * np.sqrt(ratio))  # white frames at about `ratio` of the loud energy
        y = np.concatenate([loud, quiet]).astype(np.float32)
        got = effective_bandwidth(y, sr)
        assert got == pytest.approx(reference_bandwidth(y, sr), rel=1e-12)
        assert (got < 3000) is gated
    cum = exact_weight_shares(y)
    assert_share_edges(y, sr, [int(np.searchsorted(cum, s)) for s in (0.3, 0.8, 0.99)])


@pytest.mark.parametrize("dtype", [np.float64, np.int16])
def test_bandwidth_measures_the_float32_samples_of_any_input(dtype):
    """Noise whose 99 % point sits on a bin edge (a found by bisection): float64 samples are measured
    as their float32 values, 7898.4 Hz; measured at float64 precision they would read 7906.3 Hz."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(0)
    white = rng.standard_normal(8 * 2048)
    red = lfilter([1], [1, -0.95], rng.standard_normal(8 * 2048))
    y = 0.05 * red + 0.009968295573919154 * white
    if dtype is np.int16:
        y = np.round(y * 8000)
    y = y.astype(dtype)
    assert effective_bandwidth(y, 16000) == effective_bandwidth(y.astype(np.float32), 16000)
    if dtype is np.float64:
        assert effective_bandwidth(y, 16000) == 7898.4375


def test_bandwidth_of_a_pure_tone_is_its_bin():
    sr = 16000
    y = _tone(128 * sr / 2048, sr, 1.0, amp=0.5, phase=0.0)
    assert effective_bandwidth(y, sr, share=0.5) == 1000.0
    assert effective_bandwidth(y, sr) == 1000.0 + sr / 2048  # the Hann neighbours, 6 dB down, carry weight
    assert effective_bandwidth(y, sr, floor_db=0.5) == 1000.0
    assert effective_bandwidth(y, sr, floor_db=0.5, share=0.01) == 1000.0
    assert effective_bandwidth(y, sr, share=1.5) == 8000.0
    assert effective_bandwidth(y, sr, floor_db=0.0) == 0.0


def test_bandwidth_of_a_quiet_signal_is_measured_in_absolute_power():
    sr = 16000
    y = _lowpassed(sr, 3000, sr, 16, amp=1e-3)
    assert effective_bandwidth(y, sr) == pytest.approx(reference_bandwidth(y, sr), rel=1e-12)
    assert 2500 < effective_bandwidth(y, sr) < 4000
    cum = exact_weight_shares(y)
    assert_share_edges(y, sr, [int(np.searchsorted(cum, s)) for s in (0.5, 0.99)])


def test_bandwidth_of_silence_is_zero():
    assert effective_bandwidth(np.zeros(5000, np.float32), 16000) == 0.0
    assert effective_bandwidth(np.zeros(100, np.float32), 16000) == 0.0


# --- f0_track ---------------------------------------------------------------------------------------


TRACK_CASES = {
    "sine 100 Hz at 8 kHz": (lambda: _tone(100, 8000, 0.5), 8000, {}),
    "harmonic 220 Hz at 16 kHz": (lambda: _harmonic(220, 16000, 0.5), 16000, {}),
    "sine 440 Hz at 44.1 kHz": (lambda: _tone(440, 44100, 0.5), 44100, {}),
    "harmonic 150 Hz at 22.05 kHz": (lambda: _harmonic(150, 22050, 0.4), 22050, {}),
    "sine 60 Hz, a wide dip walked to its end": (lambda: _tone(60, 8000, 0.5), 8000, {}),
    "sine 52 Hz, a wider dip": (lambda: _tone(52, 8000, 0.5), 8000, {}),
    "sine 700 Hz over fmax": (lambda: _tone(700, 8000, 0.5), 8000, {}),
    "harmonic 900 Hz over fmax": (lambda: _harmonic(900, 8000, 0.5), 8000, {}),
    "white noise": (lambda: _noise(8000, 17), 8000, {}),
    "glide 120-240 Hz": (lambda: (0.3 * sps.chirp(np.arange(16000) / 16000, 120, 1, 240)).astype(np.float32),
                         16000, {}),
    "sine at -40 dBFS": (lambda: _tone(200, 8000, 0.5, amp=0.01 * np.sqrt(2)), 8000, {}),
    "sine near fmax": (lambda: _tone(590, 8000, 0.5), 8000, {}),
    "sine near 610 Hz under fmax 615": (lambda: _tone(610, 8000, 0.5), 8000, {"fmax": 615.0}),
    "sine 640 Hz under fmax 700": (lambda: _tone(640, 8000, 0.5), 8000, {"fmax": 700.0}),
    "sine 3900 Hz under fmax 4000": (lambda: _tone(3900, 8000, 0.3), 8000, {"fmax": 4000.0}),
    "sine 2900 Hz under fmax 4000": (lambda: _tone(2900, 8000, 0.3), 8000, {"fmax": 4000.0}),
    "sine 41.5 Hz, a 513-sample span": (lambda: _tone(41.5, 8000, 0.5), 8000, {"fmin": 41.3}),
    "harmonic 45 Hz over fmin 40": (lambda: _harmonic(45, 8000, 0.5), 8000, {"fmin": 40.0}),
    "harmonic 120 Hz, fine hop and short frames": (lambda: _harmonic(120, 8000, 0.3), 8000,
                                                    {"hop_s": 0.005, "frame_s": 0.03}),
    "harmonic 180 Hz shorter than a span": (lambda: _harmonic(180, 8000, 0.03), 8000, {}),
    "harmonic 180 Hz shorter than a span at 16 kHz": (lambda: _harmonic(180, 16000, 0.045), 16000, {}),
    "noise under a loose threshold": (lambda: _noise(4000, 18), 8000, {"threshold": 0.6}),
    "harmonic 200 Hz under a tight threshold": (lambda: _harmonic(200, 8000, 0.3) + _noise(2400, 19, 0.05), 8000,
                                                {"threshold": 0.05}),
    "tone from silence": (lambda: np.concatenate([np.zeros(1000, np.float32), _harmonic(210, 8000, 0.3)]),
                          8000, {}),
    "harmonic 80 Hz over a 513-sample span": (lambda: _harmonic(80, 8000, 0.4), 8000,
                                              {"fmin": 79.0, "frame_s": 0.0515}),
    "sine 41.6 Hz under threshold 0.02 over a 513-sample span": (lambda: _tone(41.6, 8000, 0.4), 8000,
                                                                 {"fmin": 41.3, "threshold": 0.02}),
    "harmonic 200 Hz under threshold 2": (lambda: _harmonic(200, 8000, 0.3), 8000, {"threshold": 2.0}),
    "sine 70 Hz under threshold 1.5: the walk stops on a concave slope": (lambda: _tone(70, 8000, 0.4), 8000,
                                                                          {"threshold": 1.5}),
}


@pytest.mark.parametrize("case", list(TRACK_CASES))
def test_f0_track_equals_a_frame_by_frame_yin(case):
    make, sr, kwargs = TRACK_CASES[case]
    y = make()
    assert_same_track(f0_track(y, sr, **kwargs), reference_yin(y, sr, **kwargs))


@pytest.mark.parametrize(("f0", "sr", "make"), [(100, 8000, _tone), (220, 16000, _tone), (440, 44100, _tone),
                                                (100, 16000, _harmonic), (220, 8000, _harmonic),
                                                (440, 44100, _harmonic)])
def test_f0_of_a_steady_tone_is_its_frequency_in_every_frame(f0, sr, make):
    track = f0_track(make(f0, sr, 0.5), sr)
    assert len(track) == 1 + (4000 - 480) // 80
    np.testing.assert_allclose(track, f0, rtol=0.01)


@pytest.mark.parametrize("n", [1, 100, 479, 480, 481, 559, 560, 561, 4000, 4075, 4076, 4079, 4080])
def test_f0_track_has_one_value_per_hop_that_fits_a_span(n):
    y = _harmonic(200, 8000, 1.0)[:n]
    assert len(f0_track(y, 8000)) == 1 + (max(n, 480) - 480) // 80
    assert len(f0_track(y, 8000, hop_s=0.005)) == 1 + (max(n, 480) - 480) // 40
    assert len(f0_track(y, 8000, frame_s=0.03)) == 1 + (max(n, 400) - 400) // 80
    assert len(f0_track(y, 8000, fmin=100.0)) == 1 + (max(n, 400) - 400) // 80


@pytest.mark.parametrize("sr", [8000, 16000])
def test_f0_track_measures_the_float32_samples_of_float64_input(sr):
    t = np.arange(round(0.3 * sr)) / sr
    y = 0.3 * sum(np.sin(2 * np.pi * k * 190 * t + k) / k for k in range(1, 6))
    assert y.dtype == np.float64
    got = f0_track(y, sr)
    assert np.array_equal(got, f0_track(y.astype(np.float32), sr), equal_nan=True)
    np.testing.assert_allclose(got, 190, rtol=0.01)


def test_f0_track_length_at_16_khz_counts_hops_on_the_8_khz_copy():
    y = _harmonic(200, 16000, 0.7)[:11157]
    n8 = len(corpus.resample(y, 16000, 8000))
    assert len(f0_track(y, 16000)) == 1 + (n8 - 480) // 80


def test_silence_and_frames_under_the_silence_level_are_unvoiced():
    assert np.isnan(f0_track(np.zeros(4000, np.float32), 8000)).all()
    quiet = _tone(200, 8000, 0.5, amp=np.sqrt(2) * 10 ** (-60 / 20))  # -60 dBFS RMS
    assert np.isnan(f0_track(quiet, 8000)).all()
    np.testing.assert_allclose(f0_track(quiet, 8000, silence_dbfs=-70.0), 200, rtol=0.01)
    rms = np.sqrt(2) * 10 ** (np.array([-50.5, -49.5]) / 20)
    under, over = (_tone(200, 8000, 0.5, amp=a) for a in rms)
    assert np.isnan(f0_track(under, 8000)).all()
    np.testing.assert_allclose(f0_track(over, 8000), 200, rtol=0.01)
    np.testing.assert_allclose(f0_track(under, 8000, silence_dbfs=-51.0), 200, rtol=0.01)
    assert np.isnan(f0_track(over, 8000, silence_dbfs=-49.0)).all()


def test_a_frame_exactly_at_the_silence_level_is_unvoiced():
    frame = _tone(200, 8000, 0.005, amp=0.1, phase=0.0)  # 40 samples: five periods of 200 Hz
    y = np.tile(frame, 20)
    c2 = np.concatenate(([0.0], np.cumsum(y.astype(np.float64) ** 2)))
    level = 10 * np.log10(max((c2[320] - c2[0]) / 320, 1e-10))
    track = f0_track(y, 8000, silence_dbfs=float(level))
    assert np.isnan(track[0])
    assert f0_track(y, 8000, silence_dbfs=float(np.nextafter(level, -np.inf)))[0] == pytest.approx(200, rel=1e-3)


def test_with_the_silence_gate_off_digital_silence_dips_at_the_first_lag():
    track = f0_track(np.zeros(2000, np.float32), 8000, silence_dbfs=-np.inf)
    assert len(track) == 1 + (2000 - 480) // 80
    assert np.isnan(track).all()  # every lag dips to 0, lag 1 first: 8 kHz, over fmax
    assert (f0_track(np.zeros(2000, np.float32), 8000, silence_dbfs=-np.inf, fmax=8000.0) == 8000.0).all()


def test_an_f0_outside_fmin_fmax_is_unvoiced():
    low = _harmonic(45, 8000, 0.5)
    assert np.isnan(f0_track(low, 8000)).all()
    np.testing.assert_allclose(f0_track(low, 8000, fmin=40.0), 45, rtol=0.03)
    mid = _harmonic(200, 8000, 0.5)
    assert np.isnan(f0_track(mid, 8000, fmin=250.0)).all()
    np.testing.assert_allclose(f0_track(mid, 8000, fmin=190.0), 200, rtol=0.01)
    high = _harmonic(700, 8000, 0.5)
    np.testing.assert_allclose(f0_track(high, 8000, fmax=800.0), 700, rtol=0.01)


@pytest.mark.parametrize(("tone", "low", "high", "voiced"), [(598.72, 599.9, 600.0, True), (598.8, 600.0, 600.1, False)])
def test_the_default_fmax_is_600_hz_both_sides(tone, low, high, voiced):
    """Tones read 0.2 % high near 600 Hz (lag 13.3 at 8 kHz): 598.72 Hz reads 599.93-599.98 Hz, just
    under the default fmax, voiced; 598.8 Hz reads 600.02-600.06 Hz, just over it, unvoiced."""
    t = np.arange(16000) / 16000
    y = (0.5 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
    wide = f0_track(y, 16000, fmax=700.0)
    assert np.isfinite(wide).all() and (low < wide).all() and (wide < high).all()
    track = f0_track(y, 16000)
    assert np.isfinite(track).all() if voiced else np.isnan(track).all()


@pytest.mark.parametrize("level", [0.01, -0.1, 0.777])
def test_a_constant_signal_has_no_f0(level):
    """A DC frame repeats itself at every lag: its differences are FFT rounding, which read as a pitch
    (235 Hz at 0.1) until differences under DIFFERENCE_FLOOR of the energy counted as 0."""
    dc = np.full(8000, level, np.float32)
    assert np.isnan(f0_track(dc, 8000)).all()
    report = analyze((np.full(16000, level, np.float32), 16000))
    assert report.f0_median_hz is None and report.voiced_ratio == 0.0
    tone = _harmonic(200, 8000, 1.0) + np.float32(level)  # the same offset under a tone: still read
    np.testing.assert_allclose(f0_track(tone, 8000), 200, rtol=0.01)


def test_the_silence_gate_reads_each_frames_own_window():
    """A tone whose level sits on the -50 dBFS gate: a frame is measured exactly when the 40 ms from
    its own first sample are over the gate (not the window one sample later, which straddles it)."""
    sr, w, hop = 8000, 320, 80
    t = np.arange(4000) / sr
    unit = np.sin(2 * np.pi * 170 * t)
    energy = np.convolve(unit ** 2, np.ones(w), mode="valid")  # energy[j]: of the w samples from j
    gate = w * 10 ** (-50 / 10)
    amp = np.sqrt(gate / np.sqrt(energy[10 * hop] * energy[10 * hop + 1]))  # frame 10: between the two
    y = (amp * unit).astype(np.float32)
    x = y.astype(np.float64)
    own = np.convolve(x ** 2, np.ones(w), mode="valid")[::hop] > gate
    track = f0_track(y, sr)
    own = own[: len(track)]
    assert own.any() and not own.all()
    assert own[10] != (np.convolve(x ** 2, np.ones(w), mode="valid")[10 * hop + 1] > gate)  # the straddle
    np.testing.assert_array_equal(np.isfinite(track), own)


def test_a_threshold_of_one_still_finds_a_tone():
    """The normalised difference at the first lag is exactly 1: "under the threshold" is strict, so at
    threshold 1.0 the first lag is no dip and the tone's own lag is found."""
    np.testing.assert_allclose(f0_track(_harmonic(200, 8000, 0.5), 8000, threshold=1.0), 200, rtol=0.01)


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64, np.float64])
def test_f0_track_takes_any_numeric_samples_as_their_float32_values(dtype):
    y = _harmonic(150, 16000, 0.5, amp=0.3) * 20000
    as_float32 = f0_track(y.astype(dtype).astype(np.float32), 16000)
    np.testing.assert_array_equal(f0_track(y.astype(dtype), 16000), as_float32)
    assert np.isfinite(as_float32).mean() > 0.9


def test_an_f0_at_the_longest_lag_is_interpolated_half_a_lag_past_it_and_fmin_is_inclusive():
    y = _harmonic(80, 8000, 0.5)
    edge = 8000 / 100.5  # fmin 79.3 allows lags up to 100; the dip sits on lag 100, the last one
    assert (f0_track(y, 8000, fmin=79.3) == edge).all()
    # the same frames after a higher voice's, measured in the same part: each row keeps its own last lag
    both = f0_track(np.concatenate([_harmonic(200, 8000, 0.5), y]), 8000, fmin=79.3)
    assert (both[-5:] == edge).all() and np.nanmedian(both[:5]) == pytest.approx(200, rel=0.01)
    assert (f0_track(y, 8000, fmin=edge) == edge).all()
    assert np.isnan(f0_track(y, 8000, fmin=float(np.nextafter(edge, np.inf)))).all()


def test_fmax_is_inclusive():
    y = _tone(590, 8000, 0.5)
    track = f0_track(y, 8000)
    v = float(track[10])
    assert 8000 / 14 < v <= 600 and int(8000 / v) == 13
    assert f0_track(y, 8000, fmax=v)[10] == v
    assert np.isnan(f0_track(y, 8000, fmax=float(np.nextafter(v, 0.0)))[10])


def test_an_f0_just_over_fmax_is_unvoiced_not_read_at_fmax_or_an_octave_down():
    y = _harmonic(634, 8000, 0.3, harmonics=3)
    assert np.isnan(f0_track(y, 8000)).all()
    assert np.isnan(f0_track(y, 8000, fmax=601.0)).all()
    assert np.isnan(f0_track(y, 8000, fmax=633.0)).all()
    np.testing.assert_allclose(f0_track(y, 8000, fmax=640.0), 634, rtol=0.01)
    whistle = _tone(700, 8000, 0.5)
    assert np.isnan(f0_track(whistle, 8000)).all()  # not 350 Hz, its second period
    np.testing.assert_allclose(f0_track(whistle, 8000, fmax=800.0), 700, rtol=0.01)


def test_a_low_voice_reads_its_own_pitch_however_wide_its_dip():
    for f0 in (52.0, 60.0, 75.0):
        np.testing.assert_allclose(f0_track(_tone(f0, 8000, 0.5), 8000), f0, rtol=1e-3)


def test_threshold_bounds_the_aperiodicity():
    y = _harmonic(200, 8000, 0.3)
    assert np.isnan(f0_track(y, 8000, threshold=0.0)).all()  # an aperiodicity is never under 0
    assert np.isnan(f0_track(y, 8000, threshold=2.5)).all()  # lag 1 (always 1.0) is under it: 8 kHz, over fmax
    square = np.tile(np.r_[np.full(20, 0.25, np.float32), np.full(20, -0.25, np.float32)], 60)  # 200 Hz
    np.testing.assert_allclose(f0_track(square, 8000, threshold=1e-300), 200, rtol=1e-3)  # aperiodicity 0
    assert np.isnan(f0_track(square, 8000, threshold=0.0)).all()
    noise = _noise(8000, 20)
    assert np.isnan(f0_track(noise, 8000)).all()
    assert np.isnan(f0_track(noise, 8000, threshold=0.9)).sum() < len(f0_track(noise, 8000)) / 2
    # at 1.0 noise's first dip mostly falls on a lag shorter than 1/fmax: unvoiced, not read an octave down
    assert np.isnan(f0_track(noise, 8000, threshold=1.0)).sum() > len(f0_track(noise, 8000)) * 0.9


def test_a_glide_is_tracked_upwards():
    sr = 16000
    t = np.arange(sr) / sr
    y = (0.3 * sps.chirp(t, 120, 1, 240)).astype(np.float32)
    track = f0_track(y, sr)
    assert not np.isnan(track).any()
    centre = (np.arange(len(track)) * 80 + 160) / 8000  # the middle of each 40 ms window
    np.testing.assert_allclose(track, 120 + 120 * centre, rtol=0.03)
    assert (np.diff(track) > -1.0).all()


def test_a_long_recording_is_tracked_to_its_end():
    y = _tone(200, 8000, 42.0)
    track = f0_track(y, 8000)
    assert len(track) == 1 + (len(y) - 480) // 80
    np.testing.assert_allclose(track, 200, rtol=1e-3)


# --- unusable, judgeable, load_audio -------------------------------------------------------------


def _click(sr: int, frames: int) -> np.ndarray:
    y = np.zeros(sr, np.float32)
    n = round(0.02 * sr)
    y[10 * n: (10 + frames) * n] = _tone(440, sr, frames * 0.02, amp=0.5)
    return y


def _alternating(*parts: tuple[float, int]) -> np.ndarray:
    """±amplitude sample pairs, `frames` 20 ms frames of each part at 16 kHz (mean exactly 0)."""
    return np.concatenate([np.tile([a, -a], 160 * frames) for a, frames in parts])


def test_unusable_names_no_samples():
    assert unusable((np.zeros(0, np.float32), 16000)) == "no samples"
    assert judgeable((np.zeros(0, np.float32), 16000)) == (None, "no samples")


def test_unusable_gives_the_share_of_non_finite_samples():
    y = np.array([0.1, np.nan, 0.2, 0.3] * 40, np.float32)
    assert unusable(_decoded(y, 16000)) == "25% of the samples are not finite numbers (NaN or infinite)"
    y[2] = np.inf
    assert unusable(_decoded(y, 16000)) == "26% of the samples are not finite numbers (NaN or infinite)"
    assert unusable((y, 16000)) == "unreadable audio: audio holds non-finite sample(s) (NaN or infinity)"


def test_silence_is_a_peak_at_or_under_minus_80_dbfs():
    at = _alternating((SILENCE_PEAK, 5))
    assert unusable(_decoded(at, 16000)) == "silence (no sample above -80 dBFS)"
    assert unusable(_decoded(at * 0.5, 16000)) == "silence (no sample above -80 dBFS)"
    over = _alternating((SILENCE_PEAK * 1.0000001, 5))
    assert unusable(_decoded(over, 16000)) == "only 0 ms of sound (a click, not speech)"
    assert unusable((np.zeros(1600, np.float32), 16000)) == "silence (no sample above -80 dBFS)"


def test_a_constant_level_is_named_with_its_signed_mean():
    assert unusable((np.full(1600, -0.3, np.float32), 16000)) == "a constant level (DC -0.300) without sound"
    assert unusable((np.full(1600, 0.25, np.float32), 16000)) == "a constant level (DC +0.250) without sound"
    assert unusable((np.array([0.5], np.float32), 16000)) == "a constant level (DC +0.500) without sound"
    dc_tone = (_tone(440, 16000, 0.5, amp=0.2) + 0.4).astype(np.float32)
    assert unusable((dc_tone, 16000)) is None


def test_a_swing_of_exactly_minus_80_dbfs_about_the_mean_is_a_constant_level():
    at = _decoded(np.array([0.0, 2 * SILENCE_PEAK]), 16000)
    assert unusable(at) == "a constant level (DC +0.000) without sound"
    over = _decoded(np.array([0.0, 2.2 * SILENCE_PEAK]), 16000)
    assert unusable(over) == "only 0 ms of sound (a click, not speech)"


def test_a_click_is_less_than_100_ms_of_sound():
    sr = 16000
    assert unusable((_click(sr, 5), sr)) is None  # exactly 100 ms
    assert unusable((_click(sr, 4), sr)) == "only 80 ms of sound (a click, not speech)"
    assert unusable((_click(sr, 1), sr)) == "only 20 ms of sound (a click, not speech)"
    assert unusable((_click(8000, 6), 8000)) is None
    assert unusable((_click(8000, 3), 8000)) == "only 60 ms of sound (a click, not speech)"


def test_sound_is_louder_than_minus_60_dbfs():
    loud, at_floor, over_floor = 10 ** (-25 / 20), 1e-3, 10 ** (-59.5 / 20)
    for _ in range(200):  # the amplitude whose frames measure exactly -60 dBFS
        y = _alternating((loud, 3), (at_floor, 3))
        level = float(frame_levels_db(y, 16000)[-1])
        if level == -60.0:
            break
        at_floor = np.nextafter(at_floor, 1.0 if level < -60 else 0.0)
    assert float(np.mean(y)) == 0.0
    assert list(frame_levels_db(y, 16000)[3:]) == [-60.0] * 3
    assert unusable(_decoded(y, 16000)) == "only 60 ms of sound (a click, not speech)"
    assert unusable(_decoded(_alternating((loud, 3), (over_floor, 3)), 16000)) is None


def test_sound_is_within_40_db_of_the_loudest_frame():
    loud = 10 ** (-10 / 20)
    under, over = 10 ** (-50.5 / 20), 10 ** (-49.5 / 20)
    quiet_under = _decoded(_alternating((loud, 3), (under, 3)), 16000)
    assert unusable(quiet_under) == "only 60 ms of sound (a click, not speech)"
    assert unusable(_decoded(_alternating((loud, 3), (over, 3)), 16000)) is None
    assert unusable(_decoded(_alternating((loud, 5)), 16000)) is None


def test_unusable_and_judgeable_explain_unreadable_bytes():
    assert unusable(b"") == "unreadable audio: audio is empty (0 bytes)"
    assert judgeable(b"") == (None, "unreadable audio: audio is empty (0 bytes)")
    assert unusable(None) == ("unreadable audio: cannot read audio from NoneType: give a path, bytes, a binary file, "
                              "(samples, sample_rate), a Decoded or a result with .audio bytes")


def _wav_second() -> bytes:
    return encode(_harmonic(200, 16000, 1.0), 16000, "wav")


def _pcm(y: np.ndarray) -> bytes:
    return (np.round(y * 32767).astype("<i2")).tobytes()


def test_max_duration_reaches_the_decoder():
    wav = _wav_second()
    why = ("unreadable audio: wav audio declares 1.0 s, longer than the decode cap of 0.5 s "
           "(pass max_duration= or set VOICE_CONFORMANCE_MAX_SECONDS)")
    assert unusable(wav, max_duration=0.5) == why
    assert judgeable(wav, max_duration=0.5) == (None, why)
    with pytest.raises(AudioDecodeError, match=r"^wav audio declares 1\.0 s, longer than the decode cap of 0\.5 s"):
        load_audio(wav, max_duration=0.5)
    with pytest.raises(AudioDecodeError, match=r"^wav audio declares 1\.0 s, longer than the decode cap of 0\.5 s"):
        analyze(wav, max_duration=0.5)
    assert unusable(wav, max_duration=2.0) is None
    assert load_audio(wav, max_duration=2.0).samples.shape == (16000,)
    assert analyze(wav, max_duration=2.0).duration_s == 1.0


def test_headerless_audio_takes_its_rate_and_format_as_keywords():
    y = _harmonic(200, 16000, 0.5)
    raw = _pcm(y)
    d = load_audio(raw, sample_rate=16000, sample_format="s16le")
    assert (d.sample_rate, d.samples.shape, d.info.format) == (16000, (8000,), "raw")
    np.testing.assert_array_equal(d.samples, np.frombuffer(raw, "<i2").astype(np.float32) / 32768)
    assert unusable(raw, sample_rate=16000, sample_format="s16le") is None
    got, why = judgeable(raw, sample_rate=16000, sample_format="s16le")
    assert why is None
    np.testing.assert_array_equal(got.samples, d.samples)
    r = analyze(raw, sample_rate=16000, sample_format="s16le")
    assert (r.sample_rate, r.duration_s, r.info.format) == (16000, 0.5, "raw")
    with pytest.raises(AudioDecodeError):
        load_audio(raw)


def test_load_audio_wraps_samples_and_passes_a_decoded_through():
    y = _harmonic(200, 16000, 0.1)
    d = load_audio((y, 16000))
    assert (d.sample_rate, d.channels, d.info.format, d.info.duration) == (16000, 1, "array", 0.1)
    np.testing.assert_array_equal(d.samples, y)
    assert load_audio(d) is d


def test_judgeable_returns_the_decoded_audio_or_the_reason():
    y = _harmonic(200, 16000, 0.5)
    d, why = judgeable((y, 16000))
    assert why is None
    assert isinstance(d, Decoded) and d.sample_rate == 16000
    np.testing.assert_array_equal(d.samples, y)
    given = _decoded(y, 16000)
    assert judgeable(given) == (given, None)
    assert judgeable((_click(16000, 4), 16000)) == (None, "only 80 ms of sound (a click, not speech)")
    assert judgeable((np.full(800, 0.2, np.float32), 16000)) == (None, "a constant level (DC +0.200) without sound")


# --- analyze ------------------------------------------------------------------------------------------


def _assert_wired(r, y: np.ndarray, sr: int) -> None:
    """The report's measures are the module's own functions of the same samples."""
    multi = y if y.ndim == 2 else y[None, :]
    mono = y if y.ndim == 1 else y.mean(axis=0, dtype="float32")
    assert r.loudness_lufs == integrated_loudness(multi, sr)
    tp = true_peak(multi, sr)
    assert r.true_peak_dbtp == (20 * math.log10(tp) if tp > 0 else -200.0)
    assert r.clipping_ratio == clipping_ratio(multi)
    assert r.snr_db == snr_estimate(frame_levels_db(mono, sr))
    assert r.bandwidth_hz == effective_bandwidth(mono, sr)
    f0 = f0_track(mono, sr)
    voiced = f0[np.isfinite(f0)]
    assert r.voiced_ratio == len(voiced) / len(f0)
    if len(voiced):
        assert r.f0_median_hz == float(np.median(voiced))
        assert r.f0_min_hz == float(np.percentile(voiced, 5))
        assert r.f0_max_hz == float(np.percentile(voiced, 95))
    else:
        assert (r.f0_median_hz, r.f0_min_hz, r.f0_max_hz) == (None, None, None)


def test_analyze_reports_a_tone_between_silences():
    sr = 16000
    tone = _harmonic(220, sr, 0.5)
    y = np.concatenate([np.zeros(3200, np.float32), tone, np.zeros(4800, np.float32)])
    r = analyze((y, sr))
    assert r.info == AudioInfo(format="array", codec="float", sample_rate=sr, channels=1, duration=1.0,
                               size=y.nbytes, sample_format="f32")
    assert (r.sample_rate, r.channels, r.duration_s) == (sr, 1, 1.0)
    assert r.peak_dbfs == 20 * math.log10(float(np.max(np.abs(y))))
    assert r.dc_offset == float(np.mean(y, dtype=np.float64))
    assert r.silence_ratio == 25 / 50
    assert r.leading_silence_s == pytest.approx(0.2, abs=1e-12)
    assert r.trailing_silence_s == pytest.approx(0.3, abs=1e-12)
    assert r.silence_threshold_dbfs == -50.0
    assert r.extras == {}
    assert r.f0_median_hz == pytest.approx(220, rel=0.01)
    assert r.voiced_ratio == pytest.approx(0.5, abs=0.06)
    _assert_wired(r, y, sr)


def test_analyze_reports_the_mean_of_an_offset_signal_in_float64():
    sr = 16000
    y = (_noise(sr, 21, amp=0.2) + np.float32(0.1)).astype(np.float32)
    r = analyze((y, sr))
    assert r.dc_offset == float(np.mean(y, dtype=np.float64))
    assert r.dc_offset != float(np.mean(y))
    assert r.dc_offset == pytest.approx(0.1, abs=0.01)
    _assert_wired(r, y, sr)


def test_analyze_of_all_silence():
    sr = 16000
    r = analyze((np.zeros(sr, np.float32), sr))
    assert (r.silence_ratio, r.leading_silence_s, r.trailing_silence_s) == (1.0, 1.0, 1.0)
    assert (r.peak_dbfs, r.true_peak_dbtp, r.dc_offset) == (-200.0, -200.0, 0.0)
    assert (r.f0_median_hz, r.f0_min_hz, r.f0_max_hz, r.voiced_ratio) == (None, None, None, 0.0)
    assert (r.loudness_lufs, r.bandwidth_hz) == (None, 0.0)


def test_analyze_of_noise_has_no_f0():
    sr = 16000
    y = _noise(sr, 22)
    r = analyze((y, sr))
    assert (r.f0_median_hz, r.f0_min_hz, r.f0_max_hz, r.voiced_ratio) == (None, None, None, 0.0)
    assert (r.silence_ratio, r.leading_silence_s, r.trailing_silence_s) == (0.0, 0.0, 0.0)
    _assert_wired(r, y, sr)


def test_analyze_f0_range_is_the_5th_to_95th_percentile_of_voiced_frames():
    sr = 16000
    y = np.concatenate([_harmonic(150, sr, 0.5), _harmonic(300, sr, 0.5)])
    r = analyze((y, sr))
    assert r.f0_min_hz == pytest.approx(150, rel=0.01)
    assert r.f0_max_hz == pytest.approx(300, rel=0.01)
    assert r.f0_median_hz in (pytest.approx(150, rel=0.01), pytest.approx(300, rel=0.01))
    _assert_wired(r, y, sr)
    glide = (0.3 * sps.chirp(np.arange(sr) / sr, 120, 1, 240)).astype(np.float32)
    g = analyze((glide, sr))
    voiced = f0_track(glide, sr)
    assert g.voiced_ratio == 1.0
    assert g.f0_min_hz == float(np.percentile(voiced, 5)) != float(np.percentile(voiced, 6))
    assert g.f0_max_hz == float(np.percentile(voiced, 95)) != float(np.percentile(voiced, 96))
    assert g.f0_median_hz == float(np.median(voiced))


def test_analyze_silence_threshold_decides_which_frames_are_silent():
    sr = 16000
    period = _tone(250, sr, 0.02, amp=np.sqrt(2) * 10 ** (-55 / 20), phase=0.0)  # 5 periods, -55 dBFS RMS
    y = np.tile(period, 25)
    r = analyze((y, sr))
    assert (r.silence_ratio, r.leading_silence_s, r.trailing_silence_s, r.silence_threshold_dbfs) == (
        1.0, 0.5, 0.5, -50.0)
    low = analyze((y, sr), silence_threshold_dbfs=-60.0)
    assert (low.silence_ratio, low.leading_silence_s, low.trailing_silence_s, low.silence_threshold_dbfs) == (
        0.0, 0.0, 0.0, -60.0)
    level = float(frame_levels_db(y, sr)[0])
    at = analyze((y, sr), silence_threshold_dbfs=level)
    assert (at.silence_ratio, at.silence_threshold_dbfs) == (0.0, level)
    over = analyze((y, sr), silence_threshold_dbfs=float(np.nextafter(level, 0.0)))
    assert over.silence_ratio == 1.0


def test_analyze_of_stereo_uses_the_mono_mix_for_silence_and_f0():
    sr = 16000
    tone = _harmonic(200, sr, 1.0)
    stereo = np.stack([tone, -tone])  # opposite phases: the mix is silent
    r = analyze((stereo, sr))
    assert r.channels == 2
    assert r.peak_dbfs == 20 * math.log10(float(np.max(np.abs(tone))))
    assert (r.silence_ratio, r.leading_silence_s, r.trailing_silence_s) == (1.0, 1.0, 1.0)
    assert (r.f0_median_hz, r.voiced_ratio) == (None, 0.0)
    assert r.loudness_lufs == integrated_loudness(stereo, sr)
    assert r.true_peak_dbtp == 20 * math.log10(true_peak(stereo, sr))
    assert r.clipping_ratio == clipping_ratio(stereo)
    both = np.stack([tone, tone * np.float32(0.5)])
    b = analyze((both, sr))
    assert b.f0_median_hz == pytest.approx(200, rel=0.01)
    _assert_wired(b, both, sr)


def test_analyze_refuses_audio_under_50_ms():
    sr = 16000
    with pytest.raises(AudioDecodeError) as exc:
        analyze((np.zeros(799, np.float32), sr))
    assert str(exc.value) == "audio too short to analyse: 799 sample(s) (49.94 ms); need at least 50 ms"
    with pytest.raises(AudioDecodeError) as exc:
        analyze((np.zeros((2, 100), np.float32), 8000))
    assert str(exc.value) == "audio too short to analyse: 100 sample(s) (12.50 ms); need at least 50 ms"
    r = analyze((_harmonic(200, sr, 0.05), sr))
    assert r.duration_s == 0.05


def test_analyze_of_a_single_f0_frame():
    y = _harmonic(200, 8000, 0.06)  # 480 samples: exactly one span
    r = analyze((y, 8000))
    assert r.voiced_ratio == 1.0
    assert r.f0_median_hz == pytest.approx(200, rel=0.01)


@pytest.fixture
def parallel_calls(monkeypatch):
    """The ``parallel=`` argument of each ``_in_parallel`` call analyze() makes (the measures still run)."""
    calls = []
    real = analysis._in_parallel

    def spy(*tasks, parallel="not given"):
        calls.append(parallel)
        return real(*tasks, parallel=parallel is True)

    monkeypatch.setattr(analysis, "_in_parallel", spy)
    return calls


def test_analyze_measures_on_two_threads_from_parallel_seconds(parallel_calls, monkeypatch):
    monkeypatch.setattr(analysis, "PARALLEL_SECONDS", 0.5)
    y = _harmonic(200, 16000, 0.5)
    r = analyze((y, 16000))
    analyze((y[:-1], 16000))
    assert parallel_calls == [True, False]
    _assert_wired(r, y, 16000)


def test_analyze_measures_on_one_thread_under_20_seconds(parallel_calls):
    analyze((_harmonic(200, 16000, 0.5), 16000))
    assert parallel_calls == [False]


# --- _in_parallel ------------------------------------------------------------------------------------


def _tasks(seen: list[str], together: int) -> list:
    """Six tasks returning 0, 10, ... 50; with `together` > 1 each waits until that many run at once."""
    barrier = threading.Barrier(together, timeout=5) if together > 1 else None

    def task(i):
        def run():
            if barrier is not None:
                barrier.wait()
            seen.append(threading.current_thread().name)
            return i * 10
        return run
    return [task(i) for i in range(6)]


@pytest.mark.parametrize(("threads", "parallel", "workers", "asked"), [
    (2, True, 2, [2]), (3, True, 3, [2]), (1, True, 0, [2]), (2, False, 0, []), (2, "default", 2, [2]),
])
def test_in_parallel_returns_results_in_task_order(monkeypatch, threads, parallel, workers, asked):
    limits = []

    def worker_threads(limit=4):
        limits.append(limit)
        return threads

    monkeypatch.setattr(_env, "worker_threads", worker_threads)
    seen: list[str] = []
    tasks = _tasks(seen, workers)
    got = _in_parallel(*tasks) if parallel == "default" else _in_parallel(*tasks, parallel=parallel)
    assert got == [0, 10, 20, 30, 40, 50]
    assert limits == asked
    main = threading.current_thread().name
    if workers:
        assert main not in seen
        assert len(set(seen)) == workers
    else:
        assert seen == [main] * 6


# --- missing dependencies -----------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "call", "what"), [
    ("numpy", lambda: analyze((np.zeros(1600, np.float32), 16000)), "analyze()"),
    ("numpy", lambda: unusable((np.zeros(1600, np.float32), 16000)), "unusable()"),
    ("numpy", lambda: effective_bandwidth(np.zeros(1600, np.float32), 16000), "effective bandwidth"),
    ("scipy.fft", lambda: effective_bandwidth(np.zeros(1600, np.float32), 16000), "effective bandwidth"),
    ("numpy", lambda: f0_track(np.zeros(1600, np.float32), 16000), "F0"),
    ("scipy.fft", lambda: f0_track(np.zeros(1600, np.float32), 16000), "F0"),
])
def test_a_missing_dependency_is_named_with_the_measure_that_needs_it(monkeypatch, module, call, what):
    real = importlib.import_module

    def import_module(name, package=None):
        if name == module:
            raise ImportError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    with pytest.raises(MissingExtraError) as exc:
        call()
    top = module.split(".")[0]
    assert str(exc.value) == (f"{what} needs {top!r}, which is not installed: pip install "
                              f"'voice-conformance[audio]' (No module named {module!r})")
