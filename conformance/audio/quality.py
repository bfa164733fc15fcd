"""Quality predictors: DNSMOS (predicted MOS) and intelligibility (ASR word error rate).

Both load their models on first use and raise :class:`~conformance.audio._env.MissingExtraError`
naming the ``quality`` extra when it is not installed.

**DNSMOS** (``predicted_mos``): Microsoft's DNSMOS P.835 ONNX model (SIG: speech signal quality,
BAK: background noise, OVRL: overall, each on a 1–5 scale) and the P.808 model, both as bundled in
the ``speechmos`` package, run with onnxruntime at 16 kHz on 9.01 s windows with speechmos' own
polynomial mapping. Windows do not overlap (the reference script hops 1 s; the scores differ by a
few hundredths and this is 9× cheaper); the last window is aligned to the end so every sample counts.
Audio shorter than one window is repeated to fill it, as in the reference.

**Intelligibility** (``intelligibility``): English only. pocketsphinx 5 with its bundled ``en-us``
acoustic model, language model and dictionary transcribes 16 kHz audio; jiwer computes the word
error rate against the expected text after lower-casing and dropping punctuation. The search skips
lattice rescoring (:data:`ASR_SEARCH`: 1.2x faster than pocketsphinx's defaults, at a lower WER on
the fixtures). Each thread loads the decoder once (0.4 s) and resets its feature state (cepstral
mean) before every utterance, so a transcript does not depend on what was transcribed before it.

>>> predicted_mos("output.wav")                 # doctest: +SKIP
MosScores(sig=3.52, bak=4.03, ovrl=3.21, p808=3.60, windows=1)
>>> intelligibility("output.wav", "The birch canoe slid on the smooth planks.")   # doctest: +SKIP
Intelligibility(wer=0.125, transcript='the birch canoe slid on the smooth planks', ...)
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from conformance.audio._env import import_onnxruntime, need, worker_threads

if TYPE_CHECKING:
    import numpy as np

MOS_SR = 16000
WINDOW_S = 9.01


@dataclass(frozen=True)
class MosScores:
    """DNSMOS predictions (1–5): ``sig`` speech, ``bak`` background, ``ovrl`` overall, ``p808``."""

    sig: float
    bak: float
    ovrl: float
    p808: float
    windows: int


@dataclass(frozen=True)
class Intelligibility:
    """ASR check of English speech: ``wer`` in [0, ∞), the ``transcript`` and the normalised ``reference``."""

    wer: float
    transcript: str
    reference: str
    substitutions: int
    deletions: int
    insertions: int


@lru_cache(maxsize=1)
def _dnsmos_sessions() -> tuple[Any, Any]:
    import importlib.util

    ort = import_onnxruntime("predicted_mos()")
    spec = importlib.util.find_spec("speechmos")  # only its model files: importing it pulls requests
    if spec is None or not spec.submodule_search_locations:
        need("speechmos", "predicted_mos()")  # raises MissingExtraError naming the extra
    folder = os.path.join(next(iter(spec.submodule_search_locations)), "dnsmos_models")  # type: ignore[union-attr]
    opts = ort.SessionOptions()
    # two threads at most (one in a pytest-xdist worker: the workers already share the cores), which
    # sleep when idle instead of spinning: the same scores for 12 % less CPU at two threads
    opts.intra_op_num_threads = worker_threads(limit=2)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    primary = ort.InferenceSession(os.path.join(folder, "sig_bak_ovr.onnx"), opts,
                                   providers=["CPUExecutionProvider"])
    p808 = ort.InferenceSession(os.path.join(folder, "model_v8.onnx"), opts, providers=["CPUExecutionProvider"])
    return primary, p808


def _poly(sig: float, bak: float, ovr: float) -> tuple[float, float, float]:
    # speechmos' (and the DNSMOS reference's) mapping of the raw outputs, non-personalised model
    def p(c: tuple[float, ...], x: float) -> float:
        return c[0] * x * x + c[1] * x + c[2]

    return (p((-0.08397278, 1.22083953, 0.0052439), sig), p((-0.13166888, 1.60915514, -0.39604546), bak),
            p((-0.06766283, 1.11546468, 0.04602535), ovr))


def _p808_features(seg: np.ndarray) -> np.ndarray:
    np = need("numpy", "predicted_mos()")
    need("scipy", "predicted_mos()")
    from conformance.audio.features import melspectrogram, power_to_db

    mel = melspectrogram(seg, MOS_SR, 321, 160, 120)  # as librosa.feature.melspectrogram, without its JIT
    return ((power_to_db(mel, ref=None) + 40) / 40).T.astype(np.float32)


def predicted_mos(src: Any, *, max_duration: float | None = None) -> MosScores:
    """DNSMOS SIG/BAK/OVRL (and P.808) of ``src`` (path, bytes, result, ``(y, sr)``…)."""
    np = need("numpy", "predicted_mos()")
    from conformance.audio.corpus import resample
    from conformance.audio.decoding import as_decoded

    primary, p808 = _dnsmos_sessions()
    d = as_decoded(src, max_duration=max_duration)
    y = resample(d.mono(), d.sample_rate, MOS_SR)
    y = np.clip(y, -1.0, 1.0).astype(np.float32)
    n = int(WINDOW_S * MOS_SR)
    if len(y) == 0:
        from conformance.audio.probe import AudioDecodeError

        raise AudioDecodeError("no audio to score")
    if len(y) < n:
        y = np.tile(y, -(-n // len(y)))[:n]
    starts = list(range(0, len(y) - n + 1, n))
    if starts[-1] + n < len(y):
        starts.append(len(y) - n)
    # one model at a time: interleaving two sessions makes each one's idle worker threads spin against
    # the other's (measured 35x real time interleaved, 44x in turn on 2 cores); P.808 runs batched
    raw = np.concatenate([primary.run(None, {"input_1": y[s: s + n][None, :]})[0] for s in starts])
    p = p808.run(None, {"input_1": np.stack([_p808_features(y[s: s + n - 160]) for s in starts])})[0][:, 0]
    scores = [(*_poly(float(r[0]), float(r[1]), float(r[2])), float(q)) for r, q in zip(raw, p, strict=True)]
    m = np.mean(np.array(scores), axis=0)
    return MosScores(sig=float(m[0]), bak=float(m[1]), ovrl=float(m[2]), p808=float(m[3]), windows=len(starts))


#: pocketsphinx's search without lattice rescoring and with at most 5,000 HMMs a frame. On the 53 English
#: fixture clips (147 s): WER 0.286 against 0.301 with its defaults, 7.5x real time against 6.1x. (Leaving
#: out the flat-lexicon pass too is faster still, but then a transcript depends on the utterance before it.)
ASR_SEARCH = {"bestpath": False, "maxhmmpf": 5000}


@lru_cache(maxsize=1)
def _asr_config() -> Any:
    pocketsphinx = need("pocketsphinx", "intelligibility()")
    model = os.path.join(pocketsphinx.get_model_path(), "en-us")
    return {"hmm": os.path.join(model, "en-us"), "lm": os.path.join(model, "en-us.lm.bin"),
            "dict": os.path.join(model, "cmudict-en-us.dict"), "samprate": MOS_SR, "loglevel": "FATAL",
            **ASR_SEARCH}


_DECODERS = threading.local()


def _decoder(pocketsphinx: Any) -> Any:
    """This thread's decoder (a decoder is not safe to share between threads)."""
    decoder = getattr(_DECODERS, "decoder", None)
    if decoder is None:
        decoder = _DECODERS.decoder = pocketsphinx.Decoder(**_asr_config())
    return decoder


def transcribe(src: Any, *, max_duration: float | None = None) -> str:
    """English transcript of ``src`` from pocketsphinx's bundled en-us model (lower case words)."""
    np = need("numpy", "transcribe()")
    pocketsphinx = need("pocketsphinx", "transcribe()")
    from conformance.audio.corpus import resample
    from conformance.audio.decoding import as_decoded

    d = as_decoded(src, max_duration=max_duration)
    y = resample(d.mono(), d.sample_rate, MOS_SR)
    pcm = (np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()
    decoder = _decoder(pocketsphinx)
    # the live cepstral mean carries over from the last utterance; without this reset a transcript
    # depends on what this decoder heard before (measured: 9 of 10 fixture clips scored differently)
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    words = hyp.hypstr.split() if hyp is not None else []
    return " ".join(re.sub(r"\(\d+\)$", "", w) for w in words if not w.startswith(("<", "[")))


def normalise_text(text: str) -> str:
    """Lower case, apostrophes kept inside words, other punctuation dropped, spaces collapsed."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def intelligibility(src: Any, text: str, *, max_duration: float | None = None) -> Intelligibility:
    """Word error rate of the English ASR transcript of ``src`` against ``text``."""
    jiwer = need("jiwer", "intelligibility()")
    reference = normalise_text(text)
    if not reference:
        raise ValueError("intelligibility() needs a non-empty expected text")
    hyp = normalise_text(transcribe(src, max_duration=max_duration))
    out = jiwer.process_words(reference, hyp if hyp else "")
    return Intelligibility(wer=float(out.wer), transcript=hyp, reference=reference,
                           substitutions=out.substitutions, deletions=out.deletions, insertions=out.insertions)
