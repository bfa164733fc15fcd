"""Does the clone sound like the person? Speaker embeddings, similarity and calibrated verification.

>>> ref = speaker_embedding("reference.wav")          # doctest: +SKIP
>>> speaker_similarity(ref, "output.mp3")             # cosine in [-1, 1]
0.83
>>> verify_speaker("output.mp3", ref)                 # S-normalised against the shipped cohort
SpeakerVerdict(cosine=0.83, score=4.1, same_speaker=True, threshold=2.2, backend='resemblyzer', ...)

**Backends.** ``resemblyzer`` (default): Resemblyzer's GE2E encoder (256-d, 16 kHz), run on onnxruntime (numpy
without it) by :mod:`conformance.audio.ge2e` from weights converted once from the resemblyzer wheel and shipped
with the kit: no torch, no download, the original's embeddings within 1e-4 cosine. ``mfcc``
(fallback without the ``speaker`` extra, *less accurate*): the mean and standard deviation of 20
MFCCs and their deltas over the active frames, centred on the mean of the impostor cohort, so the
cosine compares deviations from an average voice rather than "is this speech".

**Verification: S-norm against an impostor cohort.** A raw cosine threshold does not transfer
across channels (two different speakers through the same phone line can score 0.84, the same
speaker through MP3 and through a clean channel less). ``verify_speaker`` scores
``s = cos(candidate, reference)`` and normalises it against the cohort (``conformance/fixtures/cohort/``: nine
speakers *not* among ``conformance/fixtures/speech/``, three clips each): with ``μc, σc`` the mean and
standard deviation of the candidate's cosines to every cohort clip and ``μr, σr`` the reference's,
``score = ½((s − μc)/σc + (s − μr)/σr)``. Degrading the candidate's channel raises ``μc`` as well as
``s``, so the score stays comparable; ``same_speaker`` is ``score ≥ threshold``.

The cohort is *multi-condition*: each cohort clip is embedded clean and through four channels
(white noise at 15 and 25 dB, MP3 48 kbps, A-law 8 kHz), so a degraded candidate meets degraded
impostors too. The thresholds (``THRESHOLDS``) are the equal-error-rate points of the trials of
:func:`calibrate` on the kit's ten speakers (``conformance/fixtures/speech``) pooled over four channels
(clean, MP3 32 kbps, 8 kHz μ-law, white noise at 20 dB SNR): one threshold for all channels.
``python -m conformance.audio.speaker`` prints the measurement; ``tests/audio/test_speaker.py``
repeats it. Measured with Resemblyzer (43 target / 387 impostor trials per channel): EER 4.4 %
clean, 2.3 % MP3 32 kbps, 4.7 % μ-law 8 kHz, 4.7 % noise 20 dB; 5.9 % pooled over the four with
one threshold. The raw cosine separates these (mostly synthetic) speakers as well or better
(0–2.6 % per channel, 4.7 % pooled at cosine 0.71); the S-norm score is kept because its
threshold does not depend on the cosine scale of a channel, which the raw cosine's does (its EER
points move from 0.68 under noise to 0.82 under MP3). White noise is the hardest channel: at the
pooled threshold about a fifth of the noisy targets are rejected.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.audio._env import MissingExtraError, need

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np

EMBED_SR = 16000
# EER thresholds on S-normalised scores, measured by calibrate() on conformance/fixtures/speech (clean channel).
THRESHOLDS = {"resemblyzer": 2.33, "mfcc": 0.73}
BACKENDS = ("resemblyzer", "mfcc")


@dataclass(frozen=True)
class SpeakerVerdict:
    """Outcome of :func:`verify_speaker`: raw ``cosine``, S-normalised ``score`` and the decision."""

    cosine: float
    score: float
    same_speaker: bool
    threshold: float
    backend: str
    method: str = "s-norm"
    cohort_size: int = 0

    def __bool__(self) -> bool:
        return self.same_speaker


def resolve_backend(backend: str = "auto") -> str:
    """``auto`` → ``resemblyzer`` (Resemblyzer's encoder) when the ``speaker`` extra is
    installed, else ``mfcc``."""
    if backend == "auto":
        try:
            _encoder()
            return "resemblyzer"
        except MissingExtraError:
            return "mfcc"
    if backend not in BACKENDS:
        raise ValueError(f"unknown speaker backend {backend!r}; known: auto, {', '.join(BACKENDS)}")
    return backend


@lru_cache(maxsize=1)
def _encoder() -> Any:
    """The GE2E encoder's weights (:mod:`conformance.audio.ge2e`), loaded once per process; raises
    :class:`MissingExtraError` naming the ``speaker`` extra when its voice-activity detector is missing."""
    need("numpy", "the speaker encoder")
    need("scipy", "the speaker encoder")
    need("webrtcvad", "the speaker encoder's voice-activity detection")
    from conformance.audio import ge2e

    return ge2e.weights()


def _samples_16k(src: Any, max_duration: float | None = None) -> np.ndarray:
    from conformance.audio.corpus import resample
    from conformance.audio.decoding import as_decoded

    d = as_decoded(src, max_duration=max_duration)
    return resample(d.mono(), d.sample_rate, EMBED_SR)


def speaker_embedding(src: Any, *, backend: str = "auto", max_duration: float | None = None) -> np.ndarray:
    """L2-normalised speaker embedding (float32) of ``src`` (path, bytes, result, ``(y, sr)``…).

    Compute the reference's embedding once and pass it to :func:`speaker_similarity` or
    :func:`verify_speaker` for every output.
    """
    np = need("numpy", "speaker_embedding()")
    name = resolve_backend(backend)
    y = _samples_16k(src, max_duration)
    if len(y) < EMBED_SR // 4:
        from conformance.audio.probe import AudioDecodeError

        raise AudioDecodeError(f"audio too short for a speaker embedding: {len(y) / EMBED_SR:.3f} s (need 0.25 s)")
    emb = _embed_resemblyzer(y) if name == "resemblyzer" else _embed_mfcc(y)
    emb = np.asarray(emb, dtype=np.float32)
    norm = float(np.linalg.norm(emb))
    return emb / norm if norm > 0 else emb


def _embed_resemblyzer(y: np.ndarray) -> np.ndarray:
    """Resemblyzer's ``embed_utterance`` (:func:`conformance.audio.ge2e.embed`)."""
    from conformance.audio import ge2e

    _encoder()
    return ge2e.embed(y)


def _mfcc_features(y: np.ndarray) -> np.ndarray:
    np = need("numpy", "MFCC speaker features")
    need("scipy", "MFCC speaker features")
    from conformance.audio import features

    mfcc = features.mfcc(y, EMBED_SR, 21, 512, 160, 40)[1:]
    rms = features.rms(y, 512, 160)[: mfcc.shape[1]]
    keep = rms > max(float(rms.max()) * 0.03, 1e-4)
    if keep.sum() < 10:
        keep = np.ones_like(rms, dtype=bool)
    m = mfcc[:, keep]
    delta = features.delta(m) if m.shape[1] >= 9 else np.zeros_like(m)
    return np.concatenate([m.mean(axis=1), m.std(axis=1), delta.std(axis=1)]).astype(np.float32)


def _embed_mfcc(y: np.ndarray) -> np.ndarray:
    np = need("numpy", "MFCC speaker features")
    feats = _mfcc_features(y)
    centre, scale = _mfcc_centre()
    return (feats - centre) / scale if centre is not None else feats / np.maximum(np.abs(feats), 1e-6)


@lru_cache(maxsize=1)
def _mfcc_centre() -> tuple[Any, Any]:
    np = need("numpy", "MFCC speaker features")
    clips = cohort_clips()
    if not clips:
        return None, None
    feats = np.stack([_mfcc_features(_samples_16k(p)) for p in clips])
    return feats.mean(axis=0), feats.std(axis=0) + 1e-3


def _as_embedding(x: Any, backend: str) -> np.ndarray:
    np = need("numpy", "speaker comparison")
    if isinstance(x, np.ndarray) and x.ndim == 1:
        return x.astype(np.float32)
    return speaker_embedding(x, backend=backend)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    np = need("numpy", "speaker comparison")
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.dot(a, b) / (na * nb)) if na > 0 and nb > 0 else 0.0


def speaker_similarity(a: Any, b: Any, *, backend: str = "auto") -> float:
    """Cosine of the speaker embeddings of ``a`` and ``b`` (each a source or a 1-D embedding)."""
    name = resolve_backend(backend)
    return _cos(_as_embedding(a, name), _as_embedding(b, name))


# --- the impostor cohort ------------------------------------------------------------------------

def cohort_dir() -> Path:
    from conformance.audio.corpus import fixtures_dir

    return fixtures_dir() / "cohort"


def cohort_clips() -> list[Path]:
    """The audio files of the shipped impostor cohort."""
    folder = cohort_dir()
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return []
    return [folder / c["path"] for c in json.loads(manifest.read_text(encoding="utf-8"))["clips"]]


def _alaw_8k(y: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    from conformance.audio.corpus import resample
    from conformance.audio.decoding import decode, encode

    z = resample(y, sr, 8000)
    return decode(encode(z, 8000, "alaw"), sample_rate=8000, sample_format="alaw").samples, 8000


def _cohort_conditions() -> dict[str, Callable[[np.ndarray, int], tuple[np.ndarray, int]] | None]:
    """The channels every cohort clip is embedded through (a multi-condition cohort).

    Deliberately *not* the channels the tests measure (MP3 32 kbps, μ-law, 20 dB noise): MP3 at
    48 kbps, A-law, white noise at 15 and 25 dB.
    """
    from conformance.audio import degrade as dg

    return {"clean": None, "noise_15db": lambda y, sr: dg.add_noise(y, sr, 15, seed=7),
            "noise_25db": lambda y, sr: dg.add_noise(y, sr, 25, seed=8),
            "mp3_48k": lambda y, sr: dg.mp3_roundtrip(y, sr, 48), "alaw_8k": _alaw_8k}


def compute_cohort(backend: str) -> np.ndarray:
    """Embed every cohort clip through every cohort condition: ``(clips × conditions, d)`` float32."""
    np = need("numpy", "speaker verification")
    from conformance.audio import corpus

    clips = cohort_clips()
    if not clips:
        raise FileNotFoundError(f"no impostor cohort in {cohort_dir()} (see conformance/fixtures/README.md)")
    embs = []
    for fn in _cohort_conditions().values():
        for p in clips:
            y, sr = corpus.load(p)
            embs.append(speaker_embedding(fn(y, sr) if fn else (y, sr), backend=backend))
    return np.stack(embs).astype(np.float32)


@lru_cache(maxsize=4)
def default_cohort(backend: str) -> np.ndarray:
    """Embeddings of the shipped cohort for ``backend`` (``conformance/fixtures/cohort/<backend>.npy`` when it
    matches the cohort, else computed once per process)."""
    np = need("numpy", "speaker verification")
    stored = cohort_dir() / f"{backend}.npy"
    expected = len(cohort_clips()) * len(_cohort_conditions())
    if stored.is_file():
        embs = np.load(stored)
        if len(embs) == expected:
            return embs.astype(np.float32)
    return compute_cohort(backend)


def verify_speaker(candidate: Any, reference: Any, cohort: Any = None, *, backend: str = "auto",
                   threshold: float | None = None) -> SpeakerVerdict:
    """Is ``candidate`` the same speaker as ``reference``? S-normalised against an impostor cohort.

    ``candidate``/``reference``: sources or embeddings. ``cohort``: a sequence of sources or an
    ``(n, d)`` array of embeddings; default the shipped cohort. ``threshold`` defaults to the
    backend's calibrated EER point (:data:`THRESHOLDS`).
    """
    np = need("numpy", "verify_speaker()")
    name = resolve_backend(backend)
    c = _as_embedding(candidate, name)
    r = _as_embedding(reference, name)
    if cohort is None:
        coh = default_cohort(name)
    elif isinstance(cohort, np.ndarray) and cohort.ndim == 2:
        coh = cohort.astype(np.float32)
    else:
        coh = np.stack([_as_embedding(x, name) for x in cohort])
    if len(coh) < 2:
        raise ValueError("an impostor cohort needs at least 2 members")
    s = _cos(c, r)
    score = s_norm(s, c, r, coh)
    thr = THRESHOLDS[name] if threshold is None else float(threshold)
    return SpeakerVerdict(cosine=s, score=score, same_speaker=score >= thr, threshold=thr, backend=name,
                          cohort_size=len(coh))


def s_norm(s: float, c: np.ndarray, r: np.ndarray, cohort: np.ndarray) -> float:
    """Symmetric score normalisation of the cosine ``s`` of ``c`` and ``r`` against ``cohort``."""
    np = need("numpy", "speaker verification")
    unit = cohort / np.maximum(np.linalg.norm(cohort, axis=1, keepdims=True), 1e-12)
    sc = unit @ (c / max(float(np.linalg.norm(c)), 1e-12))
    sr = unit @ (r / max(float(np.linalg.norm(r)), 1e-12))
    return float(0.5 * ((s - sc.mean()) / max(float(sc.std()), 1e-6) + (s - sr.mean()) / max(float(sr.std()), 1e-6)))


# --- calibration on the kit's speakers ----------------------------------------------------------

@dataclass
class Calibration:
    """Scores of every trial, the equal error rate and the threshold where it is reached."""

    backend: str
    condition: str
    eer: float
    threshold: float
    target_scores: list[float] = field(repr=False)
    nontarget_scores: list[float] = field(repr=False)
    raw_eer: float = 0.0  # EER of the raw cosine, for comparison

    def error_rates(self, threshold: float) -> tuple[float, float]:
        """(false rejection rate, false acceptance rate) at ``threshold``."""
        frr = sum(s < threshold for s in self.target_scores) / max(1, len(self.target_scores))
        far = sum(s >= threshold for s in self.nontarget_scores) / max(1, len(self.nontarget_scores))
        return frr, far


def equal_error_rate(target: Sequence[float], nontarget: Sequence[float]) -> tuple[float, float]:
    """(EER, threshold): the operating point where false rejections equal false acceptances."""
    np = need("numpy", "equal_error_rate()")
    t = np.sort(np.asarray(target, dtype=float))
    n = np.sort(np.asarray(nontarget, dtype=float))
    candidates = np.unique(np.concatenate([t, n]))
    frr = np.searchsorted(t, candidates, side="left") / len(t)
    far = 1 - np.searchsorted(n, candidates, side="left") / len(n)
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2), float(candidates[i])


@lru_cache(maxsize=2)
def trials(min_enrol: float = 6.0, min_test: float = 2.0) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Enrolment audio per speaker and test utterances ``(speaker, (y, 16000))`` from the corpus.

    Each speaker's first clips (≥ ``min_enrol`` s) enrol; the rest, joined to ≥ ``min_test`` s, test.
    """
    np = need("numpy", "speaker trials")
    from conformance.audio import corpus

    enrol: dict[str, Any] = {}
    tests: list[tuple[str, Any]] = []
    gap = np.zeros(int(0.15 * EMBED_SR), dtype=np.float32)
    for spk in corpus.speakers():
        ys = [corpus.load(c, EMBED_SR)[0] for c in corpus.clips(spk.id)]
        pieces, i = [], 0
        while i < len(ys) - 2 and sum(len(p) for p in pieces) < min_enrol * EMBED_SR:
            pieces += [ys[i], gap]
            i += 1
        enrol[spk.id] = (np.concatenate(pieces), EMBED_SR)
        cur: list[Any] = []
        for y in ys[i:]:
            cur += [y, gap]
            if sum(len(p) for p in cur) >= min_test * EMBED_SR:
                tests.append((spk.id, (np.concatenate(cur), EMBED_SR)))
                cur = []
        if cur and sum(len(p) for p in cur) >= min_test * EMBED_SR / 2:
            tests.append((spk.id, (np.concatenate(cur), EMBED_SR)))
    return enrol, tests


@lru_cache(maxsize=2)
def _reference_embeddings(backend: str) -> dict[str, Any]:
    enrol, _ = trials()
    return {k: speaker_embedding(v, backend=backend) for k, v in enrol.items()}


def calibrate(degrade: Callable[[np.ndarray, int], tuple[np.ndarray, int]] | None = None, *,
              condition: str = "clean", backend: str = "auto") -> Calibration:
    """Score every enrolment against every (optionally degraded) test utterance of the corpus."""
    name = resolve_backend(backend)
    _, tests = trials()
    coh = default_cohort(name)
    refs = _reference_embeddings(name)
    target, nontarget, raw_t, raw_n = [], [], [], []
    for spk, (y, sr) in tests:
        if degrade is not None:
            y, sr = degrade(y, sr)
        c = speaker_embedding((y, sr), backend=name)
        for ref_id, r in refs.items():
            s = _cos(c, r)
            score = s_norm(s, c, r, coh)
            (target if ref_id == spk else nontarget).append(score)
            (raw_t if ref_id == spk else raw_n).append(s)
    eer, thr = equal_error_rate(target, nontarget)
    raw_eer, _ = equal_error_rate(raw_t, raw_n)
    return Calibration(backend=name, condition=condition, eer=eer, threshold=thr, target_scores=target,
                       nontarget_scores=nontarget, raw_eer=raw_eer)


if __name__ == "__main__":  # print the calibration: python -m conformance.audio.speaker [backend]
    import sys

    from conformance.audio import degrade as dg

    conditions: dict[str, Any] = {"clean": None, "mp3_32k": lambda y, sr: dg.mp3_roundtrip(y, sr, 32),
                                  "ulaw_8k": dg.ulaw_roundtrip, "noise_20db": lambda y, sr: dg.add_noise(y, sr, 20)}
    chosen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SPEAKER_BACKEND", "auto")
    pooled_t: list[float] = []
    pooled_n: list[float] = []
    for cond, fn in conditions.items():
        cal = calibrate(fn, condition=cond, backend=chosen)
        pooled_t += cal.target_scores
        pooled_n += cal.nontarget_scores
        frr, far = cal.error_rates(THRESHOLDS[cal.backend])
        print(f"{cal.backend:12s} {cond:10s} EER {cal.eer:6.1%} at {cal.threshold:5.2f} (raw cosine EER {cal.raw_eer:6.1%}); "
              f"at the shipped threshold {THRESHOLDS[cal.backend]}: FRR {frr:6.1%} FAR {far:6.1%} "
              f"({len(cal.target_scores)} target / {len(cal.nontarget_scores)} non-target trials)")
    eer, thr = equal_error_rate(pooled_t, pooled_n)
    print(f"pooled over the four channels: EER {eer:6.1%} at {thr:5.2f}")
