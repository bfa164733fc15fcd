"""The speaker encoder on numpy gives Resemblyzer's own embeddings (torch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conformance.audio import ge2e
from conformance.audio.speaker import _samples_16k

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((Path(__file__).parent / "ge2e_reference.json").read_text())["embeddings"]


@pytest.mark.parametrize("clip", sorted(REFERENCE)[::4])
def test_embeddings_match_resemblyzers_within_1e4_cosine(clip: str) -> None:
    """Every fourth fixture (the conversion script checks them all, with torch present)."""
    mine = ge2e.embed(_samples_16k(str(ROOT / clip)), rate=1.3)
    cosine = float(mine @ np.asarray(REFERENCE[clip], dtype=np.float32))
    assert 1 - cosine <= 1e-4, (clip, 1 - cosine)


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
    mine = ge2e.embed(_samples_16k(str(ROOT / clip)), rate=1.3)
    assert 1 - float(mine @ np.asarray(REFERENCE[clip], dtype=np.float32)) > 1e-2


def test_the_weights_are_shipped_with_their_licence_and_provenance() -> None:
    folder = ge2e.WEIGHTS.parent
    assert ge2e.WEIGHTS.is_file() and (folder / "LICENSE").is_file()
    provenance = (folder / "README.md").read_text()
    import hashlib

    assert hashlib.sha256(ge2e.WEIGHTS.read_bytes()).hexdigest() in provenance
    assert "Apache" in (folder / "LICENSE").read_text()


def test_partials_follow_resemblyzers_slicing() -> None:
    # 1 s at 1.3/s: one partial; 10 s: frames every round(16000/1.3/160) = 77, the last dropped under 75 %
    assert [(s.start, s.stop) for s in ge2e.partial_slices(16000)] == [(0, 160)]
    ten = ge2e.partial_slices(160000)
    assert [s.start for s in ten] == list(range(0, 77 * len(ten), 77)) and len(ten) == 12
    with pytest.raises(ValueError, match="rate"):
        ge2e.partial_slices(16000, rate=0.5)
