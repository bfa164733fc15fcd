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


def test_voice_changer_keeps_timing_and_intonation(elevenlabs_simulator):
    from conformance.audio.timing import timing_preservation

    source = speech_wav("en_librivox", 6.0)  # a real recording, with natural intonation
    out = convert(audio=source, params={"output_format": "wav_16000"}).content
    report = timing_preservation(source, out)
    assert report.duration_ratio == pytest.approx(1.0, abs=0.01)
    assert report.dtw_slope == pytest.approx(1.0, abs=0.1)
    assert report.f0_correlation > 0.5


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


def test_missing_and_wrong_keys_get_the_documented_401(elevenlabs_simulator):
    elevenlabs_simulator.reject_key("bad")
    for key, case in ((None, PROVIDER.error("auth_missing")), ("bad", PROVIDER.error("auth"))):
        r = convert(key=key)
        assert r.status_code == case.status
        detail = r.json()["detail"]
        assert detail["code"] == case.code and detail["status"] == case.code
        assert detail["request_id"] == r.headers["request-id"]


def test_explicit_key_list():
    with simulate("elevenlabs", keys=["good"]):
        assert convert(key="good").status_code == 200
        assert convert(key="other").status_code == PROVIDER.error("auth").status


def test_unknown_voice_is_404_voice_not_found(elevenlabs_simulator):
    r = convert(voice="doesNotExist123")
    case = PROVIDER.error("not_found")
    assert (r.status_code, r.json()["detail"]["code"]) == (case.status, case.code)


def test_added_voice_speaks_like_its_audio(elevenlabs_simulator):
    elevenlabs_simulator.add_voice("elevenlabs", "myVoice", audio=speech_wav("en_slt", 8.0))
    assert convert(voice="myVoice").status_code == 200


def test_every_violation_is_listed_in_a_fastapi_422(elevenlabs_simulator):
    r = convert(params={"output_format": "mp3_1_2", "optimize_streaming_latency": "9"},
                data={"seed": "-1", "model_id": "nope", "voice_settings": "[1]"})
    assert r.status_code == 422
    detail = r.json()["detail"]
    locs = {tuple(d["loc"]) for d in detail}
    assert locs == {("query", "output_format"), ("query", "optimize_streaming_latency"), ("body", "seed"),
                    ("body", "model_id"), ("body", "voice_settings")}
    assert all(d["msg"] and d["type"] for d in detail)


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
