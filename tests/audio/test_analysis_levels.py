"""Level measures of conformance.audio.analysis: frame levels, SNR, loudness, true peak, clipping, the report."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import firwin, resample_poly, sosfilt, upfirdn

from conformance.audio._env import MissingExtraError
from conformance.audio.analysis import (
    DENORMAL_GUARD,
    FRAME_S,
    AudioReport,
    _db,
    _denormal_guarded,
    _k_weighted,
    _k_weighting_sos,
    clipping_ratio,
    frame_levels_db,
    integrated_loudness,
    snr_estimate,
    true_peak,
)
from conformance.audio.probe import AudioInfo

# ---------------------------------------------------------------------------------------------- helpers


def _taps(factor: int) -> np.ndarray:
    return factor * firwin(20 * factor + 1, 1.0 / factor, window=("kaiser", 5.0))


def _oversampled_peak(multi: np.ndarray, factor: int) -> float:
    """Reference true peak: every channel of the whole signal oversampled ``factor`` times."""
    taps = _taps(factor)
    delay = (len(taps) - 1) // 2
    best = 0.0
    for ch in np.atleast_2d(multi):
        if not np.any(ch):
            continue
        up = upfirdn(taps, np.asarray(ch, dtype=np.float64), factor)[delay:]
        best = max(best, float(np.max(np.abs(up))), float(np.max(np.abs(ch))))
    return best


def _overshoot(amplitude: float, factor: int = 4) -> np.ndarray:
    """20 samples of ±amplitude whose band-limited interpolation peaks at about 2.24 × amplitude."""
    taps = _taps(factor)
    delay = (len(taps) - 1) // 2
    return amplitude * np.sign([taps[delay - j * factor + factor // 2] for j in range(-9, 11)])


def _quarter_rate_sine(n: int, amplitude: float) -> np.ndarray:
    """A sine at fs/4 with 45° phase, faded in and out over 64 samples: its samples are ±amplitude/√2,
    its peaks lie between them."""
    fade = np.ones(n)
    fade[:64] = fade[-64:][::-1] = np.sin(np.linspace(0, np.pi / 2, 64)) ** 2
    return amplitude * fade * np.sin(np.pi / 2 * np.arange(n) + np.pi / 4)


def _stepped_noise(levels_db, sr: int, seed: int, seg_s: float = 0.1) -> np.ndarray:
    """White noise whose RMS steps through ``levels_db`` (dBFS), one level per ``seg_s``."""
    rng = np.random.default_rng(seed)
    n = round(seg_s * sr)
    return np.concatenate([rng.standard_normal(n) * 10 ** (level / 20) for level in levels_db])


def _pyloudnorm(multi: np.ndarray, sr: int) -> float:
    return pyloudnorm.Meter(sr).integrated_loudness(np.ascontiguousarray(np.asarray(multi, np.float64).T))


def _tol(sr: int) -> float:
    """How close to pyloudnorm: its float64 filters against our float32 ones where the blocks are the same
    samples; 1e-3 LU where 400 ms is not a whole number of samples (pyloudnorm divides by 0.4 × sr)."""
    return 2e-5 if sr % 5 == 0 else 1e-3


def _gated_loudness(multi: np.ndarray, sr: int) -> float:
    """BS.1770-4 gating written out block by block, on pyloudnorm's K-weighting: blocks of round(0.4 × sr)
    samples starting at floor(j × 0.1 × sr) (pyloudnorm's blocks at such rates end one sample off)."""
    meter = pyloudnorm.Meter(sr)
    block = round(0.4 * sr)
    n = multi.shape[1]
    n_blocks = int(np.round((n / sr - 0.4) / 0.1)) + 1
    z = np.zeros(n_blocks)
    for weight, ch in zip([1.0, 1.0, 1.0, 1.41, 1.41], multi, strict=False):
        k = np.asarray(ch, np.float64)
        for stage in meter._filters.values():
            k = stage.apply_filter(k)
        for j in range(n_blocks):
            lo = int(j * (0.1 * sr))
            z[j] += weight * float(np.sum(k[lo: lo + block] ** 2)) / block
    with np.errstate(divide="ignore"):
        lj = -0.691 + 10 * np.log10(z)
    rel = -0.691 + 10 * math.log10(z[lj >= -70].mean()) - 10
    return -0.691 + 10 * math.log10(z[(lj > rel) & (lj > -70)].mean())


# ---------------------------------------------------------------------------------------------- _db


def test_db_is_twenty_log10_of_an_amplitude():
    assert _db(0.5) == pytest.approx(20 * math.log10(0.5), abs=1e-12)
    assert _db(1.0) == 0.0
    assert _db(2.0) == pytest.approx(6.020599913279624, abs=1e-12)
    assert _db(1e-3) == pytest.approx(-60.0, abs=1e-12)


def test_db_of_zero_or_a_negative_amplitude_is_the_floor():
    assert _db(0.0) == -200.0
    assert _db(0) == -200.0
    assert _db(-0.5) == -200.0
    assert _db(0.0, floor=-100.0) == -100.0
    assert _db(-1.0, -120.0) == -120.0
    assert _db(0.25, floor=-100.0) == pytest.approx(20 * math.log10(0.25), abs=1e-12)


# ---------------------------------------------------------------------------------------------- frame levels


@pytest.mark.parametrize("frames", [255, 256, 257, 513, 700])
def test_frame_levels_of_a_long_signal_cover_every_frame(frames):
    """Frames are measured a part at a time: every frame of a signal longer than one part is measured,
    each as in one pass."""
    n = 160  # 20 ms at 8 kHz
    rng = np.random.default_rng(frames)
    y = (rng.standard_normal(frames * n) * np.repeat(rng.uniform(0.01, 0.9, frames), n)).astype(np.float32)
    want = 10 * np.log10(np.maximum((y.astype(np.float64).reshape(frames, n) ** 2).mean(axis=1), 1e-10))
    np.testing.assert_allclose(frame_levels_db(y, 8000), want, rtol=1e-12, atol=1e-12)


def test_frame_levels_drop_the_last_partial_frame():
    sr = 16000  # 20 ms = 320 samples
    y = np.concatenate([np.full(3 * 320, 0.5), np.full(160, 0.1)])  # 3.5 frames, the half frame quieter
    levels = frame_levels_db(y, sr)
    assert levels.shape == (3,)
    assert levels.tolist() == pytest.approx([20 * math.log10(0.5)] * 3, abs=1e-12)


def test_frame_levels_are_the_rms_of_each_frame():
    sr = 8000  # 20 ms = 160 samples
    frames = [np.full(160, 0.5), np.zeros(160), np.tile([0.3, -0.3], 80), np.r_[np.full(80, 0.2), np.full(80, 0.4)]]
    levels = frame_levels_db(np.concatenate(frames), sr)
    expected = [10 * math.log10(0.25), -100.0, 10 * math.log10(0.09), 10 * math.log10((0.04 + 0.16) / 2)]
    assert levels.tolist() == pytest.approx(expected, abs=1e-9)


def test_frame_levels_use_20_ms_frames_by_default():
    assert FRAME_S == 0.02
    sr = 1000  # 20 samples a frame
    y = np.concatenate([np.full(20, 0.5), np.full(20, 0.05), np.full(15, 0.9)])
    levels = frame_levels_db(y, sr)
    assert levels.tolist() == pytest.approx([20 * math.log10(0.5), 20 * math.log10(0.05)], abs=1e-9)
    assert frame_levels_db(y, sr, FRAME_S).tolist() == levels.tolist()


def test_frame_levels_with_another_frame_length():
    sr = 16000
    y = np.concatenate([np.full(160, 0.5), np.full(160, 0.25), np.full(160, 0.125)])
    levels = frame_levels_db(y, sr, frame_s=0.01)  # 160 samples a frame
    assert levels.tolist() == pytest.approx([20 * math.log10(a) for a in (0.5, 0.25, 0.125)], abs=1e-9)
    assert frame_levels_db(y, sr, 0.03).tolist() == pytest.approx(  # 480 samples: one frame
        [10 * math.log10((0.25 + 0.0625 + 0.015625) / 3)], abs=1e-9)


def test_frame_levels_of_one_sample_frames():
    y = np.array([0.5, -0.25, 0.0, 1.0])
    per_sample = [20 * math.log10(0.5), 20 * math.log10(0.25), -100.0, 0.0]
    assert frame_levels_db(y, 100, frame_s=0.01).tolist() == pytest.approx(per_sample, abs=1e-9)  # 1 sample
    assert frame_levels_db(y, 100, frame_s=0.004).tolist() == pytest.approx(per_sample, abs=1e-9)  # rounds to 0
    assert frame_levels_db(y, 100, frame_s=0.02).tolist() == pytest.approx(  # 2 samples
        [10 * math.log10((0.25 + 0.0625) / 2), 10 * math.log10(0.5)], abs=1e-9)


def test_frame_levels_of_audio_shorter_than_a_frame_is_its_mean_power():
    sr = 16000
    y = np.concatenate([np.full(100, 0.5), np.full(100, -0.25)])  # 200 samples < 320
    assert frame_levels_db(y, sr).tolist() == pytest.approx([10 * math.log10((0.25 + 0.0625) / 2)], abs=1e-9)
    assert frame_levels_db(np.full(50, 0.5, np.float32), sr).tolist() == pytest.approx(
        [20 * math.log10(0.5)], abs=1e-9)
    assert frame_levels_db(np.zeros(100), sr).tolist() == [-100.0]
    assert frame_levels_db(np.full(100, 1e-7), sr).tolist() == [-100.0]


def test_frame_levels_of_exactly_one_frame_and_a_bit():
    sr = 16000
    y = np.concatenate([np.full(320, 0.5), np.full(100, 0.01)])  # one whole frame, the rest is dropped
    assert frame_levels_db(y, sr).tolist() == pytest.approx([20 * math.log10(0.5)], abs=1e-12)
    assert frame_levels_db(np.full(320, 0.25), sr).tolist() == pytest.approx([20 * math.log10(0.25)], abs=1e-12)


def test_frame_levels_are_floored_at_minus_100_dbfs():
    sr = 8000
    y = np.concatenate([np.zeros(160), np.full(160, 1e-6), np.full(160, 1e-4), np.full(160, 1.0)])
    assert frame_levels_db(y, sr).tolist() == pytest.approx([-100.0, -100.0, -80.0, 0.0], abs=1e-9)
    assert frame_levels_db(np.zeros(1600, np.float32), sr).tolist() == [-100.0] * 10


def test_frame_levels_of_float32_samples_are_computed_in_float64():
    sr = 8000
    y = np.full(480, 3e-3, dtype=np.float32)
    expected = 10 * math.log10(float(np.float32(3e-3)) ** 2)
    assert frame_levels_db(y, sr).tolist() == pytest.approx([expected] * 3, abs=1e-9)


# ---------------------------------------------------------------------------------------------- SNR


def test_snr_is_the_95th_over_the_10th_percentile_of_frame_powers():
    # 21 frames: the 10th percentile is the 3rd smallest power, the 95th the 20th smallest
    levels = [-70, -65, -60, -59, -58, -50, -40, -30, -25, -20, -18, -16, -14, -12, -10, -8, -6, -4, -3, -1, 0]
    shuffled = np.random.default_rng(1).permutation(np.array(levels, dtype=float))
    noise, loud = 1e-6, 10 ** -0.1
    assert snr_estimate(shuffled) == pytest.approx(10 * math.log10((loud - noise) / noise), abs=1e-9)


def test_snr_interpolates_between_frames_like_numpy_percentile():
    levels = np.array([0.0, -40.0, -10.0, -30.0, -3.0, -20.0])
    # powers 1e-4, 1e-3, 1e-2, 1e-1, 10^-0.3, 1: the 10th percentile lies halfway between the first two,
    # the 95th three quarters of the way from 10^-0.3 to 1
    noise = 1e-4 + 0.5 * (1e-3 - 1e-4)
    loud = 10 ** -0.3 + 0.75 * (1 - 10 ** -0.3)
    assert snr_estimate(levels) == pytest.approx(10 * math.log10((loud - noise) / noise), abs=1e-9)


def test_snr_noise_power_is_floored_at_minus_100_db():
    levels = np.array([-120.0] * 9 + [0.0])
    loud = 1e-12 + 0.55 * (1 - 1e-12)  # 95th percentile: 55 % of the way from the 9th to the 10th power
    assert snr_estimate(levels) == pytest.approx(10 * math.log10((loud - 1e-10) / 1e-10), abs=1e-9)
    speech_with_silence = np.array([-100.0] * 18 + [-20.0, -20.0])
    assert snr_estimate(speech_with_silence) == pytest.approx(10 * math.log10((1e-2 - 1e-10) / 1e-10), abs=1e-9)


def test_snr_signal_power_is_floored_at_minus_100_db():
    assert snr_estimate(np.full(5, -20.0)) == pytest.approx(-80.0, abs=1e-9)  # no signal over the noise
    assert snr_estimate(np.full(7, -100.0)) == pytest.approx(0.0, abs=1e-9)
    assert snr_estimate(np.array([-20.0, -20.0, -20.0, -20.0, -20.0 + 1e-9])) == pytest.approx(-80.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------- loudness

RATES = [8000, 11025, 16000, 22051, 44100, 48000]
LOUD_FADE = [-8.0 - 1.0 * i for i in range(40)]  # gated by the relative threshold
QUIET_FADE = [-52.0 - 0.75 * i for i in range(40)]  # gated by the absolute threshold
FAINT_FADE = [-60.0 - 0.5 * i for i in range(40)]  # the relative threshold under -70 LUFS


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("levels", [LOUD_FADE, QUIET_FADE, FAINT_FADE], ids=["loud", "quiet", "faint"])
def test_loudness_of_a_fade_matches_pyloudnorm(sr, levels):
    y = _stepped_noise(levels, sr, seed=sr)
    ours = integrated_loudness(y[None, :], sr)
    assert ours == pytest.approx(_pyloudnorm(y[None, :], sr), abs=_tol(sr))


@pytest.mark.parametrize("sr", RATES)
def test_loudness_of_a_rising_fade_with_a_partial_last_step_matches_pyloudnorm(sr):
    y = _stepped_noise([-70.0 + 1.5 * i for i in range(12)] + [-6.0], sr, seed=7)
    y = y[: round(1.257 * sr)]  # not a whole number of 100 ms steps; the loudest part is the last partial step
    ours = integrated_loudness(y[None, :], sr)
    assert ours == pytest.approx(_pyloudnorm(y[None, :], sr), abs=_tol(sr))


@pytest.mark.parametrize("sr", [11025, 48000])
def test_loudness_of_a_loud_start_matches_pyloudnorm(sr):
    y = _stepped_noise([-3.0, -3.0, -20.0, -26.0, -30.0, -33.0, -36.0, -38.0, -40.0, -41.0], sr, seed=3)
    ours = integrated_loudness(y[None, :], sr)
    assert ours == pytest.approx(_pyloudnorm(y[None, :], sr), abs=_tol(sr))


@pytest.mark.parametrize("sr", [8000, 22051, 48000])
def test_loudness_of_stereo_matches_pyloudnorm(sr):
    left = _stepped_noise([-12.0 - 0.8 * i for i in range(25)], sr, seed=11)
    right = _stepped_noise([-40.0 + 1.1 * i for i in range(25)], sr, seed=12)
    stereo = np.stack([left, right])
    ours = integrated_loudness(stereo, sr)
    assert ours == pytest.approx(_pyloudnorm(stereo, sr), abs=_tol(sr))
    assert integrated_loudness(stereo[::-1].copy(), sr) == pytest.approx(ours, abs=1e-9)


@pytest.mark.parametrize("sr", [11025, 16000, 48000])
def test_loudness_of_five_channels_weighs_the_surrounds_by_1_41(sr):
    chans = np.stack([_stepped_noise([-20.0 - 6.0 * c - 0.7 * i for i in range(15)], sr, seed=20 + c)
                      for c in range(5)])
    ours = integrated_loudness(chans, sr)
    assert ours == pytest.approx(_pyloudnorm(chans, sr), abs=_tol(sr))
    for c in range(5):
        louder = chans.copy()
        louder[c] *= 2
        assert integrated_loudness(louder, sr) == pytest.approx(_pyloudnorm(louder, sr), abs=_tol(sr))
    surround_only = chans.copy()
    surround_only[:3] = 0
    front_equivalent = np.stack([chans[3] * math.sqrt(1.41), chans[4] * math.sqrt(1.41)])
    assert integrated_loudness(surround_only, sr) == pytest.approx(
        integrated_loudness(front_equivalent, sr), abs=1e-4)


def _subnormal(a: np.ndarray) -> np.ndarray:
    return (a != 0) & (np.abs(a) < np.finfo(np.float32).tiny)


@pytest.mark.parametrize("sr", [16000, 44100, 48000])
def test_the_k_weighting_state_stays_normal_through_digital_silence(sr):
    """Speech then 2 s of exact zeros: unguarded, the filter's state decays into subnormal numbers
    (slow on many cores); guarded, every state and output stays zero or normal."""
    rng = np.random.default_rng(sr)
    y = np.concatenate([(0.3 * rng.standard_normal(sr // 2)).astype(np.float32), np.zeros(2 * sr, np.float32)])
    sos = _k_weighting_sos(sr)
    assert sos.dtype == np.float32  # float32 sections: 4x faster than float64 (and where subnormals start sooner)
    stages = list(pyloudnorm.Meter(sr)._filters.values())
    assert [s.passband_gain for s in stages] == [1.0, 1.0]  # so the sections need no gain of their own
    assert np.allclose(sos, [np.concatenate([s.b, s.a]) for s in stages], rtol=1e-6, atol=0)
    zi = np.zeros((len(sos), 2), np.float32)
    _, plain_state = sosfilt(sos, y, zi=zi)
    assert _subnormal(plain_state).any()
    guarded_out, guarded_state = sosfilt(sos, _denormal_guarded(y), zi=zi)
    assert not _subnormal(guarded_state).any() and not _subnormal(guarded_out).any()
    assert np.abs(guarded_state).min() > 0


@pytest.mark.parametrize("part", [1000, 4096, 1 << 20])
def test_filtering_in_parts_gives_the_samples_of_one_call(monkeypatch, part):
    """Parts of any even length (a last one shorter, the guard's signs running on across parts) give
    exactly what one sosfilt call over the whole guarded signal gives; the input is left alone."""
    import conformance.audio.analysis as analysis

    sr = 16000
    rng = np.random.default_rng(part)
    y = np.concatenate([(0.3 * rng.standard_normal(5003)).astype(np.float32), np.zeros(4000, np.float32),
                        (0.1 * rng.standard_normal(3001)).astype(np.float32)])
    before = y.copy()
    sos = _k_weighting_sos(sr)
    assert analysis.FILTER_PART % 2 == 0 and analysis.FILTER_PART >= 1 << 16  # the shipped part: even, not tiny
    monkeypatch.setattr(analysis, "FILTER_PART", part)
    parted = _k_weighted(y, sos, __import__("scipy.signal").signal)
    assert parted.dtype == np.float32 and np.array_equal(y, before)
    assert np.array_equal(parted, sosfilt(sos, _denormal_guarded(y)))


def test_the_denormal_guard_is_a_copy_at_the_nyquist_rate_and_inaudible():
    y = np.array([0.0, 0.0, 0.5, -0.5, 0.0], np.float32)
    before = y.copy()
    g = _denormal_guarded(y)
    assert np.array_equal(y, before) and g.dtype == np.float32
    assert g.tolist() == pytest.approx([DENORMAL_GUARD, -DENORMAL_GUARD, 0.5, -0.5, DENORMAL_GUARD], rel=1e-6, abs=0)
    assert np.finfo(np.float32).tiny * 1e6 < DENORMAL_GUARD <= 1e-25  # under -500 dBFS, far above subnormals
    for sr in (16000, 48000):
        speech = np.concatenate([(0.2 * np.random.default_rng(1).standard_normal(sr)).astype(np.float32),
                                 np.zeros(sr, np.float32), (0.01 * np.ones(sr)).astype(np.float32)])
        assert integrated_loudness(speech[None, :], sr) == pytest.approx(_pyloudnorm(speech[None, :], sr), abs=_tol(sr))
        assert integrated_loudness(np.zeros((1, sr), np.float32), sr) is None


@pytest.mark.parametrize("sr", [8001, 22051])
def test_loudness_blocks_start_every_tenth_of_a_second_at_odd_rates(sr):
    """At rates where 100 ms is not a whole number of samples the blocks start at floor(j × 0.1 × sr):
    a click right where a block starts one sample late lies outside that block."""
    n = 2 * sr
    y = np.zeros(n)
    y[int(10 * (0.1 * sr)) - 1] = 0.9  # sample 8000 at 8001 Hz (block 10 starts at 8001)
    y[int(20 * (0.1 * sr)) - 2] = -0.7
    ours = integrated_loudness(y[None, :], sr)
    assert ours == pytest.approx(_gated_loudness(y[None, :], sr), abs=1e-3)


@pytest.mark.parametrize("sr", [8000, 11025, 22051, 48000])
def test_loudness_after_leading_digital_silence(sr):
    y = np.concatenate([np.zeros(round(0.55 * sr)), _stepped_noise([-20.0, -24.0, -28.0, -23.0, -21.0, -35.0], sr, 5)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = integrated_loudness(y[None, :], sr)
    assert ours == pytest.approx(_pyloudnorm(y[None, :], sr), abs=_tol(sr))


@pytest.mark.parametrize("sr", [8000, 11025, 16000, 22051, 44100, 48000])
def test_loudness_needs_more_than_one_400_ms_block(sr):
    block = round(0.4 * sr)
    y = _stepped_noise([-20.0] * 5, sr, seed=1)
    assert integrated_loudness(y[None, :block], sr) is None
    assert integrated_loudness(y[None, : block - 1], sr) is None
    assert integrated_loudness(np.stack([y[:block]] * 2), sr) is None
    one = y[None, : block + 1]
    assert integrated_loudness(one, sr) == pytest.approx(_pyloudnorm(one, sr), abs=_tol(sr))
    two = y[None, : block + 2]
    assert integrated_loudness(two, sr) == pytest.approx(_pyloudnorm(two, sr), abs=_tol(sr))


def test_loudness_is_undefined_for_more_than_five_channels():
    sr = 16000
    six = np.stack([_stepped_noise([-20.0] * 8, sr, seed=c) for c in range(6)])
    assert integrated_loudness(six, sr) is None
    assert integrated_loudness(six[:5], sr) == pytest.approx(_pyloudnorm(six[:5], sr), abs=_tol(sr))


def test_loudness_is_undefined_when_everything_is_gated_out():
    sr = 16000
    assert integrated_loudness(np.zeros((1, sr)), sr) is None
    assert integrated_loudness(np.zeros((2, sr), np.float32), sr) is None
    whisper = _stepped_noise([-85.0] * 10, sr, seed=4)  # about -82 LUFS: every block under -70 LUFS
    assert integrated_loudness(whisper[None, :], sr) is None
    assert integrated_loudness(np.stack([whisper, whisper]), sr) is None


def test_loudness_of_a_level_just_over_the_absolute_gate():
    sr = 16000
    y = _stepped_noise([-70.0] * 10, sr, seed=9)
    ours = integrated_loudness(y[None, :], sr)
    assert ours == pytest.approx(_pyloudnorm(y[None, :], sr), abs=_tol(sr))
    assert -70.0 < ours < -66.0


def test_loudness_filters_in_float32():
    sr = 16000
    y = _stepped_noise([-18.0 - i for i in range(12)], sr, seed=8)
    assert y.dtype == np.float64
    assert integrated_loudness(y[None, :], sr) == integrated_loudness(y[None, :].astype(np.float32), sr)


def test_loudness_scales_with_the_signal():
    sr = 48000
    y = _stepped_noise([-20.0, -22.0, -19.0, -25.0, -21.0, -23.0, -20.0], sr, seed=6)
    ours = integrated_loudness(y[None, :], sr)
    assert integrated_loudness((y * 0.5)[None, :], sr) == pytest.approx(ours - 20 * math.log10(2), abs=1e-3)


# ---------------------------------------------------------------------------------------------- true peak


@pytest.mark.parametrize("sr", [48000, 44100, 22050, 16000, 8000])
def test_true_peak_of_a_quarter_rate_sine_lies_between_its_samples(sr):
    y = _quarter_rate_sine(4000, 0.5)
    assert float(np.max(np.abs(y))) == pytest.approx(0.5 / math.sqrt(2), rel=1e-12)
    tp = true_peak(y[None, :], sr)
    assert 20 * math.log10(tp) == pytest.approx(20 * math.log10(0.5), abs=0.1)
    assert tp == pytest.approx(float(np.max(np.abs(resample_poly(y, 16, 1)))), rel=0.01)


@pytest.mark.parametrize(("sr", "factor"), [
    (96000, 4), (48000, 4), (44100, 4), (44099, 8), (32000, 8), (16000, 8), (15999, 16), (8000, 16)])
def test_true_peak_equals_oversampling_the_whole_signal(sr, factor):
    rng = np.random.default_rng(sr)
    envelope = np.repeat([0.2, 0.9, 0.3, 0.05, 0.7, 0.8, 0.1, 0.6, 0.25, 0.4], 1500)
    y = rng.standard_normal(envelope.size) * envelope * 0.3
    expected = _oversampled_peak(y, factor)
    for other in {4, 8, 16} - {factor}:  # the oversampling factor shows in the result
        assert abs(_oversampled_peak(y, other) - expected) > 1e-6
    assert abs(_oversampled_peak(y, factor + 1) - expected) > 1e-6
    assert true_peak(y[None, :], sr) == pytest.approx(expected, rel=1e-12)
    assert true_peak(y[None, :].astype(np.float32), sr) == pytest.approx(
        _oversampled_peak(y.astype(np.float32), factor), rel=1e-12)


@pytest.mark.parametrize("factor", [4, 8, 16])
@pytest.mark.parametrize("n", [1, 2, 20, 21, 22, 100, 4096 - 11, 4096 - 10, 4096 - 9, 9000])
def test_the_phase_product_is_upfirdn_after_its_delay(factor, n):
    """The oversampling as one matrix product over windows equals scipy's upfirdn with the lead-in
    dropped, for inputs shorter than the filter, at the chunk boundaries and across several chunks."""
    from conformance.audio.analysis import _oversampled_peak as product_peak
    from conformance.audio.analysis import _phase_matrix

    taps = _taps(factor)
    delay = (len(taps) - 1) // 2
    x = np.random.default_rng(n * factor).standard_normal(n)
    x[n // 2] = 4.0 * (-1) ** n  # the largest output, of either sign, somewhere inside
    expected = float(np.max(np.abs(upfirdn(taps, x, factor)[delay:])))
    phases = _phase_matrix(taps, factor)
    assert phases.shape == (21, factor)
    assert product_peak(x, phases) == pytest.approx(expected, rel=1e-12)
    assert product_peak(x, phases, rows=7) == pytest.approx(expected, rel=1e-12)
    amp = np.concatenate([np.ones(10), np.linspace(1, 0, 20)])  # rings louder before its first sample
    burst = np.concatenate([amp * (-1.0) ** np.arange(30), np.zeros(n)])
    up = upfirdn(taps, burst, factor)
    assert np.max(np.abs(up[:delay])) > 1.2 * np.max(np.abs(up[delay:]))
    assert product_peak(burst, phases) == pytest.approx(float(np.max(np.abs(up[delay:]))), rel=1e-12)


def test_true_peak_of_a_full_scale_impulse_is_the_filters_centre_tap():
    for at in (0, 5000):
        y = np.zeros(8192)
        y[at] = 1.0
        tp = true_peak(y[None, :], 48000)
        assert tp == pytest.approx(_taps(4)[40], rel=1e-12)
        assert tp == pytest.approx(_oversampled_peak(y, 4), rel=1e-12)
        assert tp >= 1.0


def test_true_peak_is_never_under_the_sample_peak():
    rng = np.random.default_rng(5)
    for sr in (8000, 16000, 48000):
        y = rng.uniform(-0.8, 0.8, 3000)
        tp = true_peak(y[None, :], sr)
        assert tp >= float(np.max(np.abs(y)))
        assert tp == pytest.approx(_oversampled_peak(y, 4 if sr >= 44100 else 8 if sr >= 16000 else 16), rel=1e-12)


def test_true_peak_ignores_the_filter_lead_in_before_the_first_sample():
    """A burst at the Nyquist rate starting on the first sample rings to 1.30 before it starts: not counted."""
    amp = np.concatenate([np.ones(10), np.linspace(1, 0, 20)])
    y = np.concatenate([amp * (-1.0) ** np.arange(30), np.zeros(2000)]) * 0.5
    taps = _taps(4)
    lead_in = np.abs(upfirdn(taps, y, 4)[:40]).max()
    expected = _oversampled_peak(y, 4)
    assert lead_in > 1.2 * expected
    assert true_peak(y[None, :], 48000) == pytest.approx(expected, rel=1e-12)
    assert true_peak(y[None, :], 16000) == pytest.approx(_oversampled_peak(y, 8), rel=1e-12)


@pytest.mark.parametrize("n", [1024 + 300, 2 * 1024 + 1000, 3 * 1024])
def test_true_peak_finds_a_negative_peak_in_a_block_or_the_tail(n):
    """A block's peak is its largest magnitude, of either sign: here the loudest stretch holds only
    negative samples (a loud fs/4 sine's troughs) and fills the last whole block or the tail."""
    y = _quarter_rate_sine(n, 0.1)
    last = n - (n % 1024 or 1024)
    y[last:] = -np.abs(_quarter_rate_sine(n, 0.8)[last:])
    assert float(np.max(y[last:])) <= 0 and -float(np.min(y)) > 0.5
    expected = _oversampled_peak(y, 4)
    assert expected > -float(np.min(y)) * 1.01  # the true peak lies between samples
    assert true_peak(y[None, :], 48000) == pytest.approx(expected, rel=1e-12)
    assert true_peak(y[None, :].astype(np.float32), 48000) == pytest.approx(
        _oversampled_peak(y.astype(np.float32), 4), rel=1e-12)


def test_true_peak_of_a_signal_shorter_than_one_block():
    y = _quarter_rate_sine(900, 0.5)
    assert true_peak(y[None, :], 48000) == pytest.approx(_oversampled_peak(y, 4), rel=1e-12)
    assert true_peak(y[None, :], 48000) > float(np.max(np.abs(y))) * 1.3


def test_true_peak_of_silence_is_zero():
    assert true_peak(np.zeros((1, 4800)), 48000) == 0.0
    assert true_peak(np.zeros((3, 100), np.float32), 16000) == 0.0


def test_true_peak_of_several_channels_is_the_largest():
    sr = 48000
    quiet = _quarter_rate_sine(3000, 0.3)
    loud = _quarter_rate_sine(3000, 0.8)
    silent = np.zeros(3000)
    tp_quiet, tp_loud = _oversampled_peak(quiet, 4), _oversampled_peak(loud, 4)
    assert tp_loud > tp_quiet > 0.3 / math.sqrt(2) * 1.3
    for order in ([loud, quiet], [quiet, loud], [silent, loud], [silent, quiet, loud, silent], [loud, silent, quiet]):
        assert true_peak(np.stack(order), sr) == pytest.approx(tp_loud, rel=1e-12)
    assert true_peak(np.stack([silent, quiet, silent]), sr) == pytest.approx(tp_quiet, rel=1e-12)


def test_true_peak_finds_the_peak_in_a_late_block_among_several_runs():
    sr = 48000
    y = np.zeros(8 * 1024)
    y[1100:1900] = _quarter_rate_sine(800, 1.0)  # block 1: the true peak, 1.0, between samples of 0.707
    y[2100:2900] = _quarter_rate_sine(800, 0.6)  # block 2: hot too (0.42 >= 0.354), joins block 1 in a run
    y[5200:6000] = _quarter_rate_sine(800, 0.7)  # block 5: a run of its own
    y[7300:7900] = _quarter_rate_sine(600, 0.65)  # block 7: another
    expected = _oversampled_peak(y, 4)
    assert expected == pytest.approx(1.0, abs=0.01)
    assert _oversampled_peak(y[2000:], 4) < 0.8
    assert true_peak(y[None, :], sr) == pytest.approx(expected, rel=1e-12)
    late = np.zeros_like(y)
    late[6200:6800] = _quarter_rate_sine(600, 0.9)  # the peak in block 6, after a quieter run in block 2
    late[2100:2900] = _quarter_rate_sine(800, 0.6)
    assert true_peak(late[None, :], sr) == pytest.approx(_oversampled_peak(late, 4), rel=1e-12)
    assert true_peak(late[None, :], sr) == pytest.approx(0.9, abs=0.01)


def test_true_peak_searches_blocks_at_exactly_half_the_sample_peak():
    """Blocks whose sample peak is at least half the overall one are oversampled, the others are not (an
    inter-sample peak 6 dB over its samples does not occur in real audio; this one is made to)."""
    sr = 48000
    y = np.zeros(8 * 1024)
    y[2 * 1024 + 500] = 1.0
    cluster = _overshoot(0.5)
    assert _oversampled_peak(cluster, 4) > 1.1
    y[5 * 1024 + 400: 5 * 1024 + 420] = cluster
    assert true_peak(y[None, :], sr) == pytest.approx(_oversampled_peak(y, 4), rel=1e-12)
    below = y.copy()
    below[5 * 1024 + 400: 5 * 1024 + 420] = _overshoot(0.4999)
    assert true_peak(below[None, :], sr) == pytest.approx(_taps(4)[40], rel=1e-12)
    just_under = y.copy()  # block maxima are compared in the samples' own precision, here float64
    just_under[5 * 1024 + 400: 5 * 1024 + 420] = _overshoot(np.nextafter(0.5, 0.0))
    assert true_peak(just_under[None, :], sr) == pytest.approx(_taps(4)[40], rel=1e-12)
    in_float32 = just_under.astype(np.float32)  # there the same block maximum rounds to exactly half
    assert true_peak(in_float32[None, :], sr) == pytest.approx(_oversampled_peak(in_float32, 4), rel=1e-6)


def test_true_peak_context_is_32_samples_before_a_hot_block():
    sr = 48000
    y = np.zeros(8 * 1024)
    y[4 * 1024 + 500] = 1.0  # block 4 is the only hot block; its run is read from sample 4096 - 32
    y[4096 - 33: 4096 - 13] = _overshoot(0.49)  # a loud inter-sample peak in the context, one sample outside
    outside = y.copy()
    outside[4096 - 33] = 0.0
    assert _oversampled_peak(outside, 4) > 1.05
    assert abs(_oversampled_peak(y, 4) - _oversampled_peak(outside, 4)) > 1e-5
    assert true_peak(y[None, :], sr) == pytest.approx(_oversampled_peak(outside, 4), rel=1e-12)


def test_true_peak_context_is_32_samples_after_a_hot_block():
    sr = 48000
    y = np.zeros(8 * 1024)
    y[4 * 1024 + 500] = 1.0  # block 4 is the only hot block; its run is read up to sample 5120 + 32
    y[5120 + 13: 5120 + 33] = _overshoot(0.49)
    outside = y.copy()
    outside[5120 + 32] = 0.0
    assert _oversampled_peak(outside, 4) > 1.05
    assert abs(_oversampled_peak(y, 4) - _oversampled_peak(outside, 4)) > 1e-5
    assert true_peak(y[None, :], sr) == pytest.approx(_oversampled_peak(outside, 4), rel=1e-12)


def test_true_peak_skips_quiet_blocks_between_and_after_runs():
    sr = 48000
    y = np.zeros(9 * 1024)
    y[1024 + 500] = 1.0
    y[2048 + 500] = -1.0  # blocks 1 and 2: one run
    y[7 * 1024 + 500] = 1.0  # block 7: another run
    quiet = y.copy()
    y[3072 + 500: 3072 + 520] = _overshoot(0.49)  # block 3, just after the first run
    y[5120 + 100: 5120 + 120] = _overshoot(0.49)  # block 5, between the runs
    assert _oversampled_peak(y, 4) > 1.05
    assert true_peak(y[None, :], sr) == pytest.approx(_oversampled_peak(quiet, 4), rel=1e-12)
    assert true_peak(y[None, :], sr) == pytest.approx(_taps(4)[40], rel=1e-12)


# ---------------------------------------------------------------------------------------------- clipping

LIMIT = 1.0 - 1.5 / 32768


def test_clipping_counts_runs_of_full_scale_samples():
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, -1.0, -1.0, -1.0, 0.5])
    assert clipping_ratio(y[None, :]) == 5 / 10
    assert clipping_ratio(np.array([[0.0, 1.0, 1.0, 0.0]])) == 2 / 4
    assert clipping_ratio(np.array([[1.0, 1.0, 0.0, 0.0, 1.0, 1.0]])) == 4 / 6
    assert clipping_ratio(np.array([[0.2, -1.0, -1.0, 0.3, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]])) == 6 / 10
    assert clipping_ratio(np.array([[1.0, -1.0, 0.0, 0.0]])) == 2 / 4  # either sign, one run


def test_clipping_does_not_count_lone_full_scale_samples():
    assert clipping_ratio(np.array([[0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.5, 1.0]])) == 0.0
    assert clipping_ratio(np.array([[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0]])) == 0.0
    assert clipping_ratio(np.zeros((1, 10))) == 0.0


def test_clipping_limit_is_one_and_a_half_lsb_under_full_scale():
    under = np.nextafter(LIMIT, 0.0)
    assert clipping_ratio(np.array([[LIMIT, LIMIT, 0.0, under, under, 0.0]])) == 2 / 6
    assert clipping_ratio(np.array([[-LIMIT, -LIMIT, -LIMIT, 0.0]])) == 3 / 4
    assert clipping_ratio(np.array([[1 - 2 / 32768] * 4])) == 0.0
    assert clipping_ratio(np.array([[1 - 1 / 32768] * 4])) == 1.0
    assert clipping_ratio(np.array([[1.5, 1.5, -2.0]])) == 1.0
    assert clipping_ratio(np.array([[1.0, 1.0, 0.0, 0.0]], dtype=np.float32)) == 2 / 4


def test_clipping_of_several_channels_is_a_share_of_all_samples():
    multi = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.9, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])
    assert clipping_ratio(multi) == 5 / 12
    assert clipping_ratio(np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])) == 2 / 8
    assert clipping_ratio(np.array([[1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, 0.0, 0.0], [0.0] * 4])) == 6 / 12


# ---------------------------------------------------------------------------------------------- the report

INFO = AudioInfo(format="wav", codec="pcm_s16le", sample_rate=44100, channels=2, duration=1.5, size=264644,
                 bitrate=1411200, sample_format="s16le", declared_duration=1.5)


def _report(**over) -> AudioReport:
    fields = dict(info=INFO, sample_rate=44100, channels=2, duration_s=1.5, loudness_lufs=-23.44,
                  peak_dbfs=-1.23, true_peak_dbtp=-0.76, clipping_ratio=0.0, dc_offset=0.001,
                  silence_ratio=0.25, leading_silence_s=0.1, trailing_silence_s=0.2, snr_db=41.6,
                  bandwidth_hz=20060.0, f0_median_hz=179.6, f0_min_hz=150.0, f0_max_hz=220.0, voiced_ratio=0.6)
    fields.update(over)
    return AudioReport(**fields)


def test_report_short_names_every_figure():
    assert _report().short() == ("1.50 s @ 44100 Hz, -23.4 LUFS, peak -1.2 dBFS, true peak -0.8 dBTP, SNR 42 dB, "
                                 "bandwidth 20.1 kHz, F0 180 Hz")


def test_report_short_when_unvoiced_or_loudness_undefined():
    r = _report(loudness_lufs=None, f0_median_hz=None, duration_s=0.3, bandwidth_hz=3999.0, snr_db=-3.4)
    assert r.short() == ("0.30 s @ 44100 Hz, loudness n/a, peak -1.2 dBFS, true peak -0.8 dBTP, SNR -3 dB, "
                         "bandwidth 4.0 kHz, unvoiced")
    assert _report(f0_median_hz=0.0).short().endswith("bandwidth 20.1 kHz, unvoiced")
    assert _report(loudness_lufs=0.0).short().startswith("1.50 s @ 44100 Hz, 0.0 LUFS, peak")


def test_report_nyquist_is_half_the_sample_rate():
    assert _report().nyquist_hz == 22050.0
    assert _report(sample_rate=16000).nyquist_hz == 8000.0


def test_report_as_dict_holds_the_info_as_a_dict():
    d = _report().as_dict()
    assert d == {
        "info": {"format": "wav", "codec": "pcm_s16le", "sample_rate": 44100, "channels": 2, "duration": 1.5,
                 "size": 264644, "bitrate": 1411200, "sample_format": "s16le", "declared_duration": 1.5},
        "sample_rate": 44100, "channels": 2, "duration_s": 1.5, "loudness_lufs": -23.44, "peak_dbfs": -1.23,
        "true_peak_dbtp": -0.76, "clipping_ratio": 0.0, "dc_offset": 0.001, "silence_ratio": 0.25,
        "leading_silence_s": 0.1, "trailing_silence_s": 0.2, "snr_db": 41.6, "bandwidth_hz": 20060.0,
        "f0_median_hz": 179.6, "f0_min_hz": 150.0, "f0_max_hz": 220.0, "voiced_ratio": 0.6,
        "silence_threshold_dbfs": -50.0, "extras": {},
    }
    assert d["info"] == INFO.as_dict()


# ---------------------------------------------------------------------------------------------- missing extras


@pytest.mark.parametrize(("missing", "what", "call"), [
    ("numpy", "frame levels", lambda: frame_levels_db([0.0], 16000)),
    ("numpy", "SNR", lambda: snr_estimate([0.0])),
    ("numpy", "loudness", lambda: integrated_loudness([[0.0]], 16000)),
    ("pyloudnorm", "loudness", lambda: integrated_loudness([[0.0]], 16000)),
    ("scipy.signal", "loudness", lambda: integrated_loudness([[0.0]], 16000)),
    ("numpy", "true peak", lambda: true_peak([[0.0]], 16000)),
    ("scipy.signal", "true peak", lambda: true_peak([[0.0]], 16000)),
    ("numpy", "clipping", lambda: clipping_ratio([[0.0]])),
])
def test_a_missing_dependency_names_the_measure_and_the_extra(monkeypatch, missing, what, call):
    monkeypatch.setitem(sys.modules, missing, None)
    top = missing.split(".")[0]
    with pytest.raises(MissingExtraError) as exc:
        call()
    assert str(exc.value).startswith(
        f"{what} needs '{top}', which is not installed: pip install 'voice-conformance[audio]' (")
