"""Audio checks. Only the light header probe is imported eagerly; measurements load on first use.

==========================  =====================================================================
``probe(src)``              container, codec, rate, channels, duration from headers (no numpy)
``decode(src)``             float32 samples, bounded by a duration cap (``decoding.py``: the one decoder)
``encode(y, sr, fmt)``      bytes in a codec; ``wav_bytes(y, sr)`` (``encoding.py``: the one encoder)
``analyze(src)``            loudness, peaks, clipping, DC, silence, SNR, bandwidth, F0 (``analysis.py``)
``speaker_embedding(src)``  speaker vector; ``speaker_similarity``, ``verify_speaker`` (``speaker.py``)
``timing_preservation``     duration ratio, DTW slope, F0 correlation of a voice change (``timing.py``)
``predicted_mos(src)``      DNSMOS SIG/BAK/OVRL; ``intelligibility(src, text)`` WER (``quality.py``)
``expect_audio(x)``         chainable assertions for tests (``expect.py``)
``corpus``                  the kit's real multi-speaker speech (``corpus.py``)
==========================  =====================================================================
"""

from __future__ import annotations

import importlib
from typing import Any

from conformance.audio.probe import AudioDecodeError, AudioInfo, CodecUnavailableError, probe, raw_info

_LAZY = {
    "decode": "decoding", "Decoded": "decoding", "encode": "decoding", "RawFormat": "decoding",
    "wav_bytes": "encoding",
    "analyze": "analysis", "AudioReport": "analysis", "unusable": "analysis", "judgeable": "analysis",
    "speaker_embedding": "speaker", "speaker_similarity": "speaker", "verify_speaker": "speaker",
    "SpeakerVerdict": "speaker",
    "timing_preservation": "timing", "TimingReport": "timing",
    "predicted_mos": "quality", "intelligibility": "quality", "MosScores": "quality",
    "Intelligibility": "quality",
    "expect_audio": "expect", "AudioExpectationError": "expect",
    "MissingExtraError": "_env",
}

__all__ = ["AudioDecodeError", "AudioInfo", "CodecUnavailableError", "probe", "raw_info", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'conformance.audio' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"conformance.audio.{module}"), name)
    globals()[name] = value
    return value
