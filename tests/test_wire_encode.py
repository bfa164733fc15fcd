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


# and read back, as a provider's server (the simulators) reads it ------------------------------------------

def test_a_multipart_request_reads_back_into_its_params_with_the_text_sent() -> None:
    import httpx

    from conformance.spec.wire import decode_request

    sent = encode_request(STS, {"voice_id": "v 1", "enable_logging": False, "output_format": "mp3_44100_128",
                                "audio": AudioInput("bytes", data=WAV, filename="me.wav"), "seed": 7,
                                "remove_background_noise": True, "not_in_the_spec": "x"},
                          base_url="https://api.elevenlabs.io", api_key="k-123")
    sent.read()
    got = decode_request(STS, httpx.Request(sent.method, sent.url, headers=sent.headers, content=sent.content))
    assert got.endpoint is STS and got.error is None and got.api_key == "k-123"
    p = got.params
    assert (p["voice_id"], p["enable_logging"], p["output_format"], p["seed"], p["remove_background_noise"]) == (
        "v 1", False, "mp3_44100_128", 7, True)
    assert p["not_in_the_spec"] == "x"  # kept as sent, for the unknown-parameter rule to see
    assert p["audio"].kind == "bytes" and p["audio"].data == WAV and p["audio"].filename == "me.wav"
    assert got.raw == {"voice_id": "v 1", "enable_logging": "false", "output_format": "mp3_44100_128", "seed": "7",
                       "remove_background_noise": "true", "not_in_the_spec": "x"}  # text only: no file, no key


def test_bodies_a_server_cannot_read_are_named() -> None:
    import httpx

    from conformance.spec.wire import decode_request

    novita = spec.get("novita.minimax_voice_cloning")
    url = "https://api.novita.ai/v3/minimax-voice-cloning"
    cases = [(b"{not json", "request body is not valid JSON"), (b"[1, 2]", "request body must be a JSON object"),
             (b'"text"', "request body must be a JSON object")]
    for body, error in cases:
        got = decode_request(novita, httpx.Request("POST", url, content=body, headers={"authorization": "Bearer nk"}))
        assert got.error == error and got.params == {} and got.api_key == "nk"
    sts_url = "https://api.elevenlabs.io/v1/speech-to-speech/v"
    for headers, shown in (({}, "no content type"), ({"content-type": "application/json"}, "application/json")):
        got = decode_request(STS, httpx.Request("POST", sts_url, content=b'{"a": 1}', headers=headers))
        assert got.error == f"request body must be multipart/form-data (got {shown})" and got.params == {"voice_id": "v"}
    empty = decode_request(STS, httpx.Request("POST", sts_url))
    assert empty.error is None and empty.params == {"voice_id": "v"} and empty.api_key is None


def test_a_key_in_the_body_is_the_key_only_when_it_is_text() -> None:
    import httpx

    from conformance.spec.wire import decode_request

    ml = spec.get("modelslab.voice_to_voice")
    url = "https://modelslab.com/api/v6/voice/voice_to_voice"
    for key, expected in (("mk-1", "mk-1"), (12345, None), (None, None)):
        got = decode_request(ml, httpx.Request("POST", url, json={"key": key, "init_audio": "https://cdn/a.wav"}))
        assert got.api_key == expected and "key" not in got.params and "key" not in got.raw


def _multipart(*parts: bytes, boundary: bytes = b"b0undary") -> tuple[str, bytes]:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts) + b"--" + boundary + b"--\r\n"
    return f"multipart/form-data; boundary={boundary.decode()}", body


def test_the_multipart_parser_reads_each_part_by_its_own_headers() -> None:
    import pytest

    ctype, body = _multipart(
        b"Content-Type: text/plain\r\nCONTENT-DISPOSITION: form-data; name=\"a\"\r\n\r\none\r\n-two--\r\nthree",
        b"X-Other: 1\r\n\r\nno name: not a field",
        b"Content-Disposition: form-data; name=\"\xff\xfe\"; filename=\"v\xe9.wav\"\r\n\r\n" + WAV,
        b"Content-Disposition: form-data; name=\"b\"\r\n\r\n\xc3\xa9t\xff",
    )
    fields, files = parse_multipart(ctype, body)
    assert fields == {"a": "one\r\n-two--\r\nthree", "b": "ét\ufffd"}
    assert files == {"\ufffd\ufffd": ("v\ufffd.wav", WAV)}
    with pytest.raises(ValueError, match=r"^multipart body without a boundary$"):
        parse_multipart("multipart/form-data", body)


def test_a_request_read_back_from_a_stream_with_params_in_any_order() -> None:
    """A body not yet read (a stream) is read; a param the spec does not know, wherever it comes, leaves
    the ones after it decoded."""
    import httpx

    from conformance.spec.wire import decode_request

    sent = encode_request(STS, {"voice_id": "v", "audio": AudioInput("bytes", data=WAV, filename="a.wav"), "seed": 7},
                          base_url="https://api.elevenlabs.io", api_key="k")
    sent.read()
    url = str(sent.url) + "?zzz_unknown=1&enable_logging=false"
    streamed = httpx.Request("POST", url, headers=sent.headers, content=iter([sent.content]))
    assert not hasattr(streamed, "_content")
    got = decode_request(STS, streamed)
    assert got.error is None and got.api_key == "k"
    assert (got.params["zzz_unknown"], got.params["enable_logging"], got.params["seed"]) == ("1", False, 7)
    assert got.params["audio"].data == WAV


def test_a_header_param_is_read_from_its_header() -> None:
    """No endpoint documents one today; a provider that does gets it read like the others."""
    import dataclasses

    import httpx

    from conformance.spec.model import Param
    from conformance.spec.wire import decode_request

    trace = Param("x-trace-id", "header", "string", STS.source)
    ep = dataclasses.replace(STS, params=(*STS.params, trace))
    url = "https://api.elevenlabs.io/v1/speech-to-speech/v"
    got = decode_request(ep, httpx.Request("POST", url, headers={"x-trace-id": "t-1", "xi-api-key": "k"}))
    assert got.params == {"voice_id": "v", "x-trace-id": "t-1"} and got.raw["x-trace-id"] == "t-1"
    assert "x-trace-id" not in decode_request(ep, httpx.Request("POST", url)).params


def test_audio_inside_an_object_param_is_fetched_and_probed_and_other_fields_kept() -> None:
    import io

    import httpx
    import numpy as np
    import soundfile as sf

    from conformance.spec.wire import decode_request

    novita = spec.get("novita.minimax_voice_cloning")
    url = "https://api.novita.ai/v3/minimax-voice-cloning"
    buf = io.BytesIO()
    sf.write(buf, np.zeros(8000, dtype="float32"), 16000, format="WAV")
    wav = buf.getvalue()
    prompt = {"prompt_audio_url": "https://files.example/p.wav", "prompt_text": "hello"}
    body = json.dumps({"audio_url": "https://files.example/a.wav", "clone_prompt": prompt}).encode()
    fetched: list[str] = []

    def resolve(u: str) -> bytes | None:
        fetched.append(u)
        return wav

    got = decode_request(novita, httpx.Request("POST", url, content=body, headers={"authorization": "Bearer nk"}),
                         resolve_url=resolve)
    inner = got.params["clone_prompt"]
    assert inner["prompt_text"] == "hello"
    audio = inner["prompt_audio_url"]
    assert isinstance(audio, AudioInput) and audio.url == prompt["prompt_audio_url"] and audio.data == wav
    assert (audio.info.sample_rate, audio.info.duration) == (16000, 0.5)
    assert "https://files.example/p.wav" in fetched
    # an object param sent as something else is left for the type check
    odd = json.dumps({"audio_url": "https://files.example/a.wav", "clone_prompt": "not an object"}).encode()
    got = decode_request(novita, httpx.Request("POST", url, content=odd, headers={"authorization": "Bearer nk"}))
    assert got.params["clone_prompt"] == "not an object"


def test_left_out_values_raw_bytes_and_text_in_a_file_field_and_an_empty_path_value() -> None:
    from conformance.spec.model import MISSING

    sent = encode_request(STS, {"voice_id": "v", "seed": MISSING, "enable_logging": False,
                                "audio": b"\x00\x01raw", "remove_background_noise": True},
                          base_url="https://api.elevenlabs.io", api_key=None)
    assert sent.url.params["enable_logging"] == "false"  # encoded after a left-out value
    fields, files = parts(sent)
    assert "seed" not in fields and fields["remove_background_noise"] == "true"
    assert files["audio"] == ("audio", b"\x00\x01raw")  # raw bytes: named after the field
    assert b"content-type: application/octet-stream" in sent.content.lower()
    text = encode_request(STS, {"voice_id": "v", "audio": "https://files.example/a.wav"},
                          base_url="https://api.elevenlabs.io", api_key=None)
    fields, files = parts(text)
    assert fields["audio"] == "https://files.example/a.wav" and not files  # text in a file field is a field
    no_id = encode_request(STS, {}, base_url="https://gateway.example/proxyX/", api_key=None)
    assert str(no_id.url) == "https://gateway.example/proxyX/v1/speech-to-speech/"


def test_a_header_param_is_sent_as_its_header() -> None:
    import dataclasses

    from conformance.spec.model import Param

    trace = Param("x-trace-id", "header", "string", STS.source)
    ep = dataclasses.replace(STS, params=(*STS.params, trace))
    sent = encode_request(ep, {"voice_id": "v", "x-trace-id": "t-1"}, base_url="https://api.elevenlabs.io",
                          api_key="k")
    assert sent.headers["x-trace-id"] == "t-1" and sent.headers["xi-api-key"] == "k"
    left_out = encode_request(ep, {"voice_id": "v", "x-trace-id": None}, base_url="https://api.elevenlabs.io",
                              api_key=None)
    assert "x-trace-id" not in left_out.headers
