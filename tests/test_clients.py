"""Reference clients against respx routes written here: wire format, errors, retries, polling, secrets."""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import json
import logging
import os
import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx

from conformance import spec
from conformance.clients import (
    CLIENTS,
    AsyncElevenLabsClient,
    AsyncModelsLabClient,
    AuthError,
    ElevenLabsClient,
    FaseehClient,
    JobFailed,
    JobTimeout,
    ModelsLabClient,
    NetworkError,
    NotFound,
    NovitaClient,
    ProtocolError,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    RequestTimeout,
    RetryPolicy,
    SpecViolation,
    SpecWarning,
)
from conformance.spec.wire import parse_multipart
from tests.audiogen import encoded, raw_pcm, wav

KEY = "sk-SENTINEL-9f8e7d6c5b4a"
EL = "https://api.elevenlabs.io/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb"
ML = "https://modelslab.com/api/v1/enterprise/voice"
NOVITA = "https://api.novita.ai/v3/minimax-voice-cloning"
FASEEH = "https://api.faseeh.ai/api/v1/voices"


class Sleeps(list):
    """A sleep function that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def mock() -> Any:
    with respx.mock(assert_all_called=False) as router:
        yield router


def el_client(sleeps: Sleeps, **kw: Any) -> ElevenLabsClient:
    return ElevenLabsClient(api_key=KEY, sleep=sleeps, seed=1, **kw)


# ---------------------------------------------------------------------------------------------
# wire format per provider
# ---------------------------------------------------------------------------------------------


def test_elevenlabs_wire_format(mock: respx.MockRouter, sleeps: Sleeps, tmp_path: Any) -> None:
    route = mock.post(EL).respond(200, content=encoded(1, "MP3", 44100),
                                  headers={"content-type": "audio/mpeg", "request-id": "req-7"})
    src = tmp_path / "in.wav"
    src.write_bytes(wav(2))
    out = el_client(sleeps).speech_to_speech("JBFqnCBsd6RMkjVDRZzb", src, output_format="mp3_44100_128", seed=7,
                                             remove_background_noise=True, voice_settings={"stability": 0.4},
                                             enable_logging=False)
    req = route.calls.last.request
    assert req.headers["xi-api-key"] == KEY
    assert "authorization" not in req.headers
    assert dict(req.url.params) == {"output_format": "mp3_44100_128", "enable_logging": "false"}
    fields, files = parse_multipart(req.headers["content-type"], req.content)
    assert fields == {"seed": "7", "remove_background_noise": "true", "voice_settings": '{"stability": 0.4}'}
    assert files["audio"] == ("in.wav", wav(2))
    assert out.request_id == "req-7" and out.format == "mp3" and out.sample_rate == 44100
    assert out.audio.startswith((b"ID3", b"\xff"))
    assert out.latency >= out.ttfb > 0


def test_modelslab_key_travels_in_the_json_body(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(f"{ML}/voice_to_voice").respond(200, json={
        "status": "success", "id": 42, "output": ["https://cdn.example/out.wav"], "generationTime": 1.2})
    client = ModelsLabClient(api_key=KEY, sleep=sleeps)
    job = client.voice_to_voice(wav(3), encoded(4, "MP3"), track_id="t-9")
    req = route.calls.last.request
    body = json.loads(req.content)
    assert body["key"] == KEY and "xi-api-key" not in req.headers and "authorization" not in req.headers
    assert body["base64"] is True  # local audio goes as base64
    assert base64.b64decode(body["init_audio"]) == wav(3)
    assert base64.b64decode(body["target_audio"]) == encoded(4, "MP3")
    assert body["track_id"] == "t-9"
    # one base64 flag covers both inputs: a URL cannot go beside local audio
    with pytest.raises(SpecViolation, match="target_audio=.*must be base64 audio data, not a URL"):
        client.voice_to_voice(wav(3), "https://files.example/target.mp3")
    assert job.status == "success" and job.output == ["https://cdn.example/out.wav"] and job.id == 42


def test_novita_bearer_and_json(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(NOVITA).respond(200, json={"voice_id": "v-123", "demo_audio_url": "https://x/demo.mp3"})
    out = NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning(
        "https://files.example/voice.mp3", text="Hello there.", model="speech-02-hd",
        clone_prompt={"prompt_audio_url": "https://files.example/p.wav", "prompt_text": "Hi."})
    req = route.calls.last.request
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["content-type"] == "application/json"
    assert json.loads(req.content) == {
        "audio_url": "https://files.example/voice.mp3", "text": "Hello there.", "model": "speech-02-hd",
        "clone_prompt": {"prompt_audio_url": "https://files.example/p.wav", "prompt_text": "Hi."}}
    assert out.voice_id == "v-123" and out.demo_audio_url == "https://x/demo.mp3"


def test_faseeh_x_api_key_and_multipart(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    clone = mock.post(f"{FASEEH}/clone").respond(200, json={
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "voice_id": "ar-najdi-male-2", "name": "N",
        "languages": ["ar"], "dialect": ["najdi"], "sample_url": "https://x/s.wav", "stability": 0.5})
    out = FaseehClient(api_key=KEY, sleep=sleeps).voice_clone(
        io.BytesIO(raw_wav := wav(3)), wav(5), "Marhaba, this is a preview", 0.5, "N", "faseeh-v1-preview",
        dialects="najdi")
    req = clone.calls.last.request
    assert req.headers["x-api-key"] == KEY
    fields, files = parse_multipart(req.headers["content-type"], req.content)
    assert fields == {"text": "Marhaba, this is a preview", "stability": "0.5", "name": "N",
                      "model": "faseeh-v1-preview", "dialects": "najdi"}
    assert files["voice_file"][1] == raw_wav and files["reference_audio_file"][1] == wav(5)
    assert out.voice_id == "ar-najdi-male-2" and out.fields["dialect"] == ["najdi"]


def test_faseeh_preview_is_raw_pcm16_24k(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{FASEEH}/preview").respond(200, content=raw_pcm(1, 24000),
                                          headers={"content-type": "audio/raw;codec=pcm16;rate=24000;channels=1"})
    out = FaseehClient(api_key=KEY, sleep=sleeps).voice_preview("one two three four", 0.8, "faseeh-v1-preview",
                                                                wav(4), speed=1.1)
    assert (out.format, out.raw_format, out.sample_rate, out.channels) == ("raw", "s16le", 24000, 1)
    assert len(out.audio) == 48000


# ---------------------------------------------------------------------------------------------
# audio inputs
# ---------------------------------------------------------------------------------------------


def test_audio_from_url_is_downloaded_for_multipart(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.get("https://files.example/in.wav").respond(200, content=wav(2))
    route = mock.post(EL).respond(200, content=encoded(1, "MP3", 44100), headers={"content-type": "audio/mpeg"})
    el_client(sleeps, probe_urls=True).speech_to_speech("JBFqnCBsd6RMkjVDRZzb", "https://files.example/in.wav")
    _, files = parse_multipart(route.calls.last.request.headers["content-type"], route.calls.last.request.content)
    assert files["audio"][1] == wav(2)


def test_base64_text_is_accepted_where_the_endpoint_allows(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(f"{ML}/text_to_audio").respond(200, json={"status": "success", "id": "1", "output": ["u"]})
    text = base64.b64encode(wav(5)).decode()
    ModelsLabClient(api_key=KEY, sleep=sleeps).text_to_audio("Say this.", init_audio=text, base64=True)
    assert json.loads(route.calls.last.request.content)["init_audio"] == text
    with pytest.raises(SpecViolation, match="not a URL, an existing file"):
        ElevenLabsClient(api_key=KEY).speech_to_speech("v", text)


def test_local_audio_is_probed_against_duration_rules(mock: respx.MockRouter) -> None:
    client = ModelsLabClient(api_key=KEY)
    with pytest.raises(SpecViolation) as info:
        client.text_to_audio("Say this.", init_audio=wav(3.9))
    assert [(v.param, v.rule) for v in info.value.violations] == [("init_audio", "audio_duration")]
    assert "3.900 s" in str(info.value)
    assert not mock.calls  # nothing was sent


def test_novita_takes_urls_only_and_probes_them_when_asked(mock: respx.MockRouter) -> None:
    with pytest.raises(SpecViolation, match="must be a URL"):
        NovitaClient(api_key=KEY).minimax_voice_cloning(wav(12))
    mock.get("https://files.example/short.wav").respond(200, content=wav(9.9))
    with pytest.raises(SpecViolation, match="9.900 s; must be 10 s to 300 s long"):
        NovitaClient(api_key=KEY, probe_urls=True).minimax_voice_cloning("https://files.example/short.wav")


def test_raw_pcm_input_for_pcm_s16le_16(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(EL).respond(200, content=raw_pcm(1, 16000), headers={"content-type": "application/octet-stream"})
    client = el_client(sleeps)
    out = client.speech_to_speech("JBFqnCBsd6RMkjVDRZzb", raw_pcm(2), file_format="pcm_s16le_16",
                                  output_format="pcm_16000")
    assert out.raw_format == "s16le" and out.sample_rate == 16000
    with pytest.raises(SpecViolation, match="is a wav file; must be raw 16-bit"):
        client.speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(2), file_format="pcm_s16le_16")


# ---------------------------------------------------------------------------------------------
# validation before sending
# ---------------------------------------------------------------------------------------------


def test_spec_violation_lists_every_rule_and_nothing_is_sent(mock: respx.MockRouter) -> None:
    route = mock.post(EL).respond(200)
    with pytest.raises(SpecViolation) as info:
        ElevenLabsClient(api_key=KEY).speech_to_speech(
            "JBFqnCBsd6RMkjVDRZzb", wav(1), output_format="mp3_1", seed=-5, optimize_streaming_latency=9,
            model_id="nope", voice_settings="{")
    assert {v.param for v in info.value.violations} == {
        "output_format", "seed", "optimize_streaming_latency", "model_id", "voice_settings"}
    assert all(v.source.doc for v in info.value.violations)
    assert not route.called


def test_validate_false_sends_invalid_data_on_purpose(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(EL).respond(422, json={"detail": [{"type": "enum", "loc": ["query", "output_format"],
                                                         "msg": "bad", "input": "mp3_1"}]})
    client = ElevenLabsClient(api_key=KEY, validate=False, sleep=sleeps)
    with pytest.raises(ProviderValidationError) as info:
        client.speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1), output_format="mp3_1", speed=9)
    assert route.calls.last.request.url.params["output_format"] == "mp3_1"
    fields, _ = parse_multipart(route.calls.last.request.headers["content-type"], route.calls.last.request.content)
    assert fields["speed"] == "9"  # undocumented params go in the body, as sent
    assert info.value.details[0]["loc"] == ["query", "output_format"]
    # per-call override
    with pytest.raises(SpecViolation):
        client.speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1), output_format="mp3_1", validate=True)


def test_missing_key_is_reported_before_sending(mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASEEH_API_KEY", raising=False)
    with pytest.raises(SpecViolation, match="no API key: pass api_key= or set FASEEH_API_KEY"):
        FaseehClient().voice_preview("one two three", 0.5, "faseeh-v1-preview", wav(3))
    monkeypatch.setenv("FASEEH_API_KEY", KEY)
    route = mock.post(f"{FASEEH}/preview").respond(200, content=raw_pcm(0.1, 24000),
                                                  headers={"content-type": "audio/raw;codec=pcm16;rate=24000;channels=1"})
    FaseehClient().voice_preview("one two three", 0.5, "faseeh-v1-preview", wav(3))
    assert route.calls.last.request.headers["x-api-key"] == KEY


def test_precedence_warns(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{ML}/text_to_audio").respond(200, json={"status": "success", "id": 1, "output": ["u"]})
    with pytest.warns(SpecWarning, match="init_audio takes precedence"):
        ModelsLabClient(api_key=KEY, sleep=sleeps).text_to_audio(
            "Say it.", init_audio="https://files.example/a.wav", voice_id="madison")


def test_precedence_notices_can_go_to_a_callable_instead_of_a_warning(mock: respx.MockRouter,
                                                                      sleeps: Sleeps) -> None:
    """The suite notes them in its report: under -W error a warning would fail a valid request."""
    import warnings

    mock.post(f"{ML}/text_to_audio").respond(200, json={"status": "success", "id": 1, "output": ["u"]})
    notices: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ModelsLabClient(api_key=KEY, sleep=sleeps, on_notice=notices.append).text_to_audio(
            "Say it.", init_audio="https://files.example/a.wav", voice_id="madison")
    assert len(notices) == 1 and "init_audio takes precedence" in notices[0]


@pytest.mark.parametrize("provider_id", list(CLIENTS))
def test_method_keywords_are_the_documented_names(provider_id: str) -> None:
    sync_cls, async_cls = CLIENTS[provider_id]
    for ep in spec.endpoints(provider_id):
        for cls in (sync_cls, async_cls):
            method = getattr(cls, ep.name)
            names = {n for n, p in inspect.signature(method).parameters.items()
                     if p.kind not in (p.VAR_KEYWORD,) and n not in ("self", "validate", "wait")}
            assert names == {p.name for p in ep.params} - set(ep.auth_params), (cls.__name__, ep.name)


# ---------------------------------------------------------------------------------------------
# errors map to typed exceptions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status,body,exc,code", [
    (401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}, AuthError, "invalid_api_key"),
    (404, {"detail": {"type": "not_found", "code": "voice_not_found", "message": "no voice",
                      "request_id": "r"}}, NotFound, "voice_not_found"),
    (422, {"detail": [{"type": "missing", "loc": ["body", "audio"], "msg": "Field required"}]},
     ProviderValidationError, "validation_error"),
    (400, {"detail": {"status": "voice_does_not_exist", "message": "old api"}}, ProviderValidationError,
     "voice_does_not_exist"),
])
def test_elevenlabs_errors(mock: respx.MockRouter, sleeps: Sleeps, status: int, body: Any, exc: type, code: str) -> None:
    mock.post(EL).respond(status, json=body, headers={"request-id": "rid-1"})
    with pytest.raises(exc) as info:
        el_client(sleeps).speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1))
    assert info.value.status == status and info.value.code == code and info.value.request_id == "rid-1"


@pytest.mark.parametrize("status,reason,exc", [
    (403, "INVALID_API_KEY", AuthError),
    (400, "MISSING_API_KEY", AuthError),
    (403, "API_NOT_ALLOWED", ProviderError),
    (400, "INVALID_AUDIO_FILE", ProviderValidationError),
    (400, "BILLING_BALANCE_NOT_ENOUGH", ProviderError),
])
def test_novita_errors_by_code(mock: respx.MockRouter, sleeps: Sleeps, status: int, reason: str, exc: type) -> None:
    mock.post(NOVITA).respond(status, json={"code": status, "reason": reason, "message": "m"})
    with pytest.raises(exc) as info:
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")
    assert type(info.value) is exc and info.value.code == reason


def test_minimax_errors_in_http_200(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(NOVITA).respond(200, json={"base_resp": {"status_code": 2037, "status_msg": "voice duration too short"}})
    with pytest.raises(ProviderValidationError, match="voice duration too short"):
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")


def test_modelslab_errors_with_http_200(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(f"{ML}/text_to_audio")
    client = ModelsLabClient(api_key=KEY, sleep=sleeps)
    route.respond(200, json={"status": "error", "message": "Invalid API key"})
    with pytest.raises(AuthError):
        client.text_to_audio("Say it.", voice_id="madison")
    route.respond(200, json={"status": "error", "messege": "The prompt field is required."})
    with pytest.raises(ProviderValidationError, match="prompt field is required"):
        client.text_to_audio("Say it.", voice_id="madison")
    route.respond(402, json={"status": "error", "message": "Insufficient credits"})
    with pytest.raises(ProviderError) as info:
        client.text_to_audio("Say it.", voice_id="madison")
    assert info.value.status == 402


def test_faseeh_errors(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(f"{FASEEH}/clone")
    client = FaseehClient(api_key=KEY, sleep=sleeps, retry=RetryPolicy(max_attempts=1))
    for status, code, exc in [(401, "40101", AuthError), (400, 40001, ProviderValidationError),
                              (402, "40201", ProviderError), (429, 42901, RateLimited)]:
        route.respond(status, json={"errorCode": code, "errorMessage": "m"})
        with pytest.raises(exc) as info:
            client.voice_clone(wav(3), wav(3), "one two three", 0.5, "n", "faseeh-v1-preview")
        assert str(info.value.code) == str(code)


# ---------------------------------------------------------------------------------------------
# protocol errors: bodies that break the provider's own contract
# ---------------------------------------------------------------------------------------------


def test_html_instead_of_json(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(NOVITA).respond(502, html="<html><body>Bad gateway</body></html>")
    with pytest.raises(ProtocolError, match="HTML page instead of JSON") as info:
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")
    assert info.value.status == 502 and len(sleeps) == 2  # retried twice (5xx) before giving up


def test_malformed_json(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(NOVITA).respond(200, content=b'{"voice_id": "v', headers={"content-type": "application/json"})
    with pytest.raises(ProtocolError, match="malformed JSON"):
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")


def test_json_nested_too_deeply_is_malformed_not_a_recursion_error(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(NOVITA).respond(200, content=b"[" * 100_000, headers={"content-type": "application/json"})
    with pytest.raises(ProtocolError, match="malformed JSON body: JSON nested more than 100 levels deep"):
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")


def test_schema_break_is_a_protocol_error(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(NOVITA).respond(200, json={"voiceId": "camelCase"})
    with pytest.raises(ProtocolError, match="breaks the documented schema"):
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")


def test_truncated_body(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    full = encoded(1, "MP3", 44100)
    mock.post(EL).mock(return_value=httpx.Response(
        200, headers={"content-type": "audio/mpeg", "content-length": str(len(full))}, content=full[: len(full) // 2]))
    with pytest.raises(ProtocolError, match=f"truncated body: received {len(full) // 2} of {len(full)}"):
        el_client(sleeps).speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1))


@pytest.mark.parametrize("ctype", ["text/html", "application/json", "text/plain"])
def test_wrong_content_type_for_audio(mock: respx.MockRouter, sleeps: Sleeps, ctype: str) -> None:
    mock.post(EL).respond(200, content=encoded(1, "MP3", 44100), headers={"content-type": ctype})
    with pytest.raises(ProtocolError, match="wrong content type"):
        el_client(sleeps).speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1))


def test_faseeh_preview_content_type_must_match_exactly(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{FASEEH}/preview").respond(200, content=raw_pcm(0.5, 16000),
                                          headers={"content-type": "audio/raw;codec=pcm16;rate=16000;channels=1"})
    with pytest.raises(ProtocolError, match="wrong content type"):
        FaseehClient(api_key=KEY, sleep=sleeps).voice_preview("one two three", 0.5, "faseeh-v1-preview", wav(3))


@pytest.mark.parametrize("output_format,body,match", [
    ("mp3_44100_128", lambda: encoded(1, "MP3", 22050), "asked for 44100 Hz but the audio header says 22050"),
    ("wav_16000", lambda: encoded(1, "MP3", 16000), "asked for wav audio but got mp3"),
    ("pcm_16000", lambda: wav(1, 16000), "asked for headerless s16le audio but got a wav file"),
    ("opus_48000_64", lambda: b"\x00\x01garbage" * 10, "not a recognised audio format"),
])
def test_audio_that_is_not_what_was_asked(mock: respx.MockRouter, sleeps: Sleeps, output_format: str, body: Any,
                                          match: str) -> None:
    mock.post(EL).respond(200, content=body(), headers={"content-type": "application/octet-stream"})
    with pytest.raises(ProtocolError, match=match):
        el_client(sleeps).speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1), output_format=output_format)


# ---------------------------------------------------------------------------------------------
# retries
# ---------------------------------------------------------------------------------------------


def test_retry_after_ms_is_honoured(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(EL).side_effect = [
        httpx.Response(429, json={"detail": {"code": "rate_limit_exceeded", "message": "slow"}},
                       headers={"retry-after-ms": "1500", "retry-after": "9"}),
        httpx.Response(200, content=encoded(1, "MP3", 44100), headers={"content-type": "audio/mpeg"}),
    ]
    out = el_client(sleeps).speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1))
    assert sleeps == [1.5] and out.timing.attempts == 2


def test_retry_after_seconds_and_http_date(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    mock.post(NOVITA).side_effect = [
        httpx.Response(503, json={"code": 503, "reason": "SERVICE_UNAVAILABLE", "message": "m"},
                       headers={"retry-after": "3"}),
        httpx.Response(429, json={"code": 429, "reason": "RATE_LIMIT_EXCEEDED", "message": "m"},
                       headers={"retry-after": when}),
        httpx.Response(200, json={"voice_id": "v"}),
    ]
    NovitaClient(api_key=KEY, sleep=sleeps, retry=RetryPolicy(max_attempts=3)).minimax_voice_cloning(
        "https://files.example/v.mp3")
    assert sleeps[0] == 3 and 18 < sleeps[1] <= 20


def test_modelslab_retry_after_in_body_even_with_http_200(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    limited = {"status": "error", "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",
               "retry_after": 30}
    mock.post(f"{ML}/text_to_audio").side_effect = [
        httpx.Response(429, json=limited), httpx.Response(200, json=limited),
        httpx.Response(200, json={"status": "success", "id": 1, "output": ["u"]})]
    job = ModelsLabClient(api_key=KEY, sleep=sleeps).text_to_audio("Hi.", voice_id="madison")
    assert sleeps == [30, 30] and job.status == "success"


def test_rate_limited_after_bounded_attempts(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(f"{ML}/text_to_audio").respond(
        429, json={"status": "error", "message": "Rate limit exceeded.", "retry_after": 2})
    with pytest.raises(RateLimited) as info:
        ModelsLabClient(api_key=KEY, sleep=sleeps, retry=RetryPolicy(max_attempts=4)).text_to_audio(
            "Hi.", voice_id="madison")
    assert route.call_count == 4 and sleeps == [2, 2, 2]
    assert info.value.retry_after == 2 and info.value.attempts == 4


def test_deadline_stops_waiting(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(EL).respond(429, json={"detail": {"code": "concurrent_limit_exceeded", "message": "busy"}},
                                  headers={"retry-after": "100"})
    with pytest.raises(RateLimited) as info:
        el_client(sleeps, retry=RetryPolicy(max_attempts=5, deadline=30)).speech_to_speech(
            "JBFqnCBsd6RMkjVDRZzb", wav(1))
    assert route.call_count == 1 and sleeps == [] and info.value.retry_after == 100


def test_backoff_is_exponential_with_jitter(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(EL).respond(500, json={"detail": {"message": "boom"}})
    with pytest.raises(ProviderError) as info:
        el_client(sleeps, retry=RetryPolicy(max_attempts=5, base_delay=1, max_backoff=3, jitter=0.5)).speech_to_speech(
            "JBFqnCBsd6RMkjVDRZzb", wav(1))
    assert info.value.status == 500
    caps = [1, 2, 3, 3]
    assert len(sleeps) == 4
    assert all(cap * 0.5 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))
    assert len(set(sleeps)) > 1


def test_408_and_connection_errors_are_retried(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(NOVITA).side_effect = [httpx.ConnectError("refused"), httpx.Response(408),
                                     httpx.Response(200, json={"voice_id": "v"})]
    out = NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")
    assert out.voice_id == "v" and len(sleeps) == 2


def test_network_errors_after_retries(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(NOVITA).side_effect = httpx.ConnectError("connection refused")
    with pytest.raises(NetworkError, match="after 3 attempt"):
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")
    mock.post(NOVITA).side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(RequestTimeout):
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")


def test_4xx_other_than_408_429_is_not_retried(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(NOVITA).respond(400, json={"code": 400, "reason": "INVALID_REQUEST_BODY", "message": "m"})
    with pytest.raises(ProviderValidationError):
        NovitaClient(api_key=KEY, sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")
    assert route.call_count == 1 and sleeps == []


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=0)


# ---------------------------------------------------------------------------------------------
# ModelsLab polling
# ---------------------------------------------------------------------------------------------


def _processing(job_id: Any = 77) -> dict[str, Any]:
    return {"status": "processing", "id": job_id, "eta": 30, "message": "Your request is being processed",
            "fetch_result": f"{ML}/fetch/{job_id}", "future_links": ["https://cdn.example/later.wav"]}


def test_processing_is_polled_until_success(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{ML}/voice_to_voice").respond(200, json=_processing())
    fetch = mock.post(f"{ML}/fetch/77")
    fetch.side_effect = [httpx.Response(200, json=_processing()), httpx.Response(200, json=_processing()),
                         httpx.Response(200, json={"status": "success", "id": 77, "output": ["https://cdn/x.wav"]})]
    job = ModelsLabClient(api_key=KEY, sleep=sleeps, poll_interval=2).voice_to_voice(
        "https://f.example/a.wav", "https://f.example/b.wav")
    assert job.status == "success" and job.polls == 3 and sleeps == [2, 2, 2]
    assert job.endpoint_id == "modelslab.voice_to_voice"
    assert json.loads(fetch.calls.last.request.content) == {"key": KEY}


def test_wait_false_returns_the_queued_job(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{ML}/voice_to_voice").respond(200, json=_processing("abc"))
    job = ModelsLabClient(api_key=KEY, sleep=sleeps).voice_to_voice(
        "https://f.example/a.wav", "https://f.example/b.wav", wait=False)
    assert job.status == "processing" and job.eta == 30 and job.future_links and not job.done


def test_failed_job(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{ML}/voice_to_voice").respond(200, json=_processing())
    mock.post(f"{ML}/fetch/77").respond(200, json={"status": "failed", "id": 77, "message": "bad audio"})
    with pytest.raises(JobFailed, match="bad audio"):
        ModelsLabClient(api_key=KEY, sleep=sleeps).voice_to_voice("https://f.example/a.wav", "https://f.example/b.wav")


def test_polling_timeout(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{ML}/voice_to_voice").respond(200, json=_processing())
    fetch = mock.post(f"{ML}/fetch/77").respond(200, json=_processing())
    with pytest.raises(JobTimeout, match="still processing after 10.0 s and 4 polls"):
        ModelsLabClient(api_key=KEY, sleep=sleeps, poll_interval=3, poll_timeout=10).voice_to_voice(
            "https://f.example/a.wav", "https://f.example/b.wav")
    assert fetch.call_count == 4 and sum(sleeps) == 10


def test_download_output(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.get("https://cdn.example/out.wav").respond(200, content=wav(2, 24000), headers={"content-type": "audio/wav"})
    out = ModelsLabClient(api_key=KEY, sleep=sleeps).download("https://cdn.example/out.wav")
    assert out.format == "wav" and out.sample_rate == 24000


# ---------------------------------------------------------------------------------------------
# async twins
# ---------------------------------------------------------------------------------------------


def test_async_clients_share_the_flow(mock: respx.MockRouter) -> None:
    waits: list[float] = []

    async def fake_sleep(s: float) -> None:
        waits.append(s)

    mock.post(EL).side_effect = [
        httpx.Response(503, json={"detail": {"message": "busy"}}, headers={"retry-after": "2"}),
        httpx.Response(200, content=encoded(1, "MP3", 44100), headers={"content-type": "audio/mpeg"})]
    mock.post(f"{ML}/voice_to_voice").respond(200, json=_processing())
    mock.post(f"{ML}/fetch/77").respond(200, json={"status": "success", "id": 77, "output": ["u"]})

    async def main() -> tuple[Any, Any]:
        async with AsyncElevenLabsClient(api_key=KEY, sleep=fake_sleep) as el, \
                AsyncModelsLabClient(api_key=KEY, sleep=fake_sleep, poll_interval=1) as ml:
            a = await el.speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1))
            b = await ml.voice_to_voice("https://f.example/a.wav", "https://f.example/b.wav")
            with pytest.raises(SpecViolation):
                await el.speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1), seed=-1)
            return a, b

    a, b = asyncio.run(main())
    assert a.format == "mp3" and b.status == "success" and waits == [2, 1]


def test_own_http_client_and_base_url(sleeps: Sleeps) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"voice_id": "gw"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    out = NovitaClient(api_key=KEY, base_url="http://gateway.local:8080/", http_client=http,
                       sleep=sleeps).minimax_voice_cloning("https://files.example/v.mp3")
    assert out.voice_id == "gw" and str(seen[0].url) == "http://gateway.local:8080/v3/minimax-voice-cloning"


# ---------------------------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------------------------


def test_the_key_never_appears_in_errors_reprs_or_logs(mock: respx.MockRouter, sleeps: Sleeps,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    clients = [ElevenLabsClient(api_key=KEY, sleep=sleeps), ModelsLabClient(api_key=KEY, sleep=sleeps),
               NovitaClient(api_key=KEY, sleep=sleeps), FaseehClient(api_key=KEY, sleep=sleeps)]
    texts += [repr(c) for c in clients] + [str(c._key) for c in clients]
    # a provider that echoes the key back in its error body
    mock.post(f"{ML}/text_to_audio").respond(200, json={"status": "error", "message": f"Invalid API key {KEY}"})
    mock.post(NOVITA).side_effect = httpx.ConnectError(f"cannot connect with {KEY}")
    mock.post(EL).respond(401, json={"detail": {"status": "invalid_api_key", "message": f"bad key {KEY}"}})
    mock.post(f"{FASEEH}/preview").respond(500, html=f"<html>{KEY}</html>")
    calls = [
        lambda: clients[1].text_to_audio("Hi.", voice_id="madison"),
        lambda: clients[2].minimax_voice_cloning("https://f.example/v.mp3"),
        lambda: clients[0].speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1)),
        lambda: clients[3].voice_preview("one two three", 0.5, "faseeh-v1-preview", wav(3)),
        lambda: clients[0].speech_to_speech("JBFqnCBsd6RMkjVDRZzb", wav(1), seed=-1),
    ]
    for call in calls:
        with pytest.raises(Exception) as info:
            call()
        err = info.value
        texts += [str(err), repr(err), repr(getattr(err, "body", "")), str(getattr(err, "excerpt", "")),
                  str(getattr(err, "details", ""))]
    texts += [str(r.request) for r in mock.calls]
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records, "debug logging is on"
    leaks = [t for t in texts if KEY in t]
    assert not leaks, leaks
    with pytest.raises(TypeError):
        pickle.dumps(clients[0]._key)


def test_generic_call_and_history(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(f"{ML}/voice_to_voice").respond(200, json=_processing())
    mock.post(f"{ML}/fetch/77").respond(200, json={"status": "success", "id": 77, "output": ["u"]})
    client = ModelsLabClient(api_key=KEY, sleep=sleeps, history=2)
    job = client.call("modelslab.voice_to_voice", {"init_audio": "https://f.example/a.wav",
                                                   "target_audio": "https://f.example/b.wav"})
    assert job.status == "success"
    assert [e.request.url.path for e in client.history] == ["/api/v1/enterprise/voice/voice_to_voice",
                                                            "/api/v1/enterprise/voice/fetch/77"]
    assert client.history[-1].status == 200 and json.loads(client.history[-1].body)["status"] == "success"
    queued = client.call("voice_to_voice", {"init_audio": "https://f.example/a.wav",
                                            "target_audio": "https://f.example/b.wav"}, wait=False)
    assert queued.status == "processing" and len(client.history) == 2
    with pytest.raises(KeyError, match="no endpoint 'nope'"):
        client.call("nope", {})


def test_clients_build_the_tls_context_once_per_certificate_setting(monkeypatch) -> None:
    """Each new httpx client would read the CA bundle again (35 ms): the kit's clients share one context,
    and build another when SSL_CERT_FILE names other certificates."""
    import certifi
    import httpx

    from conformance.clients import base, make_client

    built: list[str | None] = []
    real = httpx.create_ssl_context

    def counting(*a, **k):
        built.append(os.environ.get("SSL_CERT_FILE"))
        return real(*a, **k)

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    monkeypatch.setattr(base, "_TLS", {})
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    clients = [make_client("faseeh", asynchronous=a, api_key="k") for a in (False, False, True)]
    assert built == [None]
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    clients.append(make_client("elevenlabs", api_key="k"))
    assert built == [None, certifi.where()]
    for c in clients:
        asyncio.run(c.aclose()) if hasattr(c, "aclose") else c.close()
