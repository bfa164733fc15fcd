"""How the suite and ``compare`` use the voice changer: convert fixture speech into an existing voice."""

from __future__ import annotations

from typing import Any

from conformance.providers.elevenlabs.spec import OUTPUT_FORMATS, parse_output_format
from conformance.scenarios import (
    INPUT_SECONDS,
    SOURCE_SPEAKER,
    AudioRequest,
    CompareInputs,
    Scenarios,
    speech,
)

COMPARE_VOICE = "conformance-compare-voice"  # the simulator's voice cloned from compare's reference
SUITE_FORMAT = "wav_16000"  # the audio checks other than the format check read this one


class VoiceChanger(Scenarios):
    def audio_request(self, ctx: Any, endpoint: str, variant: str | None = None) -> AudioRequest:
        fmt = variant or SUITE_FORMAT
        source = speech(INPUT_SECONDS, SOURCE_SPEAKER)
        voice = ctx.voice("elevenlabs")
        return AudioRequest({"voice_id": voice.voice_id, "audio": source, "output_format": fmt}, source=source,
                            expect_format=parse_output_format(fmt))

    def prepare(self, ctx: Any, endpoint: str, params: dict[str, Any], keep: str | None = None) -> dict[str, Any]:
        if keep != "voice_id":  # a voice that exists on the target
            params = {**params, "voice_id": ctx.voice("elevenlabs").voice_id}
        return params

    def compare_setup(self, sim: Any, inputs: CompareInputs) -> None:
        sim.add_voice("elevenlabs", COMPARE_VOICE, audio=inputs.reference)

    def compare_request(self, endpoint: str, inputs: CompareInputs) -> tuple[dict[str, Any] | None, str]:
        voice = COMPARE_VOICE if inputs.simulated else inputs.voices.get("elevenlabs")
        if not voice:
            return None, ("converts into an existing voice: give --voice elevenlabs=VOICE_ID "
                          "(a voice cloned from the reference)")
        return {"voice_id": voice, "audio": inputs.source}, ""


SCENARIOS = VoiceChanger(audio_endpoints=("speech_to_speech",), compare_endpoints=("speech_to_speech",),
                         variants={"speech_to_speech": tuple(OUTPUT_FORMATS)})
