"""timing_preservation(): known stretches and pitch shifts of real speech."""

from __future__ import annotations

import librosa
import pytest

from conformance.audio import corpus, degrade
from conformance.audio.timing import timing_preservation


@pytest.fixture(scope="module")
def sentence():
    return corpus.load(corpus.clips("en_slt")[2], sr=16000)


def test_identity_and_codec_keep_timing(sentence):
    y, sr = sentence
    same = timing_preservation((y, sr), (y, sr))
    assert same.duration_ratio == 1.0 and same.dtw_slope == pytest.approx(1.0, abs=1e-6)
    assert same.f0_correlation == pytest.approx(1.0)
    coded = timing_preservation((y, sr), degrade.mp3_roundtrip(y, sr, 32))
    assert coded.dtw_slope == pytest.approx(1.0, abs=0.03) and coded.f0_correlation > 0.95


def test_a_slower_rendering_is_measured(sentence):
    y, sr = sentence
    slow = timing_preservation((y, sr), (librosa.effects.time_stretch(y, rate=1 / 1.3), sr))
    assert slow.duration_ratio == pytest.approx(1.3, abs=0.01)
    assert slow.dtw_slope == pytest.approx(1.3, abs=0.06)


def test_a_pitch_shift_keeps_timing_and_intonation(sentence):
    y, sr = sentence
    shifted = timing_preservation((y, sr), (librosa.effects.pitch_shift(y, sr=sr, n_steps=4), sr))
    assert shifted.dtw_slope == pytest.approx(1.0, abs=0.03)
    assert shifted.f0_correlation > 0.85
    other = timing_preservation((y, sr), corpus.load(corpus.clips("en_slt")[5], sr=16000))
    assert other.f0_correlation is None or other.f0_correlation < shifted.f0_correlation
