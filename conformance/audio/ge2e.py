"""Resemblyzer's GE2E speaker encoder on numpy: the same network and weights, no torch.

The network (Wan et al., "Generalized End-to-End Loss for Speaker Verification", as trained and
published by Resemblyzer, Apache-2.0): 40 mel bands of 25 ms windows every 10 ms, a 3-layer LSTM
of 256 units over 1.6 s partials, a linear layer of 256 with ReLU, L2-normalised; an utterance's
embedding is the normalised mean of its partials' embeddings. Its 1.4 M weights ship with the kit
(``models/ge2e/encoder.npz``, converted once from the resemblyzer wheel by
``scripts/convert-speaker-encoder``; licence and provenance beside them). Embeddings match the
original within 1e-4 cosine on the fixtures (``tests/audio/test_ge2e.py`` holds the original's
embeddings, made by the conversion script, and compares).

Where onnxruntime is installed the same network runs as its LSTM operator (``models/ge2e/encoder.onnx``,
built from ``encoder.npz`` by the same script): its LSTM 1.7x faster than the numpy loop on 2 cores,
within 1e-5 of it (the tests compare both with the original and with each other).

The preprocessing is Resemblyzer's too: volume normalised to -30 dBFS (never lowered), silences
longer than 6 × 30 ms removed by WebRTC's voice-activity detector (``webrtcvad``, mode 3).

    >>> emb = embed(samples_16k)            # doctest: +SKIP
    >>> emb.shape, float(emb @ emb)
    ((256,), 1.0)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

SR = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
MAX_BATCH = 128  # partials per LSTM batch (larger batches are no faster and hold more memory)
LAYERS = 3
HIDDEN = 256
NORM_DBFS = -30.0
VAD_WINDOW = 480  # 30 ms at 16 kHz
VAD_AVERAGE = 8
VAD_MAX_SILENCE = 6
INT16_MAX = 2 ** 15 - 1
WEIGHTS = Path(__file__).resolve().parent / "models" / "ge2e" / "encoder.npz"
ONNX = WEIGHTS.with_name("encoder.onnx")
RUNTIMES = ("auto", "onnxruntime", "numpy")


@lru_cache(maxsize=1)
def weights() -> dict[str, np.ndarray]:
    """The encoder's weights (float32), loaded once per process; gate matrices pre-transposed."""
    import numpy as np

    with np.load(WEIGHTS) as data:
        w = {k: np.ascontiguousarray(data[k], dtype=np.float32) for k in data.files}
    out: dict[str, np.ndarray] = {}
    for layer in range(LAYERS):
        out[f"ih{layer}"] = np.ascontiguousarray(w[f"lstm.weight_ih_l{layer}"].T)
        out[f"hh{layer}"] = np.ascontiguousarray(w[f"lstm.weight_hh_l{layer}"].T)
        out[f"b{layer}"] = w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"]
    out["linear"] = np.ascontiguousarray(w["linear.weight"].T)
    out["linear_b"] = w["linear.bias"]
    return out


def normalize_volume(wav: np.ndarray, target_dbfs: float = NORM_DBFS) -> np.ndarray:
    """Resemblyzer's ``normalize_volume(wav, -30, increase_only=True)``."""
    import numpy as np

    rms = np.sqrt(np.mean((wav * INT16_MAX) ** 2))
    change = target_dbfs - 20 * np.log10(rms / INT16_MAX)
    return wav if change < 0 else wav * (10 ** (change / 20))


def trim_long_silences(wav: np.ndarray) -> np.ndarray:
    """Resemblyzer's ``trim_long_silences``: the 30 ms windows WebRTC's VAD (mode 3) calls speech,
    smoothed over 8 windows and dilated by 6, so no silence longer than that remains."""
    import numpy as np
    import webrtcvad
    from scipy.ndimage import binary_dilation

    wav = wav[: len(wav) - len(wav) % VAD_WINDOW]
    pcm = np.round(wav * INT16_MAX).astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    flags = np.array([vad.is_speech(pcm[i * 2: (i + VAD_WINDOW) * 2], sample_rate=SR)
                      for i in range(0, len(wav), VAD_WINDOW)], dtype=float)
    width = VAD_AVERAGE
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    acc = np.cumsum(padded, dtype=float)
    acc[width:] = acc[width:] - acc[:-width]
    mask = np.round(acc[width - 1:] / width).astype(bool)
    mask = binary_dilation(mask, np.ones(VAD_MAX_SILENCE + 1))
    return wav[np.repeat(mask, VAD_WINDOW)]


def preprocess(wav: np.ndarray) -> np.ndarray:
    """Resemblyzer's ``preprocess_wav`` of 16 kHz samples (volume, then long silences)."""
    return trim_long_silences(normalize_volume(wav))


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) power mel spectrogram, as ``librosa.feature.melspectrogram`` computes it for
    Resemblyzer (:mod:`conformance.audio.features`: the same values, no JIT compile)."""
    import numpy as np

    from conformance.audio.features import melspectrogram

    return np.ascontiguousarray(melspectrogram(wav, SR, N_FFT, HOP, N_MELS).T, dtype=np.float32)


def partial_slices(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[slice]:
    """Resemblyzer's ``compute_partial_slices``: the mel-frame slices of the 1.6 s partials."""
    import numpy as np

    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SR / rate) / HOP))
    if not 0 < step <= PARTIAL_FRAMES:
        raise ValueError(f"partial rate {rate} out of range")
    slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step)]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(slices) > 1:
        slices = slices[:-1]
    return slices


def _sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    import numpy as np

    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


@lru_cache(maxsize=1)
def _session() -> Any:
    """The onnxruntime session of ``encoder.onnx`` (once per process), or ``None`` without onnxruntime.
    Its threads follow :func:`~conformance.audio._env.worker_threads` and sleep when idle."""
    from conformance.audio._env import MissingExtraError, import_onnxruntime, worker_threads

    try:
        ort = import_onnxruntime("the speaker encoder on onnxruntime")
    except MissingExtraError:
        return None

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = worker_threads()
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(ONNX), opts, providers=["CPUExecutionProvider"])


def runtime(name: str = "auto") -> str:
    """``"onnxruntime"`` or ``"numpy"``: the one named, or for ``"auto"`` onnxruntime when installed."""
    if name not in RUNTIMES:
        raise ValueError(f"unknown speaker encoder runtime {name!r}: expected one of {', '.join(RUNTIMES)}")
    if name == "auto":
        return "onnxruntime" if _session() is not None else "numpy"
    if name == "onnxruntime" and _session() is None:
        from conformance.audio._env import import_onnxruntime

        import_onnxruntime("the speaker encoder on onnxruntime")  # raises, naming the extra
    return name


def _normalised(emb: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    return emb / np.where(norms > 0, norms, 1.0)


def forward_onnx(mels: np.ndarray) -> np.ndarray:
    """:func:`forward` on onnxruntime's LSTM, ``MAX_BATCH`` partials a run (the runtime spreads a batch
    over its threads)."""
    import numpy as np

    session = _session()
    seq = np.ascontiguousarray(np.transpose(mels, (1, 0, 2)), dtype=np.float32)  # (T, B, F)
    parts = [session.run(None, {"mels": seq[:, a: a + MAX_BATCH]})[0] for a in range(0, seq.shape[1], MAX_BATCH)]
    return _normalised(np.concatenate(parts))


def forward(mels: np.ndarray) -> np.ndarray:
    """The embeddings (batch, 256) of a batch of partials (batch, 160, 40): the LSTM's last hidden
    state, linear, ReLU, L2-normalised (PyTorch's LSTM: gates in order input, forget, cell, output)."""
    import numpy as np

    w = weights()
    batch, steps, _ = mels.shape
    seq = np.ascontiguousarray(np.transpose(mels, (1, 0, 2)), dtype=np.float32)  # (T, B, F)
    h = np.zeros((batch, HIDDEN), np.float32)
    for layer in range(LAYERS):
        last = layer == LAYERS - 1
        gates_in = (seq.reshape(steps * batch, -1) @ w[f"ih{layer}"] + w[f"b{layer}"]).reshape(steps, batch, 4 * HIDDEN)
        hh = w[f"hh{layer}"]
        h = np.zeros((batch, HIDDEN), np.float32)
        c = np.zeros((batch, HIDDEN), np.float32)
        gates = np.empty((batch, 4 * HIDDEN), np.float32)
        act = np.empty((batch, 4 * HIDDEN), np.float32)
        tmp = np.empty((batch, HIDDEN), np.float32)
        out = None if last else np.empty((steps, batch, HIDDEN), np.float32)
        for t in range(steps):
            np.matmul(h, hh, out=gates)
            gates += gates_in[t]
            _sigmoid(gates, act)  # i, f and o use the sigmoid; g (the third quarter) uses tanh
            np.tanh(gates[:, 2 * HIDDEN:3 * HIDDEN], out=act[:, 2 * HIDDEN:3 * HIDDEN])
            c *= act[:, HIDDEN:2 * HIDDEN]
            np.multiply(act[:, :HIDDEN], act[:, 2 * HIDDEN:3 * HIDDEN], out=tmp)
            c += tmp
            np.tanh(c, out=h)
            h *= act[:, 3 * HIDDEN:]
            if out is not None:
                out[t] = h
        if out is not None:
            seq = out
    return _normalised(np.maximum(h @ w["linear"] + w["linear_b"], 0.0))


def _one_blas_thread() -> Any:
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with the speaker extra
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _forward_on_threads(mels: np.ndarray, threads: int | None) -> list[np.ndarray]:
    """:func:`forward` of the partials split evenly over ``threads`` Python threads, one BLAS thread each."""
    import numpy as np

    from conformance.audio._env import worker_threads

    threads = worker_threads() if threads is None else max(1, threads)
    n_chunks = max(threads, -(-len(mels) // MAX_BATCH))
    chunks = [c for c in np.array_split(mels, n_chunks) if len(c)]
    with _one_blas_thread():
        if threads > 1 and len(chunks) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                return list(pool.map(forward, chunks))
        return [forward(c) for c in chunks]


def embed(wav: np.ndarray, *, rate: float | None = None, threads: int | None = None,
          preprocessed: bool = False, runtime_name: str = "auto") -> np.ndarray:
    """Resemblyzer's ``embed_utterance`` of 16 kHz samples: preprocessed (unless ``preprocessed``),
    cut into partials at ``rate`` per second (1.3, as Resemblyzer; 0.7 past 30 s, where the average
    over so many partials no longer needs the overlap), each embedded, averaged, normalised.

    ``runtime_name`` (see :func:`runtime`) picks onnxruntime's LSTM or the numpy loop. On numpy the
    partials are split evenly over ``threads`` Python threads (default
    :func:`~conformance.audio._env.worker_threads`),
    each running one BLAS thread: the LSTM's small matrix products scale better that way than on a
    multi-threaded BLAS (measured on 2 cores: 470x real time against 310x)."""
    import numpy as np

    use = runtime(runtime_name)

    wav = np.asarray(wav, dtype=np.float32)
    if not preprocessed:
        trimmed = preprocess(wav)
        # the voice-activity trim removed (almost) everything: use it all
        wav = trimmed if len(trimmed) >= SR // 2 else normalize_volume(wav)
    if rate is None:
        rate = 1.3 if len(wav) <= 30 * SR else 0.7
    slices = partial_slices(len(wav), rate)
    stop = slices[-1].stop * HOP
    if stop >= len(wav):
        wav = np.pad(wav, (0, stop - len(wav)))
    mel = mel_spectrogram(wav)
    mels = np.stack([mel[s] for s in slices])
    parts = [forward_onnx(mels)] if use == "onnxruntime" else _forward_on_threads(mels, threads)
    raw = np.concatenate(parts).mean(axis=0)
    return (raw / np.linalg.norm(raw)).astype(np.float32)
