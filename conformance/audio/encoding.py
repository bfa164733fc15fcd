"""Encode float samples to audio bytes: the kit's one encoder (its decoder is :mod:`.decoding`).

``encode(samples, sample_rate, codec)`` writes ``(n,)`` mono or ``(channels, n)`` float samples as

==================  ================================================================================
``wav``             RIFF/WAVE, 16-bit PCM unless ``subtype=`` (libsndfile); :func:`wav_bytes` too
``flac``, ``ogg``   FLAC (16-bit) and Ogg/Vorbis (libsndfile)
``pcm``             headerless s16le, ``y * 32768`` truncated and clipped (:func:`to_int16`)
``s16le`` …         headerless ``s16le``, ``s24le``, ``s32le``, ``f32le``, ``u8`` (libsndfile's scaling)
``ulaw``, ``alaw``  headerless G.711 (libsndfile)
``mp3``             constant-bitrate MP3 through lameenc (mono; default 128 kbps) — :func:`encode_mp3`
``opus``            Ogg/Opus at 48 kHz through libopus, else libsndfile (mono; 64 kbps) — :func:`encode_opus`
``m4a``, ``aac``    AAC in MP4 or ADTS, through ffmpeg
==================  ================================================================================

``engine="ffmpeg"`` encodes ``mp3`` and ``opus`` with ffmpeg instead (libmp3lame, libopus in Ogg; its
own default bitrates): that is what :func:`conformance.audio.encode` does. The simulators' output
(recorded in cassettes) comes from the default engine, so its bytes must not change.

>>> mp3 = encode(y, 44100, "mp3", bitrate_kbps=128)   # doctest: +SKIP
>>> wav = wav_bytes(y, 16000)                          # doctest: +SKIP

numpy, soundfile and lameenc are imported inside the functions that need them.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from typing import TYPE_CHECKING

from conformance.audio.probe import AudioDecodeError, CodecUnavailableError, ffmpeg_available

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# headerless sample formats and their libsndfile subtypes (read by the decoder with the same table)
RAW_SUBTYPES = {"s16le": "PCM_16", "s24le": "PCM_24", "s32le": "PCM_32", "f32le": "FLOAT", "u8": "PCM_U8",
                "ulaw": "ULAW", "alaw": "ALAW"}
SOUNDFILE_DEFAULTS = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS"}
FFMPEG_CODECS = {"mp3": ("libmp3lame", "mp3"), "opus": ("libopus", "ogg"), "m4a": ("aac", "ipod"),
                 "aac": ("aac", "adts")}
ENGINES = ("builtin", "ffmpeg")
MP3_RATES = (16000, 22050, 24000, 32000, 44100, 48000)  # MPEG-1 and MPEG-2 (not the 2.5 extension)
OPUS_RATE = 48000


def encode(samples: np.ndarray, sample_rate: int, codec: str = "wav", *, bitrate_kbps: int | None = None,
           subtype: str | None = None, engine: str = "builtin") -> bytes:
    """``samples`` (float, ``(n,)`` or ``(channels, n)``) at ``sample_rate`` Hz as ``codec`` bytes.

    The samples are written as given (no dtype conversion: float32 and float64 round differently).
    ``subtype`` overrides the libsndfile subtype of ``wav``/``flac``/``ogg``. ``bitrate_kbps`` sets
    the MP3/Opus/AAC bitrate. Raises ``ValueError`` for an unknown codec or engine.
    """
    import numpy as np

    if engine not in ENGINES:
        raise ValueError(f"no encoder engine {engine!r}: known {', '.join(ENGINES)}")
    y = np.asarray(samples)
    frames = y if y.ndim == 1 else y.T  # libsndfile and ffmpeg take (frames, channels)
    if codec == "pcm":
        return to_int16(frames).tobytes()
    if codec in RAW_SUBTYPES:
        return soundfile_bytes(frames, sample_rate, "RAW", RAW_SUBTYPES[codec], endian="LITTLE")
    if codec in SOUNDFILE_DEFAULTS:
        return soundfile_bytes(frames, sample_rate, codec.upper(), subtype or SOUNDFILE_DEFAULTS[codec])
    if codec not in FFMPEG_CODECS:
        raise ValueError(f"no encoder for codec {codec!r}")
    if engine == "builtin" and codec in ("mp3", "opus"):
        if y.ndim != 1:
            raise ValueError(f"the built-in {codec} encoder writes mono: give (n,) samples or engine='ffmpeg'")
        if codec == "mp3":
            return encode_mp3(y, sample_rate, bitrate_kbps or 128)
        return encode_opus(y, sample_rate, bitrate_kbps or 64)
    return _encode_ffmpeg(frames, sample_rate, 1 if y.ndim == 1 else y.shape[0], codec, bitrate_kbps)


def to_int16(y: np.ndarray) -> np.ndarray:
    """Float samples as little-endian int16: ``y * 32768``, clipped to [-32768, 32767], truncated."""
    import numpy as np

    return (np.clip(y, -1.0, 32767 / 32768) * 32768.0).astype("<i2")


def soundfile_bytes(samples: np.ndarray, sample_rate: int, format: str, subtype: str | None = None,
                    **options: object) -> bytes:
    """``samples`` (``(frames,)`` or ``(frames, channels)``, as libsndfile takes them) written by libsndfile
    in ``format``/``subtype`` (e.g. ``"OGG"``, ``"OPUS"``, ``compression_level=0.95``)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, samples, sample_rate, format=format, subtype=subtype, **options)
    return buf.getvalue()


def wav_bytes(samples: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> bytes:
    """``samples`` (``(n,)`` mono, or ``(frames, channels)`` as libsndfile takes them) as a WAV file, 16-bit PCM."""
    return soundfile_bytes(samples, sample_rate, "WAV", subtype)


def mp3_rate(sr: int) -> int:
    """The MPEG-1/2 audio rate closest to ``sr`` from above."""
    return next((r for r in MP3_RATES if r >= sr), MP3_RATES[-1])


def encode_mp3(y: np.ndarray, sr: int, bitrate_kbps: int) -> bytes:
    """Constant-bitrate MP3 at exactly ``bitrate_kbps`` and ``sr`` Hz (LAME through lameenc), mono.

    MPEG-2/2.5 rates (below 32 kHz) allow at most 160 kbps and 64 kbps below 16 kHz: higher
    bitrates are lowered to that.
    """
    import lameenc

    if sr < 16000:
        bitrate_kbps = min(bitrate_kbps, 64)
    elif sr < 32000:
        bitrate_kbps = min(bitrate_kbps, 160)

    enc = lameenc.Encoder()
    enc.set_channels(1)
    enc.set_in_sample_rate(sr)
    enc.set_out_sample_rate(sr)
    enc.set_bit_rate(bitrate_kbps)
    enc.set_quality(7)
    return bytes(enc.encode(to_int16(y).tobytes()) + enc.flush())


def encode_opus(y: np.ndarray, sr: int, bitrate_kbps: int) -> bytes:
    """Ogg/Opus at ``bitrate_kbps`` (48 kHz, mono): libopus through ctypes when the shared library is
    there, else libsndfile (whose compression level maps linearly onto 6–256 kbps)."""
    if sr != OPUS_RATE:
        from conformance.audio.corpus import resample

        y = resample(y, sr, OPUS_RATE)
    from conformance.audio import opus

    if opus.available():
        return opus.encode_ogg_opus(to_int16(y), bitrate_kbps * 1000)
    level = min(1.0, max(0.0, (256_000 - bitrate_kbps * 1000) / 250_000))
    return soundfile_bytes(y, OPUS_RATE, "OGG", "OPUS", compression_level=level)


def _encode_ffmpeg(frames: np.ndarray, sample_rate: int, channels: int, codec: str, bitrate_kbps: int | None) -> bytes:
    import numpy as np

    if not ffmpeg_available():
        raise CodecUnavailableError(f"encoding {codec} needs ffmpeg, which is not on PATH (apt-get install ffmpeg)")
    name, container = FFMPEG_CODECS[codec]
    args = ["ffmpeg", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels),
            "-i", "pipe:0", "-c:a", name]
    if bitrate_kbps:
        args += ["-b:a", f"{bitrate_kbps}k"]
    # a seekable output file lets ffmpeg write the Xing/LAME header (exact length) and the MP4 index
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "out." + {"ipod": "m4a", "adts": "aac"}.get(container, container))
        out = subprocess.run([*args, "-f", container, target], input=np.ascontiguousarray(frames, dtype="<f4").tobytes(),
                             capture_output=True, timeout=120)
        if out.returncode != 0:
            raise AudioDecodeError(f"ffmpeg could not encode {codec}: {out.stderr.decode(errors='replace').strip()}")
        with open(target, "rb") as fh:
            return fh.read()
