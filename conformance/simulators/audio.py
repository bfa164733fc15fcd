"""Real audio for the simulators: speech in a given voice, encoded in the codec a provider promises.

The timbre always comes from real speech of the voice asked for: a fixture speaker's recordings
(catalogue voices) or the reference audio sent with the request (cloning). :func:`render` picks
voiced stretches of that speech with a seeded generator and joins them to the length wanted,
following the input's pauses when there is an input to follow (a voice changer keeps the input's
timing). :func:`encode` writes the samples in the container, codec, rate and bitrate asked for.

>>> ref = speaker_reference("en_slt")                        # doctest: +SKIP
>>> y = render(ref, 3.0, 44100, seed=b"request digest")      # 3 s of her voice at 44.1 kHz
>>> mp3 = encode(y, 44100, "mp3", bitrate_kbps=128)           # CBR MP3, 128 kbps

Uploads are read by the kit's decoder (:func:`conformance.audio.decoding.decode`, ``strict=False``)
and output is written by its encoder (:mod:`conformance.audio.encoding`, re-exported here).
numpy, soundfile and lameenc are imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from conformance.audio._cache import ByteBudget

# the encoders live in the kit's one encoder module: re-exported for the provider simulators
from conformance.audio.encoding import MP3_RATES as MP3_RATES
from conformance.audio.encoding import OPUS_RATE as OPUS_RATE
from conformance.audio.encoding import encode as encode
from conformance.audio.encoding import encode_mp3 as encode_mp3
from conformance.audio.encoding import encode_opus as encode_opus
from conformance.audio.encoding import mp3_rate as mp3_rate
from conformance.audio.encoding import to_int16 as to_int16

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


@lru_cache(maxsize=16)
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


FFMPEG_RATE = 24000  # what ffmpeg decodes the uploads libsndfile cannot read to


def decode(data: bytes, *, raw_sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Samples of an uploaded file as float32 mono: WAV, FLAC, OGG, MP3 in-process, M4A/AAC via ffmpeg.

    ``raw_sample_rate`` reads headerless 16-bit little-endian PCM at that rate.
    Raises ``ValueError`` when the bytes cannot be decoded.

    The kit's decoder, unchecked (``strict=False``): a simulator reads what a lenient service would
    (MP3 with its encoder delay, no length cap), and what libsndfile refuses at 24 kHz through ffmpeg.
    The decoder's sample cap still holds: an upload claiming more than 600 s of 48 kHz stereo worth of
    samples is refused (``ValueError``, the provider's invalid-audio answer) before it is decoded.
    """
    from conformance.audio.decoding import decode as _decode

    if raw_sample_rate is not None:
        d = _decode(data, sample_rate=raw_sample_rate, sample_format="s16le", strict=False, max_duration=math.inf)
    else:
        d = _decode(data, mono=True, strict=False, max_duration=math.inf, ffmpeg_rate=FFMPEG_RATE)
    return d.samples, d.sample_rate


def audio_reference(data: bytes, *, raw_sample_rate: int | None = None) -> Reference:
    """A :class:`Reference` from uploaded bytes (cached by content, within a memory budget)."""
    key = (data, raw_sample_rate)  # bytes cache their hash: a repeated upload is found cheaply
    ref = _references.get(key)
    if ref is not None:
        return ref
    y, rate = decode(data, raw_sample_rate=raw_sample_rate)
    y.setflags(write=False)
    ref = Reference(y, rate, "audio:" + hashlib.sha256(data).hexdigest()[:12])
    _references.put(key, ref, nbytes=len(data) + y.nbytes)  # the key holds the upload itself
    return ref


# Decoded uploads kept for reuse: fuzzing sends the same few clips again and again, but an upload
# can be minutes long, so the cache is bounded by bytes (the upload and its samples), not a count;
# least recently used first, and an upload too big for the whole budget is not kept.
REFERENCE_CACHE_BYTES = 64 * 2**20
_references: ByteBudget[Reference] = ByteBudget(REFERENCE_CACHE_BYTES, lambda ref: ref.samples.nbytes, touch=True)

# References at another rate (and their phrases), by bytes too: a key holds its reference's samples.
AT_RATE_CACHE_BYTES = 128 * 2**20
_at_rates: ByteBudget[tuple[Any, Any]] = ByteBudget(AT_RATE_CACHE_BYTES, touch=True)

# Small facts about a reference (its pitch, whose voice it is), kept by what the reference is (its
# label, rate and length), never by the reference itself: these must not keep samples alive.
_facts: ByteBudget[Any] = ByteBudget(512, lambda _: 1, touch=True)
_NOT_KEPT = object()


def _fact(kind: str, ref: Reference, compute: Callable[[Reference], Any]) -> Any:
    key: Hashable = (kind, ref.label, ref.sample_rate, len(ref.samples))
    value = _facts.get(key, _NOT_KEPT)
    if value is _NOT_KEPT:
        value = compute(ref)
        _facts.put(key, value)
    return value


# --------------------------------------------------------------------------------------------
# making speech
# --------------------------------------------------------------------------------------------


def resample(y: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    """``y`` from ``orig_sr`` to ``sr`` Hz (the corpus' band-limited resampler)."""
    from conformance.audio.corpus import resample as _resample

    return _resample(y, orig_sr, sr)


def _at_rate(ref: Reference, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference at ``sr`` Hz and its phrases, as (start, stop) sample pairs (see :func:`sound_runs`);
    kept within ``AT_RATE_CACHE_BYTES``."""
    import numpy as np

    hit = _at_rates.get((ref, sr))
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    y = resample(ref.samples, ref.sample_rate, sr) if ref.sample_rate != sr else ref.samples
    runs = sound_runs(y, sr, min_run_s=0.1)
    if len(runs) == 0:
        runs = np.array([[0, len(y)]], dtype=np.int64)
    _at_rates.put((ref, sr), (y, runs),
                  nbytes=ref.samples.nbytes + runs.nbytes + (0 if y is ref.samples else y.nbytes))
    return y, runs


PAUSE_S = 0.12  # a quieter stretch at least this long ends a phrase; shorter ones are inside words


def sound_runs(y: np.ndarray, sr: int, *, min_run_s: float = 0.06, pause_s: float = PAUSE_S) -> np.ndarray:
    """Where ``y`` holds sound: (start, stop) sample pairs of the stretches between pauses (frames
    under a tenth of the loud level for at least ``pause_s``), each at least ``min_run_s`` long."""
    import numpy as np

    frame = max(1, round(FRAME_S * sr))
    n = len(y) // frame
    if n == 0:
        return np.zeros((0, 2), dtype=np.int64)
    rms = np.sqrt(np.mean(np.square(y[: n * frame].reshape(n, frame), dtype=np.float64), axis=1))
    top = float(np.percentile(rms, 95))
    if top <= 1e-5:
        return np.zeros((0, 2), dtype=np.int64)  # silence has no runs
    on = rms > max(1e-4, 0.08 * top)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0])))).reshape(-1, 2)
    merged: list[list[int]] = []
    for a, b in edges:
        if merged and (a - merged[-1][1]) * FRAME_S < pause_s:
            merged[-1][1] = int(b)
        else:
            merged.append([int(a), int(b)])
    runs = np.array(merged, dtype=np.int64).reshape(-1, 2) * frame
    return runs[(runs[:, 1] - runs[:, 0]) >= round(min_run_s * sr)]


def _rng(seed: bytes | str | int) -> np.random.Generator:
    import numpy as np

    if isinstance(seed, int):
        seed = str(seed)
    if isinstance(seed, str):
        seed = seed.encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed).digest()[:8], "little"))


def render(ref: Reference, duration: float, sr: int, *, seed: bytes | str | int,
           follow: tuple[np.ndarray, int] | None = None, pauses: bool = True) -> np.ndarray:
    """``duration`` seconds of speech in the voice of ``ref`` at ``sr`` Hz (float32 mono).

    The output is the reference's own phrases, whole where they fit (real speech, as a listener or a
    quality model hears it). Without ``follow``: phrases picked by a generator seeded with ``seed``,
    with the short breaks between them a speaker makes (``pauses``). With ``follow=(samples, rate)``
    (a voice changer's input): see :func:`render_following`, which keeps the input's length, its
    pauses and where its speech falls. Level: RMS at -20 dBFS, peaks under 0.95.
    """
    import numpy as np

    if follow is not None:
        return render_following(ref, follow[0], follow[1], duration, sr, seed=seed)
    n_out = max(1, round(duration * sr))
    y, phrases = _at_rate(ref, sr)
    rng = _rng(seed)
    out = np.zeros(n_out, dtype=np.float32)
    pos = 0
    while pos < n_out:
        piece = _phrase(y, phrases, n_out - pos, rng, sr)
        out[pos: pos + len(piece)] = piece
        pos += len(piece) + (round(rng.uniform(0.15, 0.35) * sr) if pauses else 0)
    return normalize(out)


def render_following(ref: Reference, source: np.ndarray, source_sr: int, duration: float, sr: int, *,
                     seed: bytes | str | int) -> np.ndarray:
    """A voice changer: the input's length, pauses and timing, in the voice of ``ref``.

    Each stretch of sound in the input (between its pauses, :func:`sound_runs`) is filled with a
    phrase of the reference as long as it, or longer and cut, faded in and out; the pauses stay
    silent. Where the speech falls is kept (a DTW alignment of input and output runs along the
    diagonal); what is said and its intonation are the reference's, not the input's.
    """
    import numpy as np

    n_out = max(1, round(duration * sr))
    y, phrases = _at_rate(ref, sr)
    rng = _rng(seed)
    out = np.zeros(n_out, dtype=np.float32)
    for a, b in sound_runs(source, source_sr):
        start, stop = round(a * sr / source_sr), min(n_out, round(b * sr / source_sr))
        if stop - start > 0:
            piece = _phrase(y, phrases, stop - start, rng, sr)
            out[start: start + len(piece)] = piece
    return normalize(out)


def _phrase(y: np.ndarray, phrases: np.ndarray, length: int, rng: np.random.Generator, sr: int) -> np.ndarray:
    """``length`` samples (at most) of speech: a phrase of ``y`` at least that long, cut, or phrases
    joined with 20 ms cross-fades; faded in and out (20 ms)."""
    import numpy as np

    fade = max(1, round(0.02 * sr))
    long_enough = [(a, b) for a, b in phrases if b - a >= length]
    if long_enough:
        a, _ = long_enough[int(rng.integers(len(long_enough)))]
        piece = y[a: a + length].astype(np.float32, copy=True)
    else:
        piece = np.zeros(0, dtype=np.float32)
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        while len(piece) < length:
            a, b = phrases[int(rng.integers(len(phrases)))]
            part = y[a:b].astype(np.float32, copy=True)
            if len(piece) >= fade and len(part) >= fade:
                part[:fade] *= ramp
                piece[-fade:] *= ramp[::-1]
                piece = np.concatenate([piece[:-fade], piece[-fade:] + part[:fade], part[fade:]])
            else:
                piece = np.concatenate([piece, part])
        piece = piece[:length]
    n = min(fade, len(piece) // 2)
    if n:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        piece[:n] *= ramp
        piece[-n:] *= ramp[::-1]
    return piece


@lru_cache(maxsize=1)
def _mel_dct() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hann window, mel filterbank (40 bands, 0–8 kHz, 512-point FFT at 16 kHz) and DCT-II matrix (19 × 40)."""
    import numpy as np

    n_fft, n_mels, sr = 512, 40, 16000
    mel = lambda f: 2595 * np.log10(1 + f / 700)  # noqa: E731
    hz = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    edges = hz(np.linspace(mel(0), mel(sr / 2), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1 / sr)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bank = np.maximum(0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))
    k = np.arange(n_mels)
    dct = np.cos(np.pi / n_mels * (k[None, :] + 0.5) * np.arange(1, 20)[:, None])
    return np.hanning(400).astype(np.float32), bank.astype(np.float32), dct.astype(np.float32)


def _log_mel(y: np.ndarray, sr: int) -> np.ndarray:
    """Log mel energies every 10 ms (16 kHz, 25 ms Hann frames): frames × mel bands."""
    import numpy as np

    x = resample(y, sr, 16000) if sr != 16000 else np.asarray(y, np.float32)
    if len(x) < 400:
        x = np.pad(x, (0, 400 - len(x)))
    window, bank, _ = _mel_dct()
    frames = np.lib.stride_tricks.sliding_window_view(x, 400)[::160] * window
    power = np.abs(np.fft.rfft(frames, 512, axis=1)) ** 2
    return np.log(power @ bank.T + 1e-8)


@lru_cache(maxsize=1)
def _blas_controller() -> object | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with the audio extra
        return None
    return ThreadpoolController()


def one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Small matrix products run faster on one BLAS thread than on a pool that other processes
    (or the server's other requests) keep busy; this keeps synthesis time steady."""
    controller = _blas_controller()
    if controller is None:  # pragma: no cover
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")  # type: ignore[attr-defined]


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


def median_pitch(ref: Reference) -> float:
    """Median fundamental frequency of the voiced frames of ``ref``, Hz (autocorrelation, 60–400 Hz)."""
    return _fact("pitch", ref, _median_pitch)  # type: ignore[no-any-return]


def _median_pitch(ref: Reference) -> float:
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


# --------------------------------------------------------------------------------------------
# speaking text
# --------------------------------------------------------------------------------------------

SENTENCE_PAUSE_S = 0.25
IDENTITY_MARGIN = 0.6  # nearest fixture voice print must be this much closer than the next one


def _words(text: str) -> str:
    import re

    return " ".join(re.findall(r"\w+", text.lower()))


@lru_cache(maxsize=1)
def _transcripts() -> dict[str, list[tuple[str, object]]]:
    """Every fixture clip with a transcript, by its words: ``{words: [(speaker, clip), …]}``."""
    from conformance.audio import corpus

    out: dict[str, list[tuple[str, object]]] = {}
    for sp in corpus.speakers():
        for clip in corpus.clips(sp.id):
            if clip.text:
                out.setdefault(_words(clip.text), []).append((sp.id, clip))
    return out


def _voice_print(samples: np.ndarray, sr: int) -> np.ndarray:
    """Mean and spread of the raw (not normalised) MFCCs of the active frames: a cheap voice print."""
    import numpy as np

    mel = _log_mel(samples, sr)
    dct = _mel_dct()[2]
    energy = mel.max(axis=1)
    active = energy > np.percentile(energy, 95) - 4.0  # within ~17 dB of the loud frames
    m = mel[active] @ dct.T
    return np.concatenate([m.mean(axis=0), m.std(axis=0)])


@lru_cache(maxsize=1)
def _fixture_prints() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np

    ids = speaker_ids()
    prints = np.stack([_voice_print(speaker_reference(i).samples, speaker_reference(i).sample_rate) for i in ids])
    centre, spread = prints.mean(axis=0), prints.std(axis=0) + 1e-6
    return ids, (prints - centre) / spread, centre, spread


def speaker_of(ref: Reference) -> str | None:
    """The fixture speaker whose voice ``ref`` is, if it clearly is one (else ``None``)."""
    if ref.label.startswith("speaker:"):
        return ref.label.removeprefix("speaker:")
    return _fact("speaker", ref, _speaker_of)  # type: ignore[no-any-return]


def _speaker_of(ref: Reference) -> str | None:
    import numpy as np
    with one_blas_thread():
        ids, prints, centre, spread = _fixture_prints()
        mine = (_voice_print(ref.samples, ref.sample_rate) - centre) / spread
        dist = np.sqrt(((prints - mine) ** 2).sum(axis=1))
    order = np.argsort(dist)
    if len(order) > 1 and dist[order[0]] < IDENTITY_MARGIN * dist[order[1]]:
        return ids[int(order[0])]
    return None


def speak_text(ref: Reference, text: str, sr: int, *, seed: bytes | str | int, speed: float = 1.0) -> np.ndarray:
    """``text`` in the voice of ``ref`` at ``sr`` Hz.

    Sentences a fixture clip says, in the voice of that clip's speaker, are spoken for real with that
    clip (the simulator cannot synthesise new words; this way English text endpoints can be checked
    for intelligibility). Other sentences are the voice's own speech, spliced to a plausible length.
    """
    import re

    import numpy as np

    from conformance.audio import corpus

    who = speaker_of(ref)
    said = _transcripts()
    pieces: list[np.ndarray] = []
    pause = np.zeros(round(SENTENCE_PAUSE_S * sr), dtype=np.float32)
    sentences = [t for t in re.split(r"(?<=[.!?؟。])\s+", text.strip()) if t.strip()] or [text]
    for i, sentence in enumerate(sentences):
        clip = next((c for spk, c in said.get(_words(sentence), []) if spk == who), None) if who else None
        if clip is not None:
            y, _ = corpus.load(clip, sr)  # type: ignore[arg-type]
            if abs(speed - 1.0) > 1e-3:
                y = np.interp(np.arange(0, len(y), speed), np.arange(len(y)), y).astype(np.float32)
            pieces.append(y)
        else:
            pieces.append(render(ref, text_duration(sentence, speed), sr, seed=f"{i}".encode() + bytes(
                seed if isinstance(seed, bytes) else str(seed).encode())))
        pieces.append(pause)
    return normalize(np.concatenate(pieces[:-1]))


def text_duration(text: str, speed: float = 1.0) -> float:
    """How long speech of ``text`` lasts at ``speed`` (1.0 = normal), in seconds (at least 1 s)."""
    return max(1.0, len(text.strip()) / CHARS_PER_SECOND) / max(speed, 0.1)
