"""expect_audio(): chains that pass, failures that show every measured value against its threshold."""

from __future__ import annotations

import pytest

from conformance.audio import corpus
from conformance.audio.decoding import encode
from conformance.audio.expect import AudioExpectationError, expect_audio


class Result:
    """Stands in for a client result: audio bytes and what the provider said about them."""

    def __init__(self, audio, content_type, sample_rate=None, raw_format=None):
        self.audio, self.content_type, self.sample_rate, self.raw_format = audio, content_type, sample_rate, raw_format


def test_a_good_output_passes_the_whole_chain():
    ref = corpus.clips("en_slt")[7].path
    mp3 = encode(corpus.make_clip("en_slt", 4.0, 44100), 44100, "mp3", bitrate_kbps=128)
    e = (expect_audio(Result(mp3, "audio/mpeg")).has_format("mp3", sample_rate=44100, codec="mp3", bitrate_kbps=128)
         .duration_between(4, 30).mono().not_clipped().not_silent().true_peak_below(-1.0)
         .loudness_between(-35, -15).snr_above(20).not_upsampled().f0_between(140, 240).same_speaker_as(ref))
    assert all(c.passed for c in e.checks) and len(e.checks) >= 12


@pytest.mark.parametrize("seconds,ok", [(3.9, False), (4.0, True), (30.0, True), (30.1, False)])
def test_duration_window_edges(seconds, ok):
    wav = encode(corpus.make_clip("en_kal", seconds, 16000), 16000, "wav")
    chain = expect_audio(wav).has_format("wav", sample_rate=16000)
    if ok:
        chain.duration_between(4, 30)
    else:
        with pytest.raises(AudioExpectationError, match=rf"FAIL  duration: {seconds:g} s \(expected 4 ≤ duration ≤ 30 s\)"):
            chain.duration_between(4, 30)


def test_failure_message_lists_every_measured_value():
    wav = encode(corpus.make_clip("en_kal", 5.0, 16000), 16000, "wav")
    with pytest.raises(AudioExpectationError) as err:
        expect_audio(wav).has_format("wav").mono().sample_rate(44100)
    msg = str(err.value)
    assert "ok    format: wav (expected wav)" in msg
    assert "ok    channels: 1 (expected 1 (mono))" in msg
    assert "FAIL  sample_rate: 16000 Hz (expected 44100 Hz)" in msg
    assert [c.passed for c in err.value.checks] == [True, True, False]


def test_upsampled_16k_declared_44k_is_caught():
    y16 = corpus.make_clip("en_kal", 5.0, 16000)
    fake = encode(corpus.resample(y16, 16000, 44100), 44100, "wav")
    with pytest.raises(AudioExpectationError, match="FAIL  bandwidth"):
        expect_audio(fake).has_format("wav", sample_rate=44100).not_upsampled()
    real = encode(corpus.make_clip("en_alsa", 5.0, 44100), 44100, "wav")
    expect_audio(real).has_format("wav", sample_rate=44100).not_upsampled()


def test_headerless_results_and_speaker_mismatch():
    pcm = encode(corpus.make_clip("cs_machac", 4.0, 16000), 16000, "s16le")
    e = expect_audio(Result(pcm, "application/octet-stream", 16000, "s16le")).has_format("raw", sample_rate=16000)
    e.duration_about(4.0, 0.01).different_speaker_from(corpus.clips("cs_dita")[0].path)
    with pytest.raises(AudioExpectationError, match="FAIL  speaker_score"):
        e.same_speaker_as(corpus.clips("cs_dita")[0].path)


def test_quality_and_timing_expectations():
    clip = corpus.clips("en_librivox")[0]
    y, sr = corpus.load(clip)
    expect_audio(clip.path).mos_at_least(2.5).intelligible(clip.text, max_wer=0.4).timing_preserved((y, sr))
    with pytest.raises(AudioExpectationError, match="FAIL  wer"):
        expect_audio(clip.path).intelligible("completely different words about a cat", max_wer=0.4)


# each assertion at its thresholds: just inside and just outside, both bounds


def _tone_then_silence(tone_s: float, silence_s: float, sr: int = 16000, level: float = 0.3) -> bytes:
    import numpy as np

    t = np.arange(int(tone_s * sr)) / sr
    y = np.concatenate([level * np.sin(2 * np.pi * 220 * t), np.zeros(int(silence_s * sr))]).astype(np.float32)
    return encode(y, sr, "wav")


@pytest.mark.parametrize(("expected", "ok"), [(2.15, True), (2.25, False), (1.85, True), (1.75, False)])
def test_duration_about_keeps_its_tolerance_both_ways(expected: float, ok: bool) -> None:
    audio = _tone_then_silence(2.0, 0.0)
    if ok:
        expect_audio(audio).duration_about(expected, tolerance=0.2)
    else:
        with pytest.raises(AudioExpectationError, match="duration"):
            expect_audio(audio).duration_about(expected, tolerance=0.2)


@pytest.mark.parametrize(("limit", "ok"), [(0.55, True), (0.45, False)])
def test_not_silent_keeps_its_limit(limit: float, ok: bool) -> None:
    audio = _tone_then_silence(1.0, 1.0)  # half silence
    assert expect_audio(audio).report.silence_ratio == pytest.approx(0.5, abs=0.03)
    if ok:
        expect_audio(audio).not_silent(limit)
    else:
        with pytest.raises(AudioExpectationError, match="silence_ratio"):
            expect_audio(audio).not_silent(limit)


@pytest.mark.parametrize(("rate", "ok"), [(16000, True), (8000, False), (22050, False), (48000, False)])
def test_has_format_wants_the_very_sample_rate(rate: int, ok: bool) -> None:
    audio = _tone_then_silence(1.0, 0.0)
    if ok:
        expect_audio(audio).has_format("wav", sample_rate=rate)
    else:
        with pytest.raises(AudioExpectationError, match="sample_rate"):
            expect_audio(audio).has_format("wav", sample_rate=rate)


@pytest.mark.parametrize(("dbfs", "silent"), [(-45.0, False), (-55.0, True)])
def test_the_silence_threshold_is_50_dbfs(dbfs: float, silent: bool) -> None:
    """A steady tone 5 dB above the -50 dBFS threshold is sound, 5 dB below is silence."""
    level = 10 ** (dbfs / 20) * 2 ** 0.5  # a sine's RMS is its peak / sqrt(2)
    ratio = expect_audio(_tone_then_silence(1.0, 0.0, level=level)).report.silence_ratio
    assert ratio == (pytest.approx(1.0, abs=0.02) if silent else pytest.approx(0.0, abs=0.02))
