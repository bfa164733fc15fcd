"""Audio checks: is the audio what was asked for, and does it sound like the voice it should?

One representative request per endpoint (and per ElevenLabs ``output_format``) is sent once per
run; every check below reads its answer. Thresholds come from :mod:`conformance.suite.thresholds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conformance import spec
from conformance.providers.elevenlabs.spec import OUTPUT_FORMATS, parse_output_format
from conformance.spec import Endpoint
from conformance.suite import checks
from conformance.suite.conftest import Outcome, Suite, assert_check
from conformance.suite.thresholds import THRESHOLDS

INPUT_SECONDS = 4.0
AUDIO_ENDPOINTS = ("elevenlabs.speech_to_speech", "modelslab.voice_to_voice", "modelslab.text_to_audio",
                   "novita.minimax_voice_cloning", "faseeh.voice_preview", "faseeh.voice_clone")
ENGLISH_TEXT = {"modelslab.text_to_audio": "prompt", "novita.minimax_voice_cloning": "text"}
VOICE_CHANGERS = tuple(e.id for e in spec.endpoints() if e.converts_voice)


@dataclass
class Produced:
    """What an endpoint produced for the suite's representative request."""

    endpoint: Endpoint
    outcome: Outcome
    audio: Any  # an AudioResult (or None when the call failed)
    reference: bytes  # speech of the voice the output should have
    source: bytes | None = None  # the input a voice changer converted
    text: str | None = None  # the words it should say (English text endpoints)
    expect_format: Any = None  # ElevenLabs OutputFormat
    unverifiable: str | None = None  # why the output's speaker cannot be checked on this target


def _speech(seconds: float, speaker: str, fmt: str = "wav") -> bytes:
    from conformance.strategies import audio_bytes

    return audio_bytes(seconds, fmt, 16000, speaker)


def _sentence(speaker: str) -> str:
    """A sentence the speaker's fixture clips say (so the simulator can speak it for real)."""
    from conformance.audio import corpus

    texts = [c.text for c in corpus.clips(speaker) if c.text]
    return max(texts, key=len) if texts else "The quick brown fox jumps over the lazy dog."


def produce(suite: Suite, endpoint_id: str, output_format: str | None = None) -> Produced:
    """Send the representative request of ``endpoint_id`` and fetch its audio."""
    from conformance.strategies import audio_input

    ep = spec.get(endpoint_id)
    voice = suite.voice(ep.provider_id)
    source = _speech(INPUT_SECONDS, "en_kal")  # another speaker than any target voice
    hosted = lambda data: audio_input(data, "url", "wav")  # noqa: E731
    params: dict[str, Any]
    text = None
    expect_format = None
    if endpoint_id == "elevenlabs.speech_to_speech":
        fmt = output_format or "wav_16000"
        params = {"voice_id": voice.voice_id, "audio": source, "output_format": fmt}
        expect_format = parse_output_format(fmt)
    elif endpoint_id == "modelslab.voice_to_voice":
        params = {"init_audio": source, "target_audio": voice.reference}
    elif endpoint_id == "modelslab.text_to_audio":
        text = _sentence(voice.speaker or "en_slt")
        params = {"prompt": text, "voice_id": voice.voice_id} if suite.sim is not None else \
            {"prompt": text, "init_audio": voice.reference}
    elif endpoint_id == "novita.minimax_voice_cloning":
        ref = _speech(12.0, "en_slt")
        text = _sentence("en_slt")
        params = {"audio_url": hosted(ref), "text": text, "model": "speech-02-hd"}
        voice = type(voice)("novita", None, ref, "en_slt")
    elif endpoint_id == "faseeh.voice_preview":
        params = {"text": "مرحبا بكم في اختبار الصوت اليوم", "similarity": 0.8, "model_id": "faseeh-v1-preview",
                  "file": voice.reference}
    elif endpoint_id == "faseeh.voice_clone":
        params = {"voice_file": voice.reference, "reference_audio_file": voice.reference,
                  "text": "مرحبا بكم في اختبار الصوت اليوم", "stability": 0.5, "name": "conformance",
                  "model": "faseeh-v1-preview"}
    else:  # pragma: no cover - AUDIO_ENDPOINTS lists the cases above
        raise KeyError(endpoint_id)
    out = suite.send(ep, params, validate=True)
    audio = None
    if out.error is None:
        client = suite.client(ep.provider_id)
        result = out.result
        url = None
        if hasattr(result, "output"):  # ModelsLab job
            url = result.output[0] if result.output else None
        elif hasattr(result, "fields"):  # a created voice: its sample or demo audio
            url = result.fields.get("demo_audio_url") or result.fields.get("sample_url")
        if url:
            try:
                audio = client.download(url)
            except Exception as exc:
                out.error = exc
        else:
            audio = result
    return Produced(ep, out, audio, voice.reference, source=source if endpoint_id in VOICE_CHANGERS else None,
                    text=text, expect_format=expect_format, unverifiable=voice.unverifiable)


def _record_audio(suite: Suite, p: Produced) -> None:
    """The input, target voice and output of this check, for the report's audio panel."""
    from conformance.audio.decoding import as_decoded

    clips: dict[str, Any] = {"reference": p.reference}
    if p.source is not None:
        clips["input"] = p.source
    try:
        d = as_decoded(p.audio)
        clips["output"] = (d.samples, d.sample_rate)
    except Exception:  # an undecodable output is reported by the checks themselves
        pass
    suite.record(audio=clips)


@pytest.fixture(scope="session")
def produced(suite: Suite) -> Any:
    cache: dict[tuple[str, str | None], Produced] = {}

    def get(endpoint_id: str, output_format: str | None = None) -> Produced:
        key = (endpoint_id, output_format)
        if key not in cache:
            cache[key] = produce(suite, endpoint_id, output_format)
        p = cache[key]
        if p.audio is None:
            pytest.fail(f"{endpoint_id} gave no audio to check: {p.outcome.describe()}")
        _record_audio(suite, p)
        return p

    return get


# ---------------------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "output_format" in metafunc.fixturenames:
        from conformance.suite.conftest import selected_endpoints

        formats = list(OUTPUT_FORMATS) if any(e.id == "elevenlabs.speech_to_speech"
                                              for e in selected_endpoints(metafunc.config)) else []
        metafunc.parametrize("output_format", formats)


@pytest.mark.provider("elevenlabs")
@pytest.mark.endpoint("elevenlabs.speech_to_speech")
def test_output_format_conformance(produced: Any, output_format: str) -> None:
    """ElevenLabs' ``output_format`` is really that codec and sample rate, with the bandwidth it claims."""
    p = produced("elevenlabs.speech_to_speech", output_format)
    assert_check(checks.output_format_conformance(p.audio, p.expect_format,
                                                  min_bandwidth_share=THRESHOLDS.min_bandwidth_share))


@pytest.mark.endpoints(*AUDIO_ENDPOINTS)
def test_duration_conformance(produced: Any, endpoint: Endpoint) -> None:
    """Output durations are sensible: a voice changer keeps the input's length; text gives speech."""
    p = produced(endpoint.id)
    assert_check(checks.duration_conformance(p.audio, source_seconds=INPUT_SECONDS if p.source else None,
                                             tolerance=THRESHOLDS.duration_tolerance))


@pytest.mark.endpoints(*AUDIO_ENDPOINTS)
def test_audio_not_silent(produced: Any, endpoint: Endpoint) -> None:
    """The output holds speech, not silence."""
    assert_check(checks.audio_not_silent(produced(endpoint.id).audio,
                                         max_silence_ratio=THRESHOLDS.max_silence_ratio))


@pytest.mark.endpoints(*AUDIO_ENDPOINTS)
def test_speaker_verification(produced: Any, endpoint: Endpoint) -> None:
    """The output is spoken by the target voice (S-normalised speaker verification)."""
    p = produced(endpoint.id)
    if p.unverifiable:
        pytest.skip(p.unverifiable)
    assert_check(checks.speaker_verification(p.audio, p.reference, threshold=THRESHOLDS.speaker_score))


@pytest.mark.endpoints(*AUDIO_ENDPOINTS)
def test_predicted_mos_floor(produced: Any, endpoint: Endpoint) -> None:
    """DNSMOS predicts an overall quality above the floor."""
    assert_check(checks.predicted_mos_floor(produced(endpoint.id).audio, floor=THRESHOLDS.mos_floor))


@pytest.mark.endpoints(*ENGLISH_TEXT)
def test_intelligibility(produced: Any, endpoint: Endpoint) -> None:
    """English text endpoints say the words they were given (pocketsphinx WER under the ceiling)."""
    p = produced(endpoint.id)
    assert_check(checks.intelligibility(p.audio, p.text or "", wer_ceiling=THRESHOLDS.wer_ceiling))


@pytest.mark.endpoints(*VOICE_CHANGERS)
def test_timing_preservation(produced: Any, endpoint: Endpoint) -> None:
    """A voice changer keeps the input's timing: duration ratio and DTW slope near 1."""
    p = produced(endpoint.id)
    assert_check(checks.timing_preservation(p.source, p.audio, slope_tolerance=THRESHOLDS.dtw_slope_tolerance,
                                            ratio_tolerance=THRESHOLDS.duration_tolerance))
