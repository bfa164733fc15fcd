"""Decode any supported audio into float32 samples, safely.

``decode(src)`` probes the header first, refuses what it cannot or should not read, and never reads
more than ``max_duration`` seconds (default 600 s; ``VOICE_CONFORMANCE_MAX_SECONDS`` overrides), so
a hostile or broken file costs bounded time and memory.

Seconds alone do not bound memory: 590 s of 192 kHz 7.1 silence is a 60 KB FLAC that decodes to
3.6 GB of float32. So every path (libsndfile, ffmpeg, headerless PCM, ``strict=False`` included) also
caps the samples it would allocate, frames × channels, at ``max_samples`` (default 57,600,000: 600 s
of 48 kHz stereo, 230 MB as float32; ``VOICE_CONFORMANCE_MAX_SAMPLES`` overrides, ``math.inf``
lifts it). The claim in the header (rate × channels × seconds) is checked before anything is
allocated, and what is read is counted as it is read, for headers that understate it; both raise
:class:`AudioDecodeError` naming the claimed rate, channels and seconds and the cap.
``first_seconds`` reads only the start (the report keeps 30 s of a clip), never the whole file.

WAV, FLAC, MP3 and Ogg (Vorbis, Opus) are
read with libsndfile (``soundfile``); M4A/AAC, and anything libsndfile refuses, go through ``ffmpeg``
when it is on PATH (:class:`CodecUnavailableError` says so when it is not). Headerless PCM, μ-law and
A-law need ``sample_rate`` and ``sample_format``. ``strict=False`` reads bytes for whatever they hold,
unchecked, as the simulators and the report have always read them. This is the kit's one decoder;
its one encoder is :mod:`conformance.audio.encoding`.

>>> d = decode("conformance/fixtures/speech/en_alsa/01.wav")   # doctest: +SKIP
>>> d.sample_rate, d.samples.shape, d.samples.dtype
(48000, (68544,), dtype('float32'))
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from conformance.audio._env import need
from conformance.audio.encoding import RAW_SUBTYPES as _SF_RAW
from conformance.audio.probe import (
    RAW_WIDTHS,
    AudioDecodeError,
    AudioInfo,
    CodecUnavailableError,
    Source,
    ffmpeg_available,
    open_source,
    probe,
    raw_info,
    read_source,
    sniff,
)

if TYPE_CHECKING:
    import numpy as np

ENV_MAX = "VOICE_CONFORMANCE_MAX_SECONDS"
DEFAULT_MAX_DURATION = 600.0
ENV_MAX_SAMPLES = "VOICE_CONFORMANCE_MAX_SAMPLES"
DEFAULT_MAX_SAMPLES = 600 * 48000 * 2  # 600 s of 48 kHz stereo: 230 MB of float32
_BLOCK = 1 << 20  # samples (frames × channels) read at a time
_UNKNOWN_FRAMES = 1 << 62  # libsndfile's frame count of a stream whose length it does not know
LENIENT_FFMPEG_TIMEOUT = 30.0  # seconds ffmpeg gets for bytes libsndfile refused (strict=False)


def _positive_env(name: str, default: float, unit: str) -> float:
    """The positive number ``$name`` holds, else ``default``; anything else is a ValueError naming it."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        cap = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number of {unit}") from None
    if not cap > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return cap


def max_duration_default() -> float:
    """The decode cap in seconds: ``$VOICE_CONFORMANCE_MAX_SECONDS`` or 600."""
    return _positive_env(ENV_MAX, DEFAULT_MAX_DURATION, "seconds")


def max_samples_default() -> float:
    """The decode cap in samples (frames × channels): ``$VOICE_CONFORMANCE_MAX_SAMPLES`` or 57,600,000."""
    return _positive_env(ENV_MAX_SAMPLES, DEFAULT_MAX_SAMPLES, "samples")


@dataclass(frozen=True)
class _Limits:
    """What one decode may read: ``cap`` seconds (more is an error), ``first`` seconds (more is not
    read), ``samples`` frames × channels (more is an error)."""

    cap: float
    samples: float
    first: float | None = None

    def frames(self, rate: int) -> float:
        """Frames worth reading at ``rate``: the first seconds asked for, else all."""
        return math.inf if self.first is None else math.ceil(self.first * rate)

    def check_claim(self, what: str, rate: int | None, channels: int | None, seconds: float | None) -> None:
        """Raise when a header's rate × channels × seconds (as far as will be read) passes the sample cap."""
        if not rate or not channels or seconds is None or math.isinf(self.samples):
            return
        seconds = min(seconds, self.first) if self.first is not None else seconds
        claimed = min(math.ceil(seconds * rate), self.frames(rate)) * channels
        if claimed > self.samples:
            raise AudioDecodeError(self._too_many(what, "claims", rate, channels, seconds, claimed))

    def check_held(self, what: str, rate: int, channels: int, frames: int) -> None:
        """Raise when ``frames`` read so far pass the sample cap (a header that understated them)."""
        if frames * channels > self.samples:
            raise AudioDecodeError(self._too_many(what, "holds more than", rate, channels, frames / rate,
                                                  frames * channels))

    def _too_many(self, what: str, verb: str, rate: int, channels: int, seconds: float, samples: int) -> str:
        what = what if what.endswith("audio") else f"{what} audio"
        return (f"{what} {verb} {rate} Hz × {channels} ch × {_human(seconds)} = {samples:,} samples, over the "
                f"decode cap of {self.samples:,.0f} samples (600 s of 48 kHz stereo by default; pass max_samples= "
                f"or set {ENV_MAX_SAMPLES})")


@dataclass
class Decoded:
    """Decoded audio: ``samples`` float32 in [-1, 1], shape ``(n,)`` mono or ``(channels, n)``."""

    samples: np.ndarray
    sample_rate: int
    info: AudioInfo

    @property
    def channels(self) -> int:
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        """Seconds of decoded audio."""
        return self.samples.shape[-1] / self.sample_rate

    def mono(self) -> np.ndarray:
        """The channels averaged to one float32 array."""
        return self.samples if self.samples.ndim == 1 else self.samples.mean(axis=0, dtype="float32")


class RawFormat:
    """Parameters of headerless audio, e.g. ``RawFormat(16000, "s16le")`` or from ``"pcm_16000"``."""

    def __init__(self, sample_rate: int, sample_format: str = "s16le", channels: int = 1):
        self.sample_rate, self.sample_format, self.channels = sample_rate, sample_format, channels

    @classmethod
    def parse(cls, name: str) -> RawFormat:
        """``"pcm_16000"`` / ``"ulaw_8000"`` / ``"alaw_8000"`` (provider output names) or ``"s16le@16000"``."""
        if "@" in name:
            fmt, rate = name.split("@", 1)
            return cls(int(rate), fmt)
        parts = name.split("_")
        fmt = {"pcm": "s16le", "ulaw": "ulaw", "alaw": "alaw", "mulaw": "ulaw"}.get(parts[0])
        if fmt is None or len(parts) < 2 or not parts[1].isdigit():
            raise AudioDecodeError(f"cannot read raw format {name!r}: expected e.g. 'pcm_16000' or 's16le@16000'")
        return cls(int(parts[1]), fmt)


def decode(src: Source, *, sr: int | None = None, mono: bool = False, max_duration: float | None = None,
           sample_rate: int | None = None, sample_format: str | None = None, channels: int = 1,
           strict: bool = True, ffmpeg_rate: int | None = None, max_samples: float | None = None,
           first_seconds: float | None = None) -> Decoded:
    """Decode ``src`` (path, bytes or binary file) to float32 samples at its own rate, or at ``sr``.

    ``mono`` averages the channels. ``max_duration`` (s) caps what will be decoded: longer audio
    raises :class:`AudioDecodeError` naming its length and the cap (``math.inf``: no cap).
    ``max_samples`` caps frames × channels (default :func:`max_samples_default`, 600 s of 48 kHz
    stereo; ``math.inf``: no cap): a header claiming more raises before anything is allocated, and
    so does audio found to hold more while it is read. ``first_seconds`` decodes only the first
    that many seconds (longer audio is not an error; the rest is never read). For
    headerless audio give ``sample_rate`` and ``sample_format`` (``s16le``, ``s24le``, ``s32le``,
    ``f32le``, ``u8``, ``ulaw``, ``alaw``) and ``channels``.

    ``strict=False`` reads the bytes for whatever they hold, as the simulators read uploads and the
    report reads its clips (what they make of audio is recorded, so that reading must not change):
    no header probe and none of the checks (a truncated file gives what it holds, an empty one 0
    samples, NaN passes through), headerless audio without its length checks, and every container
    through libsndfile first (MP3 keeps its encoder delay). What libsndfile refuses then raises
    :class:`AudioDecodeError` (``"cannot decode audio: …"``) or, given ``ffmpeg_rate``, is piped
    through ffmpeg and read as 16-bit mono at ``ffmpeg_rate`` Hz. The sample cap holds here too
    (libsndfile's view of the header, and what ffmpeg writes): memory is bounded on every path.
    """
    np = need("numpy", "decoding audio")
    cap = max_duration_default() if max_duration is None else float(max_duration)
    if not cap > 0:
        raise ValueError(f"max_duration must be positive, got {max_duration!r}")
    most = max_samples_default() if max_samples is None else float(max_samples)
    if not most > 0:
        raise ValueError(f"max_samples must be positive, got {max_samples!r}")
    if first_seconds is not None and not first_seconds > 0:
        raise ValueError(f"first_seconds must be positive, got {first_seconds!r}")
    limits = _Limits(cap, most, first_seconds)
    if strict and ffmpeg_rate is not None:
        raise ValueError("ffmpeg_rate is for strict=False (strict decoding runs ffmpeg at the stream's own rate)")
    if hasattr(src, "read") and not isinstance(src, bytes | bytearray | memoryview):
        src = read_source(src)  # a file object is read once: probing and decoding both need it
    if sample_format is not None:
        if sample_rate is None:
            raise AudioDecodeError(f"headerless {sample_format} audio needs its sample_rate")
        samples, info = _decode_raw(read_source(src), sample_rate, sample_format, channels, limits, strict=strict)
        rate = sample_rate
    elif not strict:
        samples, rate, info = _decode_unchecked(read_source(src), limits, ffmpeg_rate)
    else:
        info = probe(src)
        # the header is judged before anything is allocated: its length, then the samples reading it would
        # cost (rate × channels × the length the bytes hold where the header shows it, as in a WAV, else
        # the length it states), then whether the bytes hold what it declares
        if info.duration is not None and info.duration > cap and (first_seconds is None or first_seconds > cap):
            raise AudioDecodeError(f"{info.format} audio declares {_human(info.duration)}, longer than the decode cap "
                                   f"of {cap:g} s (pass max_duration= or set {ENV_MAX})")
        limits.check_claim(info.format, info.sample_rate, info.channels, info.duration)
        _check_truncated(info, info.duration)
        if info.duration == 0:
            raise AudioDecodeError(f"{info.format} audio holds no samples (its header says 0 s)")
        samples, rate = _decode_container(src, info, limits)
        if rate != info.sample_rate:
            info = replace(info, sample_rate=rate)
    if strict:
        if samples.shape[-1] == 0:
            raise AudioDecodeError(f"{info.format} audio decoded to 0 samples")
        held = samples.shape[-1] / rate
        if first_seconds is None or held < first_seconds - 0.25:  # cut short on purpose: not truncated
            _check_truncated(info, held)
    if samples.shape[-1] > cap * (info.sample_rate or 1) + 1:
        raise AudioDecodeError(f"{info.format} audio is longer than the decode cap of {cap:g} s "
                               f"(pass max_duration= or set {ENV_MAX})")
    if strict:
        finite = np.isfinite(samples)
        if not finite.all():
            bad = int(samples.size - np.count_nonzero(finite))
            raise AudioDecodeError(f"{info.format} audio holds {bad} non-finite sample(s) (NaN or infinity)")
    if mono and samples.ndim == 2:
        samples = samples.mean(axis=0, dtype=np.float32)
    if sr is not None and sr != rate:
        from conformance.audio.corpus import resample

        samples = (resample(samples, rate, sr) if samples.ndim == 1
                   else np.stack([resample(c, rate, sr) for c in samples]))
        rate = sr
    return Decoded(np.ascontiguousarray(samples, dtype=np.float32), rate, info)


def _check_truncated(info: AudioInfo, held: float | None) -> None:
    """Raise when the audio holds clearly less than its header declares."""
    declared = info.declared_duration
    if declared is None or held is None:
        return
    if held < declared - max(0.25, 0.02 * declared):  # codec delay and padding stay well under 0.25 s
        raise AudioDecodeError(f"{info.format} audio is truncated or corrupt: its header declares "
                               f"{_human(declared)} but it holds {_human(held)}")


def _human(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h ({seconds:.0f} s)"
    return f"{seconds:.1f} s"


def _to_channels_first(block: np.ndarray) -> np.ndarray:
    return block[:, 0] if block.shape[1] == 1 else block.T


def _decode_raw(data: bytes, rate: int, fmt: str, channels: int, limits: _Limits, *,
                strict: bool = True) -> tuple[np.ndarray, AudioInfo]:
    np = need("numpy", "decoding audio")
    sf = need("soundfile", "decoding audio")
    info = raw_info(data, sample_rate=rate, channels=channels, sample_format=fmt)
    if not data and strict:
        raise AudioDecodeError("audio is empty (0 bytes)")
    cap = limits.cap
    if info.duration and info.duration > cap and (limits.first is None or limits.first > cap):
        raise AudioDecodeError(f"raw audio holds {_human(info.duration)}, longer than the decode cap of {cap:g} s "
                               f"(pass max_duration= or set {ENV_MAX})")
    limits.check_claim(f"raw {fmt}", rate, channels, info.duration)
    width = RAW_WIDTHS[fmt] * channels
    frames = min((len(data) - len(data) % width) // width, limits.frames(rate))
    usable = int(frames) * width
    if usable == 0:
        if not strict:  # less than a frame holds no samples
            return _to_channels_first(np.zeros((0, channels), dtype=np.float32)), info
        raise AudioDecodeError(f"raw {fmt} audio is shorter than one frame ({len(data)} bytes)")
    y, _ = sf.read(io.BytesIO(data[:usable]), samplerate=rate, channels=channels, format="RAW",
                   subtype=_SF_RAW[fmt], endian="LITTLE", dtype="float32", always_2d=True)
    return _to_channels_first(np.asarray(y, dtype=np.float32)), info


def _decode_container(src: Source, info: AudioInfo, limits: _Limits) -> tuple[np.ndarray, int]:
    if info.format in ("m4a", "aac") or (info.format == "ogg" and info.codec not in ("vorbis", "opus", "flac")):
        return _decode_ffmpeg(src, info, limits)
    # MP3 goes to libsndfile too: its mpg123 drops the encoder delay and padding a LAME tag names, as
    # ffmpeg does (same length, same alignment, at every rate and bitrate tests/audio/test_probe_decode.py tries),
    # in this process: an ffmpeg process costs 70-90 ms a file. ffmpeg still takes what libsndfile refuses.
    sf = need("soundfile", "decoding audio")
    try:
        return _decode_soundfile(src, info, limits)
    except AudioDecodeError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        if ffmpeg_available():
            return _decode_ffmpeg(src, info, limits)
        raise AudioDecodeError(f"cannot decode {info.short()}: {exc}") from None


def _decode_soundfile(src: Source, info: AudioInfo | None, limits: _Limits, *,
                      rewind: bool = False) -> tuple[np.ndarray, int]:
    """libsndfile's samples, channels first. ``rewind`` seeks to the start first, as ``soundfile.read``
    does: libsndfile's MP3 decoder then gives (very slightly) other samples, which ``strict=False`` keeps.

    libsndfile's own view of the header (frames × channels) is checked against the sample cap before
    the first block is allocated; blocks hold at most ``_BLOCK`` samples whatever the channel count,
    and what is read is counted against the cap as it comes."""
    np = need("numpy", "decoding audio")
    sf = need("soundfile", "decoding audio")
    f, _size, _path = open_source(src)
    what = info.format if info is not None else "audio"
    cap = limits.cap
    try:
        with sf.SoundFile(f) as snd:
            if rewind and snd.seekable():
                snd.seek(0)
            rate, channels = snd.samplerate, snd.channels
            if rate <= 0:
                raise AudioDecodeError(f"broken {what} stream: sample rate {rate}")
            if channels <= 0:
                raise AudioDecodeError(f"broken {what} stream: {channels} channels")
            if 0 <= snd.frames < _UNKNOWN_FRAMES:
                limits.check_claim(what, rate, channels, snd.frames / rate)
            limit = math.inf if math.isinf(cap) else int(cap * rate) + 1  # more frames than this: too long
            stop = limits.frames(rate)  # more frames than this are not read
            step = max(1, _BLOCK // channels)
            blocks, have = [], 0
            while have < stop:
                block = snd.read(int(min(step, stop - have, limit + 1 - have)), dtype="float32", always_2d=True)
                if not len(block):
                    break
                blocks.append(block)
                have += len(block)
                if have > limit:
                    raise AudioDecodeError(f"{what} audio is longer than the decode cap of {cap:g} s "
                                           f"(pass max_duration= or set {ENV_MAX})")
                limits.check_held(what, rate, channels, have)
    finally:
        f.close()
    y = np.concatenate(blocks) if blocks else np.zeros((0, channels), dtype=np.float32)
    del blocks
    return _to_channels_first(y), rate


def _ffmpeg_seconds(limits: _Limits, rate: int, channels: int) -> float:
    """How many seconds ffmpeg may write: the duration cap (+1 s, so that longer audio shows), the
    first seconds asked for, and the sample cap (+50 ms, so that more samples show)."""
    seconds = limits.cap + 1 if limits.first is None or limits.first > limits.cap else limits.first
    return min(seconds, limits.samples / (rate * channels) + 0.05)


def _decode_ffmpeg(src: Source, info: AudioInfo, limits: _Limits) -> tuple[np.ndarray, int]:
    np = need("numpy", "decoding audio")
    if not ffmpeg_available():
        raise CodecUnavailableError(f"decoding {info.format}/{info.codec} audio needs ffmpeg, which is not on PATH "
                                    "(apt-get install ffmpeg)")
    rate = info.sample_rate or 48000
    channels = info.channels or 1
    f, _size, path = open_source(src)
    tmp = None
    try:
        if path is None:  # ffmpeg needs a seekable input for MP4 (its index may sit at the end)
            with tempfile.NamedTemporaryFile(suffix="." + info.format, delete=False) as tmp:
                tmp.write(f.read())
            path = tmp.name
    finally:
        f.close()
    seconds = _ffmpeg_seconds(limits, rate, channels)
    limit = [] if math.isinf(seconds) else ["-t", f"{seconds:.6f}"]
    cap = limits.cap
    args = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, *limit, "-vn",
            "-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(rate), "pipe:1"]
    try:
        out = subprocess.run(args, capture_output=True, timeout=None if math.isinf(cap) else 60 + cap / 5)
    except subprocess.TimeoutExpired:
        raise AudioDecodeError(f"ffmpeg did not finish decoding {info.short()} in time") from None
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    if out.returncode != 0 and not out.stdout:
        msg = out.stderr.decode(errors="replace").strip().splitlines()
        raise AudioDecodeError(f"cannot decode {info.short()}: ffmpeg: {msg[-1] if msg else 'failed'}")
    frames = min(len(out.stdout) // (4 * channels), limits.frames(rate))
    limits.check_held(info.format, rate, channels, int(frames))
    y = np.frombuffer(out.stdout, dtype=np.float32, count=int(frames) * channels)
    return _to_channels_first(y.reshape(-1, channels).copy()), rate


def _decode_unchecked(data: bytes, limits: _Limits, ffmpeg_rate: int | None) -> tuple[np.ndarray, int, AudioInfo]:
    """``strict=False``: whatever libsndfile reads, as it reads it; else ffmpeg, when ``ffmpeg_rate`` is given."""
    try:
        samples, rate = _decode_soundfile(data, None, limits, rewind=True)
    except AudioDecodeError:
        raise
    except Exception as exc:  # libsndfile refused the bytes (its errors are of several kinds)
        if ffmpeg_rate is None or shutil.which("ffmpeg") is None:
            raise AudioDecodeError(f"cannot decode audio: {exc}") from exc
        samples, rate = _decode_ffmpeg_piped(data, ffmpeg_rate, limits), ffmpeg_rate
    n_channels = 1 if samples.ndim == 1 else int(samples.shape[0])
    info = AudioInfo(format=sniff(data) or "unknown", codec=None, sample_rate=rate, channels=n_channels,
                     duration=samples.shape[-1] / rate, size=len(data))
    return samples, rate, info


def _decode_ffmpeg_piped(data: bytes, rate: int, limits: _Limits) -> np.ndarray:
    """``data`` piped through ffmpeg as 16-bit mono at ``rate`` (no temporary file: its name would show in errors)."""
    np = need("numpy", "decoding audio")
    seconds = _ffmpeg_seconds(limits, rate, 1)
    limit = [] if math.isinf(seconds) else ["-t", f"{seconds:.6f}"]
    args = ["ffmpeg", "-v", "error", "-i", "pipe:0", *limit, "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"]
    try:
        proc = subprocess.run(args, input=data, capture_output=True, timeout=LENIENT_FFMPEG_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise AudioDecodeError(f"cannot decode audio: ffmpeg did not finish in {LENIENT_FFMPEG_TIMEOUT:g} s") from None
    if proc.returncode != 0 or not proc.stdout:
        raise AudioDecodeError(f"cannot decode audio: {proc.stderr.decode(errors='replace').strip()[:200]}")
    frames = min(len(proc.stdout) // 2, limits.frames(rate))
    limits.check_held("audio", rate, 1, int(frames))
    return np.frombuffer(proc.stdout, dtype="<i2", count=int(frames)).astype(np.float32) / 32768.0


def encode(samples: np.ndarray, sample_rate: int, fmt: str = "wav", *, subtype: str | None = None,
           bitrate_kbps: int | None = None) -> bytes:
    """Encode float samples (``(n,)`` or ``(channels, n)``) to bytes: ``wav``, ``flac``, ``ogg`` (Vorbis)
    with libsndfile; headerless ``s16le``/``ulaw``/``alaw``/``f32le``; ``mp3``, ``opus``, ``m4a`` with ffmpeg.

    The kit's one encoder (:func:`conformance.audio.encoding.encode`) with ffmpeg as its MP3/Opus
    engine, the samples taken as float32.

    >>> mp3 = encode(y, 44100, "mp3", bitrate_kbps=32)   # doctest: +SKIP
    """
    np = need("numpy", "encoding audio")
    need("soundfile", "encoding audio")
    from conformance.audio.encoding import encode as _encode

    return _encode(np.asarray(samples, dtype=np.float32), sample_rate, fmt, subtype=subtype,
                   bitrate_kbps=bitrate_kbps, engine="ffmpeg")


def as_decoded(src: object, *, max_duration: float | None = None, **raw: object) -> Decoded:
    """Anything the audio checks accept, decoded.

    - a :class:`Decoded` passes through; a ``(samples, sample_rate)`` tuple is wrapped;
    - an object with an ``.audio`` bytes attribute (a client result) is decoded from its bytes, as
      headerless audio when it says so (``.raw_format`` such as ``s16le``/``ulaw``/``alaw`` or
      ``pcm_16000``, with ``.sample_rate``; or an ``audio/pcm``/``audio/basic`` content type);
    - a path, bytes or binary file is decoded by :func:`decode` (``raw`` takes ``sample_rate=``,
      ``sample_format=``, ``channels=`` for headerless bytes).
    """
    np = need("numpy", "decoding audio")
    if isinstance(src, Decoded):
        return src
    if isinstance(src, tuple) and len(src) == 2 and hasattr(src[0], "shape"):
        y, rate = src
        y = np.ascontiguousarray(y, dtype=np.float32)
        if int(rate) <= 0:
            raise AudioDecodeError(f"sample rate must be positive, got {rate}")
        n = y.shape[-1]
        info = AudioInfo(format="array", codec="float", sample_rate=int(rate), channels=1 if y.ndim == 1 else y.shape[0],
                         duration=n / int(rate), size=y.nbytes, sample_format="f32")
        if not np.isfinite(y).all():
            raise AudioDecodeError("audio holds non-finite sample(s) (NaN or infinity)")
        return Decoded(y, int(rate), info)
    audio = getattr(src, "audio", None)
    if isinstance(audio, bytes | bytearray | memoryview):
        fmt, rate, channels = _raw_params(src)
        if fmt is not None:
            if not rate:
                raise AudioDecodeError(f"headerless {fmt} audio result has no sample_rate")
            return decode(bytes(audio), max_duration=max_duration, sample_rate=rate, sample_format=fmt,
                          channels=channels)
        return decode(bytes(audio), max_duration=max_duration)
    if isinstance(src, bytes | bytearray | memoryview | str | os.PathLike) or hasattr(src, "read"):
        return decode(src, max_duration=max_duration, **raw)  # type: ignore[arg-type]
    raise AudioDecodeError(f"cannot read audio from {type(src).__name__}: give a path, bytes, a binary file, "
                           "(samples, sample_rate), a Decoded or a result with .audio bytes")


def _raw_params(result: object) -> tuple[str | None, int | None, int]:
    """(sample_format, sample_rate, channels) of a result that carries headerless audio, else (None, ...)."""
    raw_format = getattr(result, "raw_format", None)
    rate = getattr(result, "sample_rate", None)
    channels = getattr(result, "channels", None) or 1
    if raw_format:
        name = str(raw_format)
        if name in RAW_WIDTHS:
            return name, rate, channels
        parsed = RawFormat.parse(name)
        return parsed.sample_format, rate or parsed.sample_rate, channels
    ctype = (getattr(result, "content_type", None) or "").lower()
    base = ctype.split(";")[0].strip()
    params = dict(p.strip().split("=", 1) for p in ctype.split(";")[1:] if "=" in p)
    if base in ("audio/pcm", "audio/x-pcm", "audio/raw"):  # (audio/L16 is big-endian: not guessed)
        return "s16le", rate or (int(params["rate"]) if params.get("rate", "").isdigit() else None), channels
    if base in ("audio/basic", "audio/pcmu", "audio/x-mulaw", "audio/mulaw"):
        return "ulaw", rate or 8000, channels
    if base in ("audio/pcma", "audio/x-alaw", "audio/alaw"):
        return "alaw", rate or 8000, channels
    return None, rate, channels
