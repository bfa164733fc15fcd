"""Speaker embeddings and verification, measured on the corpus under provider-like channels."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.audio import corpus, degrade, speaker
from conformance.audio._env import MissingExtraError
from conformance.audio.speaker import (
    THRESHOLDS,
    calibrate,
    equal_error_rate,
    speaker_embedding,
    speaker_similarity,
    verify_speaker,
)

CHANNELS = {
    "clean": None,
    "mp3_32k": lambda y, sr: degrade.mp3_roundtrip(y, sr, 32),
    "ulaw_8k": degrade.ulaw_roundtrip,
    "noise_20db": lambda y, sr: degrade.add_noise(y, sr, 20, seed=1),
}
# Bound on the equal error rate per channel. Measured with Resemblyzer: 2.3–4.7 % (43 target and
# 387 impostor trials, so one error moves it by ~2.3 points). 10 % leaves room for a couple of
# trials to flip on another machine's BLAS while still failing an encoder that lost its weights
# (chance is 50 %) or a normalisation that broke (the MFCC fallback sits at 19–27 % degraded).
EER_BOUND = 0.10


def test_embedding_is_a_unit_vector_computed_once_per_reference():
    y, sr = corpus.load(corpus.clips("en_slt")[0])
    e = speaker_embedding((y, sr))
    assert e.shape == (256,) and e.dtype == np.float32
    assert np.linalg.norm(e) == pytest.approx(1.0, abs=1e-5)
    # an embedding is accepted wherever a source is
    assert speaker_similarity(e, corpus.clips("en_slt")[1].path) == pytest.approx(
        speaker_similarity((y, sr), corpus.clips("en_slt")[1].path), abs=1e-6)


def test_same_speaker_scores_above_other_speakers():
    ref = speaker_embedding(corpus.clips("en_kal")[0].path)
    same = speaker_similarity(ref, corpus.clips("en_kal")[4].path)
    others = [speaker_similarity(ref, corpus.clips(s)[4].path) for s in ("en_ked", "en_rms", "en_slt", "cs_machac")]
    assert same > max(others)


def test_verify_speaker_gives_cosine_score_and_decision():
    ref = speaker_embedding((corpus.make_clip("cs_dita", 6.0, 16000), 16000))
    yes = verify_speaker(corpus.clips("cs_dita")[5].path, ref)
    no = verify_speaker(corpus.clips("en_rms")[5].path, ref)
    assert yes.same_speaker and not no.same_speaker
    assert yes.threshold == THRESHOLDS["resemblyzer"] and yes.backend == "resemblyzer"
    assert yes.score > yes.threshold > no.score and yes.cosine > no.cosine
    assert yes.cohort_size == len(speaker.default_cohort("resemblyzer"))
    assert bool(yes) and not bool(no)


def test_a_custom_cohort_and_threshold_are_used():
    ref = corpus.clips("en_awb")[0].path
    cohort = [corpus.clips(s)[0].path for s in ("en_kal", "en_ked", "en_rms")]
    v = verify_speaker(corpus.clips("en_awb")[1].path, ref, cohort, threshold=99.0)
    assert v.cohort_size == 3 and v.threshold == 99.0 and not v.same_speaker


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_equal_error_rate_on_the_corpus(channel):
    cal = calibrate(CHANNELS[channel], condition=channel, backend="resemblyzer")
    frr, far = cal.error_rates(THRESHOLDS["resemblyzer"])
    print(f"\nresemblyzer {channel}: EER {cal.eer:.1%} (raw cosine {cal.raw_eer:.1%}); at the shipped threshold "
          f"FRR {frr:.1%} FAR {far:.1%}; {len(cal.target_scores)} target / {len(cal.nontarget_scores)} impostor trials")
    assert len(cal.target_scores) >= 40 and len(cal.nontarget_scores) >= 350
    assert cal.eer <= EER_BOUND
    assert frr <= 0.30 and far <= 0.15


def test_equal_error_rate_arithmetic():
    assert equal_error_rate([0.9, 0.8, 0.7], [0.1, 0.2, 0.3]) == (0.0, pytest.approx(0.7))
    eer, _ = equal_error_rate([0.9, 0.2], [0.5, 0.1])
    assert eer == pytest.approx(0.5)


def test_fallback_backend_without_the_speaker_extra_is_labelled_and_works(monkeypatch):
    def no_extra():
        raise MissingExtraError("the speaker encoder's voice-activity detection needs 'webrtcvad'")

    monkeypatch.setattr(speaker, "_encoder", no_extra)
    assert speaker.resolve_backend("auto") == "mfcc"
    e = speaker_embedding(corpus.clips("en_kal")[0].path)
    assert e.shape == (60,)
    v = verify_speaker(corpus.clips("en_kal")[5].path, corpus.clips("en_kal")[0].path)
    assert v.backend == "mfcc" and v.threshold == THRESHOLDS["mfcc"]
    cal = calibrate(None, backend="mfcc")
    print(f"\nmfcc fallback clean: EER {cal.eer:.1%}")
    assert cal.eer <= 0.15
    with pytest.raises(ValueError, match="unknown speaker backend"):
        speaker.resolve_backend("xvector")
