"""Testing your own integration against the simulators: a template to copy into your tests.

`convert_voice` stands for your code. It calls ElevenLabs' voice changer with plain httpx, as an
integration would; the simulator answers on the real host, so nothing here needs a key or a network.

Run:  .venv/bin/python -m pytest examples/test_my_integration.py -q
"""

from __future__ import annotations

import httpx
import pytest

from conformance.strategies import audio_bytes

VOICE = "JBFqnCBsd6RMkjVDRZzb"


class VoiceServiceBusy(Exception):
    """What your integration raises when the provider asks it to slow down."""


def convert_voice(recording: bytes, voice_id: str, api_key: str = "my-key", attempts: int = 2) -> bytes:
    """Your integration: a WAV recording in, the same words in another voice out (MP3, 44.1 kHz)."""
    for _ in range(attempts):
        r = httpx.post(f"https://api.elevenlabs.io/v1/speech-to-speech/{voice_id}",
                       params={"output_format": "mp3_44100_128"}, headers={"xi-api-key": api_key},
                       files={"audio": ("recording.wav", recording, "audio/wav")}, timeout=30)
        if r.status_code != 429:
            r.raise_for_status()
            return r.content
    raise VoiceServiceBusy(r.json()["detail"]["message"])


def test_the_output_is_the_format_and_length_asked_for(elevenlabs_simulator, expect_audio):
    recording = audio_bytes(4.0, "wav", 16000)  # real speech from the kit's fixtures
    out = convert_voice(recording, VOICE)
    expect_audio(out).has_format("mp3", sample_rate=44100).duration_about(4.0, tolerance=0.3).not_silent()


def test_a_rate_limit_is_retried_once(elevenlabs_simulator):
    elevenlabs_simulator.inject("rate_limit", retry_after=0)  # the next request only
    assert convert_voice(audio_bytes(2.0, "wav", 16000), VOICE)
    assert [c.status for c in elevenlabs_simulator.calls] == [429, 200]


def test_a_provider_that_stays_busy_surfaces_as_your_error(elevenlabs_simulator):
    elevenlabs_simulator.inject("rate_limit", retry_after=0, times=None)  # every request
    with pytest.raises(VoiceServiceBusy):
        convert_voice(audio_bytes(2.0, "wav", 16000), VOICE)


def test_the_reference_client_checks_requests_before_they_leave(elevenlabs_client):
    from conformance.clients import SpecViolation

    with pytest.raises(SpecViolation, match="output_format"):
        elevenlabs_client.speech_to_speech(VOICE, audio_bytes(2.0, "wav", 16000), output_format="mp3_48000_999")
