"""DNSMOS and ASR intelligibility on real speech, clean and degraded."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.audio import corpus, degrade, quality
from conformance.audio._env import MissingExtraError


def test_dnsmos_scores_clean_speech_above_noisy_speech():
    y, sr = corpus.load(corpus.clips("en_librivox")[0])
    clean = quality.predicted_mos((y, sr))
    noisy = quality.predicted_mos(degrade.add_noise(y, sr, 0, seed=2))
    for m in (clean, noisy):
        assert 1.0 <= m.sig <= 5.0 and 1.0 <= m.bak <= 5.0 and 1.0 <= m.ovrl <= 5.0
    assert clean.windows == 1
    assert noisy.bak < clean.bak - 1.0 and noisy.ovrl < clean.ovrl - 0.5


def test_dnsmos_windows_cover_long_audio_without_overlap():
    y = corpus.make_clip("en_slt", 20.0, 16000)
    assert quality.predicted_mos((y, 16000)).windows == 3  # 0, 9.01 and the one aligned to the end


def test_dnsmos_matches_the_speechmos_reference_on_one_window():
    """speechmos' own ``dnsmos.run`` of the window (stored by scripts/make-feature-references: it needs
    librosa, which the kit does without)."""
    from pathlib import Path

    ref = np.load(Path(__file__).parent / "features_reference.npz")
    y = corpus.make_clip("en_librivox", 9.01, 16000)
    assert np.array_equal(y.astype(np.float32), ref["dnsmos_window"])
    ours = quality.predicted_mos((y, 16000))
    ovrl, sig, p808 = ref["dnsmos_ovrl_sig_p808"]
    assert ours.ovrl == pytest.approx(ovrl, abs=1e-3)
    assert ours.sig == pytest.approx(sig, abs=1e-3)
    assert ours.p808 == pytest.approx(p808, abs=1e-3)


def test_intelligibility_of_a_real_recording():
    clip = corpus.clips("en_librivox")[0]
    right = quality.intelligibility(clip.path, clip.text)
    wrong = quality.intelligibility(clip.path, "the quick brown fox jumps over the lazy dog")
    print(f"\nheard {right.transcript!r}: WER {right.wer:.2f}")
    assert right.wer <= 0.4
    assert wrong.wer >= 0.9
    assert right.reference == clip.text


def test_a_transcript_does_not_depend_on_what_was_transcribed_before():
    """One decoder per thread, reset before each utterance: a clip gets the transcript and the score a
    decoder loaded for it alone gives, whatever came before it, and no thread loads a decoder twice."""
    import threading
    import unittest.mock

    import pocketsphinx

    clips = [c.path for c in corpus.clips("en_slt")[2:0:-1]]  # 2.3 s and 2.6 s
    loaded, heard = [], {}
    real = pocketsphinx.Decoder

    class Heard:  # the real decoder, noting each utterance's hypothesis and score
        def __init__(self, *a, **k):
            loaded.append(1)
            self._d = real(*a, **k)

        def __getattr__(self, name):
            return getattr(self._d, name)

        def hyp(self):
            h = self._d.hyp()
            heard.setdefault(threading.current_thread().name, []).append((h.hypstr, h.score) if h else None)
            return h

    def in_order(order):
        for i in order:
            quality.transcribe(clips[i])

    with unittest.mock.patch.object(pocketsphinx, "Decoder", Heard):
        for name, order in (("ab", [0, 1]), ("ba", [1, 0]), ("a", [0]), ("b", [1])):
            t = threading.Thread(target=in_order, args=(order,), name=name)
            t.start()
            t.join()
    assert heard["ab"] == heard["a"] + heard["b"] and heard["ba"] == heard["b"] + heard["a"]
    assert heard["a"][0][0] and heard["a"] != heard["b"]
    assert len(loaded) == 4  # one per thread


def test_text_normalisation():
    assert quality.normalise_text("It's easy, to TELL — the depth!") == "it's easy to tell the depth"
    with pytest.raises(ValueError, match="non-empty"):
        quality.intelligibility(corpus.clips("en_kal")[0].path, "...")


def test_missing_extra_is_named(monkeypatch):
    from conformance.audio import _env

    real = _env.importlib.import_module

    def fake(name, *a):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real(name, *a)

    quality._dnsmos_sessions.cache_clear()
    monkeypatch.setattr(_env.importlib, "import_module", fake)
    try:
        with pytest.raises(MissingExtraError, match=r"voice-conformance\[quality\]"):
            quality.predicted_mos(corpus.clips("en_kal")[0].path)
    finally:
        quality._dnsmos_sessions.cache_clear()


def test_dnsmos_threads_sleep_when_idle_and_are_one_in_an_xdist_worker(monkeypatch):
    """Two threads at most, one in a pytest-xdist worker (its cores are shared already), never spinning:
    an idle onnxruntime thread that spins takes a core from the other workers."""
    import os

    for worker, threads in (("gw0", 1), (None, min(2, os.cpu_count() or 1))):
        if worker is None:
            monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
        else:
            monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        quality._dnsmos_sessions.cache_clear()
        try:
            for session in quality._dnsmos_sessions():
                opts = session.get_session_options()
                assert opts.intra_op_num_threads == threads
                assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        finally:
            quality._dnsmos_sessions.cache_clear()
