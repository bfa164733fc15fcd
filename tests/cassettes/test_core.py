"""Scrubbing, sidecar bodies, fingerprint matching and replay of the cassette machinery."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from conformance.cassettes.match import fingerprint
from conformance.cassettes.recorder import HostRewriter, block_network, use_cassette
from conformance.cassettes.scrub import PLACEHOLDER, Scrubber
from conformance.cassettes.store import SidecarError, load_yaml

SECRET = "sk-sentinel-7f3a9c"


def _multipart(boundary: str, audio: bytes) -> tuple[bytes, str]:
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model_id\"\r\n\r\neleven_english_sts_v2\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_scrubber_replaces_headers_json_key_query_and_echoes():
    s = Scrubber(from_env=False)
    assert s.header("xi-api-key", SECRET) == PLACEHOLDER
    assert s.header("Authorization", f"Bearer {SECRET}x") == f"Bearer {PLACEHOLDER}"
    assert s.header("Cookie", "session=abc123") == PLACEHOLDER
    body = s.body(json.dumps({"key": "ml-key-1234", "init_audio": "x", "meta": {"key": "ml-key-1234"}}).encode(),
                  "application/json")
    assert b"ml-key-1234" not in body and json.loads(body)["meta"]["key"] == PLACEHOLDER
    assert "q-secret-99" not in s.url("https://h/p?key=q-secret-99&a=1")
    # values learned from requests are scrubbed where a response echoes them
    echoed = s.response({"headers": {"x-echo": [SECRET]}, "body": {"string": f"bad key {SECRET}x".encode()}})
    assert SECRET not in json.dumps(echoed, default=str)
    user = Scrubber(["my-registered-value"], from_env=False)
    assert user.text("a my-registered-value b") == f"a {PLACEHOLDER} b"


def test_multipart_fingerprint_ignores_the_boundary_but_not_the_audio():
    a1, c1 = _multipart("aaaa1111", b"RIFF-audio-1")
    a2, c2 = _multipart("bbbb2222", b"RIFF-audio-1")
    a3, c3 = _multipart("cccc3333", b"RIFF-audio-2")
    assert fingerprint(a1, c1) == fingerprint(a2, c2)
    assert fingerprint(a1, c1) != fingerprint(a3, c3)
    assert fingerprint(a1, c1)["files"]["audio"]["sha256"] == hashlib.sha256(b"RIFF-audio-1").hexdigest()


def _server(audio: bytes) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/speech-to-speech"):
            return httpx.Response(200, content=audio, headers={"content-type": "audio/mpeg"})
        data = json.loads(request.content)
        return httpx.Response(401, json={"status": "error", "message": f"Invalid API key {data['key']}"})

    return httpx.MockTransport(handle)


def test_record_then_replay_is_byte_identical_scrubbed_and_boundary_free(tmp_path):
    audio = bytes(range(256)) * 64  # binary: goes to a sidecar
    path = tmp_path / "c" / "x.yaml"
    scrubber = Scrubber([SECRET], from_env=False)
    body, ctype = _multipart("boundary-one", b"RIFF-in")
    with use_cassette(path, record_mode="once", scrubber=scrubber, request_bodies="full"), \
            httpx.Client(transport=httpx.HTTPTransport()) as c:
        c._transport = _server(audio)  # vcrpy patches the transport class; the mock answers the recording
        r1 = c.post("https://api.elevenlabs.io/v1/speech-to-speech/v", content=body,
                    headers={"content-type": ctype, "xi-api-key": SECRET})
        r2 = c.post("https://modelslab.com/api/v1/enterprise/voice/fetch/1", json={"key": SECRET})
    assert r1.content == audio and r2.status_code == 401
    files = list(tmp_path.rglob("*"))
    assert not any(SECRET.encode() in f.read_bytes() for f in files if f.is_file())
    sidecars = list((tmp_path / "c" / "bodies").glob("*.bin"))
    assert hashlib.sha256(audio).hexdigest() + ".bin" in {p.name for p in sidecars}
    text = path.read_text()
    assert len(text) < 4000 and "boundary-one" in text  # readable, small: audio lives beside it

    other_body, other_ctype = _multipart("another-boundary", b"RIFF-in")
    with use_cassette(path, record_mode="none", scrubber=Scrubber(from_env=False)), block_network([]), \
            httpx.Client() as c:
        again = c.post("https://api.elevenlabs.io/v1/speech-to-speech/v", content=other_body,
                       headers={"content-type": other_ctype, "xi-api-key": "a-different-key"})
        assert again.content == audio
        assert c.post("https://modelslab.com/api/v1/enterprise/voice/fetch/1",
                      json={"key": "another"}).json()["message"] == f"Invalid API key {PLACEHOLDER}"

    # a request that differs in meaning (other audio) is not replayed
    changed, changed_ctype = _multipart("b3", b"RIFF-other")
    from vcr.errors import CannotOverwriteExistingCassetteException

    with use_cassette(path, record_mode="none"), httpx.Client() as c, \
            pytest.raises(CannotOverwriteExistingCassetteException):
        c.post("https://api.elevenlabs.io/v1/speech-to-speech/v", content=changed,
               headers={"content-type": changed_ctype})

    # a tampered sidecar fails loudly instead of replaying other bytes
    side = tmp_path / "c" / "bodies" / (hashlib.sha256(audio).hexdigest() + ".bin")
    side.write_bytes(audio[:-1] + b"\x00")
    with pytest.raises(SidecarError), use_cassette(path, record_mode="none"):
        pass
    assert load_yaml(path)["metadata"]["recorded_at"]


def test_host_rewriter_maps_loopback_to_provider_and_files_hosts():
    rw = HostRewriter(["http://127.0.0.1:5555"])
    assert rw.url("http://127.0.0.1:5555/v3/minimax-voice-cloning", "POST") == \
        "https://api.novita.ai/v3/minimax-voice-cloning"
    assert rw.url("http://127.0.0.1:5555/_simulator/files/ab.wav") == "https://files.simulator.invalid/ab.wav"
    out = rw.text('{"fetch_result":"http://127.0.0.1:5555/api/v1/enterprise/voice/fetch/7"}')
    assert "https://modelslab.com/api/v1/enterprise/voice/fetch/7" in out


def test_block_network_refuses_non_loopback():
    import socket

    with block_network(["127.0.0.1"]), pytest.raises(OSError, match="network blocked"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_prune_sidecars_removes_only_bodies_no_cassette_points_to(tmp_path):
    from conformance.cassettes.store import prune_sidecars, write_sidecar, write_yaml

    bodies = tmp_path / "m" / "bodies"
    kept, dropped = write_sidecar(bodies, b"kept-audio" * 500), write_sidecar(bodies, b"old-audio" * 500)
    rel = f"../bodies/{kept}.bin"
    write_yaml(tmp_path / "m" / "t" / "a.yaml", {"version": 1, "metadata": {}, "interactions": [
        {"request": {"method": "GET", "uri": "https://h/x", "headers": {}, "body": None},
         "response": {"status": {"code": 200}, "headers": {},
                      "body": {"sidecar": rel, "sha256": kept, "size": 5000}}}]})
    gone = prune_sidecars(tmp_path / "m")
    assert [p.name for p in gone] == [f"{dropped}.bin"]
    assert (bodies / f"{kept}.bin").exists() and not (bodies / f"{dropped}.bin").exists()


def test_hypothesis_draws_no_constants_from_loaded_modules_while_cassettes_are_in_use(tmp_path, monkeypatch):
    """Which project modules are loaded depends on test order and on recording vs replay; hypothesis
    must not draw constants from them, or a replayed test would send other requests than it recorded."""
    import importlib
    import sys

    from hypothesis.internal.conjecture import providers

    from conformance.cassettes.plugin import pin_hypothesis_constants

    (tmp_path / "odd_constants_mod.py").write_text("MAGIC = 987654321\nWORD = 'zebra-quartz-constant'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    restore = pin_hypothesis_constants()
    assert restore is not None
    try:
        importlib.import_module("odd_constants_mod")
        assert len(providers._get_local_constants()) == 0
    finally:
        restore()
        sys.modules.pop("odd_constants_mod", None)
    assert providers._get_local_constants is not None and providers._get_local_constants.__name__ == \
        "_get_local_constants"
