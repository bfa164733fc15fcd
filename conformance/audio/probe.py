"""Header-level audio probe: what a file claims to be, read without decoding it.

``probe(src)`` sniffs the container from magic bytes (never from a file name) and reads the
stream parameters from the header: RIFF/WAVE chunks by hand, MP3/Ogg (Opus, Vorbis, FLAC)/FLAC/
M4A/ADTS-AAC with mutagen, and through ``ffprobe`` when mutagen cannot read a container it
recognised. Headerless PCM, μ-law and A-law are described from the parameters the caller gives.
It is light (no numpy) so clients can probe every upload; a path is read by seeking, never
loaded whole, so a huge file probes as fast as a small one.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from conformance.audio._cache import ByteBudget


class AudioDecodeError(ValueError):
    """Audio could not be read: names what is wrong with it."""


class CodecUnavailableError(AudioDecodeError):
    """The audio looks valid but reading it needs a tool that is not installed (e.g. ffmpeg)."""


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file is. ``duration`` in seconds, ``bitrate`` in bits per second.

    ``duration`` is what the bytes hold when that can be read from headers (WAV), otherwise the
    header's figure. ``declared_duration`` is the exact length the header states, when it states
    one (WAV data size, FLAC STREAMINFO, MP3 Xing/LAME frame count, MP4 ``mvhd``); it is ``None``
    for streamed files whose length field is a placeholder (WAV data size 0 or 0xFFFFFFFF).
    A file holding less than its ``declared_duration`` is truncated.
    """

    format: str  # container: wav, mp3, ogg, flac, m4a, aac, raw
    codec: str | None
    sample_rate: int | None
    channels: int | None
    duration: float | None
    size: int | None
    bitrate: int | None = None
    sample_format: str | None = None  # e.g. s16le, ulaw, alaw, f32le
    declared_duration: float | None = None

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

RAW_WIDTHS = {"s16le": 2, "s24le": 3, "s32le": 4, "f32le": 4, "u8": 1, "ulaw": 1, "alaw": 1}


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


def open_source(src: Source) -> tuple[IO[bytes], int, str | None]:
    """A seekable binary file for ``src``, its size in bytes, and its path when it is a file.

    Paths are opened, not read; bytes are wrapped; a file object is read into memory.
    The caller closes the returned file.
    """
    if isinstance(src, bytes | bytearray | memoryview):
        data = bytes(src)
        return io.BytesIO(data), len(data), None
    if isinstance(src, str | os.PathLike):
        path = Path(src)
        if not path.is_file():
            raise AudioDecodeError(f"no such audio file: {os.fspath(src)!r}")
        f = path.open("rb")
        return f, path.stat().st_size, str(path)
    if hasattr(src, "read"):
        data = read_source(src)
        return io.BytesIO(data), len(data), None
    raise AudioDecodeError(f"cannot read audio from {type(src).__name__}; give a path, bytes or a binary file")


def sniff(data: bytes) -> str | None:
    """The container named by the first bytes, or ``None``."""
    head = data[:64]
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
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


def ffmpeg_available() -> bool:
    """True when ``ffmpeg`` and ``ffprobe`` are on PATH."""
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def probe(src: Source, *, sample_rate: int | None = None, channels: int = 1,
          sample_format: str | None = None) -> AudioInfo:
    """Read container, codec, sample rate, channels and duration from the header.

    >>> probe("conformance/fixtures/speech/en_kal/01.wav").short()  # doctest: +SKIP
    'wav/pcm, 16000 Hz, mono, 2.415 s, 256 kbps'
    >>> probe(pcm_bytes, sample_rate=16000, sample_format="s16le").duration  # doctest: +SKIP
    1.5

    Give ``sample_format`` (``s16le``, ``s24le``, ``s32le``, ``f32le``, ``u8``, ``ulaw``, ``alaw``)
    and ``sample_rate`` for headerless audio. Raises :class:`AudioDecodeError` naming the problem
    for empty, unknown or broken data.
    """
    if sample_format is not None:
        if sample_rate is None:
            raise AudioDecodeError(f"headerless {sample_format} audio needs its sample_rate")
        return raw_info(read_source(src), sample_rate=sample_rate, channels=channels, sample_format=sample_format)
    if isinstance(src, bytes):
        # the same bytes object is often probed again (client, simulator, checks): remember recent ones
        hit = _recent.get(id(src))
        if hit is not None and hit[0] is src:
            if isinstance(hit[1], AudioDecodeError):
                raise AudioDecodeError(str(hit[1]))
            return hit[1]
        try:
            info = _probe_header(src)
        except AudioDecodeError as exc:
            _remember(src, exc)
            raise
        _remember(src, info)
        return info
    return _probe_header(src)


# Probed bytes kept (by identity: the entry holds the bytes, so their id stays theirs) within a byte
# budget, not a count: a server probes uploads a client chose the size of. A body larger than the
# budget is never kept; the oldest entries go first.
PROBE_CACHE_BYTES = 32 * 2**20
_recent: ByteBudget[tuple[bytes, AudioInfo | AudioDecodeError]] = ByteBudget(
    PROBE_CACHE_BYTES, lambda entry: len(entry[0]))


def _remember(data: bytes, outcome: AudioInfo | AudioDecodeError) -> None:
    _recent.put(id(data), (data, outcome))


def _probe_header(src: Source) -> AudioInfo:
    f, size, path = open_source(src)
    try:
        if size == 0:
            raise AudioDecodeError("audio is empty (0 bytes)")
        head = f.read(64)
        fmt = sniff(head)
        if fmt is None:
            raise AudioDecodeError(f"not a recognised audio format (first bytes {head[:8].hex()}); "
                                   "for headerless PCM/μ-law/A-law give sample_format and sample_rate")
        f.seek(0)
        try:
            if fmt in ("m4a", "aac") and ffmpeg_available():  # mutagen misreads some MP4 channel counts
                info = _probe_ffprobe(f, size, path, fmt, AudioDecodeError("ffprobe could not read it"))
            else:
                info = _probe_wav(f, size) if fmt == "wav" else _probe_mutagen(f, size, fmt)
        except AudioDecodeError as exc:
            if fmt in ("m4a", "aac", "ogg") and ffmpeg_available():
                info = _probe_ffprobe(f, size, path, fmt, exc)
            else:
                raise
        except Exception as exc:  # mutagen raises many kinds on broken headers
            if fmt != "wav" and ffmpeg_available():
                info = _probe_ffprobe(f, size, path, fmt, exc)
            else:
                raise AudioDecodeError(f"broken {fmt} header: {exc}") from None
    finally:
        f.close()
    _check_sane(info)
    return info


def _check_sane(info: AudioInfo) -> None:
    if info.sample_rate is not None and info.sample_rate <= 0:
        raise AudioDecodeError(f"broken {info.format} header: sample rate is {info.sample_rate}")
    if info.channels is not None and info.channels <= 0:
        raise AudioDecodeError(f"broken {info.format} header: {info.channels} channels")
    if info.duration is not None and (info.duration != info.duration or info.duration < 0):
        raise AudioDecodeError(f"broken {info.format} header: duration {info.duration}")


def _probe_mutagen(f: IO[bytes], size: int, fmt: str) -> AudioInfo:
    import mutagen

    mf = mutagen.File(f)
    if mf is None or getattr(mf, "info", None) is None:
        raise AudioDecodeError(f"broken {fmt} header: no audio stream found")
    info = mf.info
    codec = {"mp3": "mp3", "flac": "flac", "aac": "aac"}.get(fmt)
    name = type(mf).__name__.lower()
    if fmt == "ogg":
        codec = "opus" if "opus" in name else "vorbis" if "vorbis" in name else "flac" if "flac" in name else \
            "speex" if "speex" in name else None
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
    if sample_rate is not None and sample_rate <= 0:
        raise AudioDecodeError(f"broken {fmt} header: sample rate is {sample_rate}")
    sample_format = None
    if fmt == "flac" and getattr(info, "bits_per_sample", None):
        sample_format = f"s{info.bits_per_sample}le"
    exact = fmt in ("flac", "m4a") or (fmt == "mp3" and getattr(info, "sketchy", True) is False)
    return AudioInfo(format=fmt, codec=codec, sample_rate=sample_rate, channels=getattr(info, "channels", None),
                     duration=duration, size=size, bitrate=bitrate, sample_format=sample_format,
                     declared_duration=duration if exact and duration else None)


def _probe_ffprobe(f: IO[bytes], size: int, path: str | None, fmt: str, why: Exception) -> AudioInfo:
    """Ask ffprobe about a container mutagen could not read (bounded in time)."""
    args = ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-select_streams", "a:0", "-of", "json"]
    data = None
    if path is None:
        f.seek(0)
        data = f.read()
    try:
        out = subprocess.run([*args, path or "pipe:0"], input=data, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioDecodeError(f"broken {fmt} header: {why}; ffprobe failed too ({exc})") from None
    try:
        doc = json.loads(out.stdout or b"{}")
        stream = doc["streams"][0]
    except (ValueError, KeyError, IndexError):
        msg = out.stderr.decode(errors="replace").strip().splitlines()
        raise AudioDecodeError(f"broken {fmt} header: {why}" + (f"; ffprobe: {msg[-1]}" if msg else "")) from None
    fmt_doc = doc.get("format", {})
    duration = stream.get("duration") or fmt_doc.get("duration")
    bitrate = stream.get("bit_rate") or fmt_doc.get("bit_rate")
    exact = fmt == "m4a" and stream.get("duration") is not None
    return AudioInfo(format=fmt, codec=stream.get("codec_name"), sample_rate=int(stream.get("sample_rate") or 0) or None,
                     channels=int(stream.get("channels") or 0) or None,
                     duration=float(duration) if duration else None, size=size,
                     bitrate=int(bitrate) if bitrate else None,
                     declared_duration=float(duration) if exact and duration else None)


_WAV_CODECS = {1: "pcm", 3: "float", 6: "alaw", 7: "ulaw", 0xFFFE: "extensible"}


def _probe_wav(f: IO[bytes], size: int) -> AudioInfo:
    """RIFF/WAVE chunks read by hand (seeking, so a huge file costs nothing): mutagen's reader rejects
    some valid μ-law/A-law files."""
    f.seek(0)
    riff = f.read(12)
    endian = ">" if riff[:4] == b"RIFX" else "<"
    pos = 12
    fmt_chunk: tuple[int, int, int, int, int] | None = None
    data_len: int | None = None
    declared_len: int | None = None
    for _ in range(10_000):  # a bounded walk: a hostile file cannot make it loop forever
        if pos + 8 > size:
            break
        f.seek(pos)
        hdr = f.read(8)
        if len(hdr) < 8:
            break
        cid, clen = hdr[:4], struct.unpack(endian + "I", hdr[4:8])[0]
        body = pos + 8
        if cid == b"fmt ":
            chunk = f.read(min(clen, 64))
            if clen < 16 or len(chunk) < 16:
                raise AudioDecodeError("broken wav header: fmt chunk too short")
            tag, ch, rate, _byte_rate, _align, bits = struct.unpack(endian + "HHIIHH", chunk[:16])
            if tag == 0xFFFE and clen >= 40 and len(chunk) >= 26:
                tag = struct.unpack(endian + "H", chunk[24:26])[0]
            fmt_chunk = (tag, ch, rate, bits, _align)
        elif cid == b"data":
            declared_len = clen
            data_len = min(clen, size - body)  # a truncated file holds less than it declares
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
    declared = None
    if declared_len not in (None, 0, 0xFFFFFFFF, 0x7FFFFFFF):  # placeholders written by streaming encoders
        declared = (declared_len // frame) / rate  # type: ignore[operator]
    sample_format = {"pcm": f"s{bits}le" if bits > 8 else "u8", "float": f"f{bits}le",
                     "ulaw": "ulaw", "alaw": "alaw"}.get(codec)
    return AudioInfo(format="wav", codec=codec, sample_rate=rate, channels=ch, duration=duration,
                     size=size, bitrate=rate * ch * bits, sample_format=sample_format,
                     declared_duration=declared)


def raw_info(data: bytes, *, sample_rate: int, channels: int = 1, sample_format: str = "s16le") -> AudioInfo:
    """Describe headerless audio from the parameters the caller knows (raw PCM, μ-law, A-law)."""
    width = RAW_WIDTHS.get(sample_format)
    if width is None:
        raise AudioDecodeError(f"unknown raw sample format {sample_format!r}; known: {', '.join(RAW_WIDTHS)}")
    if not sample_rate or sample_rate <= 0 or channels <= 0:
        raise AudioDecodeError(f"raw audio needs a positive sample rate and channel count "
                               f"(got {sample_rate} Hz, {channels} ch)")
    frames = len(data) // (width * channels)
    codec = {"ulaw": "ulaw", "alaw": "alaw"}.get(sample_format, "pcm")
    return AudioInfo(format="raw", codec=codec, sample_rate=sample_rate, channels=channels,
                     duration=frames / sample_rate, size=len(data), bitrate=sample_rate * channels * width * 8,
                     sample_format=sample_format)
