"""The ModelsLab simulator: queued jobs, fetch, hosted outputs, webhooks, errors with their statuses."""

from __future__ import annotations

import base64

import httpx
import jsonschema
import pytest

from conformance.audio import probe
from conformance.providers.modelslab.spec import PROVIDER
from conformance.simulators import simulate
from conformance.spec import get
from tests.simulators.conftest import speech_wav

V2V = get("modelslab.voice_to_voice")
T2A = get("modelslab.text_to_audio")
FETCH = get("modelslab.fetch")
HOOK = "https://hooks.example.test/modelslab"


def schema(endpoint, state: str, status: int = 200) -> dict:
    return next(r.schema for r in endpoint.responses_for(status) if r.state == state)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def post(endpoint, body: dict) -> httpx.Response:
    return httpx.post(PROVIDER.base_url + endpoint.path, json=body)


def v2v(**extra) -> httpx.Response:
    body = {"key": "k", "init_audio": b64(speech_wav("en_kal", 3.0)), "target_audio": b64(speech_wav("en_slt", 6.0)),
            "base64": True, **extra}
    return post(V2V, body)


def fetch(job: dict, key: str = "k") -> httpx.Response:
    return httpx.post(job["fetch_result"], json={"key": key})


def wait_for(condition, seconds: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    return bool(condition())


def test_job_is_processing_then_success_after_the_configured_polls():
    with simulate("modelslab", job_polls=2, job_seconds=60):
        r = v2v(track_id="t-1")
        job = r.json()
        assert r.status_code == 200
        jsonschema.validate(job, schema(V2V, "processing"))
        assert job["fetch_result"] == PROVIDER.base_url + FETCH.path.replace("{id}", str(job["id"]))
        assert httpx.get(job["future_links"][0]).status_code == 404  # not there before the job is done
        states = [fetch(job).json()["status"] for _ in range(3)]
        assert states == ["processing", "processing", "success"]
        done = fetch(job).json()
        jsonschema.validate(done, schema(FETCH, "success"))
        assert done["id"] == job["id"] and done["meta"]["track_id"] == "t-1"
        out = httpx.get(done["output"][0])
        assert out.status_code == 200 and out.headers["content-type"] == "audio/wav"
        info = probe(out.content)
        assert (info.format, info.codec, info.channels) == ("wav", "pcm", 1)
        assert info.duration == pytest.approx(3.0, abs=0.05)  # the source's length


def test_zero_polls_answers_success_at_once():
    with simulate("modelslab", job_polls=0):
        r = v2v()
        jsonschema.validate(r.json(), schema(V2V, "success"))


def test_output_carries_the_target_voice():
    from conformance.audio.speaker import speaker_similarity

    with simulate("modelslab", job_polls=0):
        out = httpx.get(v2v().json()["output"][0]).content
    target, source = speech_wav("en_slt", 6.0), speech_wav("en_kal", 3.0)
    assert speaker_similarity(out, target, backend="mfcc") > speaker_similarity(out, source, backend="mfcc") + 0.3


def test_webhook_gets_the_documented_success_payload(modelslab_simulator):
    hook = modelslab_simulator.router.post(HOOK).respond(200)
    job = v2v(webhook=HOOK, track_id="abc").json()
    assert job["status"] == "processing" and hook.call_count == 0
    assert wait_for(lambda: hook.call_count == 1)  # on the job's own clock, with nobody polling
    payload = hook.calls.last.request.read()
    import json

    body = json.loads(payload)
    jsonschema.validate(body, next(w.schema for w in V2V.webhooks if w.state == "success"))
    assert body["id"] == job["id"] and body["track_id"] == "abc"
    assert modelslab_simulator.webhooks[-1].status == 200


def test_failed_job_answers_failed_to_fetch_and_to_the_webhook(modelslab_simulator):
    hook = modelslab_simulator.router.post(HOOK).respond(204)
    modelslab_simulator.inject("job_failed", message="GPU on fire")
    job = v2v(webhook=HOOK).json()
    assert wait_for(lambda: hook.call_count == 1)
    failed = fetch(job).json()
    jsonschema.validate(failed, schema(FETCH, "failed"))
    assert failed["status"] == "failed" and failed["message"] == "GPU on fire"
    import json

    body = json.loads(hook.calls.last.request.read())
    jsonschema.validate(body, next(w.schema for w in V2V.webhooks if w.state == "failed"))
    assert httpx.get(job["future_links"][0]).status_code == 404


def test_undeliverable_webhook_is_recorded_and_does_not_break_the_job():
    with simulate("modelslab", job_polls=5) as sim:  # by count: no clock races complete_jobs
        job = v2v(webhook="https://nobody-mocks-this.example.test/x").json()
        assert sim.complete_jobs() == 1
        assert sim.webhooks[-1].error
        assert fetch(job).json()["status"] == "success"


def test_job_polls_alone_counts_fetches_and_runs_no_clock():
    import time

    with simulate("modelslab", job_polls=2) as sim:
        job = v2v().json()
        time.sleep(0.3)  # longer than the job's scaled eta
        assert [fetch(job).json()["status"] for _ in range(3)] == ["processing", "processing", "success"]
        assert sim.providers["modelslab"]._timers == []


def test_stopping_the_simulator_stops_its_jobs_clocks():
    import threading
    import time

    with simulate("modelslab", job_seconds=0.2) as sim:
        sim.router.post(HOOK).respond(200)
        v2v(webhook=HOOK)
        timers = list(sim.providers["modelslab"]._timers)
        assert len(timers) == 1 and timers[0].is_alive()
    time.sleep(0.4)  # past the job's time: a live clock would now POST the webhook, unmocked
    assert sim.webhooks == [] and not timers[0].is_alive()
    assert not [t for t in threading.enumerate() if t is timers[0]]


def test_jobs_finish_on_their_own_after_job_seconds():
    import time

    with simulate("modelslab", job_polls=100, job_seconds=0.05) as sim:
        hook = sim.router.post(HOOK).respond(200)
        job = v2v(webhook=HOOK).json()
        deadline = time.monotonic() + 5
        while hook.call_count == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hook.call_count == 1
        assert fetch(job).json()["status"] == "success"


def test_text_to_audio_with_a_catalogue_voice_and_init_audio_precedence(modelslab_simulator):
    job = post(T2A, {"key": "k", "prompt": "A short sentence to speak, please.", "voice_id": "en_slt"}).json()
    assert job["status"] == "processing"
    modelslab_simulator.complete_jobs()
    out = probe(httpx.get(fetch(job).json()["output"][0]).content)
    assert out.sample_rate == 32000  # the voice's own rate (en_slt is a 32 kHz speaker)
    both = post(T2A, {"key": "k", "prompt": "Hello there, my friend.", "voice_id": "not-a-voice",
                      "init_audio": b64(speech_wav("en_kal", 5.0)), "base64": True})
    assert both.json()["status"] == "processing"  # init_audio wins: the unknown voice_id is ignored
    unknown = post(T2A, {"key": "k", "prompt": "Hello", "voice_id": "not-a-voice"})
    assert unknown.status_code == PROVIDER.error("not_found").status
    assert unknown.json()["status"] == "error"


def test_errors_use_documented_statuses_or_http_200_when_asked():
    bad = {"key": "k", "prompt": "", "language": "klingon"}
    with simulate("modelslab"):
        r = post(T2A, bad)
        assert r.status_code == PROVIDER.error("invalid_request").status
        jsonschema.validate(r.json(), PROVIDER.error_shape.schema)
        assert "language" in r.json()["message"] and "prompt" in r.json()["message"]
        assert post(T2A, {"prompt": "x", "voice_id": "en_slt"}).status_code == PROVIDER.error("auth_missing").status
    with simulate("modelslab", http200_errors=True):
        r = post(T2A, bad)
        assert r.status_code == 200 and r.json()["status"] == "error"
        r = post(T2A, {"key": "", "prompt": "x", "voice_id": "en_slt"})
        assert r.status_code == 200 and r.json()["message"] == PROVIDER.error("auth_missing").message


def test_wrong_key_and_unknown_job(modelslab_simulator):
    modelslab_simulator.reject_key("bad")
    job = v2v().json()
    r = fetch(job, key="bad")
    assert (r.status_code, r.json()["message"]) == (PROVIDER.error("auth").status, PROVIDER.error("auth").message)
    r = httpx.post(PROVIDER.base_url + FETCH.path.replace("{id}", "999"), json={"key": "k"})
    assert r.status_code == PROVIDER.error("not_found").status


def test_hosted_and_unknown_urls():
    with simulate("modelslab", job_polls=0) as sim:
        init = sim.host_file(speech_wav("en_kal", 2.5), "init.wav")
        target = sim.host_file(speech_wav("en_slt", 5.0), "target.wav")
        out = httpx.get(post(V2V, {"key": "k", "init_audio": init, "target_audio": target}).json()["output"][0])
        assert probe(out.content).duration == pytest.approx(2.5, abs=0.05)
        long = sim.host_file(speech_wav("en_kal", 31.0), "long.wav")
        r = post(V2V, {"key": "k", "init_audio": long, "target_audio": target})
        assert r.status_code == 400 and "30" in r.json()["message"]  # the documented 30 s limit, checked
        # the provider fetches audio URLs and says when it cannot (error-codes.mdx's wording, for audio)
        r = post(V2V, {"key": "k", "init_audio": "https://elsewhere.example/a.wav", "target_audio": target})
        assert r.status_code == PROVIDER.error("invalid_request").status
        assert r.json() == {"status": "error", "message": "Unable to fetch audio from provided URL"}
    with simulate("modelslab", unknown_urls="speaker", job_polls=0):  # opt in to stand-in speakers
        assert post(V2V, {"key": "k", "init_audio": "https://elsewhere.example/a.wav",
                          "target_audio": "https://elsewhere.example/b.wav"}).json()["status"] == "success"
