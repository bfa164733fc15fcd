"""The same simulators over real loopback HTTP: in a thread, and as ``voice-conformance serve``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
import requests

from conformance import clients as c
from conformance.simulators import Simulator
from conformance.simulators.server import serve_in_thread
from conformance.spec import get
from tests.simulators.conftest import speech_wav

VOICE = "JBFqnCBsd6RMkjVDRZzb"
STS_PATH = get("elevenlabs.speech_to_speech").path.replace("{voice_id}", VOICE)


def test_reference_clients_over_loopback(simulator_server):
    base = simulator_server.base_url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
    out = c.ElevenLabsClient("k", base_url=base).speech_to_speech(VOICE, speech_wav("en_kal", 2.0),
                                                                   output_format="wav_24000")
    assert (out.format, out.sample_rate) == ("wav", 24000)
    assert out.headers["request-id"]

    ml = c.ModelsLabClient("k", base_url=base, poll_interval=0.0)
    job = ml.voice_to_voice(speech_wav("en_kal", 2.0), speech_wav("en_slt", 5.0))
    assert job.output[0].startswith(base + "/")  # outputs are served by this server
    assert ml.download(job.output[0]).format == "wav"

    url = httpx.put(f"{base}/_simulator/files/ref.wav", content=speech_wav("en_slt", 11.0)).json()["url"]
    clone = c.NovitaClient("k", base_url=base).minimax_voice_cloning(url, text="Hi there.", model="speech-02-hd")
    assert clone.demo_audio_url.startswith(base + "/")


def test_faults_over_loopback_break_the_connection_like_a_real_server(simulator_server):
    base = simulator_server.base_url
    client = c.NovitaClient("k", base_url=base, retry=c.NO_RETRY, timeout=0.5)
    url = simulator_server.sim.host_file(speech_wav("en_slt", 11.0), "r.wav")
    httpx.post(f"{base}/_simulator/faults", json={"fault": "truncated_body"}).raise_for_status()
    with pytest.raises(c.ProtocolError, match="connection broke"):
        client.minimax_voice_cloning(url)
    httpx.post(f"{base}/_simulator/faults", json={"fault": "timeout", "served_seconds": 5}).raise_for_status()
    with pytest.raises(c.RequestTimeout):
        client.minimax_voice_cloning(url)
    httpx.post(f"{base}/_simulator/faults", json={"fault": "rate_limit", "retry_after": 3}).raise_for_status()
    with pytest.raises(c.RateLimited) as err:
        client.minimax_voice_cloning(url)
    assert err.value.retry_after == 3
    assert client.minimax_voice_cloning(url).voice_id
    calls = httpx.get(f"{base}/_simulator/calls").json()
    assert [call["faults"] for call in calls[-4:]] == [["truncated_body"], ["timeout"], ["rate_limit"], []]
    assert httpx.post(f"{base}/_simulator/faults", json={"fault": "nope"}).status_code == 400


def test_deep_json_over_loopback_is_the_unreadable_body_error_not_a_500(simulator_server):
    base = simulator_server.base_url
    headers = {"authorization": "Bearer k", "content-type": "application/json"}
    r = httpx.post(f"{base}/v3/minimax-voice-cloning", content=b"[" * 100_000, headers=headers)
    assert (r.status_code, r.json()["reason"], r.json()["message"]) == (400, "INVALID_REQUEST_BODY",
                                                                        "request body is not valid JSON")
    bad = httpx.post(f"{base}/_simulator/faults", json={"fault": "latency", "seconds": 1e308})
    assert bad.status_code == 400 and bad.json()["field"] == "seconds" and "from 0 to 60" in bad.json()["error"]


def test_requests_library_client_over_loopback():
    with serve_in_thread(Simulator("elevenlabs")) as server:
        r = requests.post(server.base_url + STS_PATH, headers={"xi-api-key": "k"},
                          params={"output_format": "pcm_16000"},
                          files={"audio": ("in.wav", speech_wav("en_kal", 2.0), "audio/wav")}, timeout=10)
        assert r.status_code == 200 and len(r.content) == 2 * 16000 * 2
        r = requests.post(server.base_url + STS_PATH, headers={"xi-api-key": "k"}, timeout=10)
        assert r.status_code == 422
        # a provider that is not simulated on this server is not found
        assert requests.post(server.base_url + "/v3/minimax-voice-cloning", json={}, timeout=10).status_code == 404


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    exe = os.path.join(os.path.dirname(sys.executable), "voice-conformance")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "conformance.cli"]
    proc = subprocess.Popen([*cmd, "serve", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = re.match(r"\s+(\w+)\s+(http://\S+)", line)
        if found:
            urls[found.group(1)] = found.group(2)
            if found.group(1) == "files":
                return proc, urls
    proc.kill()
    with proc.stdout, proc.stderr:  # type: ignore[union-attr]
        raise AssertionError(f"serve did not start: {proc.stderr.read()}")  # type: ignore[union-attr]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_serve_prints_base_urls_answers_and_stops_cleanly(sig):
    proc, urls = _start_cli("--providers", "elevenlabs,novita", "--key", "good")
    try:
        assert set(urls) == {"elevenlabs", "novita", "files"}
        base = urls["elevenlabs"]
        assert base.startswith("http://127.0.0.1:") and urls["novita"] == base
        out = c.ElevenLabsClient("good", base_url=base).speech_to_speech(VOICE, speech_wav("en_kal", 1.0))
        assert out.format == "mp3"
        with pytest.raises(c.AuthError):
            c.ElevenLabsClient("other", base_url=base).speech_to_speech(VOICE, speech_wav("en_kal", 1.0))
    finally:
        proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert rc == 0
    with proc.stdout, proc.stderr:  # type: ignore[union-attr]
        assert "stopped" in proc.stdout.read()  # type: ignore[union-attr]


def test_cli_rejects_unknown_providers():
    from click.testing import CliRunner

    from conformance.cli import main

    result = CliRunner().invoke(main, ["serve", "--providers", "acme"])
    assert result.exit_code != 0 and "unknown provider 'acme'" in result.output


def test_a_stopped_server_leaves_no_job_clock_running():
    sim = Simulator("modelslab", job_seconds=30)
    with serve_in_thread(sim) as server:
        body = {"key": "k", "init_audio": sim.host_file(speech_wav("en_kal", 2.0), "a.wav"),
                "target_audio": sim.host_file(speech_wav("en_slt", 5.0), "b.wav"),
                "webhook": "http://127.0.0.1:9/never"}
        assert httpx.post(server.base_url + get("modelslab.voice_to_voice").path, json=body).json()["status"] \
            == "processing"
        timers = list(sim.providers["modelslab"]._timers)
        assert len(timers) == 1 and timers[0].is_alive()
    timers[0].join(2)
    assert not timers[0].is_alive() and sim.webhooks == []


def test_the_server_answers_without_waiting_for_the_clients_acknowledgement() -> None:
    """Nagle's algorithm is off for the listening socket and, through it, every connection (inherited,
    and set by asyncio, which does so only for a socket that names TCP as its protocol). With it on,
    an answer's body waits for the acknowledgement of its headers, which clients delay by 40 ms: each
    request over the loopback server took 44 ms."""
    import socket

    with serve_in_thread(Simulator("faseeh", seed=1)) as server:
        assert server.sock.proto == socket.IPPROTO_TCP
        assert server.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        with socket.create_connection(server.sock.getsockname()[:2]) as client:
            client.sendall(b"GET /_simulator/calls HTTP/1.1\r\nhost: x\r\n\r\n")
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
