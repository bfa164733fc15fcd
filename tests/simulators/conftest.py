"""Fixtures for the simulator tests: the simulator fixtures themselves and real speech to send."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache

import pytest

from conformance.simulators.fixtures import (  # noqa: F401  (fixtures used by these tests)
    elevenlabs_simulator,
    faseeh_simulator,
    modelslab_simulator,
    novita_simulator,
    simulator,
    simulator_options,
    simulator_server,
)


@cache
def speech_wav(speaker: str, seconds: float, sr: int = 16000) -> bytes:
    """``seconds`` of a fixture speaker's real speech as a 16-bit WAV at ``sr`` Hz."""
    import soundfile as sf

    from conformance.audio import corpus

    buf = io.BytesIO()
    sf.write(buf, corpus.make_clip(speaker, seconds, sr), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture
def speech() -> Callable[..., bytes]:
    """``speech(speaker, seconds, sr=16000)`` → WAV bytes of real speech."""
    return speech_wav
