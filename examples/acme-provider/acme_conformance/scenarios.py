"""How the shipped suite and ``compare`` use Acme Speak: English text in the voice of fixture speech."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acme_conformance.spec import SAMPLE_RATE
from conformance.scenarios import AudioRequest, CompareInputs, Scenarios, sentence


@dataclass(frozen=True)
class Format:
    """What the bytes of a ``format`` must be (the output-format check reads these fields)."""

    name: str
    codec: str
    container: str
    sample_rate: int
    bitrate_kbps: int | None = None
    source: str = "Acme Speak API reference, field format"


FORMATS = {"wav": Format("wav", "wav", "wav", SAMPLE_RATE), "mp3": Format("mp3", "mp3", "mp3", SAMPLE_RATE, 64)}


class Speak(Scenarios):
    def audio_request(self, ctx: Any, endpoint: str, variant: str | None = None) -> AudioRequest:
        voice = ctx.voice("acme")
        text = sentence(voice.speaker or "en_slt")
        fmt = variant or "wav"
        return AudioRequest({"text": text, "voice_sample": voice.reference, "format": fmt}, text=text,
                            expect_format=FORMATS[fmt])

    def compare_request(self, endpoint: str, inputs: CompareInputs) -> tuple[dict[str, Any] | None, str]:
        return {"text": inputs.text, "voice_sample": inputs.reference}, ""


SCENARIOS = Speak(audio_endpoints=("speak",), english_text=("speak",), compare_endpoints=("speak",),
                  variants={"speak": tuple(FORMATS)})
