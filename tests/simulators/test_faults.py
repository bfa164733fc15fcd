"""Every injected fault is caught by the reference clients with the right typed error (or, for audio
faults no header can show, by measuring the audio)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from conformance import clients as c
from conformance.clients import NO_RETRY, RetryPolicy
from conformance.simulators import Simulator, faults, simulate
from conformance.spec import provider
from tests.simulators.conftest import speech_wav

VOICE = "JBFqnCBsd6RMkjVDRZzb"
TEXT = "مرحبا بكم في هذا الاختبار القصير"
PROVIDERS = ("elevenlabs", "modelslab", "novita", "faseeh")


def no_sleep(seconds: float) -> None:
    pass


def client(provider_id: str, key: str = "k", **kwargs):
    kwargs.setdefault("retry", NO_RETRY)
    kwargs.setdefault("sleep", no_sleep)
    if provider_id == "modelslab":
        kwargs.setdefault("poll_interval", 0.0)
        kwargs.setdefault("poll_timeout", 5.0)
    return c.CLIENTS[provider_id][0](key, **kwargs)


def call(sim: Simulator, provider_id: str, cl=None, **options):
    """One valid request of each provider, through its reference client."""
    cl = cl or client(provider_id)
    if provider_id == "elevenlabs":
        return cl.speech_to_speech(VOICE, speech_wav("en_kal", 2.0), **options)
    if provider_id == "modelslab":
        return cl.voice_to_voice(speech_wav("en_kal", 2.0), speech_wav("en_slt", 5.0), **options)
    if provider_id == "novita":
        url = sim.host_file(speech_wav("en_slt", 11.0), "novita-ref.wav", content_type="audio/wav")
        return cl.minimax_voice_cloning(url, **options)
    return cl.voice_preview(TEXT, 0.8, "faseeh-v1-preview", speech_wav("cs_dita", 4.0), **options)


@pytest.fixture
def sim():
    with simulate() as s:
        yield s


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_rate_limit_is_rate_limited_with_the_providers_hint(sim, provider_id):
    sim.inject("rate_limit", endpoint=provider_id, retry_after=7)
    with pytest.raises(c.RateLimited) as err:
        call(sim, provider_id)
    assert err.value.status == provider(provider_id).error("rate_limit").status
    # a hint only where the provider documents one (a header, or ModelsLab's retry_after body field)
    hinted = bool(provider(provider_id).retry_headers) or provider_id == "modelslab"
    assert err.value.retry_after == (7 if hinted else None)


def test_rate_limit_headers_and_body_follow_the_spec(sim):
    import httpx

    sim.inject("rate_limit", retry_after=1.5)
    r = httpx.post("https://modelslab.com/api/v1/enterprise/voice/fetch/1", json={"key": "k"})
    assert r.json()["retry_after"] == 1.5  # the documented body field
    assert set(provider("modelslab").retry_headers) <= set(r.headers)
    sim.inject("rate_limit", retry_after=1.5, code="system_busy")
    r = httpx.post(f"https://api.elevenlabs.io/v1/speech-to-speech/{VOICE}", headers={"xi-api-key": "k"},
                   files={"audio": ("a.wav", speech_wav("en_kal", 1.0), "audio/wav")})
    assert not {"retry-after", "retry-after-ms", "x-ratelimit-reset"} & set(r.headers)  # none observed
    assert r.json()["detail"]["status"] == "system_busy" and r.json()["detail"]["type"] == "rate_limit_error"


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_a_retrying_client_gets_through_a_passing_rate_limit(sim, provider_id):
    fault = sim.inject("rate_limit", endpoint=provider_id, retry_after=0, times=2)
    result = call(sim, provider_id, client(provider_id, retry=RetryPolicy(max_attempts=3)))
    assert fault.hits == 2 and fault.remaining == 0
    assert [call.faults for call in sim.calls[:3]] == [["rate_limit"], ["rate_limit"], []]
    assert result is not None


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_server_error_is_a_provider_error_with_its_status(sim, provider_id, status):
    sim.inject(faults.server_error(status=status), endpoint=provider_id)
    with pytest.raises(c.ProviderError) as err:
        call(sim, provider_id)
    assert err.value.status == status


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_timeout_is_request_timeout(sim, provider_id):
    sim.inject("timeout", endpoint=provider_id)
    with pytest.raises(c.RequestTimeout):
        call(sim, provider_id)


def test_latency_past_the_clients_timeout_is_a_timeout_and_under_it_is_fine(sim):
    sim.inject(faults.latency(0.3), endpoint="novita")
    with pytest.raises(c.RequestTimeout):
        call(sim, "novita", client("novita", timeout=0.05))
    sim.inject(faults.latency(0.01), endpoint="novita")
    assert call(sim, "novita").voice_id
    assert sim.calls[-1].faults == ["latency"]


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_truncated_body_is_a_protocol_error(sim, provider_id):
    sim.inject("truncated_body", endpoint=provider_id)
    with pytest.raises(c.ProtocolError, match="truncated"):
        call(sim, provider_id)


@pytest.mark.parametrize("provider_id", ["modelslab", "novita"])
def test_malformed_json_is_a_protocol_error(sim, provider_id):
    sim.inject("malformed_json", endpoint=provider_id)
    with pytest.raises(c.ProtocolError, match="malformed JSON"):
        call(sim, provider_id)


def test_malformed_json_waits_for_a_json_answer(sim):
    fault = sim.inject("malformed_json")
    call(sim, "elevenlabs")  # audio: not a JSON answer, the fault stays armed
    assert fault.hits == 0
    with pytest.raises(c.ProtocolError, match="malformed JSON"):
        call(sim, "novita")


@pytest.mark.parametrize("status", [200, 502])
@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_html_error_page_is_a_protocol_error(sim, provider_id, status):
    sim.inject(faults.html_error_page(status=status), endpoint=provider_id)
    if provider_id in ("elevenlabs", "faseeh") and status == 200:
        with pytest.raises(c.ProtocolError, match="content type"):  # an HTML page where audio belongs
            call(sim, provider_id)
    else:
        with pytest.raises(c.ProtocolError, match="HTML"):
            call(sim, provider_id)


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_wrong_content_type_is_a_protocol_error(sim, provider_id):
    sim.inject("wrong_content_type", endpoint=provider_id)
    with pytest.raises(c.ProtocolError, match="content type"):
        call(sim, provider_id)


@pytest.mark.parametrize("fmt", ["mp3_44100_128", "wav_16000", "mp3_22050_32"])
def test_wrong_sample_rate_in_a_container_is_a_protocol_error(sim, fmt):
    sim.inject("wrong_sample_rate")
    with pytest.raises(c.ProtocolError, match="Hz"):
        call(sim, "elevenlabs", output_format=fmt)


def test_wrong_sample_rate_of_raw_audio_shows_in_its_length(sim):
    right = call(sim, "elevenlabs", output_format="pcm_24000")
    sim.inject("wrong_sample_rate")
    wrong = call(sim, "elevenlabs", output_format="pcm_24000")
    assert len(wrong.audio) / len(right.audio) == pytest.approx(16000 / 24000, rel=0.01)


def test_wrong_sample_rate_of_a_downloaded_output(sim):
    cl = client("modelslab")
    right = cl.download(call(sim, "modelslab", cl).output[0])
    sim.inject("wrong_sample_rate", sample_rate=8000)
    wrong = cl.download(call(sim, "modelslab", cl).output[0])
    assert (right.sample_rate, wrong.sample_rate) == (16000, 8000)  # the voice is a 16 kHz speaker's
    assert right.sample_rate != wrong.sample_rate


def _pcm(result) -> np.ndarray:
    return np.frombuffer(result.audio, "<i2").astype(np.float32) / 32768


@pytest.mark.parametrize("provider_id", ["elevenlabs", "faseeh"])
def test_silent_audio_is_full_length_digital_silence(sim, provider_id):
    options = {"output_format": "pcm_24000"} if provider_id == "elevenlabs" else {}
    right = call(sim, provider_id, **options)
    sim.inject("silent_audio", endpoint=provider_id)
    silent = call(sim, provider_id, **options)
    assert len(silent.audio) == len(right.audio)
    assert float(np.abs(_pcm(silent)).max()) == 0.0
    assert float(np.sqrt(np.mean(_pcm(right) ** 2))) > 0.01


@pytest.mark.parametrize("seconds", [0.3, 1.0])
def test_short_audio_cuts_the_output_to_its_length_and_keeps_the_format(sim, seconds):
    from conformance.audio.analysis import analyze

    full = analyze(call(sim, "elevenlabs", output_format="wav_16000").audio).duration_s
    sim.inject("short_audio", endpoint="elevenlabs", seconds=seconds)
    cut = call(sim, "elevenlabs", output_format="wav_16000")
    report = analyze(cut.audio)
    assert report.sample_rate == 16000 and report.duration_s == pytest.approx(seconds, abs=0.01)
    assert report.duration_s < full
    with pytest.raises(ValueError, match="seconds"):
        sim.inject("short_audio", seconds=0)


def test_silent_audio_is_caught_by_analyze(sim):
    from conformance.audio.analysis import analyze

    sim.inject("silent_audio")
    report = analyze(call(sim, "elevenlabs", output_format="wav_16000").audio)
    assert report.silence_ratio == 1.0


def test_wrong_speaker_sounds_like_someone_else(sim):
    from conformance.audio.speaker import speaker_similarity

    def wav_of(result) -> bytes:
        buf = io.BytesIO()
        sf.write(buf, _pcm(result), 16000, format="WAV")
        return buf.getvalue()

    right = wav_of(call(sim, "elevenlabs", output_format="pcm_16000"))
    sim.inject("wrong_speaker")
    wrong = wav_of(call(sim, "elevenlabs", output_format="pcm_16000"))
    from conformance.providers.elevenlabs.simulator import CATALOGUE

    target = speech_wav(CATALOGUE[VOICE], 6.0)  # the fixture speaker behind VOICE
    assert speaker_similarity(right, target, backend="mfcc") > speaker_similarity(wrong, target, backend="mfcc") + 0.3


def test_job_failed_is_job_failed_and_job_stuck_is_job_timeout(sim):
    sim.inject("job_failed", message="no GPU")
    with pytest.raises(c.JobFailed, match="no GPU"):
        call(sim, "modelslab")
    sim.inject("job_stuck")
    with pytest.raises(c.JobTimeout):
        call(sim, "modelslab", client("modelslab", poll_timeout=0.05, poll_interval=0.01))


def test_faults_on_downloads(sim):
    cl = client("modelslab")
    url = call(sim, "modelslab", cl).output[0]
    sim.inject("truncated_body", endpoint="modelslab.download")
    with pytest.raises(c.ProtocolError, match="truncated"):
        cl.download(url)
    assert cl.download(url).sample_rate


def test_fault_targets_counts_and_clearing(sim):
    with pytest.raises(KeyError, match="no simulated endpoint"):
        sim.inject("server_error", endpoint="elevenlabs.nope")
    with pytest.raises(KeyError, match="unknown fault"):
        sim.inject("gremlins")
    forever = sim.inject("server_error", endpoint="novita.minimax_voice_cloning", times=None)
    for _ in range(3):
        with pytest.raises(c.ProviderError):
            call(sim, "novita")
    assert forever.hits == 3 and forever.remaining is None
    assert call(sim, "faseeh").audio  # other providers are untouched
    sim.clear_faults()
    assert call(sim, "novita").voice_id


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_async_clients_see_the_same_faults(provider_id):
    import asyncio

    async def scenario() -> None:
        async_cls = c.CLIENTS[provider_id][1]
        with simulate(provider_id) as s:
            cl = async_cls("k", retry=NO_RETRY, **({"poll_interval": 0.0} if provider_id == "modelslab" else {}))
            s.inject("timeout")
            with pytest.raises(c.RequestTimeout):
                await _acall(s, provider_id, cl)
            s.inject(faults.latency(0.5))
            cl_fast = async_cls("k", retry=NO_RETRY, timeout=0.05,
                                **({"poll_interval": 0.0} if provider_id == "modelslab" else {}))
            with pytest.raises(c.RequestTimeout):
                await _acall(s, provider_id, cl_fast)
            assert await _acall(s, provider_id, cl) is not None
            await cl.aclose()
            await cl_fast.aclose()

    asyncio.run(scenario())


async def _acall(sim, provider_id, cl):
    if provider_id == "elevenlabs":
        return await cl.speech_to_speech(VOICE, speech_wav("en_kal", 2.0))
    if provider_id == "modelslab":
        return await cl.voice_to_voice(speech_wav("en_kal", 2.0), speech_wav("en_slt", 5.0))
    if provider_id == "novita":
        return await cl.minimax_voice_cloning(sim.host_file(speech_wav("en_slt", 11.0), "a.wav"))
    return await cl.voice_preview(TEXT, 0.8, "faseeh-v1-preview", speech_wav("cs_dita", 4.0))


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_wrong_error_shape_changes_only_errors_keeping_their_status(sim, provider_id):
    import jsonschema

    from conformance.spec.model import schema_errors

    sim.inject("wrong_error_shape", endpoint=provider_id)
    call(sim, provider_id)  # a success passes untouched and does not use the fault up
    sim.reject_key("bad")
    with pytest.raises(c.ProviderError) as err:
        call(sim, provider_id, client(provider_id, "bad"))
    shape = provider(provider_id).error_shape
    auth = provider(provider_id).error("auth")
    assert err.value.status == (200 if auth.http200 and sim.http200_errors else auth.status)
    assert set(err.value.body) == {"error"} and err.value.body["error"]["message"]
    assert schema_errors(err.value.body, shape.schema), "the generic body must break the documented shape"
    with pytest.raises(c.ProviderError) as again:  # used up: the next error has the provider's shape
        call(sim, provider_id, client(provider_id, "bad"))
    jsonschema.validate(again.value.body, shape.schema)


# -- faults carry their own behaviour --------------------------------------------------------------

KEYS = {"rate_limit", "server_error", "html_error_page", "timeout", "latency", "truncated_body", "malformed_json",
        "wrong_content_type", "wrong_error_shape", "wrong_sample_rate", "silent_audio", "short_audio",
        "wrong_speaker", "job_failed", "job_stuck"}


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_fault_implements_the_method_of_its_phase(key):
    import inspect

    cls = faults.FAULTS[key]
    base = faults.PHASES[cls.phase]
    assert issubclass(cls, base), f"{cls.__name__} ({cls.phase}) must subclass {base.__name__}"
    method = getattr(cls, cls.phase, None)
    assert method is not None and method is not getattr(base, cls.phase), \
        f"{cls.__name__} does not implement {cls.phase}(): a fault must carry its behaviour"
    assert list(inspect.signature(method).parameters) == list(inspect.signature(getattr(base, cls.phase)).parameters)


def test_the_registry_keeps_its_keys_and_the_job_faults_do_not_shadow_the_client_errors():
    assert set(faults.FAULTS) == KEYS
    assert (faults.FAULTS["job_failed"], faults.FAULTS["job_stuck"]) == (faults.FailJob, faults.StickJob)
    assert faults.job_failed is faults.FailJob and faults.job_stuck is faults.StickJob
    assert not hasattr(faults, "JobFailed") and not hasattr(faults, "JobStuck")
    assert issubclass(c.JobFailed, c.ProviderError)


def test_a_new_fault_is_one_class(sim):
    import httpx

    class Teapot(faults.AnswerFault):
        key = "test_teapot"

        def answer(self, sim, provider, ctx):
            return faults.SimResponse(418, b"short and stout", {"content-type": "text/plain"})

    class Stamped(faults.ModifyFault):
        key = "test_stamped"

        def accepts(self, response):
            return response.status == 418

        def modify(self, response):
            response.headers["x-stamped"] = "yes"
            return response

    try:
        stamp = sim.inject("test_stamped")
        url = "https://modelslab.com/api/v1/enterprise/voice/fetch/1"
        assert httpx.post(url, json={"key": "k"}).status_code != 418 and stamp.hits == 0  # not accepted: armed
        sim.inject("test_teapot", endpoint="modelslab.fetch")
        r = httpx.post(url, json={"key": "k"})
        assert (r.status_code, r.text, r.headers["x-stamped"]) == (418, "short and stout", "yes")
        assert sim.calls[-1].faults == ["test_teapot", "test_stamped"]
    finally:
        del faults.FAULTS[Teapot.key], faults.FAULTS[Stamped.key]
