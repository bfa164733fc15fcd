"""Bounded memory wherever audio or bodies come in: decoding, the report, caches, ``serve``, the clients.

A hostile provider or gateway chooses the size of what the kit reads: a 60 KB FLAC that decodes to
3.6 GB, a gzip body that inflates to 1 GB, a 200 MB upload. Each test below builds one honestly
(no mocks of the thing under test) and checks that it is refused, or read only in part, before the
memory is spent. The last tests run the bombs in child processes and read their peak memory.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import importlib
import io
import json
import math
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile

from conformance.audio.decoding import AudioDecodeError, decode, encode
from conformance.audio.expect import expect_audio
from conformance.clients import ProtocolError
from conformance.providers.elevenlabs.client import AsyncElevenLabsClient, ElevenLabsClient
from conformance.report.records import MAX_CLIP_SECONDS, encode_audio
from conformance.simulators import Simulator
from conformance.simulators import audio as sim_audio
from conformance.simulators.server import serve_in_thread
from conformance.spec import get

probe_module = importlib.import_module("conformance.audio.probe")  # (``conformance.audio.probe`` is also a function)
MiB = 2**20
KEY = "sk-memory-bounds-test"
VOICE = "JBFqnCBsd6RMkjVDRZzb"
STS_PATH = get("elevenlabs.speech_to_speech").path.replace("{voice_id}", VOICE)
DEFAULT_SAMPLE_CAP = "57,600,000"  # 600 s of 48 kHz stereo

# ---------------------------------------------------------------------------------------------
# bombs, built honestly
# ---------------------------------------------------------------------------------------------


def _crc8(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16_table() -> list[int]:
    table = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x8005) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
        table.append(c)
    return table


_CRC16 = _crc16_table()


def _crc16(data: bytes) -> int:
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ b]
    return crc


def _utf8_number(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x800:
        return bytes([0xC0 | n >> 6, 0x80 | n & 0x3F])
    return bytes([0xE0 | n >> 12, 0x80 | (n >> 6) & 0x3F, 0x80 | n & 0x3F])


def silent_flac(seconds: float, rate: int = 192000, channels: int = 8, block: int = 65535) -> bytes:
    """A valid FLAC stream of ``seconds`` of digital silence: every subframe is CONSTANT (3 bytes), so
    590 s of 192 kHz 7.1 audio (906 M samples, 3.6 GB as float32) is a 60 KB file. Nothing lies: it
    decodes to exactly what its STREAMINFO says."""
    total = int(seconds * rate)
    rate_code = {192000: 0b0011, 96000: 0b1011, 48000: 0b1010, 44100: 0b1001}[rate]
    info = struct.pack(">HH", block, block) + b"\0" * 6
    info += ((rate << 44) | ((channels - 1) << 41) | (15 << 36) | total).to_bytes(8, "big") + b"\0" * 16
    out = bytearray(b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info)
    done = n = 0
    while done < total:
        size = min(block, total - done)
        header = bytes([0xFF, 0xF8, 0x70 | rate_code, ((channels - 1) << 4) | (0b100 << 1)])
        header += _utf8_number(n) + struct.pack(">H", size - 1)
        frame = header + bytes([_crc8(header)]) + b"\0\0\0" * channels  # CONSTANT subframes of 0
        out += frame + struct.pack(">H", _crc16(frame))
        done += size
        n += 1
    return bytes(out)


def gzip_zeros(size: int) -> bytes:
    """A valid gzip stream of ``size`` zero bytes (a multiple of 1 MiB), about ``size / 1000`` long:
    each 1 MiB is deflated once and repeated (a full flush makes every block the same)."""
    chunk = bytes(MiB)
    d = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = d.compress(chunk) + d.flush(zlib.Z_FULL_FLUSH)
    end = d.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(size // MiB):
        crc = zlib.crc32(chunk, crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + block * (size // MiB) + end
            + struct.pack("<II", crc, size & 0xFFFFFFFF))


def wav_header(rate: int, channels: int, bits: int, data_len: int, *, junk: int = 0) -> bytes:
    """A RIFF/WAVE header (PCM), with a ``junk`` chunk of that many zero bytes before the data chunk."""
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits)
    extra = (b"junk" + struct.pack("<I", junk) + bytes(junk)) if junk else b""
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + extra + b"data" + struct.pack("<I", data_len)
    return b"RIFF" + struct.pack("<I", len(body) + data_len) + body


def speech_like(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(7)
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
            + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture
def no_sample_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail the test at the first attempt to read samples: a refusal must come from the header."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(f"{args[1:2]} {kwargs}")
        raise AssertionError("the decoder started reading samples (allocating them) instead of refusing the "
                             "header's claim first")

    monkeypatch.setattr(soundfile.SoundFile, "read", refuse)
    monkeypatch.setattr(soundfile, "read", refuse)
    return attempts


# ---------------------------------------------------------------------------------------------
# 1. decoding caps rate × channels × seconds, from the header
# ---------------------------------------------------------------------------------------------


def _assert_names_the_claim(message: str, rate: str, channels: str, seconds: str, cap: str) -> None:
    for part in (f"{rate} Hz", f"{channels} ch", seconds, f"{cap} samples", "max_samples=",
                 "VOICE_CONFORMANCE_MAX_SAMPLES"):
        assert part in message, f"the error should name {part!r}: {message}"


def test_a_small_flac_claiming_hundreds_of_millions_of_samples_is_refused_from_its_header(no_sample_reads):
    bomb = silent_flac(590)
    assert len(bomb) < 100_000, "the bomb should be a small file"
    with pytest.raises(AudioDecodeError) as strict:
        decode(bomb)
    _assert_names_the_claim(str(strict.value), "192000", "8", "590.0 s", DEFAULT_SAMPLE_CAP)
    with pytest.raises(AudioDecodeError) as lenient:  # as the simulators read uploads: no duration cap
        decode(bomb, strict=False, max_duration=math.inf)
    _assert_names_the_claim(str(lenient.value), "192000", "8", "590.0 s", DEFAULT_SAMPLE_CAP)
    with pytest.raises(AudioDecodeError, match=f"{DEFAULT_SAMPLE_CAP} samples"):  # the audio checks read it so
        expect_audio(bomb).duration_between(0, 1000)
    assert no_sample_reads == []


def test_a_wav_or_raw_claiming_more_samples_than_the_cap_is_refused_before_reading(tmp_path, monkeypatch,
                                                                                   no_sample_reads):
    # 590 s of 192 kHz 7.1 16-bit PCM: under the 600 s cap, 906 M samples; a sparse 1.8 GB file on disk
    path = tmp_path / "huge.wav"
    data_len = 590 * 192000 * 8 * 2
    with path.open("wb") as fh:
        fh.write(wav_header(192000, 8, 16, data_len))
        fh.truncate(fh.tell() + data_len)
    with pytest.raises(AudioDecodeError) as err:
        decode(path)
    _assert_names_the_claim(str(err.value), "192000", "8", "590.0 s", DEFAULT_SAMPLE_CAP)

    # headerless audio: the caller's rate and channels are the claim; the cap is settable
    monkeypatch.setenv("VOICE_CONFORMANCE_MAX_SAMPLES", "40000")
    with pytest.raises(AudioDecodeError) as raw:
        decode(bytes(80_000), sample_rate=8000, sample_format="u8", channels=8, max_duration=math.inf,
               strict=False)
    _assert_names_the_claim(str(raw.value), "8000", "8", "1.2 s", "40,000")
    assert no_sample_reads == []


def test_audio_within_the_sample_cap_still_decodes_and_the_cap_can_be_raised(monkeypatch):
    stereo = np.stack([speech_like(1.0, 48000)] * 2)
    assert decode(encode(stereo, 48000, "wav")).samples.shape == (2, 48000)
    monkeypatch.setenv("VOICE_CONFORMANCE_MAX_SAMPLES", "40000")
    with pytest.raises(AudioDecodeError, match="48000 Hz × 2 ch × 1.0 s = 96,000 samples"):
        decode(encode(stereo, 48000, "wav"))
    assert decode(encode(stereo, 48000, "wav"), max_samples=96_000).samples.shape == (2, 48000)
    assert decode(bytes(80_000), sample_rate=8000, sample_format="u8", channels=8,
                  max_samples=math.inf).samples.shape == (8, 10_000)
    monkeypatch.delenv("VOICE_CONFORMANCE_MAX_SAMPLES")
    # the start of the bomb is real audio: the first half second decodes
    head = decode(silent_flac(590), strict=False, max_duration=math.inf, first_seconds=0.5)
    assert head.samples.shape == (8, 96000)


# ---------------------------------------------------------------------------------------------
# 2. the report reads only the clip it keeps
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_report_audio_decodes_only_the_seconds_it_keeps(fmt, monkeypatch):
    rate, seconds = 16000, 180.0
    data = encode(speech_like(seconds, rate), rate, fmt)
    frames_read: list[int] = []
    read = soundfile.SoundFile.read

    def counting(self: soundfile.SoundFile, *args: Any, **kwargs: Any) -> Any:
        out = read(self, *args, **kwargs)
        frames_read.append(len(out))
        return out

    monkeypatch.setattr(soundfile.SoundFile, "read", counting)
    clip = encode_audio(data)
    assert "error" not in clip, clip.get("error")
    kept = (MAX_CLIP_SECONDS + 1) * rate
    assert sum(frames_read) <= kept, (f"the report decoded {sum(frames_read)} frames ({sum(frames_read) / rate:.0f} s) "
                                      f"of a {seconds:.0f} s {fmt} file to keep {MAX_CLIP_SECONDS:g} s")
    assert clip["duration"] == pytest.approx(MAX_CLIP_SECONDS, abs=0.1)


# ---------------------------------------------------------------------------------------------
# 3. caches are bounded in bytes
# ---------------------------------------------------------------------------------------------


def _retained(make: Any, count: int) -> int:
    """Bytes still allocated after ``make(i)`` ran ``count`` times and every reference of ours is gone."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            make(i)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_the_probe_cache_keeps_at_most_32_mib_and_never_a_body_larger_than_that():
    probe_module._recent.clear()
    header = wav_header(16000, 1, 16, MiB)

    def probe_one(i: int) -> None:
        body = header + bytes(MiB - 2) + struct.pack("<H", i)  # distinct bodies of 1 MiB
        probe_module.probe(body)

    held = _retained(probe_one, 64)
    assert held <= 33 * MiB, f"probing 64 bodies of 1 MiB left {held / MiB:.0f} MiB cached (budget: 32 MiB)"

    probe_module._recent.clear()
    big_header = wav_header(16000, 1, 16, 40 * MiB)
    held = _retained(lambda i: probe_module.probe(big_header + bytes(40 * MiB)), 1)
    assert held < MiB, f"a 40 MiB body probed once stayed cached ({held / MiB:.0f} MiB)"
    # the cache still serves repeats
    body = header + bytes(MiB)
    assert probe_module.probe(body) is probe_module.probe(body)


def test_simulator_files_are_bounded_in_bytes_and_keep_the_newest():
    sim = Simulator("elevenlabs")
    blob = bytes(MiB)  # one object hosted under many names: the test itself holds 1 MiB
    for i in range(400):
        sim.host_file(blob, f"f{i}.wav")
    held = sum(len(f.data) for f in sim.files.values())
    assert held <= 256 * MiB, f"the simulator holds {held / MiB:.0f} MiB of hosted files (budget: 256 MiB)"
    assert "f399.wav" in sim.files and "f0.wav" not in sim.files


def test_decoded_uploads_are_cached_within_a_budget_that_counts_the_upload_itself():
    sim_audio._references.clear()
    tone = (speech_like(0.2, 16000) * 32767).astype("<i2").tobytes()

    def upload(i: int) -> None:  # 8 MiB of upload (a junk chunk) around 0.2 s of audio
        data = wav_header(16000, 1, 16, len(tone), junk=8 * MiB - 2) + tone
        data = data[:-2] + struct.pack("<h", i)  # distinct uploads
        sim_audio.audio_reference(data)

    held = _retained(upload, 12)
    assert held <= 66 * MiB, (f"12 uploads of 8 MiB left {held / MiB:.0f} MiB in the decoded-upload cache "
                              f"(budget: 64 MiB, uploads included)")


# ---------------------------------------------------------------------------------------------
# 4. serve answers 413 before reading an oversized body whole
# ---------------------------------------------------------------------------------------------


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def _exchange(port: int, head: bytes, body: Iterable[bytes] = ()) -> bytes:
    """Send ``head`` then ``body`` (until the server stops taking it) on a raw socket; what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        try:
            for part in body:
                s.sendall(part)
        except OSError:  # the server closed the connection: it read no more
            pass
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except OSError:  # a reset after the answer (the rest of the upload was never read)
            pass
    return answer


def _json_answer(answer: bytes) -> tuple[int, dict[str, Any]]:
    assert answer, "the server sent nothing back"
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def test_serve_answers_413_to_an_oversized_content_length_without_reading_the_body():
    with serve_in_thread(Simulator("elevenlabs")) as server:
        head = (f"POST {STS_PATH} HTTP/1.1\r\nhost: x\r\nxi-api-key: k\r\ncontent-type: multipart/form-data; "
                f"boundary=b\r\ncontent-length: {200 * MiB}\r\n\r\n").encode()
        status, body = _json_answer(_exchange(_port(server.base_url), head))  # no body is ever sent
        assert status == 413, body
        limit = body["limit_bytes"]
        assert str(limit) in body["detail"] and str(200 * MiB) in body["detail"]
        # an upload at ElevenLabs' documented 50 MB (even base64-encoded) still reaches the simulator,
        # which answers it with the provider's own error
        assert limit >= 50 * MiB * 4 // 3
        assert server.sim.calls == []


def test_serve_stops_reading_a_chunked_upload_once_it_passes_the_cap():
    chunk = bytes(MiB)

    def chunked(total: int) -> Iterator[bytes]:
        for _ in range(total // MiB):
            yield b"%x\r\n" % MiB + chunk + b"\r\n"
        yield b"0\r\n\r\n"

    with serve_in_thread(Simulator("elevenlabs")) as server:
        head = b"PUT /_simulator/files/big.wav HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
        status, body = _json_answer(_exchange(_port(server.base_url), head, chunked(200 * MiB)))
        assert status == 413, body
        assert "big.wav" not in server.sim.files
        assert "too large" in body["detail"] and str(body["limit_bytes"]) in body["detail"]


# ---------------------------------------------------------------------------------------------
# 5. client response bodies have a cap
# ---------------------------------------------------------------------------------------------


def _mock(handler: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_a_response_over_max_response_bytes_raises_a_protocol_error_naming_the_cap():
    assert ElevenLabsClient(api_key=KEY).max_response_bytes >= 100 * MiB  # the default: above any real audio

    declared = _mock(lambda r: httpx.Response(200, content=bytes(2 * MiB), headers={"content-type": "audio/mpeg"}))
    with pytest.raises(ProtocolError, match=r"declares 2097152 bytes .*max_response_bytes cap of 1048576 bytes"):
        ElevenLabsClient(api_key=KEY, http_client=declared, max_response_bytes=MiB).download("https://cdn.example/a")

    def endless(request: httpx.Request) -> httpx.Response:  # no Content-Length: counted as it streams
        return httpx.Response(200, content=(bytes(64 * 1024) for _ in range(10**6)),
                              headers={"content-type": "audio/mpeg"})

    client = ElevenLabsClient(api_key=KEY, http_client=_mock(endless), max_response_bytes=MiB)
    wav = encode(speech_like(1.0, 16000), 16000, "wav")
    with pytest.raises(ProtocolError, match=r"elevenlabs.speech_to_speech: .*cap of 1048576 bytes .*HTTP 200"):
        client.speech_to_speech(VOICE, wav)
    assert len(client.history) == 0  # not retried, nothing half-read kept


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap_sync_and_async():
    bomb = gzip_zeros(1024 * MiB)  # 1 GiB of zeros in 1 MB, sent in one piece
    headers = {"content-type": "audio/wav", "content-encoding": "gzip"}
    # (``stream=``: ``content=`` would make httpx inflate it whole in the mock, before any client sees it)
    tracemalloc.start()
    try:
        sync = _mock(lambda r: httpx.Response(200, stream=httpx.ByteStream(bomb), headers=headers))
        with pytest.raises(ProtocolError, match=r"passed 8388608 bytes .*max_response_bytes"):
            ElevenLabsClient(api_key=KEY, http_client=sync, max_response_bytes=8 * MiB).download("https://cdn.x/a")

        async def fetch() -> None:
            http = httpx.AsyncClient(transport=httpx.MockTransport(
                lambda r: httpx.Response(200, stream=httpx.ByteStream(bomb), headers=headers)))
            async with AsyncElevenLabsClient(api_key=KEY, http_client=http, max_response_bytes=8 * MiB) as c:
                await c.download("https://cdn.x/a")
            await http.aclose()

        with pytest.raises(ProtocolError, match=r"passed 8388608 bytes .*max_response_bytes"):
            asyncio.run(fetch())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * MiB, f"reading a gzip bomb with an 8 MiB cap peaked at {peak / MiB:.0f} MiB"
    # a gzipped body under the cap still inflates whole
    wav = encode(speech_like(2.0, 16000), 16000, "wav")
    ok = _mock(lambda r: httpx.Response(200, stream=httpx.ByteStream(gzip.compress(wav)), headers=headers))
    assert ElevenLabsClient(api_key=KEY, http_client=ok, max_response_bytes=MiB).download("https://cdn.x/a").audio == wav


# ---------------------------------------------------------------------------------------------
# 6. peak memory of child processes
# ---------------------------------------------------------------------------------------------

CLIENT_PEAK = 1536 * MiB  # a client process reading a bomb
SERVE_PEAK = 600 * MiB  # serve's resident memory after many oversized uploads

_CHILD = textwrap.dedent('''
    import json, math, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from pathlib import Path

    import httpx

    scenario, folder = sys.argv[1], Path(sys.argv[2])
    out = {}

    def outcome(fn):
        try:
            got = fn()
            return f"ok: {type(got).__name__}"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    if scenario == "audio":
        from conformance.audio.decoding import decode
        from conformance.audio.expect import expect_audio
        from conformance.report.records import encode_audio

        bomb = (folder / "bomb.flac").read_bytes()
        out["decode"] = outcome(lambda: decode(bomb))
        out["lenient"] = outcome(lambda: decode(bomb, strict=False, max_duration=math.inf))
        out["expect_audio"] = outcome(lambda: expect_audio(bomb).duration_between(0, 1000))
        clip = encode_audio(bomb)
        out["report"] = clip.get("error") or f"clip of {clip['duration']:.1f} s"
    else:
        from conformance.providers.elevenlabs.client import ElevenLabsClient

        bomb = (folder / "bomb.gz").read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("content-type", "audio/wav")
                self.send_header("content-encoding", "gzip")
                self.send_header("content-length", str(len(bomb)))
                self.end_headers()
                try:
                    self.wfile.write(bomb)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/out.wav"
        out["local server"] = outcome(lambda: ElevenLabsClient(api_key="k").download(url))
        mock = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(
            200, stream=httpx.ByteStream(bomb), headers={"content-type": "audio/wav", "content-encoding": "gzip"})))
        out["mock transport"] = outcome(lambda: ElevenLabsClient(api_key="k", http_client=mock).download(url))
        server.shutdown()
    print(json.dumps(out))
''')


def _limit_address_space() -> None:  # a reverted fix fails with MemoryError, not by taking the machine
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024 * MiB, 4 * 1024 * MiB))


def _run_child(scenario: str, folder: Path) -> tuple[dict[str, str], int]:
    """Run a scenario in a child process; its JSON output and its own peak resident memory (bytes)."""
    stdout, stderr = folder / f"{scenario}.out", folder / f"{scenario}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, scenario, str(folder)], stdout=out, stderr=err,
                                preexec_fn=_limit_address_space, cwd=Path(__file__).resolve().parents[1])
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (ru_maxrss in KiB on Linux)
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = stdout.read_text().strip()
    assert proc.returncode == 0 and text, (f"the {scenario} child failed (exit {proc.returncode}): "
                                           f"{stderr.read_text()[-2000:]}")
    return json.loads(text.splitlines()[-1]), usage.ru_maxrss * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux rusage and /proc")
def test_an_audio_bomb_costs_a_client_process_under_the_memory_bound(tmp_path):
    (tmp_path / "bomb.flac").write_bytes(silent_flac(590))
    results, peak = _run_child("audio", tmp_path)
    for step in ("decode", "lenient", "expect_audio"):
        assert results[step].startswith("AudioDecodeError") and DEFAULT_SAMPLE_CAP in results[step], results
    assert results["report"] == f"clip of {MAX_CLIP_SECONDS:.1f} s", results  # the start, read alone
    assert peak <= CLIENT_PEAK, (f"decoding a 60 KB FLAC bomb peaked at {peak / MiB:.0f} MiB resident "
                                 f"(bound: {CLIENT_PEAK / MiB:.0f} MiB): {results}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux rusage and /proc")
def test_a_gzip_bomb_costs_a_client_process_under_the_memory_bound(tmp_path):
    (tmp_path / "bomb.gz").write_bytes(gzip_zeros(1024 * MiB))
    results, peak = _run_child("http", tmp_path)
    for step in ("local server", "mock transport"):
        assert results[step].startswith("ResponseTooLarge") and "max_response_bytes" in results[step], results
    assert peak <= CLIENT_PEAK, (f"a client reading a 1 GiB gzip bomb peaked at {peak / MiB:.0f} MiB resident "
                                 f"(bound: {CLIENT_PEAK / MiB:.0f} MiB): {results}")


def _vm_hwm(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]


def _start_serve() -> tuple[subprocess.Popen[str], int]:
    exe = os.path.join(os.path.dirname(sys.executable), "voice-conformance")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "conformance.cli"]
    proc = subprocess.Popen([*cmd, "serve", "--port", "0", "--providers", "elevenlabs"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_limit_address_space)
    assert proc.stdout is not None
    for _ in range(20):
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if found:
            return proc, int(found.group(1))
        if not line:
            break
    proc.kill()
    raise AssertionError(f"serve did not start: {proc.communicate()[1][-2000:]}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_serve_stays_flat_when_sent_many_oversized_uploads():
    size = 200 * MiB
    chunk = bytes(MiB)
    wav = wav_header(16000, 1, 16, size)
    part = (b"--b\r\ncontent-disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
            b"content-type: audio/wav\r\n\r\n" + wav)
    tail = b"\r\n--b--\r\n"

    def multipart() -> Iterator[bytes]:
        yield part
        for _ in range(size // MiB):
            yield chunk
        yield tail

    def chunked() -> Iterator[bytes]:
        for piece in multipart():
            yield b"%x\r\n" % len(piece) + piece + b"\r\n"
        yield b"0\r\n\r\n"

    proc, port = _start_serve()
    try:
        start = _vm_hwm(proc.pid)
        statuses = []
        for i in range(8):
            framing = (f"content-length: {len(part) + size + len(tail)}" if i % 2 == 0
                       else "transfer-encoding: chunked")
            head = (f"POST {STS_PATH} HTTP/1.1\r\nhost: x\r\nxi-api-key: k\r\n"
                    f"content-type: multipart/form-data; boundary=b\r\n{framing}\r\n\r\n").encode()
            answer = _exchange(port, head, multipart() if i % 2 == 0 else chunked())
            statuses.append(int(answer.split(b" ", 2)[1]) if answer else None)
        peak = _vm_hwm(proc.pid)
        assert httpx.get(f"http://127.0.0.1:{port}/_simulator/calls", timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert peak <= SERVE_PEAK, (f"serve peaked at {peak / MiB:.0f} MiB resident (from {start / MiB:.0f} MiB) after "
                                f"8 uploads of 200 MiB (bound: {SERVE_PEAK / MiB:.0f} MiB); answers: {statuses}")
    assert peak - start < 128 * MiB, f"serve grew by {(peak - start) / MiB:.0f} MiB; answers: {statuses}"
    assert all(s in (413, None) for s in statuses) and 413 in statuses, statuses


def test_the_bombs_are_what_they_claim():
    """The builders above make real bombs: the FLAC decodes (a short one, here) and the gzip inflates."""
    y, rate = soundfile.read(io.BytesIO(silent_flac(2.0, rate=48000, channels=2)), dtype="float32")
    assert rate == 48000 and y.shape == (96000, 2) and not y.any()
    d = zlib.decompressobj(31)
    assert d.decompress(gzip_zeros(4 * MiB)) == bytes(4 * MiB) and d.eof
    info = probe_module.probe(silent_flac(590))
    assert (info.sample_rate, info.channels, info.duration) == (192000, 8, pytest.approx(590.0))
