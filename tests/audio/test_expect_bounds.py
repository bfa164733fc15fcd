"""Every expect_audio assertion at its bound: the audio's own measured value passes (bounds are
inclusive), a hair past it fails, on each side the assertion has; and the failure names the measure,
its value, the expected text and the unit. A check that ignored its threshold, flipped a comparison or
reported another measure would fail here."""

from __future__ import annotations

import pytest

from conformance.audio import corpus
from conformance.audio.decoding import encode
from conformance.audio.expect import AudioExpectationError, expect_audio

EPS = 1e-6


@pytest.fixture(scope="module")
def speech() -> bytes:
    y = corpus.make_clip("en_slt", 4.0, 16000) * 0.5
    y[:1600] = 0.0  # a leading and a trailing silence to measure
    y[-3200:] = 0.0
    y += 0.002  # a small DC offset
    return encode(y, 16000, "wav")


# method, report attribute, name in the failure, unit, expected text for bound b, side ("max" or "min")
ONE_SIDED = [
    ("true_peak_below", "true_peak_dbtp", "true_peak", "dBTP", "≤ {b:g} dBTP", "max"),
    ("snr_above", "snr_db", "snr", "dB", "≥ {b:g} dB", "min"),
    ("not_silent", "silence_ratio", "silence_ratio", "", "≤ {b:g}", "max"),
    ("not_clipped", "clipping_ratio", "clipping_ratio", "", "≤ {b:g}", "max"),
    ("leading_silence_below", "leading_silence_s", "leading_silence", "s", "≤ {b:g} s", "max"),
    ("trailing_silence_below", "trailing_silence_s", "trailing_silence", "s", "≤ {b:g} s", "max"),
    ("bandwidth_at_least", "bandwidth_hz", "bandwidth", "Hz", "≥ {b:g} Hz", "min"),
]


@pytest.mark.parametrize("method,attr,name,unit,text,side", ONE_SIDED, ids=[m[0] for m in ONE_SIDED])
def test_a_one_sided_assertion_passes_at_its_bound_and_fails_just_past_it(speech, method, attr, name, unit, text,
                                                                         side) -> None:
    v = getattr(expect_audio(speech).report, attr)
    assert v is not None
    getattr(expect_audio(speech), method)(v)  # inclusive
    past = v - max(EPS, abs(v) * EPS) if side == "max" else v + max(EPS, abs(v) * EPS)
    with pytest.raises(AudioExpectationError) as err:
        getattr(expect_audio(speech), method)(past)
    (check,) = err.value.checks
    assert (check.name, check.measured, check.unit, check.passed) == (name, v, unit, False)
    assert check.expected == text.format(b=past)
    if side == "max":  # and a generous bound passes, a strict one well past it fails
        getattr(expect_audio(speech), method)(v + 1)
    else:
        getattr(expect_audio(speech), method)(v - 1)


def test_dc_offset_is_judged_by_its_magnitude_at_the_bound(speech) -> None:
    v = expect_audio(speech).report.dc_offset
    assert v > 0.001
    expect_audio(speech).dc_offset_below(abs(v))
    with pytest.raises(AudioExpectationError) as err:
        expect_audio(speech).dc_offset_below(abs(v) - EPS)
    assert (err.value.checks[0].name, err.value.checks[0].expected) == ("dc_offset", f"|dc| ≤ {abs(v) - EPS:g}")
    inverted = encode(-(corpus.make_clip("en_slt", 2.0, 16000) * 0.5 + 0.003), 16000, "wav")
    w = expect_audio(inverted).report.dc_offset
    assert w < 0
    expect_audio(inverted).dc_offset_below(abs(w))  # a negative offset counts by its size


# method, report attribute, name, unit, label in the expected text
RANGES = [
    ("loudness_between", "loudness_lufs", "loudness", "LUFS", "loudness"),
    ("f0_between", "f0_median_hz", "f0_median", "Hz", "F0"),
]


@pytest.mark.parametrize("method,attr,name,unit,label", RANGES, ids=[r[0] for r in RANGES])
def test_a_range_holds_both_bounds_inclusively(speech, method, attr, name, unit, label) -> None:
    v = getattr(expect_audio(speech).report, attr)
    assert v is not None
    getattr(expect_audio(speech), method)(v, v + 1)  # at the lower bound
    getattr(expect_audio(speech), method)(v - 1, v)  # at the upper bound
    for lo, hi in ((v + EPS, v + 1), (v - 1, v - EPS)):
        with pytest.raises(AudioExpectationError) as err:
            getattr(expect_audio(speech), method)(lo, hi)
        (check,) = err.value.checks
        assert (check.name, check.measured, check.unit) == (name, v, unit)
        assert check.expected == f"{lo:g} ≤ {label} ≤ {hi:g} {unit}"


def test_duration_between_takes_either_bound_alone(speech) -> None:
    d = expect_audio(speech).decoded.duration
    expect_audio(speech).duration_between(lo=d).duration_between(hi=d).duration_between(d, d)
    with pytest.raises(AudioExpectationError) as err:
        expect_audio(speech).duration_between(lo=d + EPS)
    assert err.value.checks[0].expected == f"≥ {d + EPS:g} s"
    with pytest.raises(AudioExpectationError) as err:
        expect_audio(speech).duration_between(hi=d - EPS)
    assert err.value.checks[0].expected == f"≤ {d - EPS:g} s"


def test_has_format_checks_codec_channels_rate_and_bitrate_within_its_tolerance() -> None:
    mp3 = encode(corpus.make_clip("en_slt", 3.0, 44100), 44100, "mp3", bitrate_kbps=128)
    info = expect_audio(mp3).info
    kbps = info.bitrate / 1000
    expect_audio(mp3).has_format("mp3", codec="mp3", channels=1, sample_rate=44100, bitrate_kbps=kbps)
    # the tolerance is a fraction of the asked bitrate, inclusive at both ends
    expect_audio(mp3).has_format("mp3", bitrate_kbps=kbps / 1.15 * (1 + 1e-9))
    expect_audio(mp3).has_format("mp3", bitrate_kbps=kbps / 0.85 * (1 - 1e-9))
    for asked in (kbps / 1.15 * (1 - 1e-3), kbps / 0.85 * (1 + 1e-3)):
        with pytest.raises(AudioExpectationError) as err:
            expect_audio(mp3).has_format("mp3", bitrate_kbps=asked)
        assert (err.value.checks[-1].name, err.value.checks[-1].unit) == ("bitrate", "kbps")
        assert err.value.checks[-1].expected == f"{asked:g} kbps ± 15%"
    expect_audio(mp3).has_format("mp3", bitrate_kbps=kbps * 1.25, bitrate_tolerance=0.25)
    for wrong, field in ((dict(codec="aac"), "codec"), (dict(channels=2), "channels"), (dict(sample_rate=48000), "sample_rate")):
        with pytest.raises(AudioExpectationError) as err:
            expect_audio(mp3).has_format("mp3", **wrong)
        assert err.value.checks[-1].name == field and not err.value.checks[-1].passed
    with pytest.raises(AudioExpectationError) as err:
        expect_audio(mp3).has_format("wav")
    assert (err.value.checks[0].name, err.value.checks[0].measured, err.value.checks[0].expected) == (
        "format", "mp3", "wav")


def test_each_failure_lists_every_check_made_so_far() -> None:
    wav = encode(corpus.make_clip("en_kal", 2.0, 16000), 16000, "wav")
    with pytest.raises(AudioExpectationError) as err:
        expect_audio(wav).mono().sample_rate(16000).channels(2)
    text = str(err.value)
    assert text.splitlines()[0] == "audio expectations failed (1 of 3):"
    assert [c.name for c in err.value.checks] == ["channels", "sample_rate", "channels"]
    assert [c.passed for c in err.value.checks] == [True, True, False]
