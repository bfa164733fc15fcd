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
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

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
    """
    from conformance.audio.decoding import decode as _decode

    if raw_sample_rate is not None:
        d = _decode(data, sample_rate=raw_sample_rate, sample_format="s16le", strict=False, max_duration=math.inf)
    else:
        d = _decode(data, mono=True, strict=False, max_duration=math.inf, ffmpeg_rate=FFMPEG_RATE)
    return d.samples, d.sample_rate


def audio_reference(data: bytes, *, raw_sample_rate: int | None = None) -> Reference:
    """A :class:`Reference` from uploaded bytes (cached by content, within a memory budget)."""
    global _reference_bytes
    key = (data, raw_sample_rate)  # bytes cache their hash: a repeated upload is found cheaply
    with _references_lock:
        ref = _references.get(key)
        if ref is not None:
            _references.move_to_end(key)
            return ref
    y, rate = decode(data, raw_sample_rate=raw_sample_rate)
    y.setflags(write=False)
    ref = Reference(y, rate, "audio:" + hashlib.sha256(data).hexdigest()[:12])
    with _references_lock:
        if key not in _references:
            _references[key] = ref
            _reference_bytes += y.nbytes
        while _reference_bytes > REFERENCE_CACHE_BYTES and len(_references) > 1:
            _, old = _references.popitem(last=False)  # least recently used first
            _reference_bytes -= old.samples.nbytes
    return ref


# Decoded uploads kept for reuse: fuzzing sends the same few clips again and again, but an upload
# can be minutes long, so the cache is bounded by the decoded samples' size, not a count.
REFERENCE_CACHE_BYTES = 64 * 2**20
_references: OrderedDict[tuple[bytes, int | None], Reference] = OrderedDict()
_references_lock = threading.Lock()
_reference_bytes = 0


# --------------------------------------------------------------------------------------------
# making speech
# --------------------------------------------------------------------------------------------


def resample(y: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    """``y`` from ``orig_sr`` to ``sr`` Hz (the corpus' band-limited resampler)."""
    from conformance.audio.corpus import resample as _resample

    return _resample(y, orig_sr, sr)


@lru_cache(maxsize=16)
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

    Without ``follow``: voiced stretches of the reference (0.3–1.2 s) are picked by a generator
    seeded with ``seed`` and joined with 10 ms cross-fades, with short breaks between phrases
    (``pauses``). With ``follow=(samples, rate)`` (a voice changer's input): see
    :func:`render_following`, which keeps the input's timing, pauses and intonation.
    Level: RMS at -20 dBFS, peaks under 0.95.
    """
    import numpy as np

    if follow is not None:
        return render_following(ref, follow[0], follow[1], duration, sr, seed=seed)
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
        if pauses:
            phrase_left -= 1
            if phrase_left == 0:
                pos += int(rng.uniform(0.12, 0.3) * sr)
                phrase_left = int(rng.integers(2, 5))
    return normalize(out[:n_out])


UNIT_S = 0.06  # unit length of the voice changer's unit selection (50 % overlap)
HOP_S = 0.01  # F0 frame hop
PITCH_TOLERANCE = 0.06  # log-F0 distance (about a semitone) within which a unit's continuation is kept
SPECTRAL_SCALE = 4.0  # mean squared distance of normalised MFCCs worth one PITCH_TOLERANCE of pitch error
CONTINUITY = 1.0  # extra cost of jumping to another place of the reference
QUIET_MISMATCH = 2.0  # extra cost of a voiced reference unit where the input is unvoiced
TIE_BREAK = 0.05  # seeded noise added to the candidates' costs
REF_STEP = 1  # candidate units start every REF_STEP 10 ms frames
MAX_BEND = 2 ** (3 / 12)  # a unit is re-pitched by at most three semitones (formants move with it)


def _f0(y: np.ndarray, sr: int) -> np.ndarray:
    """log-F0 every 10 ms (NaN where unvoiced): the kit's own YIN tracker."""
    import numpy as np

    from conformance.audio.analysis import f0_track

    return np.log(f0_track(y, sr, hop_s=HOP_S))


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


def _mfcc(y: np.ndarray, sr: int) -> np.ndarray:
    """MFCCs 1–19 every 10 ms (16 kHz, 25 ms frames), normalised per file: frames × 19.

    Per-file mean and variance normalisation takes the speaker out, so units are matched on
    what is said rather than on who says it.
    """
    import numpy as np

    m = _log_mel(y, sr) @ _mel_dct()[2].T
    return ((m - m.mean(axis=0)) / (m.std(axis=0) + 1e-6)).astype(np.float32)  # noqa: RUF100


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


def _unit_spectra(m: np.ndarray, width: int) -> np.ndarray:
    """For each start frame: the unit's MFCCs at its start, middle and end (pairs of frames averaged)."""
    import numpy as np

    n = max(1, len(m) - width)
    pad = np.vstack([m, np.zeros((width + 2, m.shape[1]), np.float32)])
    parts = [(pad[o: o + n] + pad[o + 1: o + 1 + n]) / 2 for o in (0, width // 2 - 1, width - 2)]
    return np.hstack(parts)


@lru_cache(maxsize=16)
def _reference_units(ref: Reference) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate units of a reference, every other 10 ms frame: start frames, spectra, mean log-F0
    (``inf`` where mostly unvoiced) and whether voiced."""
    import numpy as np

    width = round(UNIT_S / HOP_S)
    spectra = _unit_spectra(_mfcc(ref.samples, ref.sample_rate), width)
    mean, share = _unit_pitch(ref)
    last = int((ref.duration - UNIT_S * MAX_BEND) / HOP_S)  # a unit read faster still fits
    starts = np.arange(0, max(1, min(last, len(spectra), len(mean))), REF_STEP)
    voiced = share[starts] >= 0.5
    pitch = np.where(voiced, mean[starts], np.inf)
    return starts, spectra[starts], pitch, voiced


@lru_cache(maxsize=16)
def _unit_pitch(ref: Reference) -> tuple[np.ndarray, np.ndarray]:
    """Per 10 ms start position of the reference: mean log-F0 of the unit starting there, voiced share."""
    import numpy as np

    lf0 = _f0(ref.samples, ref.sample_rate)
    width = round(UNIT_S / HOP_S)
    voiced = ~np.isnan(lf0)
    filled = np.where(voiced, lf0, 0.0)
    csum = np.concatenate(([0.0], np.cumsum(filled)))
    cnt = np.concatenate(([0], np.cumsum(voiced)))
    n = max(1, len(lf0) - width)
    counts = cnt[width: width + n] - cnt[:n]
    mean = (csum[width: width + n] - csum[:n]) / np.maximum(counts, 1)
    mean = np.where(counts > 0, mean, np.nan)
    return mean, counts / width


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


def render_following(ref: Reference, source: np.ndarray, source_sr: int, duration: float, sr: int, *,
                     seed: bytes | str | int) -> np.ndarray:
    """A voice changer: the input's timing, pauses and intonation, said in the voice of ``ref``
    (see :func:`_render_following`)."""
    with one_blas_thread():
        return _render_following(ref, source, source_sr, duration, sr, seed=seed)


def _render_following(ref: Reference, source: np.ndarray, source_sr: int, duration: float, sr: int, *,
                      seed: bytes | str | int) -> np.ndarray:
    """A voice changer: the input's timing, pauses and intonation, said in the voice of ``ref``.

    Unit selection: the output is 60 ms units of the reference's own speech, overlap-added at 50 %.
    For each unit of the input the reference unit is chosen that is closest in what is said
    (speaker-normalised MFCCs) and in pitch (the input's log-F0 contour moved into the reference's
    register and range), keeping on from the previous unit when that costs less than
    ``CONTINUITY`` more; the chosen unit is then read up to three semitones faster or slower to land on
    the wanted pitch. The seed breaks ties between equally good units. The input's pauses gate the
    result, so its length and timing are kept.
    """
    import numpy as np

    n_out = max(1, round(duration * sr))
    y, _runs = _at_rate(ref, sr)
    if len(y) < 2 * UNIT_S * MAX_BEND * sr:  # too little of the voice to choose from: plain splicing, gated
        return normalize(render(ref, duration, sr, seed=seed) * voiced_gain(source, source_sr, n_out, sr))
    starts, ref_spec, ref_pitch, ref_voiced = _reference_units(ref)
    width = round(UNIT_S / HOP_S)
    hop_frames = width // 2
    step = round(UNIT_S * sr / 2)
    unit_len = 2 * step
    n_units = -(-n_out // step)
    src_lf0 = _f0(source, source_sr)
    src_spec = _unit_spectra(_mfcc(source, source_sr), width)
    # the input's pitch per unit (NaN where mostly unvoiced), moved into the reference's register and range
    idx = np.arange(n_units) * hop_frames
    padded = np.concatenate([src_lf0, np.full(width, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)[np.minimum(idx, len(padded) - width)]
    voiced_share = np.isfinite(windows).mean(axis=1)
    sums = np.nansum(windows, axis=1)
    src_pitch = np.where(voiced_share >= 0.5, sums / np.maximum(np.isfinite(windows).sum(axis=1), 1), np.nan)
    finite_ref = ref_pitch[np.isfinite(ref_pitch)]
    if np.isfinite(src_pitch).sum() > 2 and len(finite_ref) > 2:
        src_centre, centre = float(np.nanmedian(src_pitch)), float(np.median(finite_ref))
        scale = float(np.std(finite_ref)) / max(float(np.nanstd(src_pitch)), 1e-3)
        want = centre + (src_pitch - src_centre) * scale
    else:
        want = np.full(n_units, np.nan)
    # every unit's cost against every candidate, at once
    a = src_spec[np.minimum(idx, len(src_spec) - 1)]
    norm = np.float32(1.0 / (a.shape[1] * SPECTRAL_SCALE))
    cost = a @ (ref_spec.T * (-2 * norm))
    cost += (a * a).sum(1)[:, None] * norm
    # per-candidate terms: its spectral norm, the seeded tie-break, and (for unvoiced input) its voicing
    base = (ref_spec * ref_spec).sum(1) * norm + _rng(seed).uniform(0, TIE_BREAK, size=len(starts))
    cost += base.astype(np.float32)[None, :]
    voiced_units = np.isfinite(want)
    pitch_ref = np.where(np.isfinite(ref_pitch), ref_pitch, 1e3).astype(np.float32) / np.float32(PITCH_TOLERANCE)
    wanted = (np.where(voiced_units, want, 0.0) / PITCH_TOLERANCE).astype(np.float32)
    cost[voiced_units] += np.abs(pitch_ref[None, :] - wanted[voiced_units, None])
    cost[~voiced_units] += np.where(ref_voiced, np.float32(QUIET_MISMATCH), np.float32(0))[None, :]
    best = np.argmin(cost, axis=1)
    # keep on from the previous unit when that costs at most CONTINUITY more (sequential, scalars only)
    position = {int(p): i for i, p in enumerate(starts)}
    chosen = np.empty(n_units, dtype=np.int64)
    prev = -10**9
    for u in range(n_units):
        k = int(best[u])
        cont = position.get(prev + hop_frames)
        if cont is not None and cost[u, cont] - CONTINUITY <= cost[u, k]:
            k = cont
        chosen[u] = k
        prev = int(starts[k])
    # each unit is read up to MAX_BEND times faster or slower, to land on the wanted pitch
    window = np.hanning(unit_len + 1)[:-1].astype(np.float32)  # periodic: halves overlap-add to 1
    grid = np.arange(math.ceil(unit_len * MAX_BEND) + 1, dtype=np.float64)
    out = np.zeros((n_units + 1) * step, dtype=np.float32)
    for u in range(n_units):
        k = int(chosen[u])
        begin = round(int(starts[k]) * HOP_S * sr)
        ratio = 1.0
        if voiced_units[u] and ref_voiced[k]:
            ratio = min(MAX_BEND, max(1 / MAX_BEND, math.exp(float(want[u]) - float(ref_pitch[k]))))
        span = min(len(y) - begin, round(unit_len * ratio))
        piece = y[begin: begin + span]
        if span != unit_len:
            piece = np.interp(grid[:unit_len] * (span / unit_len), grid[:span], piece)
        out[u * step: u * step + unit_len] += piece * window
    out = out[:n_out]
    out *= voiced_gain(source, source_sr, n_out, sr)
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


@lru_cache(maxsize=16)
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


@lru_cache(maxsize=16)
def speaker_of(ref: Reference) -> str | None:
    """The fixture speaker whose voice ``ref`` is, if it clearly is one (else ``None``)."""
    import numpy as np

    if ref.label.startswith("speaker:"):
        return ref.label.removeprefix("speaker:")
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
