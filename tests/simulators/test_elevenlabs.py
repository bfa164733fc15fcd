"""The ElevenLabs simulator answers the voice changer as the provider does, with real audio."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
import soundfile as sf

from conformance.audio import probe
from conformance.providers.elevenlabs.simulator import CATALOGUE
from conformance.providers.elevenlabs.spec import OUTPUT_FORMATS, PROVIDER, parse_output_format
from conformance.simulators import simulate
from conformance.spec import get
from tests.simulators.conftest import speech_wav

EP = get("elevenlabs.speech_to_speech")
VOICE = "JBFqnCBsd6RMkjVDRZzb"  # the documented example voice
URL = "https://api.elevenlabs.io/v1/speech-to-speech/{}"


def convert(voice: str = VOICE, audio: bytes | None = None, *, key: str | None = "k", base: str | None = None,
            params: dict | None = None, data: dict | None = None) -> httpx.Response:
    headers = {"xi-api-key": key} if key is not None else {}
    url = (base or PROVIDER.base_url) + EP.path.replace("{voice_id}", voice)
    files = {"audio": ("in.wav", audio if audio is not None else speech_wav("en_kal", 2.0), "audio/wav")}
    return httpx.post(url, headers=headers, params=params or {}, files=files, data=data or {})


def samples(body: bytes, fmt_name: str) -> tuple[np.ndarray, int]:
    """Decode any output format to float samples (raw formats by what the name promises)."""
    fmt = parse_output_format(fmt_name)
    if fmt.codec == "pcm":
        return np.frombuffer(body, "<i2").astype(np.float32) / 32768, fmt.sample_rate
    if fmt.codec in ("ulaw", "alaw"):
        y, sr = sf.read(io.BytesIO(body), format="RAW", subtype=fmt.codec.upper(), samplerate=fmt.sample_rate,
                        channels=1, dtype="float32")
        return y, sr
    y, sr = sf.read(io.BytesIO(body), dtype="float32")
    return y, sr


@pytest.mark.parametrize("fmt_name", OUTPUT_FORMATS)
def test_every_output_format_is_really_that_codec_rate_and_bitrate(elevenlabs_simulator, fmt_name):
    r = convert(params={"output_format": fmt_name})
    assert r.status_code == 200, r.text
    fmt = parse_output_format(fmt_name)
    assert r.headers["content-type"] == fmt.content_type
    body = r.content
    if fmt.container == "raw":
        width = 2 if fmt.codec == "pcm" else 1
        assert not body.startswith((b"RIFF", b"OggS", b"ID3", b"fLaC"))  # headerless
        assert len(body) == pytest.approx(2.0 * fmt.sample_rate * width, abs=width)
    else:
        info = probe(body)
        assert info.format == fmt.container
        assert info.codec == {"wav": "pcm"}.get(fmt.codec, fmt.codec)
        assert info.sample_rate == fmt.sample_rate
        assert info.channels == 1
        assert info.duration == pytest.approx(2.0, abs=0.08)
        if fmt.codec == "mp3":  # CBR: every frame header states the bitrate
            assert info.bitrate == fmt.bitrate_kbps * 1000
        elif fmt.bitrate_kbps:  # Ogg/Opus: file size over duration, page overhead included
            assert info.bitrate == pytest.approx(fmt.bitrate_kbps * 1000, rel=0.08)
    y, sr = samples(body, fmt_name)
    assert sr == fmt.sample_rate
    assert len(y) / sr == pytest.approx(2.0, abs=0.08)
    assert float(np.sqrt(np.mean(y**2))) > 0.01  # speech, not silence


def test_output_keeps_the_input_length_and_its_pauses(elevenlabs_simulator):
    speech = sf.read(io.BytesIO(speech_wav("en_kal", 1.5)), dtype="float32")[0]
    gap = np.zeros(16000, dtype=np.float32)  # one second of silence in the middle
    buf = io.BytesIO()
    sf.write(buf, np.concatenate([speech, gap, speech]), 16000, format="WAV")
    r = convert(audio=buf.getvalue(), params={"output_format": "pcm_16000"})
    y, _ = samples(r.content, "pcm_16000")
    assert len(y) == 4 * 16000
    rms = lambda a: float(np.sqrt(np.mean(a**2)))  # noqa: E731
    assert rms(y[int(1.7 * 16000): int(2.3 * 16000)]) < 0.01 * rms(y[: int(1.4 * 16000)])


def test_raw_pcm_input_is_read_as_16_khz_s16le(elevenlabs_simulator):
    wav = speech_wav("en_kal", 3.0)
    raw = wav[44:]
    r = convert(audio=raw, data={"file_format": "pcm_s16le_16"}, params={"output_format": "pcm_8000"})
    assert r.status_code == 200, r.text
    assert len(r.content) == 3 * 8000 * 2


def test_same_request_same_bytes_and_seed_changes_them(speech):
    with simulate("elevenlabs", seed=1):
        a, b = convert().content, convert().content
    with simulate("elevenlabs", seed=2):
        c = convert().content
    assert a == b
    assert a != c


def test_output_carries_the_timbre_of_the_voice_not_of_the_input(elevenlabs_simulator):
    from conformance.audio.speaker import speaker_similarity

    source = speech_wav("en_kal", 4.0)
    out = convert(audio=source, params={"output_format": "wav_16000"}).content
    target = speech_wav(CATALOGUE[VOICE], 6.0)
    assert speaker_similarity(out, target, backend="mfcc") > speaker_similarity(out, source, backend="mfcc") + 0.3


def test_voice_changer_keeps_timing_and_pauses_and_sounds_like_speech(elevenlabs_simulator):
    from conformance.audio import predicted_mos
    from conformance.audio.timing import timing_preservation
    from conformance.simulators.audio import decode, sound_runs

    source = speech_wav("en_kal", 6.0)  # read speech with pauses between its phrases
    out = convert(audio=source, params={"output_format": "wav_16000"}).content
    report = timing_preservation(source, out)
    assert report.duration_ratio == pytest.approx(1.0, abs=0.01)
    assert report.dtw_slope == pytest.approx(1.0, abs=0.1)
    (y_in, sr_in), (y_out, sr_out) = decode(source), decode(out)
    runs_in, runs_out = sound_runs(y_in, sr_in) / sr_in, sound_runs(y_out, sr_out) / sr_out
    assert len(runs_in) == len(runs_out) > 1  # speech where the input speaks, pauses where it pauses
    assert abs(runs_in - runs_out).max() < 0.05
    assert predicted_mos(out).ovrl > 2.3  # real speech, not spliced fragments (the fixtures score 2.3-3.1)


def test_documented_headers_are_sent(elevenlabs_simulator):
    r = convert()
    for name in PROVIDER.response_headers:
        assert r.headers.get(name), name
    assert int(r.headers["character-cost"]) > 0
    zero_retention = convert(params={"enable_logging": "false"})
    assert "history-item-id" not in zero_retention.headers
    assert zero_retention.headers["request-id"] != r.headers["request-id"]


@pytest.mark.parametrize("base", [PROVIDER.base_url, *PROVIDER.alt_base_urls])
def test_every_documented_host_is_simulated(elevenlabs_simulator, base):
    assert convert(base=base).status_code == 200


def test_wrong_key_gets_the_live_5_field_401_and_no_key_the_needs_authorization_body(elevenlabs_simulator):
    import re

    elevenlabs_simulator.reject_key("bad")
    r = convert(key="bad")
    trace = r.headers["x-trace-id"]
    assert r.status_code == 401 and re.fullmatch(r"[0-9a-f]{32}", trace) and "request-id" not in r.headers
    assert r.json() == {"detail": {"type": "authentication_error", "code": "unauthorized",
                                   "message": "Invalid API key", "status": "invalid_api_key", "request_id": trace}}
    r = convert(key=None)
    assert r.status_code == 401 and "request-id" not in r.headers
    assert r.json() == {"detail": {"type": "authentication_error", "code": "unauthorized", "message":
                                   "Neither authorization header nor xi-api-key received, please provide one.",
                                   "status": "needs_authorization", "request_id": r.headers["x-trace-id"]}}
    assert "request-id" in convert().headers  # a success carries it


def test_explicit_key_list():
    with simulate("elevenlabs", keys=["good"]):
        assert convert(key="good").status_code == 200
        assert convert(key="other").status_code == PROVIDER.error("auth").status


def test_unknown_voice_is_404_voice_not_found(elevenlabs_simulator):
    r = convert(voice="doesNotExist123")
    assert r.status_code == 404 and r.json()["detail"]["status"] == "voice_not_found"
    assert r.json()["detail"]["type"] == "not_found" and r.json()["detail"]["code"] == "voice_not_found"
    assert r.json()["detail"]["message"] == "A voice with the voice_id doesNotExist123 was not found."
    assert r.json()["detail"]["request_id"] == r.headers["x-trace-id"]


def test_added_voice_speaks_like_its_audio(elevenlabs_simulator):
    elevenlabs_simulator.add_voice("elevenlabs", "myVoice", audio=speech_wav("en_slt", 8.0))
    assert convert(voice="myVoice").status_code == 200


def test_schema_violations_are_pydantic_422s_answered_before_the_key_is_checked(elevenlabs_simulator):
    elevenlabs_simulator.reject_key("bad")
    r = convert(key="bad", params={"optimize_streaming_latency": "9", "output_format": "mp3_1_2"},
                data={"seed": "-1", "model_id": "nope"})
    assert r.status_code == 422  # the schema's ranges first, even with a wrong key
    assert r.json()["detail"] == [
        {"type": "less_than_equal", "loc": ["query", "optimize_streaming_latency"],
         "msg": "Input should be less than or equal to 4", "input": "9", "ctx": {"le": 4}},
        {"type": "greater_than_equal", "loc": ["body", "seed"], "msg": "Input should be greater than or equal to 0",
         "input": "-1", "ctx": {"ge": 0}},
    ]
    r = convert(key="bad", data={"file_format": "flac", "seed": "many"})
    assert r.status_code == 422
    assert [(d["type"], d["msg"], d["input"]) for d in r.json()["detail"]] == [
        ("int_parsing", "Input should be a valid integer, unable to parse string as an integer", "many"),
        ("enum", "Input should be 'pcm_s16le_16' or 'other'", "flac")]


def test_checks_outside_the_schema_come_after_the_key(elevenlabs_simulator):
    elevenlabs_simulator.reject_key("bad")
    bad = {"params": {"output_format": "mp3_1_2"}, "data": {"model_id": "nope", "voice_settings": "[1]"}}
    assert convert(key="bad", **bad).status_code == 401
    r = convert(**bad)
    assert r.status_code == 422
    assert {tuple(d["loc"]) for d in r.json()["detail"]} == {
        ("query", "output_format"), ("body", "model_id"), ("body", "voice_settings")}


def test_missing_audio_is_a_422_missing(elevenlabs_simulator):
    url = PROVIDER.base_url + EP.path.replace("{voice_id}", VOICE)
    r = httpx.post(url, headers={"xi-api-key": "k"}, files={"model_id": (None, "eleven_english_sts_v2")})
    assert r.status_code == 422
    assert {"type": "missing", "loc": ["body", "audio"]}.items() <= r.json()["detail"][0].items()


def test_undecodable_audio_is_a_422_on_audio(elevenlabs_simulator):
    r = convert(audio=b"this is not audio at all" * 10)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "audio"]


def test_unknown_path_on_a_provider_host_is_404_and_stays_offline(elevenlabs_simulator):
    r = httpx.get(PROVIDER.base_url + "/v1/not-a-real-endpoint")
    assert r.status_code == 404


def test_calls_are_recorded_without_secrets(elevenlabs_simulator):
    convert(key="sk-secret-value", params={"output_format": "pcm_16000"})
    call = elevenlabs_simulator.calls[-1]
    assert call.endpoint_id == EP.id and call.status == 200
    assert "sk-secret-value" not in repr(call)
