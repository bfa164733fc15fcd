"""One decoder (conformance.audio.decoding) and one encoder (conformance.audio.encoding) for the whole kit."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conformance.audio import corpus, decoding, encoding, opus
from conformance.audio.probe import AudioDecodeError, ffmpeg_available
from conformance.simulators import audio as sim_audio

ROOT = Path(__file__).resolve().parents[1]
needs_ffmpeg = pytest.mark.skipif(not ffmpeg_available(), reason="ffmpeg is not installed")
LAME_DELAY = 576 + 529  # encoder + decoder delay of an MP3 without a LAME tag (lameenc writes none)
MP3_FRAME = 1152


@pytest.fixture(scope="module")
def speech() -> dict[int, np.ndarray]:
    return {sr: corpus.make_clip("en_slt", 2.0, sr) for sr in (8000, 16000, 24000, 44100, 48000)}


def _aligned(y: np.ndarray, x: np.ndarray, max_lag: int) -> tuple[int, float]:
    """The lag (x behind y, 0..max_lag) at which x best matches y, and their correlation there."""
    best = (0, -1.0)
    for lag in range(max_lag + 1):
        n = min(len(y), len(x) - lag)
        if n < len(y) // 2:
            break
        r = float(np.corrcoef(y[:n], x[lag: lag + n])[0, 1])
        if r > best[1]:
            best = (lag, r)
    return best


# ---------------------------------------------------------------------------------------------
# round trips: encode -> the one decoder
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sr", [16000, 44100])
def test_wav_round_trip_is_16_bit_exact(speech, sr):
    y = speech[sr]
    d = decoding.decode(encoding.encode(y, sr, "wav"))
    assert d.sample_rate == sr and d.samples.shape == y.shape
    assert np.abs(d.samples - y).max() <= 1 / 32768 + 1e-7


@pytest.mark.parametrize("codec", ["pcm", "ulaw", "alaw"])
def test_headerless_round_trips(speech, codec):
    y = speech[8000]
    data = encoding.encode(y, 8000, codec)
    fmt = {"pcm": "s16le"}.get(codec, codec)
    d = decoding.decode(data, sample_rate=8000, sample_format=fmt)
    assert d.sample_rate == 8000 and d.samples.shape == y.shape
    if codec == "pcm":  # y * 32768 truncated toward zero: within one step
        assert np.abs(d.samples - y).max() <= 1 / 32768 + 1e-7
    else:  # G.711: 8-bit logarithmic, a few per cent of the level
        assert np.abs(d.samples - y).max() < 0.02
        assert np.corrcoef(d.samples, y)[0, 1] > 0.999


@pytest.mark.parametrize(("sr", "kbps"), [(16000, 64), (24000, 48), (44100, 128)])
def test_mp3_round_trip(speech, sr, kbps):
    y = speech[sr]
    d = decoding.decode(encoding.encode(y, sr, "mp3", bitrate_kbps=kbps))
    assert d.sample_rate == sr
    # lameenc writes no LAME tag: the decoder keeps the codec delay and the last frame's padding
    assert len(y) <= len(d.samples) <= len(y) + LAME_DELAY + MP3_FRAME
    lag, r = _aligned(y, d.samples, LAME_DELAY + MP3_FRAME)
    assert abs(lag - LAME_DELAY) <= 1 and r > 0.99


@needs_ffmpeg
def test_mp3_round_trip_through_ffmpeg_is_gapless(speech):
    y = speech[44100]
    d = decoding.decode(encoding.encode(y, 44100, "mp3", engine="ffmpeg"))
    assert d.sample_rate == 44100 and abs(len(d.samples) - len(y)) < MP3_FRAME
    n = min(len(y), len(d.samples))
    assert np.corrcoef(y[:n], d.samples[:n])[0, 1] > 0.99


@pytest.mark.parametrize("sr", [24000, 48000])
def test_opus_round_trip_is_48k_and_exact_length(speech, sr):
    y = speech[sr]
    d = decoding.decode(encoding.encode(y, sr, "opus", bitrate_kbps=64))
    assert d.sample_rate == encoding.OPUS_RATE
    at48 = y if sr == 48000 else corpus.resample(y, sr, 48000)
    assert abs(len(d.samples) - len(at48)) < 960  # within a 20 ms Opus frame (exact with libopus)
    n = min(len(at48), len(d.samples))
    assert np.corrcoef(at48[:n], d.samples[:n])[0, 1] > 0.99


def test_opus_round_trip_through_the_libsndfile_fallback(speech, monkeypatch):
    monkeypatch.setattr(opus, "available", lambda: False)
    y = speech[48000]
    d = decoding.decode(encoding.encode(y, 48000, "opus"))
    assert d.sample_rate == 48000 and abs(len(d.samples) - len(y)) < 960
    _lag, r = _aligned(y, d.samples, 960)
    assert r > 0.95


# ---------------------------------------------------------------------------------------------
# the bytes the simulators write must not change (cassettes hold them)
# ---------------------------------------------------------------------------------------------


def _sf_bytes(y: np.ndarray, sr: int, fmt: str, subtype: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


NOISE = np.random.default_rng(7).uniform(-0.9, 0.9, 20000)  # float64: rounds otherwise than as float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_encoder_bytes_are_the_plain_writers_bytes(speech, dtype):
    """No dtype conversion on the way: float32 and float64 samples round differently to 16 bits."""
    for y in (speech[16000].astype(dtype), NOISE.astype(dtype)):
        assert encoding.encode(y, 16000, "wav") == _sf_bytes(y, 16000, "WAV", "PCM_16") == encoding.wav_bytes(y, 16000)
        for codec in ("ulaw", "alaw"):
            assert encoding.encode(y, 16000, codec) == _sf_bytes(y, 16000, "RAW", codec.upper())
        assert encoding.encode(y, 16000, "pcm") == (np.clip(y, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()
    assert encoding.wav_bytes(NOISE, 16000) != encoding.wav_bytes(NOISE.astype(np.float32), 16000)  # it would show


def test_mp3_bytes_are_lameenc_cbr_at_quality_7(speech):
    import lameenc

    y = speech[24000]
    enc = lameenc.Encoder()
    enc.set_channels(1)
    enc.set_in_sample_rate(24000)
    enc.set_out_sample_rate(24000)
    enc.set_bit_rate(160)  # 192 asked: MPEG-2 rates stop at 160 kbps
    enc.set_quality(7)
    want = bytes(enc.encode(encoding.to_int16(y).tobytes()) + enc.flush())
    assert encoding.encode(y, 24000, "mp3", bitrate_kbps=192) == want


@pytest.mark.skipif(not opus.available(), reason="libopus0 is not installed")
def test_opus_bytes_are_libopus_at_48k(speech):
    y = speech[24000]
    want = opus.encode_ogg_opus(encoding.to_int16(corpus.resample(y, 24000, 48000)), 64000)
    assert encoding.encode(y, 24000, "opus") == want


def test_the_public_encoder_keeps_float32_and_ffmpeg(speech, monkeypatch):
    assert decoding.encode(NOISE, 16000, "wav") == encoding.wav_bytes(NOISE.astype(np.float32), 16000)
    y = speech[16000]
    seen = []
    monkeypatch.setattr(encoding, "_encode_ffmpeg", lambda *a: seen.append(a[3]) or b"")
    decoding.encode(y, 16000, "mp3")
    decoding.encode(y, 48000, "opus")
    assert seen == ["mp3", "opus"]  # conformance.audio.encode: MP3 and Opus through ffmpeg, as before


def test_unknown_codecs_and_engines_are_refused(speech):
    with pytest.raises(ValueError, match="no encoder for codec 'wma'"):
        encoding.encode(speech[16000], 16000, "wma")
    with pytest.raises(ValueError, match="engine"):
        encoding.encode(speech[16000], 16000, "mp3", engine="sox")
    with pytest.raises(ValueError, match="mono"):
        encoding.encode(np.stack([speech[16000]] * 2), 16000, "mp3")


# ---------------------------------------------------------------------------------------------
# the simulators' and the report's reading (strict=False) is the one decoder, unchanged
# ---------------------------------------------------------------------------------------------


def test_simulator_decode_is_libsndfile_as_is(speech):
    y = speech[16000]
    mp3 = _sf_bytes(y, 16000, "MP3", "MPEG_LAYER_III")  # what the strategies upload
    want, rate = sf.read(io.BytesIO(mp3), dtype="float32")
    got, got_rate = sim_audio.decode(mp3)
    assert got_rate == rate == 16000 and got.dtype == np.float32
    assert np.array_equal(got, want)  # bit for bit: encoder delay kept, read after a rewind as sf.read does
    stereo = _sf_bytes(np.stack([y, -0.5 * y], 1), 16000, "WAV", "PCM_16")
    want2, _ = sf.read(io.BytesIO(stereo), dtype="float32", always_2d=True)
    assert np.array_equal(sim_audio.decode(stereo)[0], want2.mean(axis=1))
    wav = encoding.wav_bytes(y, 16000)
    truncated = wav[: len(wav) // 2]
    with pytest.raises(AudioDecodeError, match="truncated"):
        decoding.decode(truncated)
    assert len(sim_audio.decode(truncated)[0]) == (len(truncated) - 44) // 2  # what it holds


def test_simulator_decode_of_raw_pcm(speech):
    pcm = encoding.encode(speech[16000], 16000, "pcm")
    y, rate = sim_audio.decode(pcm + b"\x01", raw_sample_rate=16000)  # a trailing odd byte is dropped
    assert rate == 16000 and np.array_equal(y, np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0)
    empty, _ = sim_audio.decode(b"", raw_sample_rate=16000)
    assert empty.shape == (0,)


@needs_ffmpeg
def test_simulator_decode_falls_back_to_ffmpeg_at_24k(speech):
    m4a = encoding.encode(speech[44100], 44100, "m4a")
    y, rate = sim_audio.decode(m4a)
    assert rate == sim_audio.FFMPEG_RATE == 24000 and abs(len(y) / rate - 2.0) < 0.05
    assert np.array_equal(y * 32768, np.round(y * 32768))  # 16-bit samples, as ffmpeg gave them
    with pytest.raises(ValueError, match="cannot decode audio"):
        sim_audio.decode(b"not audio at all" * 8)


def test_simulator_and_report_call_the_one_decoder(speech, monkeypatch):
    from conformance.report import records

    calls = []
    real = decoding.decode

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(decoding, "decode", spy)
    wav = encoding.wav_bytes(speech[16000], 16000)
    sim_audio.decode(wav)
    sim_audio.decode(b"\0\0" * 100, raw_sample_rate=8000)
    records._decode(wav)
    assert [c.get("strict") for c in calls] == [False, False, False]
    assert calls[0]["ffmpeg_rate"] == 24000 and "ffmpeg_rate" not in calls[2]  # the report never ran ffmpeg


def test_ffmpeg_rate_is_only_for_unchecked_decoding(speech):
    with pytest.raises(ValueError, match="ffmpeg_rate"):
        decoding.decode(encoding.wav_bytes(speech[16000], 16000), ffmpeg_rate=24000)


# ---------------------------------------------------------------------------------------------
# no second codec anywhere: the source text
# ---------------------------------------------------------------------------------------------

OWN_DECODING = re.compile(r"\bsf\.read\(|\bsoundfile\.read\(|SoundFile\(|\bsubprocess\.|[\"']ffmpeg[\"']|frombuffer\(")
OWN_ENCODING = re.compile(r"\bsf\.write\(|\bsoundfile\.write\(|\bimport lameenc\b|\blameenc\.|encode_ogg_opus\(")
CALLERS = ["conformance/simulators/audio.py", "conformance/report/records.py", "conformance/compare.py",
           "conformance/strategies.py"]


@pytest.mark.parametrize("path", CALLERS)
def test_no_module_but_the_codec_modules_reads_or_writes_audio_itself(path):
    source = (ROOT / path).read_text(encoding="utf-8")
    assert OWN_DECODING.findall(source) == [], f"{path} decodes audio itself: call conformance.audio.decoding.decode"
    assert OWN_ENCODING.findall(source) == [], f"{path} encodes audio itself: call conformance.audio.encoding"


def test_the_codec_patterns_catch_a_second_codec():
    assert OWN_DECODING.search("y, sr = sf.read(io.BytesIO(data))")
    assert OWN_DECODING.search('subprocess.run(["ffmpeg", "-i", "pipe:0"])')
    assert OWN_ENCODING.search("sf.write(buf, y, sr, format='WAV')")
    assert OWN_ENCODING.search("    import lameenc\n    enc = lameenc.Encoder()")
    assert not OWN_ENCODING.search("numpy, soundfile and lameenc are imported inside the functions")


def test_the_simulators_encoders_are_the_codec_modules():
    for name in ("encode", "encode_mp3", "encode_opus", "to_int16", "mp3_rate"):
        assert getattr(sim_audio, name) is getattr(encoding, name), name


def test_codec_modules_import_light():
    code = ("import sys; import conformance.audio, conformance.audio.encoding, conformance.audio.decoding, "
            "conformance.simulators.audio, conformance.report.records; "
            "print(sorted(m for m in ('numpy', 'soundfile', 'lameenc', 'librosa', 'soxr') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"
