"""The speaker encoder, on onnxruntime and on numpy, gives Resemblyzer's own embeddings (torch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from conformance.audio import ge2e
from conformance.audio.speaker import _samples_16k

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((Path(__file__).parent / "ge2e_reference.json").read_text())["embeddings"]


@pytest.mark.parametrize("runtime", ["onnxruntime", "numpy"])
@pytest.mark.parametrize("clip", sorted(REFERENCE)[::4])
def test_embeddings_match_resemblyzers_within_1e4_cosine(clip: str, runtime: str) -> None:
    """Every fourth fixture, on both runtimes (the conversion script checks them all, with torch present)."""
    mine = ge2e.embed(_samples_16k(str(ROOT / clip)), rate=1.3, runtime_name=runtime)
    cosine = float(mine @ np.asarray(REFERENCE[clip], dtype=np.float32))
    assert 1 - cosine <= 1e-4, (clip, 1 - cosine)


def test_onnxruntime_is_the_default_where_installed_and_a_runtime_can_be_chosen(monkeypatch) -> None:
    assert ge2e.runtime() == ge2e.runtime("auto") == "onnxruntime"
    assert ge2e.runtime("numpy") == "numpy"
    with pytest.raises(ValueError, match="unknown speaker encoder runtime 'torch'"):
        ge2e.runtime("torch")
    monkeypatch.setattr(ge2e, "_session", lambda: None)  # as without onnxruntime installed
    assert ge2e.runtime() == "numpy"
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    from conformance.audio._env import MissingExtraError

    with pytest.raises(MissingExtraError, match="onnxruntime"):
        ge2e.runtime("onnxruntime")


@pytest.mark.parametrize("batch", [1, 3, ge2e.MAX_BATCH, ge2e.MAX_BATCH + 5])
def test_both_runtimes_give_the_same_embeddings_of_a_batch(batch: int) -> None:
    """Across the batch boundary too: each partial's embedding lands in its own row."""
    mels = np.abs(np.random.default_rng(batch).standard_normal((batch, ge2e.PARTIAL_FRAMES, ge2e.N_MELS)))
    mels = (mels * np.linspace(0.01, 2.0, batch)[:, None, None]).astype(np.float32)
    onnx_emb, numpy_emb = ge2e.forward_onnx(mels), ge2e.forward(mels)
    assert onnx_emb.shape == numpy_emb.shape == (batch, ge2e.HIDDEN)
    assert np.abs(onnx_emb - numpy_emb).max() < 1e-5
    assert np.allclose(np.linalg.norm(onnx_emb, axis=1), 1.0, atol=1e-6)
    if batch > 1:  # the rows differ, so a mixed-up row would show
        assert np.abs(onnx_emb[0] - onnx_emb[-1]).max() > 1e-3


def _convert_script():
    import importlib.machinery
    import importlib.util

    path = ROOT / "scripts" / "convert-speaker-encoder"
    loader = importlib.machinery.SourceFileLoader("convert_speaker_encoder", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def _shipped_arrays() -> dict:
    with np.load(ge2e.WEIGHTS) as data:
        return {k: data[k] for k in data.files}


def test_the_shipped_onnx_graph_is_what_the_script_builds_from_the_shipped_weights() -> None:
    assert _convert_script().build_onnx(_shipped_arrays()) == ge2e.ONNX.read_bytes()


def test_an_onnx_graph_with_the_gates_in_pytorchs_order_is_far_from_the_reference() -> None:
    """The ONNX graph's gate order matters and the comparison catches it: built without reordering
    (PyTorch's i, f, g, o read as ONNX's i, o, f, c), its embedding is off by far."""
    import onnxruntime as ort

    script = _convert_script()
    arrays = _shipped_arrays()
    h = ge2e.HIDDEN
    for key in [k for k in arrays if k.startswith("lstm.")]:
        i, o, f, g = np.split(arrays[key], 4, axis=0)  # undo the script's reordering: it now passes i, f, g, o
        arrays[key] = np.concatenate([i, f, g, o], axis=0)
        assert arrays[key].shape[0] == 4 * h
    wrong = ort.InferenceSession(script.build_onnx(arrays), providers=["CPUExecutionProvider"])
    clip = sorted(REFERENCE)[0]
    wav = ge2e.preprocess(_samples_16k(str(ROOT / clip)))
    mel = ge2e.mel_spectrogram(np.pad(wav, (0, ge2e.PARTIAL_FRAMES * ge2e.HOP)))
    mels = np.stack([mel[s] for s in ge2e.partial_slices(len(wav), 1.3)])
    emb = wrong.run(None, {"mels": np.ascontiguousarray(mels.transpose(1, 0, 2))})[0].mean(axis=0)
    reference = np.asarray(REFERENCE[clip], dtype=np.float32)
    assert 1 - float(emb @ reference / np.linalg.norm(emb)) > 1e-2
    right = ge2e.forward_onnx(mels).mean(axis=0)
    assert 1 - float(right @ reference / np.linalg.norm(right)) < 1e-4


def test_a_wrong_weight_or_gate_order_is_far_from_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above can fail: swap two gates (a plausible porting bug) and it is off by far."""
    w = dict(ge2e.weights())
    h = ge2e.HIDDEN
    for layer in range(ge2e.LAYERS):
        for key in (f"ih{layer}", f"hh{layer}"):
            m = w[key].copy()
            m[:, :h], m[:, h:2 * h] = w[key][:, h:2 * h], w[key][:, :h]  # input and forget gates swapped
            w[key] = m
    monkeypatch.setattr(ge2e, "weights", lambda: w)
    clip = sorted(REFERENCE)[0]
    mine = ge2e.embed(_samples_16k(str(ROOT / clip)), rate=1.3, runtime_name="numpy")
    assert 1 - float(mine @ np.asarray(REFERENCE[clip], dtype=np.float32)) > 1e-2


def test_the_weights_are_shipped_with_their_licence_and_provenance() -> None:
    folder = ge2e.WEIGHTS.parent
    assert ge2e.WEIGHTS.is_file() and (folder / "LICENSE").is_file()
    provenance = (folder / "README.md").read_text()
    import hashlib

    assert hashlib.sha256(ge2e.WEIGHTS.read_bytes()).hexdigest() in provenance
    assert hashlib.sha256(ge2e.ONNX.read_bytes()).hexdigest() in provenance
    assert "Apache" in (folder / "LICENSE").read_text()


def test_partials_follow_resemblyzers_slicing() -> None:
    # 1 s at 1.3/s: one partial; 10 s: frames every round(16000/1.3/160) = 77, the last dropped under 75 %
    assert [(s.start, s.stop) for s in ge2e.partial_slices(16000)] == [(0, 160)]
    ten = ge2e.partial_slices(160000)
    assert [s.start for s in ten] == list(range(0, 77 * len(ten), 77)) and len(ten) == 12
    with pytest.raises(ValueError, match="rate"):
        ge2e.partial_slices(16000, rate=0.5)
