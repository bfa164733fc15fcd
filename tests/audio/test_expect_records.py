"""What each expect_audio assertion records and raises, on measures set exactly: the record's name,
measured value, expected text, unit and verdict, each default threshold just inside and just outside,
and the bounds exactly (inclusive). The measures themselves are tested elsewhere (tests/audio/); the
report, the failure message and a user's own tooling read these records, so a record that carried
another name, no value or a wrong bound would mislead them.

Bounds chosen exact in binary (0.125, 0.25, 1.25 …) so that "at the bound" is what is tested."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from conformance.audio import expect as E
from conformance.audio.expect import AudioExpectation, AudioExpectationError, Check, expect_audio

SR = 8000


def seconds(s: float) -> tuple[np.ndarray, int]:
    return np.full(round(s * SR), 0.1, dtype="float32"), SR


def records(e: AudioExpectation) -> list[tuple]:
    return [(c.name, c.measured, c.expected, c.passed, c.unit) for c in e.checks]


def failed(call) -> list[tuple]:
    with pytest.raises(AudioExpectationError) as err:
        call()
    return [(c.name, c.measured, c.expected, c.passed, c.unit) for c in err.value.checks]


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch):
    """``report(**measures)``: an expectation whose analysis report holds exactly these values."""
    import conformance.audio.analysis as analysis

    def make(**values: Any) -> AudioExpectation:
        monkeypatch.setattr(analysis, "analyze", lambda decoded: SimpleNamespace(**values))
        return expect_audio(seconds(1.0))

    return make


@pytest.fixture
def header(monkeypatch: pytest.MonkeyPatch):
    """``header(**facts)``: an expectation on bytes whose header probe reads these facts."""

    def make(**facts: Any) -> AudioExpectation:
        info = {"format": "mp3", "codec": "mp3", "sample_rate": 44100, "channels": 1, "bitrate": 128000, **facts}
        monkeypatch.setattr(E, "probe", lambda src, **raw: SimpleNamespace(**info))
        return expect_audio(b"ID3...")

    return make


# ---------------------------------------------------------------------------------------------
# the record and the chain
# ---------------------------------------------------------------------------------------------


def test_a_record_line_shows_floats_to_four_figures_and_the_unit_only_with_a_value() -> None:
    assert Check("x", 0.123456, "≤ 1", True, "s").line() == "  ok    x: 0.1235 s (expected ≤ 1)"
    assert Check("x", 12345, "≤ 1", False, "Hz").line() == "  FAIL  x: 12345 Hz (expected ≤ 1)"
    assert Check("x", None, "≥ 1", False, "LUFS").line() == "  FAIL  x: None (expected ≥ 1)"


def test_the_expected_text_of_a_range_has_no_trailing_space_without_a_unit() -> None:
    assert AudioExpectation._between(1, 2, "", "x") == "1 ≤ x ≤ 2"
    assert AudioExpectation._between(1, None, "", "x") == "≥ 1"
    assert AudioExpectation._between(None, 2, "", "x") == "≤ 2"
    assert AudioExpectation._between(1, 2, "s", "x") == "1 ≤ x ≤ 2 s"


def test_headerless_audio_is_read_with_the_format_given_to_expect_audio() -> None:
    pcm = (np.full(SR, 1000, dtype="<i2")).tobytes()  # 1 s of 16-bit PCM at 8 kHz, no header
    e = expect_audio(pcm, sample_format="s16le", sample_rate=SR).duration_about(1.0, 0.0)
    assert e.info.sample_rate == SR and records(e) == [("duration", 1.0, "1 ± 0 s", True, "s")]


# ---------------------------------------------------------------------------------------------
# what a report keeps of the audio
# ---------------------------------------------------------------------------------------------


def test_the_report_keeps_encoded_bytes_as_given_until_they_are_decoded() -> None:
    from conformance.audio.decoding import encode

    wav = encode(np.full(SR, 0.1, dtype="float32"), SR, "wav")
    assert expect_audio(wav).audio_for_report() == wav
    assert expect_audio(SimpleNamespace(audio=bytearray(wav))).audio_for_report() == wav  # a client result
    decoded = expect_audio(wav).duration_about(1.0)
    y, sr = decoded.audio_for_report()  # once decoded, the samples (no second decode in the report)
    assert sr == SR and y.shape == (SR,) and y.dtype == np.float32


def test_the_report_keeps_samples_for_headerless_audio_and_sample_tuples() -> None:
    pcm = (np.full(SR, 1000, dtype="<i2")).tobytes()
    y, sr = expect_audio(pcm, sample_format="s16le", sample_rate=SR).audio_for_report()
    assert sr == SR and y.shape == (SR,)
    result = SimpleNamespace(audio=pcm, raw_format="s16le", sample_rate=SR, channels=1)
    y, sr = expect_audio(result).audio_for_report()
    assert sr == SR and y.shape == (SR,) and np.allclose(y, 1000 / 32768)
    samples = np.full(SR // 2, 0.2, dtype="float32")
    y, sr = expect_audio((samples, SR)).audio_for_report()
    assert sr == SR and np.array_equal(y, samples)


def test_audio_that_cannot_be_decoded_is_kept_as_bytes_or_as_nothing() -> None:
    junk = b"\x00\x01 not audio"
    assert expect_audio(junk, sample_format="nope", sample_rate=SR).audio_for_report() == junk
    assert expect_audio(SimpleNamespace(audio=junk, raw_format="s99le")).audio_for_report() == junk
    assert expect_audio(object()).audio_for_report() is None


# ---------------------------------------------------------------------------------------------
# format
# ---------------------------------------------------------------------------------------------


def test_has_format_records_container_codec_rate_channels_and_bitrate(header) -> None:
    e = header().has_format("mp3", codec="mp3", sample_rate=44100, channels=1, bitrate_kbps=128)
    assert records(e) == [("format", "mp3", "mp3", True, ""), ("codec", "mp3", "mp3", True, ""),
                          ("sample_rate", 44100, "44100 Hz", True, "Hz"), ("channels", 1, "1", True, ""),
                          ("bitrate", 128.0, "128 kbps ± 15%", True, "kbps")]
    assert failed(lambda: header(codec="aac").has_format("mp3", codec="mp3"))[-1] == (
        "codec", "aac", "mp3", False, "")
    assert failed(lambda: header(channels=2).channels(1)) == [("channels", 2, "1", False, "")]


@pytest.mark.parametrize(("bitrate", "passed"), [(125000, True), (125001, False), (75000, True), (74999, False)])
def test_a_bitrate_is_within_its_tolerance_inclusive(header, bitrate: int, passed: bool) -> None:
    e = header(bitrate=bitrate)
    call = lambda: e.has_format("mp3", bitrate_kbps=100, bitrate_tolerance=0.25)  # noqa: E731  ± 25 kbps
    if passed:
        call()
    else:
        failed(call)
    assert e.checks[-1] == Check("bitrate", bitrate / 1000, "100 kbps ± 25%", passed, "kbps")


def test_an_unknown_bitrate_reads_as_zero(header) -> None:
    assert failed(lambda: header(bitrate=None).has_format("mp3", bitrate_kbps=128))[-1] == (
        "bitrate", 0.0, "128 kbps ± 15%", False, "kbps")


# ---------------------------------------------------------------------------------------------
# duration
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("samples", "passed"), [(17000, True), (17001, False), (15000, True), (14999, False)])
def test_duration_about_is_inclusive_at_its_tolerance(samples: int, passed: bool) -> None:
    e = expect_audio((np.full(samples, 0.1, dtype="float32"), SR))
    call = lambda: e.duration_about(2.0, 0.125)  # noqa: E731  2.125 s and 1.875 s are exact
    if passed:
        call()
    else:
        failed(call)
    assert e.checks == [Check("duration", samples / SR, "2 ± 0.125 s", passed, "s")]


@pytest.mark.parametrize(("length", "passed"), [(2.0875, True), (2.1125, False), (1.9125, True), (1.8875, False)])
def test_duration_about_defaults_to_a_tenth_of_a_second(length: float, passed: bool) -> None:
    e = expect_audio(seconds(length))
    if passed:
        e.duration_about(2.0)
    else:
        failed(lambda: e.duration_about(2.0))
    assert e.checks[-1].expected == "2 ± 0.1 s" and e.checks[-1].passed is passed


# ---------------------------------------------------------------------------------------------
# signal measures at their default thresholds
# ---------------------------------------------------------------------------------------------

DEFAULTS = [  # method, report attribute, record name, unit, expected text, value at the bound, just past it
    ("not_silent", "silence_ratio", "silence_ratio", "", "≤ 0.9", 0.9, 0.9001),
    ("not_clipped", "clipping_ratio", "clipping_ratio", "", "≤ 0.001", 0.001, 0.0011),
    ("snr_above", "snr_db", "snr", "dB", "≥ 20 dB", 20.0, 19.99),
    ("dc_offset_below", "dc_offset", "dc_offset", "", "|dc| ≤ 0.01", -0.01, -0.0101),
    ("true_peak_below", "true_peak_dbtp", "true_peak", "dBTP", "≤ -1 dBTP", -1.0, -0.99),
    ("not_upsampled", "bandwidth_hz", "bandwidth", "Hz", "≥ 10000 Hz (more than 16000 Hz audio holds)",
     10000.0, 9999.9),
]


@pytest.mark.parametrize("method,attr,name,unit,text,at,past", DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_a_default_threshold_passes_at_its_bound_and_fails_just_past_it(report, method, attr, name, unit, text,
                                                                        at, past) -> None:
    e = getattr(report(**{attr: at}), method)()
    assert records(e) == [(name, at, text, True, unit)]
    assert failed(lambda: getattr(report(**{attr: past}), method)()) == [(name, past, text, False, unit)]


def test_not_upsampled_takes_the_rate_and_margin_it_is_given(report) -> None:
    e = report(bandwidth_hz=12000.0).not_upsampled(from_rate=16000, margin=1.5)
    assert records(e) == [("bandwidth", 12000.0, "≥ 12000 Hz (more than 16000 Hz audio holds)", True, "Hz")]
    assert failed(lambda: report(bandwidth_hz=11000.0).not_upsampled(from_rate=22050, margin=1.0)) == [
        ("bandwidth", 11000.0, "≥ 11025 Hz (more than 22050 Hz audio holds)", False, "Hz")]


# ---------------------------------------------------------------------------------------------
# speaker, quality, words and timing, on fake measures
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def measure(monkeypatch: pytest.MonkeyPatch):
    """``measure(module, function, value)``: the measure returns ``value``; the calls are returned."""
    import importlib

    def make(module: str, function: str, value: Any) -> list:
        calls: list = []

        def fake(*args: Any, **kw: Any) -> Any:
            calls.append((args, kw))
            return value

        monkeypatch.setattr(importlib.import_module(f"conformance.audio.{module}"), function, fake)
        return calls

    return make


def verdict(score: float, same: bool, cosine: float = 0.8125) -> SimpleNamespace:
    return SimpleNamespace(cosine=cosine, score=score, threshold=2.5, backend="resemblyzer", same_speaker=same)


def test_same_speaker_as_passes_the_reference_cohort_and_threshold_and_records_both_scores(measure) -> None:
    measure("speaker", "speaker_embedding", "EMBEDDING")
    calls = measure("speaker", "verify_speaker", verdict(3.25, True))
    e = expect_audio(seconds(1.0)).same_speaker_as("REF", cohort="COHORT", threshold=2.5)
    assert calls == [(("EMBEDDING", "REF", "COHORT"), {"threshold": 2.5})]
    assert records(e) == [("speaker_cosine", 0.8125, "(informative)", True, ""),
                          ("speaker_score", 3.25, "≥ 2.5 (S-norm, resemblyzer)", True, "")]
    measure("speaker", "verify_speaker", verdict(1.5, False))
    assert failed(lambda: expect_audio(seconds(1.0)).same_speaker_as("REF"))[-1] == (
        "speaker_score", 1.5, "≥ 2.5 (S-norm, resemblyzer)", False, "")


def test_different_speaker_from_fails_when_the_verifier_says_same(measure) -> None:
    measure("speaker", "speaker_embedding", "EMBEDDING")
    calls = measure("speaker", "verify_speaker", verdict(1.5, False))
    e = expect_audio(seconds(1.0)).different_speaker_from("OTHER", threshold=2.5)
    assert calls == [(("EMBEDDING", "OTHER"), {"threshold": 2.5})]
    assert records(e) == [("speaker_score", 1.5, "< 2.5 (S-norm, resemblyzer)", True, "")]
    measure("speaker", "verify_speaker", verdict(3.0, True))
    assert failed(lambda: expect_audio(seconds(1.0)).different_speaker_from("OTHER")) == [
        ("speaker_score", 3.0, "< 2.5 (S-norm, resemblyzer)", False, "")]


@pytest.mark.parametrize(("cosine", "passed"), [(0.75, True), (0.7499, False)])
def test_similarity_at_least_is_inclusive(measure, cosine: float, passed: bool) -> None:
    measure("speaker", "speaker_embedding", "EMBEDDING")
    calls = measure("speaker", "speaker_similarity", cosine)
    e = expect_audio(seconds(1.0))
    if passed:
        e.similarity_at_least("REF", 0.75)
    else:
        failed(lambda: e.similarity_at_least("REF", 0.75))
    assert calls == [(("EMBEDDING", "REF"), {})]
    assert records(e) == [("speaker_cosine", cosine, "≥ 0.75", passed, "")]


def test_the_speaker_embedding_of_the_output_is_made_once(measure) -> None:
    calls = measure("speaker", "speaker_embedding", "EMBEDDING")
    measure("speaker", "speaker_similarity", 0.9)
    measure("speaker", "verify_speaker", verdict(3.0, True))
    expect_audio(seconds(1.0)).similarity_at_least("A", 0.5).same_speaker_as("B").similarity_at_least("C", 0.5)
    assert len(calls) == 1


def mos(ovrl: float, sig: float = 3.5, bak: float = 4.0) -> SimpleNamespace:
    return SimpleNamespace(ovrl=ovrl, sig=sig, bak=bak)


def test_mos_at_least_records_overall_and_the_parts_asked_for(measure) -> None:
    measure("quality", "predicted_mos", mos(3.0))
    e = expect_audio(seconds(1.0)).mos_at_least()  # default 3.0, inclusive
    assert records(e) == [("dnsmos_ovrl", 3.0, "≥ 3", True, "")]
    e = expect_audio(seconds(1.0)).mos_at_least(2.5, sig=3.5, bak=4.0)  # each at its bound
    assert records(e) == [("dnsmos_ovrl", 3.0, "≥ 2.5", True, ""), ("dnsmos_sig", 3.5, "≥ 3.5", True, ""),
                          ("dnsmos_bak", 4.0, "≥ 4", True, "")]
    assert failed(lambda: expect_audio(seconds(1.0)).mos_at_least(3.0001)) == [("dnsmos_ovrl", 3.0, "≥ 3.0001",
                                                                                  False, "")]
    assert failed(lambda: expect_audio(seconds(1.0)).mos_at_least(2.5, sig=3.5001))[-1] == (
        "dnsmos_sig", 3.5, "≥ 3.5001", False, "")
    assert failed(lambda: expect_audio(seconds(1.0)).mos_at_least(2.5, sig=3.0, bak=4.0001))[-1] == (
        "dnsmos_bak", 4.0, "≥ 4.0001", False, "")
    measure("quality", "predicted_mos", mos(2.9999))
    assert failed(lambda: expect_audio(seconds(1.0)).mos_at_least())[0][3] is False


@pytest.mark.parametrize(("wer", "passed"), [(0.35, True), (0.3501, False)])
def test_intelligible_defaults_to_a_wer_of_035_inclusive(measure, wer: float, passed: bool) -> None:
    calls = measure("quality", "intelligibility", SimpleNamespace(wer=wer, transcript="the birch canoe"))
    e = expect_audio(seconds(1.0))
    if passed:
        e.intelligible("The birch canoe slid.")
    else:
        failed(lambda: e.intelligible("The birch canoe slid."))
    assert calls[0][0][1] == "The birch canoe slid."
    assert records(e) == [("wer", wer, "≤ 0.35 (heard: 'the birch canoe')", passed, "")]


def timing(ratio: float = 1.0, slope: float = 1.0, f0: float | None = 0.75) -> SimpleNamespace:
    return SimpleNamespace(duration_ratio=ratio, dtw_slope=slope, f0_correlation=f0)


@pytest.mark.parametrize(("ratio", "slope", "passed"), [
    (0.75, 1.0, True), (1.25, 1.0, True), (0.7499, 1.0, False), (1.2501, 1.0, False),
    (1.0, 0.75, True), (1.0, 1.25, True), (1.0, 0.7499, False), (1.0, 1.2501, False)])
def test_timing_preserved_is_inclusive_at_both_ends_of_the_ratio_and_the_slope(measure, ratio, slope, passed) -> None:
    calls = measure("timing", "timing_preservation", timing(ratio, slope))
    e = expect_audio(seconds(1.0))
    call = lambda: e.timing_preserved("SRC", max_duration_change=0.25, min_f0_correlation=None)  # noqa: E731
    if passed:
        call()
    else:
        failed(call)
    assert calls[0][0][0] == "SRC"
    assert records(e)[0] == ("duration_ratio", ratio, "0.75–1.25", lo_ok(ratio), "")
    if lo_ok(ratio):
        assert records(e) == [("duration_ratio", ratio, "0.75–1.25", True, ""), ("dtw_slope", slope, "0.75–1.25",
                                                                                  passed, "")]


def lo_ok(ratio: float) -> bool:
    return 0.75 <= ratio <= 1.25


@pytest.mark.parametrize(("ratio", "passed"), [(1.1, True), (1.1001, False), (0.9, True), (0.8999, False)])
def test_timing_preserved_defaults_to_a_tenth(measure, ratio: float, passed: bool) -> None:
    measure("timing", "timing_preservation", timing(ratio))
    e = expect_audio(seconds(1.0))
    if passed:
        e.timing_preserved("SRC")
    else:
        failed(lambda: e.timing_preserved("SRC"))
    assert e.checks[0] == Check("duration_ratio", ratio, "0.9–1.1", passed)


@pytest.mark.parametrize(("f0", "passed"), [(0.5, True), (0.4999, False), (None, False)])
def test_intonation_is_kept_at_the_default_correlation_and_none_is_not_kept(measure, f0, passed: bool) -> None:
    measure("timing", "timing_preservation", timing(f0=f0))
    e = expect_audio(seconds(1.0))
    if passed:
        e.timing_preserved("SRC")
    else:
        failed(lambda: e.timing_preserved("SRC"))
    assert records(e)[-1] == ("f0_correlation", f0, "≥ 0.5", passed, "")
    assert [c.name for c in e.checks] == ["duration_ratio", "dtw_slope", "f0_correlation"]
    unasked = expect_audio(seconds(1.0)).timing_preserved("SRC", min_f0_correlation=None)
    assert [c.name for c in unasked.checks] == ["duration_ratio", "dtw_slope"]
