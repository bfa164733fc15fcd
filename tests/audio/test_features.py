"""The kit's spectral features and DTW equal librosa's, computed without librosa's JIT compiler.

The reference values are librosa's own outputs (``features_reference.npz``, written by
``scripts/make-feature-references`` with the librosa version it records).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conformance.audio import features

REF = dict(np.load(Path(__file__).parent / "features_reference.npz"))
MELS = [(321, 160, 120), (400, 160, 40), (1024, 320, 40)]
DTW = [("en_kal", "en_slt", 0.25), ("en_slt", "en_kal", 0.25), ("en_rms", "en_rms", 0.1)]


def test_the_references_come_from_librosa() -> None:
    assert str(REF["librosa_version"]).startswith("0.")


@pytest.mark.parametrize(("n_fft", "hop", "n_mels"), MELS)
def test_mel_db_and_mfcc_equal_librosas(n_fft: int, hop: int, n_mels: int) -> None:
    y, key = REF["y"], f"{n_fft}_{hop}_{n_mels}"
    mel = features.melspectrogram(y, 16000, n_fft, hop, n_mels)
    ref = REF[f"mel_{key}"]
    assert mel.shape == ref.shape
    assert np.abs(mel - ref).max() <= 1e-5 * ref.max()
    assert np.abs(features.power_to_db(mel, ref=None) - REF[f"db_{key}"]).max() < 0.01
    assert np.abs(features.mfcc(y, 16000, 20, n_fft, hop, n_mels) - REF[f"mfcc_{key}"]).max() < 1e-3


def test_rms_and_delta_equal_librosas() -> None:
    assert np.abs(features.rms(REF["y"], 512, 160) - REF["rms_512_160"]).max() < 1e-6
    assert np.abs(features.delta(REF["mfcc_400_160_40"]) - REF["delta"]).max() < 1e-4


@pytest.mark.parametrize(("a", "b", "band"), DTW)
def test_dtw_path_equals_librosas(a: str, b: str, band: float) -> None:
    key = f"{a}_{b}_{band}"
    path = features.dtw_path(REF[f"dtw_x_{key}"], REF[f"dtw_y_{key}"], band)
    assert np.array_equal(path, REF[f"dtw_path_{key}"])


def test_dtw_keeps_to_the_band_and_both_ends() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(5, 40)), rng.normal(size=(5, 60))
    path = features.dtw_path(x, y, 0.1)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (39, 59)
    steps = np.diff(path, axis=0)
    assert {tuple(s) for s in steps} <= {(1, 1), (0, 1), (1, 0)}
    radius, offset = round(0.1 * 40), 20
    assert all(-radius < j - i < radius + offset for i, j in path)


def test_a_wrong_window_or_filter_is_caught() -> None:
    """The comparisons above can fail: a rectangular window, or HTK mel filters, are far off."""
    y, ref = REF["y"], REF["mel_400_160_40"]
    saved = features._hann
    try:
        features._hann = lambda n: np.ones(n, np.float32)  # type: ignore[assignment]
        assert np.abs(features.melspectrogram(y, 16000, 400, 160, 40) - ref).max() > 1e-3 * ref.max()
    finally:
        features._hann = saved
