"""timing_preservation(): known stretches and pitch shifts of real speech (made by librosa's phase
vocoder: ``features_reference.npz``, written by ``scripts/make-feature-references``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conformance.audio import corpus, degrade
from conformance.audio.timing import timing_preservation

REF = np.load(Path(__file__).parent / "features_reference.npz")


@pytest.fixture(scope="module")
def sentence():
    y, sr = corpus.load(corpus.clips("en_slt")[2], sr=16000)
    assert np.array_equal(y, REF["sentence"])  # the references were made from this very sentence
    return y, sr


def test_identity_and_codec_keep_timing(sentence):
    y, sr = sentence
    same = timing_preservation((y, sr), (y, sr))
    assert same.duration_ratio == 1.0 and same.dtw_slope == pytest.approx(1.0, abs=1e-6)
    assert same.f0_correlation == pytest.approx(1.0)
    coded = timing_preservation((y, sr), degrade.mp3_roundtrip(y, sr, 32))
    assert coded.dtw_slope == pytest.approx(1.0, abs=0.03) and coded.f0_correlation > 0.95


def test_a_slower_rendering_is_measured(sentence):
    y, sr = sentence
    slow = timing_preservation((y, sr), (REF["sentence_stretched_1.3"], sr))
    assert slow.duration_ratio == pytest.approx(1.3, abs=0.01)
    assert slow.dtw_slope == pytest.approx(1.3, abs=0.06)


def test_a_pitch_shift_keeps_timing_and_intonation(sentence):
    y, sr = sentence
    shifted = timing_preservation((y, sr), (REF["sentence_pitch_up_4"], sr))
    assert shifted.dtw_slope == pytest.approx(1.0, abs=0.03)
    assert shifted.f0_correlation > 0.85
    other = timing_preservation((y, sr), corpus.load(corpus.clips("en_slt")[5], sr=16000))
    assert other.f0_correlation is None or other.f0_correlation < shifted.f0_correlation
