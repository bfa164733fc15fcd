"""probe() reads headers, decode() reads samples; both refuse bad input with a named problem."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from conformance.audio import corpus
from conformance.audio.decoding import Decoded, RawFormat, as_decoded, decode, encode
from conformance.audio.probe import AudioDecodeError, CodecUnavailableError, probe, raw_info, sniff

EXPECTED = {  # container, codec, rate, channels
    "wav": ("wav", "pcm", 44100, 1), "flac": ("flac", "flac", 44100, 1), "ogg": ("ogg", "vorbis", 44100, 1),
    "mp3": ("mp3", "mp3", 44100, 1), "opus": ("ogg", "opus", 48000, 1), "m4a": ("m4a", "aac", 44100, 1),
    "aac": ("aac", "aac", 44100, 1),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_probe_reads_every_container_from_its_header(speech_bytes, kind):
    info = probe(speech_bytes[kind])
    assert (info.format, info.codec, info.sample_rate, info.channels) == EXPECTED[kind]
    assert info.size == len(speech_bytes[kind])
    if kind != "aac":  # ADTS has no length field
        assert info.duration == pytest.approx(4.0, abs=0.06)
    if kind in ("mp3", "m4a", "ogg", "opus"):
        assert info.bitrate and 30_000 < info.bitrate < 200_000


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_decode_gives_the_samples_back(speech_bytes, slt_44k, kind):
    d = decode(speech_bytes[kind])
    assert d.samples.dtype == np.float32 and d.samples.ndim == 1
    assert d.sample_rate == EXPECTED[kind][2]
    assert d.duration == pytest.approx(4.0, abs=0.06)
    if kind in ("wav", "flac"):  # lossless: the same samples to 16-bit precision
        assert np.max(np.abs(d.samples - slt_44k)) < 2 / 32768


def test_probe_takes_paths_bytes_and_file_objects(tmp_path, speech_bytes):
    path = tmp_path / "a.wav"
    path.write_bytes(speech_bytes["wav"])
    by_path, by_str = probe(path), probe(str(path))
    by_bytes, by_file = probe(speech_bytes["wav"]), probe(io.BytesIO(speech_bytes["wav"]))
    assert by_path == by_str == by_bytes == by_file
    with path.open("rb") as fh:
        assert decode(fh).duration == pytest.approx(4.0)


@pytest.mark.parametrize("fmt,width", [("s16le", 2), ("s24le", 3), ("f32le", 4), ("u8", 1), ("ulaw", 1), ("alaw", 1)])
def test_headerless_audio_with_the_callers_parameters(slt_44k, fmt, width):
    y = slt_44k[:8000 * 2]
    data = encode(y, 8000, fmt)
    assert len(data) == len(y) * width
    info = probe(data, sample_rate=8000, sample_format=fmt)
    assert info == raw_info(data, sample_rate=8000, sample_format=fmt)
    assert (info.format, info.sample_rate, info.duration) == ("raw", 8000, 2.0)
    d = decode(data, sample_rate=8000, sample_format=fmt)
    tolerance = {"u8": 0.01, "ulaw": 0.02, "alaw": 0.02}.get(fmt, 1e-3)
    assert np.max(np.abs(d.samples - y)) < tolerance


def test_raw_needs_its_rate_and_a_known_format():
    with pytest.raises(AudioDecodeError, match="sample_rate"):
        probe(b"\0\0" * 100, sample_format="s16le")
    with pytest.raises(AudioDecodeError, match="unknown raw sample format"):
        raw_info(b"\0" * 10, sample_rate=8000, sample_format="s12le")
    with pytest.raises(AudioDecodeError, match="positive sample rate"):
        decode(b"\0\0" * 10, sample_rate=0, sample_format="s16le")
    assert RawFormat.parse("ulaw_8000").sample_format == "ulaw"
    assert RawFormat.parse("pcm_24000").sample_rate == 24000


def _wav_with(field_offset: int, value: int, base: bytes) -> bytes:
    return base[:field_offset] + struct.pack("<I", value) + base[field_offset + 4:]


def bad_inputs(tmp_path) -> dict[str, tuple[object, str]]:
    y = corpus.make_clip("en_kal", 1.0, 16000)
    wav = encode(y, 16000, "wav")
    mp3 = encode(y, 16000, "mp3", bitrate_kbps=64)
    not_audio = tmp_path / "song.mp3"
    not_audio.write_text("<html><body>502 Bad Gateway</body></html>" * 20)
    return {
        "empty": (b"", "empty"),
        "garbage": (bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), "not a recognised"),
        "text with an audio extension": (not_audio, "not a recognised"),
        "truncated wav header": (wav[:30], "fmt chunk too short"),
        "truncated wav data": (wav[: len(wav) // 2], "truncated"),
        "truncated mp3": (mp3[: len(mp3) // 3], "truncated"),
        "NaN samples": (encode(np.array([0.1, np.nan, 0.2] * 100, np.float32), 16000, "wav", subtype="FLOAT"),
                        "non-finite"),
        "inf samples": (encode(np.array([0.1, np.inf] * 100, np.float32), 16000, "wav", subtype="FLOAT"),
                        "non-finite"),
        "zero sample rate": (_wav_with(24, 0, wav), "sample rate is 0"),
        "zero channels": (wav[:22] + b"\0\0" + wav[24:], "0 channels"),
        "header declaring hours": (_wav_with(40, 0xFFFF0000, wav), r"declares .*h"),
        "no data chunk": (wav[:36], "no data chunk"),
    }


def test_every_bad_input_raises_a_named_audio_decode_error(tmp_path):
    for name, (src, message) in bad_inputs(tmp_path).items():
        with pytest.raises(AudioDecodeError, match=message):
            decode(src)
        if name not in ("truncated wav data", "truncated mp3", "NaN samples", "inf samples",
                        "header declaring hours"):
            with pytest.raises(AudioDecodeError):
                probe(src)


def test_streamed_wav_with_a_placeholder_length_is_accepted():
    wav = encode(corpus.make_clip("en_kal", 1.0, 16000), 16000, "wav")
    streamed = _wav_with(40, 0xFFFFFFFF, wav)
    info = probe(streamed)
    assert info.declared_duration is None and info.duration == pytest.approx(1.0)
    assert decode(streamed).duration == pytest.approx(1.0)


def test_one_sample_decodes_but_is_too_short_to_analyse():
    from conformance.audio.analysis import analyze

    one = encode(np.array([0.5], np.float32), 16000, "wav")
    assert decode(one).samples.shape == (1,)
    with pytest.raises(AudioDecodeError, match="too short to analyse: 1 sample"):
        analyze(one)


def test_a_huge_file_is_refused_from_its_header_without_reading_it(tmp_path):
    """A 3 GiB sparse WAV (94 minutes at 48 kHz stereo) probes from its header and is refused."""
    path = tmp_path / "huge.wav"
    data_len = 3 * 1024**3
    header = (b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVE" + b"fmt " +
              struct.pack("<IHHIIHH", 16, 1, 2, 48000, 48000 * 4, 4, 16) + b"data" + struct.pack("<I", data_len))
    with path.open("wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + data_len)
    info = probe(path)
    assert info.duration == pytest.approx(data_len / 4 / 48000)
    with pytest.raises(AudioDecodeError, match="longer than the decode cap of 600 s"):
        decode(path)


def test_the_decode_cap_is_settable(monkeypatch):
    wav = encode(corpus.make_clip("en_kal", 3.0, 16000), 16000, "wav")
    with pytest.raises(AudioDecodeError, match="cap of 2 s"):
        decode(wav, max_duration=2)
    monkeypatch.setenv("VOICE_CONFORMANCE_MAX_SECONDS", "2.5")
    with pytest.raises(AudioDecodeError, match="cap of 2.5 s"):
        decode(wav)
    monkeypatch.setenv("VOICE_CONFORMANCE_MAX_SECONDS", "4")
    assert decode(wav).duration == pytest.approx(3.0)
    mp3 = encode(corpus.make_clip("en_kal", 3.0, 16000), 16000, "mp3")
    with pytest.raises(AudioDecodeError, match="cap"):
        decode(mp3, max_duration=1)


def test_without_ffmpeg_m4a_fails_with_a_clear_typed_error(speech_bytes, monkeypatch):
    import shutil

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name.startswith("ff") else real_which(name))
    with pytest.raises(CodecUnavailableError, match="needs ffmpeg"):
        decode(speech_bytes["m4a"])
    # formats libsndfile reads still decode
    assert decode(speech_bytes["mp3"]).sample_rate == 44100


def test_as_decoded_accepts_client_results_and_arrays(slt_44k):
    class Result:
        def __init__(self, audio, content_type, sample_rate=None, raw_format=None):
            self.audio, self.content_type, self.sample_rate, self.raw_format = audio, content_type, sample_rate, raw_format

    pcm = encode(slt_44k[:16000], 16000, "s16le")
    assert as_decoded(Result(pcm, "application/octet-stream", 16000, "s16le")).duration == pytest.approx(1.0)
    assert as_decoded(Result(pcm, "audio/pcm;rate=16000")).sample_rate == 16000
    ulaw = encode(slt_44k[:8000], 8000, "ulaw")
    assert as_decoded(Result(ulaw, "audio/basic")).duration == pytest.approx(1.0)
    assert as_decoded(Result(encode(slt_44k, 44100, "wav"), "audio/wav")).sample_rate == 44100
    d = as_decoded((slt_44k, 44100))
    assert isinstance(d, Decoded) and d.duration == pytest.approx(4.0)
    with pytest.raises(AudioDecodeError, match="no sample_rate"):
        as_decoded(Result(pcm, "application/octet-stream", None, "s16le"))
    with pytest.raises(AudioDecodeError, match="cannot read audio from int"):
        as_decoded(42)


def test_sniff_never_trusts_a_file_name(tmp_path, speech_bytes):
    disguised = tmp_path / "voice.mp3"
    disguised.write_bytes(speech_bytes["flac"])
    assert probe(disguised).format == "flac"
    assert sniff(b"ID3\x04") == "mp3" and sniff(b"\xff\xf1\x50\x80") == "aac" and sniff(b"MThd") is None


def test_importing_probe_and_corpus_stays_light():
    code = ("import sys; import conformance.audio, conformance.audio.probe, conformance.audio.corpus; "
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("sr", "kbps"), [(16000, 32), (22050, 64), (24000, 128), (44100, 128), (48000, 320)])
def test_mp3_decodes_in_this_process_as_ffmpeg_decodes_it(sr, kbps, monkeypatch):
    """MP3 is decoded by libsndfile, not by an ffmpeg process each time: the same length and alignment as
    ffmpeg's gapless decode, with the LAME tag (ffmpeg's encoder: delay and padding dropped) and without
    it (lameenc: nothing to drop), and samples within a hair of ffmpeg's."""
    import subprocess

    import numpy as np

    from conformance.audio import decoding
    from conformance.audio.encoding import encode as encode_with
    from conformance.audio.encoding import encode_mp3

    y = corpus.make_clip("en_kal", 2.5, sr).astype(np.float32)
    spawned: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd, *a, **k):
        spawned.append(list(cmd))
        return real_run(cmd, *a, **k)

    for mp3 in (encode_with(y, sr, "mp3", bitrate_kbps=kbps, engine="ffmpeg"), encode_mp3(y, sr, kbps)):
        theirs = decoding._decode_ffmpeg(mp3, decoding.probe(mp3), decoding._Limits(600.0, 1e8))[0]
        with monkeypatch.context() as m:
            m.setattr(subprocess, "run", spy)
            ours = decode(mp3)
        assert spawned == []
        assert ours.sample_rate == sr and ours.samples.shape[-1] == theirs.shape[-1]
        lag = np.argmax(np.correlate(ours.samples[: sr // 2], theirs[: sr // 2], "full")) - (sr // 2 - 1)
        assert lag == 0
        assert np.sqrt(np.mean((ours.samples - theirs) ** 2)) < 0.003
