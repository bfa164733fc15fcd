"""Unchanged client code reaches the simulator: the reference clients (sync and async) and the
official ``elevenlabs`` SDK from PyPI, in-process."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest

from conformance import clients as c
from conformance.providers.elevenlabs.spec import PROVIDER as ELEVENLABS
from conformance.simulators import simulate
from tests.simulators.conftest import speech_wav

VOICE = "JBFqnCBsd6RMkjVDRZzb"
TEXT = "مرحبا بكم في هذا الاختبار القصير"


def test_reference_clients_of_every_provider(simulator):
    el = c.ElevenLabsClient("k")
    out = el.speech_to_speech(VOICE, speech_wav("en_kal", 2.0), output_format="mp3_22050_32")
    assert (out.format, out.sample_rate) == ("mp3", 22050)
    assert out.request_id == simulator.calls[-1].request_id

    ml = c.ModelsLabClient("k", poll_interval=0.02)
    job = ml.voice_to_voice(speech_wav("en_kal", 2.0), speech_wav("en_slt", 5.0), track_id="run-1")
    assert job.status == "success" and job.polls >= 1 and job.track_id == "run-1"  # finished on its clock
    assert ml.download(job.output[0]).format == "wav"
    tts = ml.text_to_audio("Speak this sentence, please.", voice_id="cs_dita")
    assert ml.download(tts.output[0]).sample_rate == 32000

    url = simulator.host_file(speech_wav("en_slt", 11.0), "ref.wav")
    clone = c.NovitaClient("k").minimax_voice_cloning(url, text="Hello, world.", model="speech-02-hd")
    assert clone.voice_id in simulator.voices["novita"]
    assert ml.download(clone.demo_audio_url).format == "mp3"

    fa = c.FaseehClient("k")
    preview = fa.voice_preview(TEXT, 0.8, "faseeh-v1-preview", speech_wav("cs_dita", 4.0))
    assert (preview.format, preview.sample_rate) == ("raw", 24000)
    voice = fa.voice_clone(speech_wav("cs_dita", 3.0), speech_wav("cs_dita", 5.0), TEXT, 0.5,
                           "Narrator", "faseeh-v1-preview", dialects="najdi")
    assert voice.fields["dialect"] == ["najdi"]


def test_reference_client_errors_are_typed(simulator):
    simulator.reject_key("bad")
    with pytest.raises(c.AuthError):
        c.ElevenLabsClient("bad").speech_to_speech(VOICE, speech_wav("en_kal", 1.0))
    with pytest.raises(c.NotFound):
        c.ElevenLabsClient("k").speech_to_speech("noSuchVoice", speech_wav("en_kal", 1.0))
    with pytest.raises(c.ProviderValidationError) as err:
        c.ElevenLabsClient("k", validate=False).speech_to_speech(VOICE, speech_wav("en_kal", 1.0), seed=-1)
    assert err.value.details[0]["loc"] == ["body", "seed"]
    with pytest.raises(c.AuthError):
        c.ModelsLabClient("bad", poll_interval=0.0).text_to_audio("Hello there.", voice_id="en_slt")
    with pytest.raises(c.ProviderValidationError):
        c.NovitaClient("k", validate=False).minimax_voice_cloning("https://x.example/a.wav", accuracy=5)


def test_modelslab_http200_errors_are_still_typed():
    with simulate("modelslab", http200_errors=True) as sim:
        sim.reject_key("bad")
        with pytest.raises(c.AuthError):
            c.ModelsLabClient("bad", poll_interval=0.0).text_to_audio("Hello there.", voice_id="en_slt")
        with pytest.raises(c.ProviderValidationError):
            c.ModelsLabClient("k", validate=False, poll_interval=0.0).text_to_audio("Hi", language="klingon",
                                                                                  voice_id="en_slt")


def test_async_reference_clients(simulator):
    async def run() -> None:
        async with c.AsyncElevenLabsClient("k") as el:
            out = await el.speech_to_speech(VOICE, speech_wav("en_kal", 2.0), output_format="opus_48000_32")
            assert (out.format, out.codec) == ("ogg", "opus")
        async with c.AsyncModelsLabClient("k", poll_interval=0.0) as ml:
            job = await ml.voice_to_voice(speech_wav("en_kal", 2.0), speech_wav("en_slt", 5.0))
            assert job.status == "success"

    asyncio.run(run())


def test_official_elevenlabs_sdk(elevenlabs_simulator):
    from elevenlabs.client import ElevenLabs
    from elevenlabs.core.api_error import ApiError

    sdk = ElevenLabs(api_key="k")
    audio = b"".join(sdk.speech_to_speech.convert(voice_id=VOICE, audio=io.BytesIO(speech_wav("en_kal", 2.0)),
                                                  output_format="pcm_16000"))
    assert len(audio) == 2 * 16000 * 2
    assert float(np.abs(np.frombuffer(audio, "<i2")).max()) > 1000  # speech, not silence
    mp3 = b"".join(sdk.speech_to_speech.convert(voice_id=VOICE, audio=io.BytesIO(speech_wav("en_kal", 2.0))))
    from conformance.audio import probe

    assert probe(mp3).bitrate == 128_000  # the default output_format, mp3_44100_128
    with pytest.raises(ApiError) as err:
        b"".join(sdk.speech_to_speech.convert(voice_id="missing", audio=io.BytesIO(speech_wav("en_kal", 1.0))))
    assert err.value.status_code == 404 and err.value.body["detail"]["status"] == "voice_not_found"
    with pytest.raises(ApiError) as err:
        b"".join(sdk.speech_to_speech.convert(voice_id=VOICE, audio=io.BytesIO(speech_wav("en_kal", 1.0)),
                                              seed=-5))
    assert err.value.status_code == 422 and err.value.body["detail"][0]["loc"] == ["body", "seed"]
    elevenlabs_simulator.inject("rate_limit", retry_after=0)
    with pytest.raises(ApiError) as err:
        b"".join(sdk.speech_to_speech.convert(voice_id=VOICE, audio=io.BytesIO(speech_wav("en_kal", 1.0))))
    assert err.value.status_code == 429
    assert err.value.body["detail"]["status"] in {c.code for c in ELEVENLABS.errors_named("rate_limit")}
    elevenlabs_simulator.reject_key("wrong")
    with pytest.raises(ApiError) as err:
        b"".join(ElevenLabs(api_key="wrong").speech_to_speech.convert(
            voice_id=VOICE, audio=io.BytesIO(speech_wav("en_kal", 1.0))))
    assert err.value.status_code == 401


def test_official_elevenlabs_sdk_async_and_streaming(elevenlabs_simulator):
    from elevenlabs.client import AsyncElevenLabs

    async def run() -> bytes:
        sdk = AsyncElevenLabs(api_key="k")
        chunks = [c async for c in sdk.speech_to_speech.stream(
            voice_id=VOICE, audio=io.BytesIO(speech_wav("en_kal", 2.0)), output_format="ulaw_8000")]
        return b"".join(chunks)

    assert len(asyncio.run(run())) == 2 * 8000
