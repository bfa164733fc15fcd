"""The Novita and Faseeh simulators: clones create voices, previews stream PCM, errors as documented."""

from __future__ import annotations

import httpx
import jsonschema
import numpy as np
import pytest

from conformance.audio import probe
from conformance.providers.faseeh.spec import PREVIEW_CONTENT_TYPE, PREVIEW_SAMPLE_RATE
from conformance.providers.faseeh.spec import PROVIDER as FASEEH
from conformance.providers.novita import spec as novita_spec
from conformance.spec import get
from tests.simulators.conftest import speech_wav

CLONE = get("novita.minimax_voice_cloning")
NOVITA = novita_spec.PROVIDER
PREVIEW = get("faseeh.voice_preview")
FASEEH_CLONE = get("faseeh.voice_clone")
TEXT = "مرحبا بكم في هذا الاختبار القصير"


def clone(body: dict, key: str | None = "k") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return httpx.post(NOVITA.base_url + CLONE.path, json=body, headers=headers)


def test_novita_clone_creates_a_voice_and_a_demo_in_it(novita_simulator):
    url = novita_simulator.host_file(speech_wav("en_slt", 12.0), "ref.wav", content_type="audio/wav")
    r = clone({"audio_url": url, "text": "Hello, this is my cloned voice.", "model": "speech-02-hd"})
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, CLONE.responses_for(200)[0].schema)
    assert body["voice_id"] in novita_simulator.voices["novita"]
    demo = httpx.get(body["demo_audio_url"])
    info = probe(demo.content)
    assert info.format == "mp3" and info.duration > 1.0
    assert "demo_audio_url" not in clone({"audio_url": url}).json()  # only with text and model


def test_novita_checks_hosted_audio_and_answers_documented_codes(novita_simulator):
    short = novita_simulator.host_file(speech_wav("en_slt", 4.0), "short.wav")
    r = clone({"audio_url": short})
    case = NOVITA.error("invalid_audio")
    assert (r.status_code, r.json()["reason"]) == (case.status, case.code)
    jsonschema.validate(r.json(), NOVITA.error_shape.schema)
    r = clone({"audio_url": short, "text": "no model given", "accuracy": 3})
    assert r.json()["reason"] == NOVITA.error("invalid_request").code
    assert set(r.json()["metadata"]["fields"]) >= {"model", "accuracy"}
    missing = clone({"audio_url": short}, key=None)
    assert (missing.status_code, missing.json()["reason"]) == (NOVITA.error("auth_missing").status,
                                                               NOVITA.error("auth_missing").code)
    novita_simulator.reject_key("bad")
    wrong = clone({"audio_url": short}, key="bad")
    assert (wrong.status_code, wrong.json()["reason"]) == (NOVITA.error("auth").status, NOVITA.error("auth").code)


def preview(files: dict | None = None, key: str = "k", **data) -> httpx.Response:
    form = {"text": TEXT, "similarity": "0.8", "model_id": "faseeh-v1-preview", **data}
    files = files or {"file": ("ref.wav", speech_wav("cs_dita", 5.0, 32000), "audio/wav")}
    return httpx.post(FASEEH.base_url + PREVIEW.path, headers={"x-api-key": key}, data=form, files=files)


def test_faseeh_preview_streams_raw_pcm16_24k_with_the_documented_type(faseeh_simulator):
    r = preview()
    assert r.status_code == 200
    assert r.headers["content-type"] == PREVIEW_CONTENT_TYPE
    assert not r.content.startswith((b"RIFF", b"OggS", b"ID3"))
    y = np.frombuffer(r.content, "<i2").astype(np.float32) / 32768
    assert len(r.content) % 2 == 0 and len(y) / PREVIEW_SAMPLE_RATE > 1.0
    assert float(np.sqrt(np.mean(y**2))) > 0.01
    slow, fast = preview(speed="0.7"), preview(speed="1.2")
    assert len(slow.content) > len(fast.content)  # speed changes the length


def test_faseeh_preview_keeps_the_reference_voice(faseeh_simulator):
    import io

    import soundfile as sf

    from conformance.audio.speaker import speaker_similarity

    y = np.frombuffer(preview().content, "<i2").astype(np.float32) / 32768
    buf = io.BytesIO()
    sf.write(buf, y, PREVIEW_SAMPLE_RATE, format="WAV")
    ref, other = speech_wav("cs_dita", 6.0, 32000), speech_wav("cs_machac", 6.0, 32000)
    assert speaker_similarity(buf.getvalue(), ref, backend="mfcc") > speaker_similarity(buf.getvalue(), other,
                                                                                         backend="mfcc") + 0.3


def test_faseeh_errors_have_error_code_and_message(faseeh_simulator):
    r = preview(text="too short")
    case = FASEEH.error("invalid_request")
    assert r.status_code == case.status and r.json()["errorCode"] == str(case.code)
    jsonschema.validate(r.json(), FASEEH.error_shape.schema)
    r = preview(key="")
    assert r.status_code == FASEEH.error("auth_missing").status


def test_faseeh_clone_creates_a_voice_with_its_sample(faseeh_simulator):
    files = {"voice_file": ("p.wav", speech_wav("cs_dita", 3.0, 32000), "audio/wav"),
             "reference_audio_file": ("r.wav", speech_wav("cs_dita", 6.0, 32000), "audio/wav")}
    data = {"text": TEXT, "stability": "0.5", "name": "Najdi Narrator", "model": "faseeh-v1-preview",
            "dialects": "najdi,hijazi", "languages": "ar,en", "gender": "female"}
    r = httpx.post(FASEEH.base_url + FASEEH_CLONE.path, headers={"x-api-key": "k"}, data=data, files=files)
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, FASEEH_CLONE.responses_for(200)[0].schema)
    assert body["dialect"] == ["najdi", "hijazi"] and body["languages"] == ["ar", "en"]
    assert body["stability"] == pytest.approx(0.5)
    assert body["voice_id"] in faseeh_simulator.voices["faseeh"]
    assert httpx.get(body["sample_url"]).content == files["voice_file"][1]
    for alt in FASEEH.alt_base_urls:
        assert httpx.post(alt + FASEEH_CLONE.path, headers={"x-api-key": "k"}, data=data,
                          files=files).status_code == 200


def test_undocumented_fields_are_ignored_like_the_provider_does_but_clients_refuse_them(novita_simulator):
    from conformance.clients import NovitaClient, SpecViolation

    url = novita_simulator.host_file(speech_wav("en_slt", 12.0), "ref.wav", content_type="audio/wav")
    r = clone({"audio_url": url, "colour": "blue"})
    assert r.status_code == 200, r.text
    short = novita_simulator.host_file(speech_wav("en_slt", 5.0), "prompt.wav", content_type="audio/wav")
    prompt = {"prompt_audio_url": short, "prompt_text": "Hello there.", "mood": "calm"}
    r = clone({"audio_url": url, "clone_prompt": prompt})
    assert r.status_code == 200, r.text
    with pytest.raises(SpecViolation) as err:
        NovitaClient(api_key="k").call(CLONE.id, {"audio_url": url, "colour": "blue", "clone_prompt": prompt})
    assert {v.param for v in err.value.violations} == {"colour", "clone_prompt.mood"}
    assert {v.rule for v in err.value.violations} == {"unknown_parameter"}
