"""Real audio for the simulators: speech in a given voice, encoded in the codec a provider promises.

The timbre always comes from real speech of the voice asked for: a fixture speaker's recordings
(catalogue voices) or the reference audio sent with the request (cloning). :func:`render` picks
voiced stretches of that speech with a seeded generator and joins them to the length wanted,
following the input's pauses when there is an input to follow (a voice changer keeps the input's
timing). :func:`encode` writes the samples in the container, codec, rate and bitrate asked for.

>>> ref = speaker_reference("en_slt")                        # doctest: +SKIP
>>> y = render(ref, 3.0, 44100, seed=b"request digest")      # 3 s of her voice at 44.1 kHz
>>> mp3 = encode(y, 44100, "mp3", bitrate_kbps=128)           # CBR MP3, 128 kbps

numpy, soundfile and lameenc are imported inside the functions that need them.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

FRAME_S = 0.02  # analysis frame for voiced/unvoiced decisions, seconds
TARGET_RMS_DBFS = -20.0
PEAK_LIMIT = 0.95
CHARS_PER_SECOND = 14.0  # speaking rate used to size speech made from text


@dataclass(frozen=True, eq=False)
class Reference:
    """Real speech whose timbre an output carries: float32 mono ``samples`` at ``sample_rate`` Hz.

    ``label`` names where it came from (``speaker:en_slt`` or ``audio:<sha256 prefix>``).
    """

    samples: np.ndarray
    sample_rate: int
    label: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


# --------------------------------------------------------------------------------------------
# where speech comes from
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def speaker_reference(speaker_id: str) -> Reference:
    """Every clip of one fixture speaker, joined, at the speaker's own rate (the simulators' audio source)."""
    import numpy as np

    from conformance.audio import corpus

    pieces = [corpus.load(c)[0] for c in corpus.clips(speaker_id)]
    rate = corpus.speaker(speaker_id).sample_rate
    y = np.concatenate(pieces).astype(np.float32)
    y.setflags(write=False)
    return Reference(y, rate, f"speaker:{speaker_id}")


def speaker_ids() -> list[str]:
    from conformance.audio import corpus

    return [s.id for s in corpus.speakers()]


def wideband_speaker_ids() -> list[str]:
    from conformance.audio import corpus

    return [s.id for s in corpus.speakers() if s.wideband]


def decode(data: bytes, *, raw_sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Samples of an uploaded file as float32 mono: WAV, FLAC, OGG, MP3 in-process, M4A/AAC via ffmpeg.

    ``raw_sample_rate`` reads headerless 16-bit little-endian PCM at that rate.
    Raises ``ValueError`` when the bytes cannot be decoded.
    """
    import numpy as np
    import soundfile as sf

    if raw_sample_rate is not None:
        usable = len(data) - len(data) % 2
        return np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0, raw_sample_rate
    try:
        y, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:
        if shutil.which("ffmpeg") is None:
            raise ValueError(f"cannot decode audio: {exc}") from None
        return _decode_ffmpeg(data)
    return np.ascontiguousarray(y.mean(axis=1), dtype=np.float32), int(rate)


def _decode_ffmpeg(data: bytes, rate: int = 24000) -> tuple[np.ndarray, int]:
    import numpy as np

    proc = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"],
        input=data, capture_output=True, timeout=30, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise ValueError(f"cannot decode audio: {proc.stderr.decode(errors='replace').strip()[:200]}")
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float32) / 32768.0, rate


def audio_reference(data: bytes, *, raw_sample_rate: int | None = None) -> Reference:
    """A :class:`Reference` from uploaded bytes (cached by content)."""
    return _audio_reference(data, raw_sample_rate)


@lru_cache(maxsize=32)
def _audio_reference(data: bytes, raw_sample_rate: int | None) -> Reference:
    y, rate = decode(data, raw_sample_rate=raw_sample_rate)
    y.setflags(write=False)
    return Reference(y, rate, "audio:" + hashlib.sha256(data).hexdigest()[:12])


# --------------------------------------------------------------------------------------------
# making speech
# --------------------------------------------------------------------------------------------


def resample(y: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    """``y`` from ``orig_sr`` to ``sr`` Hz (the corpus' band-limited resampler)."""
    from conformance.audio.corpus import resample as _resample

    return _resample(y, orig_sr, sr)


@lru_cache(maxsize=64)
def _at_rate(ref: Reference, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference at ``sr`` Hz and its voiced runs as (start, stop) sample pairs."""
    import numpy as np

    y = resample(ref.samples, ref.sample_rate, sr) if ref.sample_rate != sr else ref.samples
    frame = max(1, round(FRAME_S * sr))
    n = len(y) // frame
    if n == 0:
        return y, np.zeros((0, 2), dtype=np.int64)
    rms = np.sqrt(np.mean(np.square(y[: n * frame].reshape(n, frame), dtype=np.float64), axis=1))
    voiced = rms > max(1e-4, 0.1 * float(np.percentile(rms, 95)))
    edges = np.flatnonzero(np.diff(np.concatenate(([0], voiced.astype(np.int8), [0]))))
    runs = edges.reshape(-1, 2) * frame
    runs = runs[(runs[:, 1] - runs[:, 0]) >= round(0.1 * sr)]
    if len(runs) == 0:
        runs = np.array([[0, len(y)]], dtype=np.int64)
    return y, runs


def _rng(seed: bytes | str | int) -> np.random.Generator:
    import numpy as np

    if isinstance(seed, int):
        seed = str(seed)
    if isinstance(seed, str):
        seed = seed.encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed).digest()[:8], "little"))


def voiced_gain(y: np.ndarray, sr: int, n_out: int, out_sr: int) -> np.ndarray:
    """Per-sample gain in [0, 1] at ``out_sr`` that is 1 where ``y`` holds speech and 0 in its pauses."""
    import numpy as np

    frame = max(1, round(FRAME_S * sr))
    n = max(1, len(y) // frame)
    padded = np.zeros(n * frame, dtype=np.float32)
    padded[: min(len(y), n * frame)] = y[: n * frame]
    rms = np.sqrt(np.mean(np.square(padded.reshape(n, frame), dtype=np.float64), axis=1))
    top = float(np.percentile(rms, 95)) if n else 0.0
    if top <= 1e-5:
        return np.zeros(n_out, dtype=np.float32)  # a silent input stays silent
    gate = np.clip((rms - 0.05 * top) / (0.1 * top), 0.0, 1.0)
    kernel = np.ones(3) / 3.0
    gate = np.convolve(gate, kernel, mode="same")
    t_out = (np.arange(n_out) + 0.5) / out_sr
    return np.interp(t_out, (np.arange(n) + 0.5) * FRAME_S, gate).astype(np.float32)


def render(ref: Reference, duration: float, sr: int, *, seed: bytes | str | int,
           follow: tuple[np.ndarray, int] | None = None, pauses: bool = True) -> np.ndarray:
    """``duration`` seconds of speech in the voice of ``ref`` at ``sr`` Hz (float32 mono).

    Voiced stretches of the reference (0.3–1.2 s) are picked by a generator seeded with ``seed`` and
    joined with 10 ms cross-fades. ``follow=(samples, rate)`` gates the result with that input's
    pauses (a voice changer keeps the input's timing); otherwise ``pauses`` puts short breaks
    between phrases. Level: RMS at -20 dBFS, peaks under 0.95.
    """
    import numpy as np

    n_out = max(1, round(duration * sr))
    y, runs = _at_rate(ref, sr)
    rng = _rng(seed)
    fade = max(1, round(0.01 * sr))
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    out = np.zeros(n_out + fade, dtype=np.float32)
    pos = 0
    order = rng.permutation(len(runs))
    k = int(rng.integers(len(runs)))
    phrase_left = int(rng.integers(2, 5))
    while pos < n_out:
        start, stop = runs[order[k % len(runs)]]
        k += 1
        want = int(rng.uniform(0.3, 1.2) * sr)
        length = int(min(want, stop - start))
        if length <= 2 * fade:
            continue
        offset = int(start + rng.integers(0, max(1, stop - start - length + 1)))
        piece = y[offset: offset + length].astype(np.float32, copy=True)
        piece[:fade] *= ramp
        piece[-fade:] *= ramp[::-1]
        end = min(len(out), pos + length)
        out[pos:end] += piece[: end - pos]
        pos = end - fade
        if pauses and follow is None:
            phrase_left -= 1
            if phrase_left == 0:
                pos += int(rng.uniform(0.12, 0.3) * sr)
                phrase_left = int(rng.integers(2, 5))
    out = out[:n_out]
    if follow is not None:
        out *= voiced_gain(follow[0], follow[1], n_out, sr)
    return normalize(out)


def normalize(y: np.ndarray) -> np.ndarray:
    """Scale to an RMS of -20 dBFS with peaks under 0.95 (silence stays silence)."""
    import numpy as np

    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) if len(y) else 0.0
    if rms <= 1e-7:
        return y
    gain = 10 ** (TARGET_RMS_DBFS / 20) / rms
    peak = float(np.max(np.abs(y))) * gain
    if peak > PEAK_LIMIT:
        gain *= PEAK_LIMIT / peak
    return (y * gain).astype(np.float32)


@lru_cache(maxsize=64)
def median_pitch(ref: Reference) -> float:
    """Median fundamental frequency of the voiced frames of ``ref``, Hz (autocorrelation, 60–400 Hz)."""
    import numpy as np

    sr = 16000
    y, runs = _at_rate(ref, sr)
    frame, hop = 640, 320
    lo, hi = sr // 400, sr // 60
    f0s = []
    for start, stop in runs:
        for s in range(int(start), int(stop) - frame, hop):
            x = y[s: s + frame] - float(np.mean(y[s: s + frame]))
            spec = np.fft.rfft(x, 2 * frame)
            ac = np.fft.irfft(spec * np.conj(spec))[: frame]
            if ac[0] <= 0:
                continue
            lag = lo + int(np.argmax(ac[lo:hi]))
            if ac[lag] / ac[0] > 0.4:
                f0s.append(sr / lag)
    return float(np.median(f0s)) if f0s else 150.0


def text_duration(text: str, speed: float = 1.0) -> float:
    """How long speech of ``text`` lasts at ``speed`` (1.0 = normal), in seconds (at least 1 s)."""
    return max(1.0, len(text.strip()) / CHARS_PER_SECOND) / max(speed, 0.1)


# --------------------------------------------------------------------------------------------
# encoders
# --------------------------------------------------------------------------------------------


def to_int16(y: np.ndarray) -> np.ndarray:
    import numpy as np

    return (np.clip(y, -1.0, 32767 / 32768) * 32768.0).astype("<i2")


def encode(y: np.ndarray, sr: int, codec: str, *, bitrate_kbps: int | None = None) -> bytes:
    """``y`` (float32 mono at ``sr`` Hz) as ``codec``: mp3 (CBR), opus (Ogg, 48 kHz), wav (PCM16),
    pcm (raw s16le), ulaw / alaw (raw G.711)."""
    if codec == "mp3":
        return encode_mp3(y, sr, bitrate_kbps or 128)
    if codec == "opus":
        return encode_opus(y, sr, bitrate_kbps or 64)
    if codec == "pcm":
        return to_int16(y).tobytes()
    if codec == "wav":
        return _soundfile_bytes(y, sr, "WAV", "PCM_16")
    if codec in ("ulaw", "alaw"):
        return _soundfile_bytes(y, sr, "RAW", codec.upper())
    raise ValueError(f"no encoder for codec {codec!r}")


def _soundfile_bytes(y: np.ndarray, sr: int, fmt: str, subtype: str, **kwargs: object) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt, subtype=subtype, **kwargs)
    return buf.getvalue()


MP3_RATES = (16000, 22050, 24000, 32000, 44100, 48000)  # MPEG-1 and MPEG-2 (not the 2.5 extension)


def mp3_rate(sr: int) -> int:
    """The MPEG-1/2 audio rate closest to ``sr`` from above."""
    return next((r for r in MP3_RATES if r >= sr), MP3_RATES[-1])


def encode_mp3(y: np.ndarray, sr: int, bitrate_kbps: int) -> bytes:
    """Constant-bitrate MP3 at exactly ``bitrate_kbps`` and ``sr`` Hz (LAME through lameenc).

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


OPUS_RATE = 48000


def encode_opus(y: np.ndarray, sr: int, bitrate_kbps: int) -> bytes:
    """Ogg/Opus at ``bitrate_kbps`` (48 kHz, mono): libopus through ctypes when the shared library is
    there, else libsndfile (whose compression level maps linearly onto 6–256 kbps)."""
    if sr != OPUS_RATE:
        y = resample(y, sr, OPUS_RATE)
    from conformance.simulators import opus

    if opus.available():
        return opus.encode_ogg_opus(to_int16(y), bitrate_kbps * 1000)
    level = min(1.0, max(0.0, (256_000 - bitrate_kbps * 1000) / 250_000))
    return _soundfile_bytes(y, OPUS_RATE, "OGG", "OPUS", compression_level=level)
