"""What the audio checks report: their own name, each measured value as the measure gives it (rounded as
the report shows it), what was expected from the thresholds, and the message and source a failure
carries. The measures themselves are tested in tests/audio/; here each check is held to reporting
them faithfully, passing and failing."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from conformance import audio as A
from conformance import checks, spec
from conformance.audio import corpus
from conformance.audio.decoding import encode
from conformance.checks import Case
from conformance.thresholds import THRESHOLDS

SR = 16000


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    return corpus.make_clip("en_slt", 3.0, SR), SR


@pytest.fixture(scope="module")
def same_voice() -> tuple[np.ndarray, int]:
    return corpus.make_clip("en_slt", 6.0, SR, start=3), SR


@pytest.fixture(scope="module")
def other_voice() -> tuple[np.ndarray, int]:
    return corpus.make_clip("en_kal", 6.0, SR), SR


def test_output_format_reports_container_rate_codec_bandwidth_and_duration(speech) -> None:
    y, sr = speech
    audio = SimpleNamespace(audio=encode(y, sr, "wav"), format="wav", sample_rate=sr, codec="pcm")
    fmt = SimpleNamespace(name="wav_16000", container="wav", sample_rate=sr, codec="pcm", bitrate_kbps=None,
                          source="docs: output formats")
    r = checks.run("output_format_conformance", Case(audio=audio, expect_format=fmt))
    report = A.analyze(audio)
    need = THRESHOLDS.min_bandwidth_share * sr / 2
    assert (r.check, r.passed, r.message, r.source) == ("output_format_conformance", True, "wav_16000 as promised",
                                                        "docs: output formats")
    assert r.measured == {"container": "wav", "sample_rate": sr, "codec": "pcm", "format_honest": True,
                          "bandwidth_hz": round(report.bandwidth_hz), "duration_s": round(report.duration_s, 3)}
    assert r.expected == {"container": "wav", "sample_rate": sr, "codec": "pcm", "bandwidth_hz": f">= {need:.0f}"}
    # declared at 48 kHz, made at 16 kHz: the bandwidth gives it away
    up = corpus.make_clip("en_slt", 3.0, SR)
    from scipy.signal import resample_poly

    y48 = resample_poly(up, 3, 1).astype("float32")
    lied = SimpleNamespace(audio=encode(y48, 48000, "wav"), format="wav", sample_rate=48000, codec="pcm")
    f48 = SimpleNamespace(name="wav_48000", container="wav", sample_rate=48000, codec="pcm", bitrate_kbps=None,
                          source=None)
    bad = checks.run("output_format_conformance", Case(audio=lied, expect_format=f48))
    assert not bad.passed and bad.measured["format_honest"] is False and bad.source == "output variant wav_48000"
    assert bad.message.startswith("wav_48000: effective bandwidth ") and "the audio was made at a lower rate" in bad.message
    assert bad.expected["bandwidth_hz"] == f">= {THRESHOLDS.min_bandwidth_share * 48000 / 2:.0f}"
    # a low-bitrate MP3 low-passes by design: no bandwidth is asked of it
    mp3 = SimpleNamespace(audio=encode(y48, 48000, "mp3", bitrate_kbps=32), format="mp3", sample_rate=48000, codec="mp3")
    fm = SimpleNamespace(name="mp3_48000_32", container="mp3", sample_rate=48000, codec="mp3", bitrate_kbps=32,
                         source=None)
    low = checks.run("output_format_conformance", Case(audio=mp3, expect_format=fm))
    assert low.passed and "bandwidth_hz" not in low.expected
    wrong = checks.run("output_format_conformance", Case(audio=audio, expect_format=f48))
    assert not wrong.passed and wrong.message == "asked for wav_48000 (wav at 48000 Hz), got wav at 16000 Hz"
    assert wrong.measured == {"container": "wav", "sample_rate": sr, "codec": "pcm", "format_honest": False}


def test_duration_reports_the_length_against_the_input_or_the_limits(speech) -> None:
    y, sr = speech
    d = round(A.analyze((y, sr)).duration_s, 3)
    ok = checks.run("duration_conformance", Case(audio=(y, sr), source_seconds=3.0))
    slack = 3.0 * THRESHOLDS.duration_tolerance + 0.1
    assert (ok.check, ok.passed, ok.message) == ("duration_conformance", True, f"{d:.2f} s")
    assert ok.measured == {"duration_s": d} and ok.expected == {"duration_s": f"3.0 ± {slack:.2f}"}
    ep = spec.get("elevenlabs.speech_to_speech")
    long = checks.run("duration_conformance", Case(endpoint=ep, audio=(y, sr), source_seconds=1.0))
    assert not long.passed and long.message == f"output lasts {d:.2f} s for 1.00 s of input"
    assert long.rule == "a voice changer keeps the input's timing" and long.source == str(ep.source)
    free = checks.run("duration_conformance", Case(audio=(y, sr)))
    assert free.passed and free.expected == {"duration_s": f"{checks.MIN_SECONDS}–{checks.MAX_SECONDS}"}
    short = checks.run("duration_conformance", Case(audio=(y[: sr // 4], sr)))
    assert not short.passed and short.message == "output lasts 0.25 s" and short.measured == {"duration_s": 0.25}


def test_silence_speaker_mos_and_wer_checks_report_their_measures(speech, same_voice, other_voice) -> None:
    y, sr = speech
    r = A.analyze((y, sr))
    loud = checks.run("audio_not_silent", Case(audio=(y, sr)))
    assert (loud.check, loud.passed, loud.message) == ("audio_not_silent", True, "speech present")
    assert loud.measured == {"silence_ratio": round(r.silence_ratio, 3), "peak_dbfs": round(r.peak_dbfs, 1)}
    assert loud.expected == {"silence_ratio": f"<= {THRESHOLDS.max_silence_ratio}"}
    quiet = np.zeros_like(y)
    quiet[sr: sr + 2 * sr // 5] = y[sr: sr + 2 * sr // 5]  # 0.4 s of speech in 3 s of silence
    hushed = checks.run("audio_not_silent", Case(audio=(quiet, sr)))
    assert not hushed.passed and hushed.message.endswith("of the output is silence"), hushed.message
    assert hushed.measured["silence_ratio"] > THRESHOLDS.max_silence_ratio

    v = A.verify_speaker((y, sr), same_voice, threshold=THRESHOLDS.speaker_score)
    same = checks.run("speaker_verification", Case(audio=(y, sr), reference=same_voice))
    assert (same.check, same.passed, same.message) == ("speaker_verification", True, "same speaker")
    assert same.measured == {"speaker_similarity": round(v.cosine, 3), "score": round(v.score, 2), "backend": v.backend}
    assert same.expected == {"score": f">= {v.threshold}"}
    other = checks.run("speaker_verification", Case(audio=(y, sr), reference=other_voice))
    assert not other.passed and other.message.startswith("the output is not the target voice (S-norm score ")

    m = A.predicted_mos((y, sr))
    mos = checks.run("predicted_mos_floor", Case(audio=(y, sr)))
    assert mos.check == "predicted_mos_floor" and mos.message == f"OVRL {m.ovrl:.2f}"
    assert mos.measured == {"predicted_mos": round(m.ovrl, 2), "sig": round(m.sig, 2), "bak": round(m.bak, 2)}
    assert mos.expected == {"predicted_mos": f">= {THRESHOLDS.mos_floor}"} and mos.passed is (m.ovrl >= THRESHOLDS.mos_floor)
    high = checks.run("predicted_mos_floor", Case(audio=(y, sr), thresholds=dataclasses.replace(THRESHOLDS, mos_floor=4.9)))
    assert not high.passed and high.message == f"DNSMOS OVRL {m.ovrl:.2f} under 4.9"

    text = "The birch canoe slid on the smooth planks."
    clip = corpus.clips("en_slt")[0]
    said, said_sr = corpus.load(clip, sr=SR)
    w = A.intelligibility((said, said_sr), text)
    wer = checks.run("intelligibility", Case(audio=(said, said_sr), text=text))
    assert wer.check == "intelligibility" and wer.message == f"WER {w.wer:.2f}"
    assert wer.measured == {"wer": round(w.wer, 3), "transcript": w.transcript}
    assert wer.expected == {"wer": f"<= {THRESHOLDS.wer_ceiling}", "text": w.reference}
    wrong = checks.run("intelligibility", Case(audio=(said, said_sr), text="Completely different words were asked for here."))
    assert not wrong.passed and wrong.message.startswith("WER ") and " over " in wrong.message


def test_timing_reports_ratio_slope_and_intonation(speech) -> None:
    y, sr = speech
    t = A.timing_preservation((y, sr), (y, sr))
    kept = checks.run("timing_preservation", Case(audio=(y, sr), source_audio=(y, sr)))
    assert (kept.check, kept.passed, kept.message) == ("timing_preservation", True, "timing kept")
    assert kept.measured == {"duration_ratio": round(t.duration_ratio, 3), "dtw_slope": round(t.dtw_slope, 3),
                             "f0_correlation": None if t.f0_correlation is None else round(t.f0_correlation, 3)}
    assert kept.expected == {"duration_ratio": f"1 ± {THRESHOLDS.duration_tolerance}",
                             "dtw_slope": f"1 ± {THRESHOLDS.dtw_slope_tolerance}"}
    ep = spec.get("elevenlabs.speech_to_speech")
    slow = np.repeat(y, 2)  # twice as long
    stretched = checks.run("timing_preservation", Case(endpoint=ep, audio=(slow, sr), source_audio=(y, sr)))
    assert not stretched.passed and stretched.message == "the conversion does not keep the input's timing"
    assert stretched.source == str(ep.source) and stretched.measured["duration_ratio"] > 1.5
