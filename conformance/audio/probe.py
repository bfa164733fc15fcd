"""Header-level audio probe: what a file claims to be, read without decoding it.

``probe(src)`` sniffs the container from magic bytes (never from a file name) and reads the
stream parameters with mutagen. It is light (no numpy) so clients can probe every upload.
"""

from __future__ import annotations

import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any


class AudioDecodeError(ValueError):
    """Audio could not be read: names what is wrong with it."""


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file is. ``duration`` in seconds, ``bitrate`` in bits per second."""

    format: str  # container: wav, mp3, ogg, flac, m4a, raw
    codec: str | None
    sample_rate: int | None
    channels: int | None
    duration: float | None
    size: int | None
    bitrate: int | None = None
    sample_format: str | None = None  # e.g. s16le, ulaw, alaw, f32le

    def short(self) -> str:
        bits = [self.format if self.codec in (None, self.format) else f"{self.format}/{self.codec}"]
        if self.sample_rate:
            bits.append(f"{self.sample_rate} Hz")
        if self.channels:
            bits.append("mono" if self.channels == 1 else f"{self.channels} ch")
        if self.duration is not None:
            bits.append(f"{self.duration:.3f} s")
        if self.bitrate:
            bits.append(f"{self.bitrate // 1000} kbps")
        return ", ".join(bits)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]


def read_source(src: Source) -> bytes:
    """The bytes of ``src`` (path, bytes or binary file object)."""
    if isinstance(src, bytes | bytearray | memoryview):
        return bytes(src)
    if isinstance(src, str | os.PathLike):
        path = Path(src)
        if not path.is_file():
            raise AudioDecodeError(f"no such audio file: {os.fspath(src)!r}")
        return path.read_bytes()
    if hasattr(src, "read"):
        data = src.read()
        if not isinstance(data, bytes | bytearray):
            raise AudioDecodeError("file object must be opened in binary mode")
        return bytes(data)
    raise AudioDecodeError(f"cannot read audio from {type(src).__name__}; give a path, bytes or a binary file")


def sniff(data: bytes) -> str | None:
    """The container named by the first bytes, or ``None``."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0:
        # MPEG audio frame sync with a valid layer; ADTS AAC has layer bits 00
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0:
        return "aac"
    return None


def probe(src: Source) -> AudioInfo:
    """Read container, codec, sample rate, channels and duration from the header.

    >>> probe("fixtures/speech/kal_01.wav").short()  # doctest: +SKIP
    'wav/pcm, 16000 Hz, mono, 3.120 s'

    Raises :class:`AudioDecodeError` naming the problem for empty, unknown or broken data.
    """
    data = read_source(src)
    if not data:
        raise AudioDecodeError("audio is empty (0 bytes)")
    fmt = sniff(data)
    if fmt is None:
        raise AudioDecodeError(f"not a recognised audio format (first bytes {data[:8].hex()})")
    try:
        return _probe_mutagen(data, fmt)
    except AudioDecodeError:
        raise
    except Exception as exc:  # mutagen raises many kinds on broken headers
        raise AudioDecodeError(f"broken {fmt} header: {exc}") from None


def _probe_mutagen(data: bytes, fmt: str) -> AudioInfo:
    import mutagen

    size = len(data)
    if fmt == "wav":
        return _probe_wav(data)
    f = mutagen.File(io.BytesIO(data))
    if f is None or getattr(f, "info", None) is None:
        raise AudioDecodeError(f"broken {fmt} header: no audio stream found")
    info = f.info
    codec = {"mp3": "mp3", "flac": "flac", "aac": "aac"}.get(fmt)
    name = type(f).__name__.lower()
    if fmt == "ogg":
        codec = "opus" if "opus" in name else "vorbis" if "vorbis" in name else "flac" if "flac" in name else None
    if fmt == "m4a":
        codec = getattr(info, "codec", None) or "aac"
        codec = "aac" if str(codec).startswith("mp4a") else str(codec)
    duration = float(getattr(info, "length", 0.0) or 0.0)
    bitrate = getattr(info, "bitrate", None) or None
    if fmt == "ogg" and codec == "opus" and duration:
        bitrate = int(size * 8 / duration)
    sample_rate = getattr(info, "sample_rate", None)
    if codec == "opus":
        sample_rate = 48000  # Opus always decodes at 48 kHz; the header's input rate is informational
    return AudioInfo(format=fmt, codec=codec, sample_rate=sample_rate, channels=getattr(info, "channels", None),
                     duration=duration, size=size, bitrate=bitrate)


_WAV_CODECS = {1: "pcm", 3: "float", 6: "alaw", 7: "ulaw", 0xFFFE: "extensible"}


def _probe_wav(data: bytes) -> AudioInfo:
    """RIFF/WAVE chunks read by hand: mutagen's reader rejects some valid μ-law/A-law files."""
    import struct

    pos = 12
    fmt_chunk: tuple[int, int, int, int, int] | None = None
    data_len: int | None = None
    while pos + 8 <= len(data):
        cid, clen = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            if clen < 16 or body + 16 > len(data):
                raise AudioDecodeError("broken wav header: fmt chunk too short")
            tag, ch, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", data[body:body + 16])
            if tag == 0xFFFE and clen >= 40 and body + 26 <= len(data):
                tag = struct.unpack("<H", data[body + 24:body + 26])[0]
            fmt_chunk = (tag, ch, rate, bits, _align)
        elif cid == b"data":
            data_len = min(clen, len(data) - body)  # a truncated file holds less than it declares
            break
        pos = body + clen + (clen & 1)
    if fmt_chunk is None:
        raise AudioDecodeError("broken wav header: no fmt chunk")
    tag, ch, rate, bits, align = fmt_chunk
    if rate <= 0:
        raise AudioDecodeError("broken wav header: sample rate is 0")
    if ch <= 0:
        raise AudioDecodeError("broken wav header: 0 channels")
    if data_len is None:
        raise AudioDecodeError("broken wav header: no data chunk")
    codec = _WAV_CODECS.get(tag, f"format-{tag}")
    frame = align or max(1, ch * bits // 8)
    duration = (data_len // frame) / rate
    sample_format = {"pcm": f"s{bits}le" if bits > 8 else "u8", "float": f"f{bits}le",
                     "ulaw": "ulaw", "alaw": "alaw"}.get(codec)
    return AudioInfo(format="wav", codec=codec, sample_rate=rate, channels=ch, duration=duration,
                     size=len(data), bitrate=rate * ch * bits, sample_format=sample_format)


def raw_info(data: bytes, *, sample_rate: int, channels: int = 1, sample_format: str = "s16le") -> AudioInfo:
    """Describe headerless audio from the parameters the caller knows (raw PCM, μ-law, A-law)."""
    width = {"s16le": 2, "s24le": 3, "s32le": 4, "f32le": 4, "u8": 1, "ulaw": 1, "alaw": 1}.get(sample_format)
    if width is None:
        raise AudioDecodeError(f"unknown raw sample format {sample_format!r}")
    if sample_rate <= 0 or channels <= 0:
        raise AudioDecodeError("raw audio needs a positive sample rate and channel count")
    frames = len(data) // (width * channels)
    codec = {"ulaw": "ulaw", "alaw": "alaw"}.get(sample_format, "pcm")
    return AudioInfo(format="raw", codec=codec, sample_rate=sample_rate, channels=channels,
                     duration=frames / sample_rate, size=len(data), bitrate=sample_rate * channels * width * 8,
                     sample_format=sample_format)
