"""Shared fixtures of the audio tests: real speech from the corpus, encoded as providers send it."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.audio import corpus
from conformance.audio.decoding import encode


@pytest.fixture(scope="session")
def slt_44k() -> np.ndarray:
    """Four seconds of a wide-band (32 kHz source) female speaker at 44.1 kHz."""
    return corpus.make_clip("en_slt", 4.0, 44100)


@pytest.fixture(scope="session")
def speech_bytes(slt_44k: np.ndarray) -> dict[str, bytes]:
    """The same speech in every container the kit reads."""
    return {
        "wav": encode(slt_44k, 44100, "wav"),
        "flac": encode(slt_44k, 44100, "flac"),
        "ogg": encode(slt_44k, 44100, "ogg"),
        "mp3": encode(slt_44k, 44100, "mp3", bitrate_kbps=128),
        "opus": encode(corpus.make_clip("en_slt", 4.0, 48000), 48000, "opus", bitrate_kbps=64),
        "m4a": encode(slt_44k, 44100, "m4a", bitrate_kbps=96),
        "aac": encode(slt_44k, 44100, "aac", bitrate_kbps=96),
    }
