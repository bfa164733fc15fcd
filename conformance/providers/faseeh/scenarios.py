"""How the suite and ``compare`` use voice preview and voice clone (Arabic text, fixture speech)."""

from __future__ import annotations

from typing import Any

from conformance.scenarios import AudioRequest, CompareInputs, Flow, Scenarios

TEXT = "مرحبا بكم في اختبار الصوت اليوم"  # six Arabic words: the docs ask for at least three
MODEL = "faseeh-v1-preview"


class PreviewAndClone(Scenarios):
    def audio_request(self, ctx: Any, endpoint: str, variant: str | None = None) -> AudioRequest:
        reference = ctx.voice("faseeh").reference
        if endpoint == "voice_preview":
            return AudioRequest({"text": TEXT, "similarity": 0.8, "model_id": MODEL, "file": reference})
        return AudioRequest({"voice_file": reference, "reference_audio_file": reference, "text": TEXT,
                             "stability": 0.5, "name": "conformance", "model": MODEL})

    def output_url(self, result: Any) -> str | None:
        fields = getattr(result, "fields", None)
        if fields is None:  # the preview is the audio
            return None
        if not fields.get("sample_url"):
            raise RuntimeError("the created voice came without sample_url")
        return str(fields["sample_url"])

    def compare_request(self, endpoint: str, inputs: CompareInputs) -> tuple[dict[str, Any] | None, str]:
        return {"text": inputs.text, "similarity": 0.8, "model_id": MODEL, "file": inputs.reference}, ""


def _flow(ctx: Any) -> None:
    from conformance.providers.faseeh.flows import preview_clone_flow

    preview_clone_flow(ctx)


SCENARIOS = PreviewAndClone(
    audio_endpoints=("voice_preview", "voice_clone"), compare_endpoints=("voice_preview",),
    flows=(Flow("preview_clone", _flow, "Preview a voice, clone it from the preview and its reference; "
                                        "the voice then exists."),))
