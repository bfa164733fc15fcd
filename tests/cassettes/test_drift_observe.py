"""What drift observes in a cassette folder, interaction by interaction: the endpoint and status, the
content types, the headers that are not per-request noise, the JSON fields and their types (also inside
a body recorded compressed), and the audio's codec, rate and length."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import soundfile as sf

from conformance.cassettes import drift
from conformance.cassettes.store import write_sidecar, write_yaml

NOVITA = "https://api.novita.ai/v3/minimax-voice-cloning"
STS = "https://api.elevenlabs.io/v1/speech-to-speech/voice-1"


def _wav(seconds: float, rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.zeros(int(seconds * rate), dtype="int16"), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _write(folder: Path, interactions: list[dict]) -> Path:
    write_yaml(folder / "c.yaml", {"version": 1, "metadata": {"recorded_at": "2025-01-01T00:00:00Z",
                                                              "origin": "test"}, "interactions": interactions})
    return folder


def _it(uri: str, status, headers: dict, body: dict | None, method: str = "POST") -> dict:
    return {"request": {"method": method, "uri": uri, "headers": {}, "body": None},
            "response": {"status": status, "headers": headers, "body": body}}


def test_json_answers_give_fields_types_content_types_and_lasting_headers(tmp_path: Path) -> None:
    doc = {"demo_audio": "https://x/y.mp3", "base_resp": {"status_code": 0}, "tags": [1, "a"], "none": None}
    seen = drift.observe(_write(tmp_path, [
        _it(NOVITA, {"code": 200, "message": "OK"},
            {"Content-Type": ["application/json; charset=utf-8"], "X-Trace": ["t1"], "Date": ["Mon"],
             "Server": "nginx", "Content-Length": ["10"], "Set-Cookie": ["a=b"]},
            {"string": json.dumps(doc)}),
        _it(NOVITA, 400, {"content-type": "application/json"}, {"string": json.dumps({"error": "bad"})}),
    ]))
    ok, bad = seen[("novita.minimax_voice_cloning", 200)], seen[("novita.minimax_voice_cloning", 400)]
    assert ok.content_types == {"application/json;charset=utf-8"}  # spaces dropped, lower case
    assert ok.headers == {"content-type", "x-trace"}  # date, server, length, cookie: noise
    assert dict(ok.fields) == {"demo_audio": {"string"}, "base_resp": {"object"}, "base_resp.status_code": {"integer"},
                               "tags": {"array"}, "tags[]": {"integer", "string"}, "none": {"null"}}
    assert ok.bodies == [doc] and ok.audio == []
    assert dict(bad.fields) == {"error": {"string"}} and bad.content_types == {"application/json"}
    assert set(seen) == {("novita.minimax_voice_cloning", 200), ("novita.minimax_voice_cloning", 400)}


def test_a_body_recorded_compressed_is_read_as_it_says(tmp_path: Path) -> None:
    doc = {"detail": {"status": "invalid_api_key"}}
    seen = drift.observe(_write(tmp_path, [
        _it(STS, {"code": 401}, {"content-type": ["application/json"], "content-encoding": ["gzip"]},
            {"string": gzip.compress(json.dumps(doc).encode())}),
    ]))
    ob = seen[("elevenlabs.speech_to_speech", 401)]
    assert ob.bodies == [doc] and dict(ob.fields) == {"detail": {"object"}, "detail.status": {"string"}}
    assert "content-encoding" not in ob.headers


def test_json_is_recognised_by_its_first_byte_and_a_broken_one_is_not_json(tmp_path: Path) -> None:
    seen = drift.observe(_write(tmp_path, [
        _it(NOVITA, {"code": 200}, {"content-type": ["text/plain"]}, {"string": '[{"a": 1}]'}),
        _it(NOVITA, {"code": 500}, {"content-type": ["application/json"]}, {"string": "{not json"}),
        _it(NOVITA, {"code": 502}, {}, {"string": ""}),
    ]))
    assert dict(seen[("novita.minimax_voice_cloning", 200)].fields) == {"[]": {"object"}, "[].a": {"integer"}}
    broken = seen[("novita.minimax_voice_cloning", 500)]
    assert broken.bodies == [] and dict(broken.fields) == {}
    empty = seen[("novita.minimax_voice_cloning", 502)]
    assert empty.content_types == set() and empty.bodies == [] and empty.headers == set()


def test_audio_answers_give_codec_rate_and_length_and_undecodable_audio_is_noted(tmp_path: Path) -> None:
    wav = _wav(1.5, 22050)
    digest = write_sidecar(tmp_path / "bodies", wav)
    seen = drift.observe(_write(tmp_path, [
        _it(STS, {"code": 200}, {"content-type": ["audio/wav"]},
            {"sidecar": f"bodies/{digest}.bin", "sha256": digest, "size": len(wav)}),
        _it("https://files.example/out/1.wav", {"code": 200}, {"content-type": ["application/octet-stream"]},
            {"string": b"RIFF but not a wave"}, method="GET"),
        _it("https://files.example/out/2.txt", {"code": 206}, {"content-type": ["text/plain"]},
            {"string": b"text"}, method="GET"),
    ]))
    (sts,) = seen[("elevenlabs.speech_to_speech", 200)].audio
    assert sts["sample_rate"] == 22050 and abs(sts["duration"] - 1.5) < 1e-6 and sts["codec"]
    (bad,) = seen[(drift.DOWNLOAD + "files.example", 200)].audio
    assert bad["codec"].startswith("undecodable (") and bad["sample_rate"] is None and bad["duration"] is None
    assert seen[(drift.DOWNLOAD + "files.example", 206)].audio == []  # not audio: not probed
    no_probe = drift.observe(tmp_path, probe_audio=False)
    assert no_probe[("elevenlabs.speech_to_speech", 200)].audio == []


def test_an_endpoint_is_the_specs_a_get_elsewhere_a_download_and_anything_else_its_method_and_path() -> None:
    assert drift.endpoint_of("POST", NOVITA + "?x=1") == "novita.minimax_voice_cloning"
    assert drift.endpoint_of("POST", STS) == "elevenlabs.speech_to_speech"
    assert drift.endpoint_of("get", "https://cdn.example/a/b.mp3") == "download cdn.example"
    assert drift.endpoint_of("DELETE", "https://api.example/v1/thing?k=v") == "DELETE api.example/v1/thing"


def test_the_audio_summary_averages_known_lengths_and_lists_codecs_and_rates() -> None:
    items = [{"codec": "mp3", "sample_rate": 44100, "duration": 2.0},
             {"codec": "pcm", "sample_rate": 16000, "duration": 4.0},
             {"codec": "undecodable (AudioDecodeError)", "sample_rate": None, "duration": None}]
    assert drift._audio_summary(items) == {"codecs": ["mp3", "pcm", "undecodable (AudioDecodeError)"],
                                           "sample_rates": [16000, 44100], "duration": 3.0}
    assert drift._audio_summary(items[2:]) == {"codecs": ["undecodable (AudioDecodeError)"], "sample_rates": [],
                                               "duration": None}
