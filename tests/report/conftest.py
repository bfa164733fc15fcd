"""Shared helpers of the report tests: a tiny test file whose run produces records."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

SAMPLE_TESTS = '''
import os
import pytest
from tests_audio_helper import tone_wav

@pytest.mark.provider("novita")
@pytest.mark.endpoint("novita.txt2speech")
@pytest.mark.check("positive_data_acceptance")
def test_accepts(conformance_record):
    conformance_record(measured={"speaker_similarity": 0.82, "predicted_mos": 3.9, "wer": 0.1},
                       expected={"speaker_similarity": 0.7}, latency={"ttfb": 0.12, "total": 0.5},
                       audio={"input": tone_wav(220), "reference": tone_wav(330), "output": tone_wav(440)})

@pytest.mark.provider("novita")
@pytest.mark.endpoint("novita.txt2speech")
@pytest.mark.check("content_type_conformance")
def test_content_type(conformance_record):
    conformance_record(measured={"content_type": "audio/mpeg"}, expected={"content_type": "audio/mpeg"})

@pytest.mark.provider("elevenlabs")
@pytest.mark.endpoint("elevenlabs.speech_to_speech")
@pytest.mark.check("negative_data_rejection")
def test_rejects(conformance_record):
    conformance_record(rule="output_format is one of mp3_44100_128, pcm_16000", source="ElevenLabs API reference",
                       measured={"status": 200}, expected={"status": "4xx"},
                       request_excerpt="POST /v1/speech-to-speech/v1\\nxi-api-key: " + os.environ["ELEVENLABS_API_KEY"] + "\\n",
                       response_excerpt='<script>window.__pwned = 1</script>{"detail": "ok"}',
                       latency={"ttfb": 0.3, "total": 0.9})
    assert 200 >= 400, "invalid output_format was accepted"

@pytest.mark.provider("elevenlabs")
@pytest.mark.endpoint("elevenlabs.speech_to_speech")
@pytest.mark.check("negative_data_rejection")
def test_rejects_ok():
    pass

@pytest.mark.provider("elevenlabs")
@pytest.mark.endpoint("elevenlabs.speech_to_speech")
@pytest.mark.check("ignored_auth")
def test_skipped():
    pytest.skip("live elevenlabs: set ELEVENLABS_API_KEY")
'''


def tone_wav(freq: float, seconds: float = 1.0, sr: int = 16000) -> bytes:
    """A WAV tone with a little noise (real audio bytes for the report)."""
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    buf = io.BytesIO()
    sf.write(buf, x.astype(np.float32), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()




SECRET = "sk_live_0123456789abcdef"
# the report plugin is named explicitly, so the inner runs have it whether or not conformance.plugin loads it
ARGS = ("-p", "no:cacheprovider", "-p", "conformance.report.plugin")


@pytest.fixture
def sample(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """``pytester`` with the sample test file written and its API key in the environment."""
    monkeypatch.setenv("ELEVENLABS_API_KEY", SECRET)
    make_sample(pytester)
    return pytester


def make_sample(pytester: pytest.Pytester) -> None:
    """Write the sample test file (and its audio helper) into ``pytester``'s directory."""
    pytester.makepyfile(tests_audio_helper=(
        "import io, numpy as np, soundfile as sf\n"
        "def tone_wav(freq, seconds=1.0, sr=16000):\n"
        "    t = np.arange(int(seconds * sr)) / sr\n"
        "    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)\n"
        "    buf = io.BytesIO(); sf.write(buf, x.astype(np.float32), sr, format='WAV', subtype='PCM_16')\n"
        "    return buf.getvalue()\n"))
    pytester.makepyfile(test_sample=SAMPLE_TESTS)
