"""How the suite and ``compare`` use quick voice cloning: a hosted reference, and demo audio of a text."""

from __future__ import annotations

from typing import Any

from conformance.scenarios import AudioRequest, CompareInputs, Flow, Scenarios, hosted, sentence, speech

REFERENCE_SPEAKER = "en_slt"
REFERENCE_SECONDS = 12.0  # the docs ask for 10 s to 5 min
MODEL = "speech-02-hd"


class QuickClone(Scenarios):
    def audio_request(self, ctx: Any, endpoint: str, variant: str | None = None) -> AudioRequest:
        ref = speech(REFERENCE_SECONDS, REFERENCE_SPEAKER)
        text = sentence(REFERENCE_SPEAKER)
        return AudioRequest({"audio_url": hosted(ref), "text": text, "model": MODEL}, text=text, reference=ref)

    def output_url(self, result: Any) -> str | None:
        url = getattr(result, "fields", {}).get("demo_audio_url")
        if not url:
            raise RuntimeError("the cloned voice came without demo_audio_url")
        return str(url)

    def compare_request(self, endpoint: str, inputs: CompareInputs) -> tuple[dict[str, Any] | None, str]:
        ref = hosted(inputs.reference)
        url, why = inputs.host(inputs.reference)
        if url is None:
            return None, why
        ref.url = url
        return {"audio_url": ref, "text": inputs.text, "model": MODEL}, ""


def _flow(ctx: Any) -> None:
    from conformance.providers.novita.flows import clone_demo_flow

    clone_demo_flow(ctx)


SCENARIOS = QuickClone(
    audio_endpoints=("minimax_voice_cloning",), english_text=("minimax_voice_cloning",),
    compare_endpoints=("minimax_voice_cloning",),
    flows=(Flow("clone_demo", _flow, "Clone with preview text: a voice id and demo audio in the cloned voice; "
                                     "without text, no demo."),))
