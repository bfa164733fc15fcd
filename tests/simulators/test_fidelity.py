"""The simulators answer as the providers are documented and observed to answer (issue evidence cited
in each provider's spec): one test per behaviour, each failing on the simulator's earlier answer."""

from __future__ import annotations

import httpx
import pytest

from conformance.providers.elevenlabs.spec import PROVIDER as ELEVENLABS
from conformance.providers.modelslab.spec import PROVIDER as MODELSLAB
from conformance.providers.novita import spec as novita_spec
from conformance.simulators import simulate
from conformance.spec import get
from conformance.spec.wire import bearer_token
from tests.simulators.conftest import speech_wav

NOVITA = novita_spec.PROVIDER
NOVITA_CLONE = get("novita.minimax_voice_cloning")


# -- Novita ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "key"), [
    ("Bearer k1", "k1"), ("bearer  k1 ", "k1"), ("Bearer", None), ("Bearer   ", None), ("", None),
    ("k1", "k1"),
])
def test_bearer_scheme_alone_is_a_missing_key(value, key):
    assert bearer_token(value) == key


@pytest.mark.parametrize("header", ["Bearer", "Bearer "])
def test_novita_answers_an_authorization_header_without_a_key_as_a_missing_key(novita_simulator, header):
    url = novita_simulator.host_file(speech_wav("en_slt", 12.0), "ref.wav", content_type="audio/wav")
    r = httpx.post(NOVITA.base_url + NOVITA_CLONE.path, json={"audio_url": url},
                   headers={"Authorization": header})
    missing = NOVITA.error("auth_missing")
    assert (r.status_code, r.json()["reason"]) == (missing.status, missing.code)


# -- ElevenLabs --------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "options", "want"), [
    ("rate_limit", {"code": "too_many_concurrent_requests"}, (429, "rate_limit_error", "concurrent_limit_exceeded",
                                                               "too_many_concurrent_requests")),
    ("rate_limit", {"code": "system_busy"}, (429, "rate_limit_error", "system_busy", "system_busy")),
    ("server_error", {"status": 500}, (500, "internal_error", "internal_error", "something_went_wrong")),
    ("server_error", {"status": 503}, (503, "service_unavailable", "service_unavailable", "service_unavailable")),
])
def test_elevenlabs_429_and_5xx_bodies_carry_the_errors_page_type_and_code(fault, options, want):
    with simulate("elevenlabs") as sim:
        sim.inject(fault, **options)
        r = httpx.post(ELEVENLABS.base_url + "/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb", headers={"xi-api-key": "k"},
                       files={"audio": ("a.wav", speech_wav("en_kal", 1.0), "audio/wav")})
    d = r.json()["detail"]
    assert (r.status_code, d["type"], d["code"], d["status"]) == want
    assert d["request_id"] == r.headers["x-trace-id"] and "retry-after" not in r.headers


@pytest.mark.parametrize("path", ["/v1/speech-to-speech/{v}", "/v1/speech-to-speech/{v}/stream",
                                  "/v1/voice-changer/{v}", "/v1/voice-changer/{v}/stream"])
@pytest.mark.parametrize("base", ["https://api.elevenlabs.io", "https://api.sg.residency.elevenlabs.io"])
def test_elevenlabs_answers_every_path_and_host_the_official_sdk_uses(base, path):
    with simulate("elevenlabs"):
        r = httpx.post(base + path.format(v="JBFqnCBsd6RMkjVDRZzb"), headers={"xi-api-key": "k"},
                       params={"output_format": "pcm_16000"},
                       files={"audio": ("a.wav", speech_wav("en_kal", 1.0), "audio/wav")})
    assert r.status_code == 200 and len(r.content) == 2 * 16000


# -- ModelsLab ---------------------------------------------------------------------------------

V2V = get("modelslab.voice_to_voice")
T2A = get("modelslab.text_to_audio")
# the key order of the docs' voice answers (docs-v2 @ef9d723, voice-cloning/voice-to-voice.mdx tabs)
PROCESSING_KEYS = ["status", "tip", "eta", "message", "fetch_result", "id", "output", "future_links", "proxy_links",
                   "audio_time", "meta"]
SUCCESS_KEYS = ["status", "generationTime", "id", "output", "proxy_links", "audio_time", "meta"]
V2V_META = ["base64", "filename", "id", "original_sound_clip", "target_sound_clip", "temp", "track_id", "webhook"]
T2A_META = ["base64", "emotion", "filename", "input_sound_clip", "input_text", "language", "speed", "temp"]


def _post(ep, body):
    return httpx.post(MODELSLAB.base_url + ep.path, json=body)


def test_modelslab_processing_and_success_bodies_have_the_documented_fields_in_order():
    with simulate("modelslab", job_polls=1, job_seconds=60) as sim:
        init = sim.host_file(speech_wav("en_kal", 2.0), "init.wav")
        target = sim.host_file(speech_wav("en_slt", 5.0), "target.wav")
        queued = _post(V2V, {"key": "k", "init_audio": init, "target_audio": target, "track_id": "t1"}).json()
        assert list(queued) == PROCESSING_KEYS and queued["output"] == []
        assert queued["tip"] == "Your audio is processing in background, you can get this audio using fetch API"
        assert queued["message"] == "Try to fetch request after seconds estimated"
        assert 50 < queued["eta"] <= 60  # seconds left on the job's clock, not a count of polls
        assert list(queued["meta"]) == V2V_META
        assert queued["meta"]["base64"] == "no" and queued["meta"]["temp"] == "no"
        assert queued["meta"]["id"] == str(queued["id"]) and queued["meta"]["original_sound_clip"] == init
        assert queued["meta"]["target_sound_clip"] == target and queued["meta"]["track_id"] == "t1"
        assert httpx.post(queued["fetch_result"], json={"key": "k"}).json()["status"] == "processing"
        done = httpx.post(queued["fetch_result"], json={"key": "k"}).json()
        assert list(done) == SUCCESS_KEYS and done["audio_time"] == pytest.approx(2.0, abs=0.05)
        spoken = _post(T2A, {"key": "k", "prompt": "Say this, please.", "voice_id": "en_slt"}).json()
        assert list(spoken["meta"]) == T2A_META
        assert spoken["meta"]["input_text"] == "Say this, please." and spoken["meta"]["emotion"] == "Neutral"


def test_modelslab_jobs_finish_on_their_own_clock_and_call_the_webhook_unpolled():
    import time

    with simulate("modelslab") as sim:  # default options: nobody fetches
        hook = sim.router.post("https://hooks.example.test/ml").respond(200)
        target = sim.host_file(speech_wav("en_slt", 5.0), "target.wav")
        job = _post(V2V, {"key": "k", "init_audio": target, "target_audio": target,
                          "webhook": "https://hooks.example.test/ml"}).json()
        assert job["status"] == "processing" and job["eta"] > 0
        deadline = time.monotonic() + 5
        while hook.call_count == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hook.call_count == 1
        assert [c.endpoint_id for c in sim.calls] == ["modelslab.voice_to_voice"]  # no fetch happened


@pytest.mark.parametrize("temp", [1.0, 0.0, 1, True])
def test_modelslab_takes_temp_as_the_official_sdk_sends_it(temp):
    with simulate("modelslab", job_polls=0) as sim:
        target = sim.host_file(speech_wav("en_slt", 5.0), "target.wav")
        r = _post(V2V, {"key": "k", "init_audio": target, "target_audio": target, "temp": temp})
        assert r.json()["status"] == "success", r.text
        assert r.json()["meta"]["temp"] == ("yes" if temp else "no")


def test_modelslab_still_rejects_a_temp_that_is_not_a_boolean_or_0_1():
    with simulate("modelslab", job_polls=0) as sim:
        target = sim.host_file(speech_wav("en_slt", 5.0), "target.wav")
        r = _post(V2V, {"key": "k", "init_audio": target, "target_audio": target, "temp": 2.5})
        assert r.json()["status"] == "error" and "temp" in r.json()["message"]


def test_modelslab_answers_an_unreachable_audio_url_as_the_provider_does():
    with simulate("modelslab") as sim:
        target = sim.host_file(speech_wav("en_slt", 5.0), "target.wav")
        r = _post(V2V, {"key": "k", "init_audio": "https://unreachable.example/a.wav", "target_audio": target})
        assert r.json() == {"status": "error", "message": "Unable to fetch audio from provided URL"}


def test_modelslab_enterprise_success_form_with_links_parses():
    import jsonschema

    from conformance import clients as c

    body = {"generationTime": 0.24, "links": ["https://x.example/a.wav"], "meta": {"base64": "no"},
            "proxy_links": [], "status": "success"}
    jsonschema.validate(body, V2V.responses_for(200)[0].schema)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    with httpx.Client(transport=transport) as http:
        job = c.ModelsLabClient("k", http_client=http, poll_interval=0).voice_to_voice(
            "https://x.example/in.wav", "https://x.example/t.wav")
    assert job.status == "success" and job.output == ["https://x.example/a.wav"]


# -- Faseeh ------------------------------------------------------------------------------------


def test_faseeh_clone_takes_the_previews_own_raw_pcm_bytes(faseeh_simulator):
    from conformance import clients as c

    fa = c.FaseehClient("k")
    text = "مرحبا بكم في هذا الاختبار القصير"
    reference = speech_wav("cs_dita", 5.0)
    preview = fa.voice_preview(text, 0.8, "faseeh-v1-preview", reference)
    assert preview.raw_format == "s16le"
    voice = fa.voice_clone(preview.audio, reference, text, 0.5, "Raw", "faseeh-v1-preview")
    sample = httpx.get(voice.fields["sample_url"])
    from conformance.audio import probe

    info = probe(sample.content)
    assert (info.format, info.sample_rate) == ("wav", 24000)
    assert info.duration == pytest.approx(len(preview.audio) / 2 / 24000, abs=0.01)


FASEEH_TEXT = "مرحبا بكم في هذا الاختبار القصير"


@pytest.mark.parametrize(("form", "message"), [
    ({"similarity": "1.5"}, "similarity must be a number between 0 and 1"),
    ({"speed": "2"}, "speed must be a number between 0.7 and 1.2"),
    ({"text": "too short"}, "Text must have at least 3 words and 10 characters"),
    ({"model_id": "nope"}, "Model not found: nope"),
])
def test_faseeh_preview_errors_use_the_documented_wordings_and_string_codes(faseeh_simulator, form, message):
    data = {"text": FASEEH_TEXT, "similarity": "0.8", "model_id": "faseeh-v1-preview", **form}
    r = httpx.post("https://api.faseeh.ai/api/v1/voices/preview", headers={"x-api-key": "k"}, data=data,
                   files={"file": ("a.wav", speech_wav("cs_dita", 4.0), "audio/wav")})
    assert r.status_code == 400 and r.json() == {"errorCode": "40001", "errorMessage": message}


def test_faseeh_errors_page_codes_are_numbers_and_429_has_no_retry_after(faseeh_simulator):
    faseeh_simulator.inject("rate_limit")
    r = httpx.post("https://api.faseeh.ai/api/v1/voices/clone", headers={"x-api-key": "k"},
                   data={"text": FASEEH_TEXT, "stability": "0.5", "name": "n", "model": "faseeh-v1-preview"},
                   files={"voice_file": ("p.wav", speech_wav("cs_dita", 3.0), "audio/wav"),
                          "reference_audio_file": ("r.wav", speech_wav("cs_dita", 5.0), "audio/wav")})
    assert r.status_code == 429 and r.json()["errorCode"] == 42901 and "retry-after" not in r.headers


def test_elevenlabs_answers_an_unparsable_body_as_it_was_seen_live(elevenlabs_simulator):
    elevenlabs_simulator.reject_key("bad")
    for key in ("k", "bad"):  # the body is read before the key
        r = httpx.post(ELEVENLABS.base_url + "/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb",
                       headers={"xi-api-key": key, "content-type": "multipart/form-data; boundary=zzz"},
                       content=b"--not-the-boundary\r\nnonsense")
        assert (r.status_code, r.json()) == (400, {"detail": "There was an error parsing the body"})


@pytest.mark.parametrize(("sent", "entry"), [
    ("09", {"type": "less_than_equal", "input": "09", "ctx": {"le": 4}}),
    ("+9", {"type": "less_than_equal", "input": "+9", "ctx": {"le": 4}}),
    ("-1", {"type": "greater_than_equal", "input": "-1", "ctx": {"ge": 0}}),
    ("four", {"type": "int_parsing", "input": "four"}),
])
def test_elevenlabs_422_echoes_the_value_as_sent(elevenlabs_simulator, sent, entry):
    r = httpx.post(ELEVENLABS.base_url + "/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb", headers={"xi-api-key": "k"},
                   params={"optimize_streaming_latency": sent},
                   files={"audio": ("a.wav", speech_wav("en_kal", 1.0), "audio/wav")})
    assert r.status_code == 422
    [got] = r.json()["detail"]
    assert entry.items() <= got.items() and got["loc"] == ["query", "optimize_streaming_latency"]


def test_pydantic_words_for_each_kind_of_bound():
    from conformance.providers.elevenlabs.spec import _range_entry
    from conformance.spec.model import Range, Source

    src = Source("doc")
    assert _range_entry(Range(0, 1, src, max_exclusive=True), 1.0)["type"] == "less_than"
    assert _range_entry(Range(0, 1, src, min_exclusive=True), 0.0) == {
        "type": "greater_than", "msg": "Input should be greater than 0", "ctx": {"gt": 0}}
    assert _range_entry(Range(0, 1, src), 1.5)["msg"] == "Input should be less than or equal to 1"
    assert _range_entry(Range(0, 1, src), float("inf"))["type"] == "finite_number"


def test_an_unparsable_body_leaves_the_users_stderr_alone():
    import subprocess
    import sys

    code = ("import httpx\nfrom conformance.simulators import simulate\nwith simulate('elevenlabs'):\n"
            "    r = httpx.post('https://api.elevenlabs.io/v1/speech-to-speech/x', headers={'xi-api-key': 'k', "
            "'content-type': 'multipart/form-data; boundary=zzz'}, content=b'--other\\r\\nnonsense')\n"
            "    print(r.status_code)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "400" and done.stderr == ""
