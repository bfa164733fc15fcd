"""A request as it goes on the wire, part by part: the path with its values quoted, the query and the form
in the spec's encoding, files, parameters the spec does not know where the body goes, values left out,
and an empty multipart body still multipart."""

from __future__ import annotations

import json

from conformance import spec
from conformance.spec.model import AudioInput
from conformance.spec.wire import encode_request, parse_multipart

STS = spec.get("elevenlabs.speech_to_speech")
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


def parts(request) -> tuple[dict[str, str], dict[str, tuple[str | None, bytes]]]:
    request.read()
    return parse_multipart(request.headers["content-type"], request.content)


def test_every_location_of_a_multipart_request() -> None:
    r = encode_request(STS, {"voice_id": "a b/c", "enable_logging": False, "optimize_streaming_latency": None,
                             "output_format": "mp3_44100_128", "audio": AudioInput("bytes", data=WAV),
                             "model_id": "eleven_multilingual_sts_v2", "remove_background_noise": True, "seed": None,
                             "voice_settings": '{"stability": 0.5}', "not_in_the_spec": {"x": [1, True]},
                             "raw_file": None},
                       base_url="https://api.elevenlabs.io/", api_key="k-123")
    assert r.method == "POST"
    assert r.url.raw_path.startswith(b"/v1/speech-to-speech/a%20b%2Fc?")
    assert list(r.url.params.multi_items()) == [("enable_logging", "false"), ("output_format", "mp3_44100_128")]
    assert r.headers["xi-api-key"] == "k-123" and r.headers["content-type"].startswith("multipart/form-data")
    form, files = parts(r)
    assert form == {"model_id": "eleven_multilingual_sts_v2", "remove_background_noise": "true",
                    "voice_settings": '{"stability": 0.5}', "not_in_the_spec": json.dumps({"x": [1, True]})}
    assert set(files) == {"audio"} and files["audio"][1] == WAV


def test_without_a_file_the_form_is_still_multipart_and_an_empty_one_too() -> None:
    r = encode_request(STS, {"voice_id": None, "model_id": "m", "seed": 7}, base_url="https://h", api_key=None)
    assert r.url.path == "/v1/speech-to-speech/" and "xi-api-key" not in r.headers
    assert r.headers["content-type"].startswith("multipart/form-data")
    form, files = parts(r)
    assert form == {"model_id": "m", "seed": "7"} and files == {}
    empty = encode_request(STS, {"voice_id": "v"}, base_url="https://h", api_key=None)
    assert empty.headers["content-type"].startswith("multipart/form-data")
    empty.read()
    assert b'Content-Disposition: form-data; name=""\r\n\r\n\r\n' in empty.content  # one empty field
    assert parts(empty) == ({}, {})


def test_a_json_endpoint_takes_unknown_params_and_audio_into_its_body_and_its_key_as_it_documents() -> None:
    novita = spec.get("novita.minimax_voice_cloning")
    r = encode_request(novita, {"audio_url": AudioInput("url", url="https://cdn/a.wav"), "extra_flag": True,
                                "nested": {"clip": AudioInput("url", url="https://cdn/b.wav")}},
                       base_url="https://api.novita.ai", api_key="nk-1")
    body = json.loads(r.read())
    assert body["audio_url"] == "https://cdn/a.wav" and body["extra_flag"] is True
    assert body["nested"] == {"clip": "https://cdn/b.wav"}
    assert r.headers["authorization"] == "Bearer nk-1" and r.headers["content-type"] == "application/json"
    ml = spec.get("modelslab.voice_to_voice")
    key_in_body = json.loads(encode_request(ml, {"init_audio": AudioInput("url", url="https://cdn/c.wav")},
                                            base_url="https://modelslab.com", api_key="mk-1").read())
    assert key_in_body["key"] == "mk-1" and key_in_body["init_audio"] == "https://cdn/c.wav"
