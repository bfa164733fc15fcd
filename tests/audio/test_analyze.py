"""analyze(): every figure checked against a signal whose answer is known, or against a reference."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from conformance.audio import corpus, degrade
from conformance.audio.analysis import analyze, effective_bandwidth, f0_track, integrated_loudness, true_peak
from conformance.audio.decoding import decode, encode
from conformance.audio.probe import AudioDecodeError

WIDE = [s.id for s in corpus.speakers() if s.wideband]
NARROW = [s.id for s in corpus.speakers() if not s.wideband]


def _ffmpeg_resample(y: np.ndarray, sr: int, out_sr: int) -> np.ndarray:
    d = decode(encode(y, sr, "flac"), sr=None)
    wav = subprocess.run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-ar", str(out_sr), "-f", "f32le", "pipe:1"],
                         input=encode(d.samples, sr, "flac"), capture_output=True, check=True).stdout
    return np.frombuffer(wav, np.float32)


def _upsampled_16k(speaker: str, method: str) -> np.ndarray:
    y16 = corpus.make_clip(speaker, 6.0, 16000)
    if method == "soxr":
        return corpus.resample(y16, 16000, 44100)
    if method == "scipy":
        return resample_poly(y16, 441, 160).astype(np.float32)
    return _ffmpeg_resample(y16, 16000, 44100)


@pytest.mark.parametrize("method", ["soxr", "scipy", "ffmpeg"])
def test_bandwidth_separates_upsampled_16k_from_wideband_speech(method):
    """Every speaker brought down to 16 kHz and up to 44.1 kHz reads under 10 kHz; every wide-band
    speaker resampled straight to 44.1 kHz reads above it."""
    upsampled = {s: effective_bandwidth(_upsampled_16k(s, method), 44100) for s in WIDE + NARROW}
    wide = {s: effective_bandwidth(corpus.make_clip(s, 6.0, 44100), 44100) for s in WIDE}
    print(f"\n{method}: upsampled 16k→44.1k {upsampled}\nwide-band at 44.1k {wide}")
    assert max(upsampled.values()) < 9000
    assert min(wide.values()) > 10500


def test_plain_energy_rolloff_would_not_separate_them():
    """Why the dB-weighted definition: 99 % of the *power* of wide-band speech lies under 8 kHz too."""
    y = corpus.make_clip("en_slt", 6.0, 44100)
    spec = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / 44100)
    rolloff = freqs[np.searchsorted(np.cumsum(spec) / spec.sum(), 0.99)]
    assert rolloff < 8000 < effective_bandwidth(y, 44100)


@pytest.mark.parametrize("sr", [16000, 22050, 44100, 48000])
def test_loudness_matches_pyloudnorm(sr):
    y = corpus.make_clip("en_alsa", 7.3, sr)
    ours = integrated_loudness(y[None, :], sr)
    ref = pyloudnorm.Meter(sr).integrated_loudness(y.astype(np.float64))
    assert ours == pytest.approx(ref, abs=0.01)
    assert integrated_loudness((y * 0.5)[None, :], sr) == pytest.approx(ours - 6.02, abs=0.01)


def test_loudness_undefined_for_audio_shorter_than_a_block():
    y = corpus.make_clip("en_kal", 0.3, 16000)
    assert analyze((y, 16000)).loudness_lufs is None


def test_true_peak_finds_the_peak_between_samples():
    sr = 48000
    n = np.arange(sr)
    y = np.sin(2 * np.pi * (sr / 4) * n / sr + np.pi / 4).astype(np.float32) * 0.9  # samples at ±0.636
    r = analyze((y, sr))
    assert r.peak_dbfs == pytest.approx(20 * np.log10(0.9 * np.sqrt(0.5)), abs=0.01)
    assert r.true_peak_dbtp == pytest.approx(20 * np.log10(0.9), abs=0.2)
    speech = corpus.make_clip("cs_machac", 5.0, 44100)
    full = np.abs(resample_poly(speech.astype(np.float64), 4, 1)).max()
    assert true_peak(speech[None, :], 44100) == pytest.approx(full, rel=0.01)


def test_clipping_dc_and_silence():
    sr = 16000
    y = corpus.make_clip("en_kal", 3.0, sr)
    clean = analyze((y, sr))
    assert clean.clipping_ratio == 0
    hot = np.clip(y * 20, -1, 1)
    clipped = analyze((hot, sr))
    assert clipped.clipping_ratio > 0.05
    shifted = analyze((y + 0.1, sr))
    assert shifted.dc_offset == pytest.approx(clean.dc_offset + 0.1, abs=1e-4)
    padded = np.concatenate([np.zeros(sr), y, np.zeros(2 * sr)]).astype(np.float32)
    p = analyze((padded, sr))
    assert p.leading_silence_s == pytest.approx(clean.leading_silence_s + 1.0, abs=0.03)
    assert p.trailing_silence_s == pytest.approx(clean.trailing_silence_s + 2.0, abs=0.03)
    assert p.silence_ratio > clean.silence_ratio
    assert analyze((np.zeros(sr, np.float32), sr)).silence_ratio == 1.0


def test_snr_estimate_follows_added_noise():
    y, sr = corpus.load(corpus.clips("en_slt")[0])
    y = corpus.make_clip("en_slt", 8.0, sr)
    snrs = {db: analyze(degrade.add_noise(y, sr, db, seed=3)).snr_db for db in (10, 20, 30)}
    assert snrs[10] < snrs[20] < snrs[30] < analyze((y, sr)).snr_db
    assert snrs[20] == pytest.approx(20, abs=6)


@pytest.mark.parametrize("f0", [90.0, 150.0, 240.0])
def test_f0_of_a_harmonic_tone(f0):
    sr = 22050
    t = np.arange(2 * sr) / sr
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)).astype(np.float32) * 0.2
    r = analyze((y, sr))
    assert r.f0_median_hz == pytest.approx(f0, rel=0.02)
    assert r.voiced_ratio > 0.9


def test_f0_tells_female_from_male_speakers():
    f0 = {s: analyze((corpus.make_clip(s, 6.0, 16000), 16000)).f0_median_hz
          for s in ("en_slt", "cs_dita", "en_kal", "cs_machac")}
    assert min(f0["en_slt"], f0["cs_dita"]) > 150 > max(f0["en_kal"], f0["cs_machac"])
    assert np.isnan(f0_track(np.zeros(16000, np.float32), 16000)).all()


def test_report_describes_the_file(tmp_path):
    path = tmp_path / "a.flac"
    path.write_bytes(encode(corpus.make_clip("en_alsa", 5.0, 48000), 48000, "flac"))
    r = analyze(path)
    assert (r.info.format, r.sample_rate, r.channels) == ("flac", 48000, 1)
    assert r.duration_s == pytest.approx(5.0)
    assert r.as_dict()["info"]["format"] == "flac"
    assert "48000 Hz" in r.short()
    stereo = np.stack([corpus.make_clip("en_kal", 2.0, 16000)] * 2)
    assert analyze((stereo, 16000)).channels == 2


def test_too_short_and_broken_audio_are_refused():
    with pytest.raises(AudioDecodeError, match="too short"):
        analyze((np.zeros(100, np.float32), 16000))
    with pytest.raises(AudioDecodeError, match="empty"):
        analyze(b"")


def test_a_new_process_measures_without_a_jit_compiler(tmp_path):
    """Every measurement a check makes (analysis, timing/DTW, DNSMOS, speaker embedding on onnxruntime,
    the MFCC fallback) runs in a fresh process without importing numba or librosa: nothing compiles on
    a new machine's first run, and nothing is written to a cache (onnxruntime's import writes a device
    id and a telemetry database under the cache folder unless the kit steers it away), with
    XDG_CACHE_HOME set or, falling back to the home folder, unset."""
    code = ("import os, sys\n"
            "from conformance.audio import analyze, corpus, ge2e, timing, quality, speaker\n"
            "y = corpus.make_clip('en_kal', 2.0, 16000)\n"
            "analyze((y, 16000)); timing.timing_preservation((y, 16000), (y, 16000))\n"
            "quality.predicted_mos((y, 16000)); speaker.speaker_embedding((y, 16000))\n"
            "speaker.speaker_embedding((y, 16000), backend='mfcc')\n"
            "assert ge2e.runtime() == 'onnxruntime' and 'onnxruntime' in sys.modules\n"
            "print(os.environ.get('XDG_CACHE_HOME'), os.environ.get('ORT_DISABLE_TELEMETRY'))\n"
            "print(sorted(m for m in ('numba', 'librosa', 'llvmlite', 'torch') if m in sys.modules))\n")
    home = tmp_path / "home"
    home.mkdir()
    for cache in (str(tmp_path / "xdg"), None):
        env = {**_outside_ci(), "HOME": str(home), "PYTHONPATH": os.getcwd()}
        env.pop("XDG_CACHE_HOME", None)
        if cache is not None:
            env["XDG_CACHE_HOME"] = cache
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        assert out.stdout.strip().splitlines() == [f"{cache} None", "[]"]  # the variables as they were
        assert not (tmp_path / "xdg").exists()
        assert list(home.iterdir()) == []


def _outside_ci() -> dict[str, str]:
    """This environment as on a user's machine: onnxruntime writes nothing where it sees a CI variable."""
    ci = {"CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID",
          "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "ORT_DISABLE_TELEMETRY"}
    return {k: v for k, v in os.environ.items() if k not in ci}


def test_importing_onnxruntime_unsteered_writes_to_the_cache_folder(tmp_path):
    """What the test above guards against happens on a user's machine: a plain import leaves
    onnxruntime's files behind; either of the kit's two measures alone prevents it."""
    def files_after(code: str, **extra: str) -> list:
        cache = tmp_path / f"xdg{len(list(tmp_path.iterdir()))}"
        env = {**_outside_ci(), "XDG_CACHE_HOME": str(cache), **extra}
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return [p for p in cache.rglob("*") if p.is_file()]

    assert files_after("import onnxruntime")
    assert not files_after("import onnxruntime", ORT_DISABLE_TELEMETRY="1")
    scratch = str(tmp_path / "scratch")
    assert not files_after(f"import os; os.environ['XDG_CACHE_HOME'] = {scratch!r}; import onnxruntime")
    assert any(p.is_file() for p in (tmp_path / "scratch").rglob("*"))  # where they went instead
