"""How the suite and ``compare`` use the queued voice endpoints: base64 audio in, a job to fetch, WAV out."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.scenarios import (
    INPUT_SECONDS,
    SOURCE_SPEAKER,
    AudioRequest,
    CompareInputs,
    Flow,
    Scenarios,
    sentence,
    speech,
)


class QueuedJobs(Scenarios):
    def audio_request(self, ctx: Any, endpoint: str, variant: str | None = None) -> AudioRequest:
        voice = ctx.voice("modelslab")
        if endpoint == "voice_to_voice":
            source = speech(INPUT_SECONDS, SOURCE_SPEAKER)
            return AudioRequest({"init_audio": source, "target_audio": voice.reference}, source=source)
        text = sentence(voice.speaker or "en_slt")
        if ctx.sim is not None:  # the simulator's catalogue voice of the fixture speaker
            return AudioRequest({"prompt": text, "voice_id": voice.voice_id}, text=text)
        return AudioRequest({"prompt": text, "init_audio": voice.reference}, text=text)

    def prepare(self, ctx: Any, endpoint: str, params: dict[str, Any], keep: str | None = None) -> dict[str, Any]:
        params = dict(params)
        if endpoint == "text_to_audio" and params.get("voice_id") is not None and keep != "voice_id":
            if ctx.sim is not None:
                params["voice_id"] = ctx.voice("modelslab").voice_id
            elif params.get("init_audio") is not None:
                params.pop("voice_id")
        if endpoint == "fetch" and keep != "id":
            params["id"] = str(queued_job(ctx))
        return params

    def output_url(self, result: Any) -> str | None:
        if not result.output:
            raise RuntimeError(f"the job ended {result.status} without output")
        return str(result.output[0])

    def compare_request(self, endpoint: str, inputs: CompareInputs) -> tuple[dict[str, Any] | None, str]:
        if endpoint == "voice_to_voice":
            return {"init_audio": inputs.source, "target_audio": inputs.reference}, ""
        return {"prompt": inputs.text, "init_audio": inputs.reference}, ""


def queued_job(ctx: Any) -> Any:
    """The id of a job submitted for the fetch checks."""
    from conformance import spec
    from conformance.strategies import audio_bytes, audio_input

    out = ctx.send(spec.get("modelslab.voice_to_voice"),
                   {"init_audio": audio_input(audio_bytes(5.0, "wav", 16000), "base64", "wav"),
                    "target_audio": audio_input(ctx.voice("modelslab").reference, "base64", "wav"),
                    "base64": True}, validate=True, wait=False)
    if out.error is not None:
        pytest.fail(f"could not submit a job to fetch: {out.describe()}")
    return out.result.id


def _flow(ctx: Any) -> None:
    from conformance.providers.modelslab.flows import job_flow

    job_flow(ctx)


SCENARIOS = QueuedJobs(
    audio_endpoints=("voice_to_voice", "text_to_audio"), english_text=("text_to_audio",),
    compare_endpoints=("text_to_audio", "voice_to_voice"), recording_knows_every_voice=True,
    flows=(Flow("job", _flow, "Submit → processing → fetch … → success (or failed), with webhooks "
                              "delivered as documented."),))
