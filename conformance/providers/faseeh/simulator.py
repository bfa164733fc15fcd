"""Faseeh simulator: voice preview (streamed raw PCM16) and voice clone (creates a usable voice)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from conformance.providers.faseeh.spec import PREVIEW_CONTENT_TYPE, PREVIEW_SAMPLE_RATE
from conformance.simulators.core import Context, ProviderSimulator, SimResponse, Voice
from conformance.spec.model import AudioInput

STREAM_CHUNK = 4800  # 100 ms of PCM16 at 24 kHz
HEADER_VALUES = {"cache-control": "no-cache"}


def _split(value: Any) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else []


class FaseehSimulator(ProviderSimulator):
    provider_id: ClassVar[str] = "faseeh"

    def voice_preview(self, ctx: Context) -> SimResponse:
        from conformance.simulators.audio import encode

        ref = self.sim.reference_for(ctx, "file", ctx.params["file"])
        y, rate = self.sim.speak(ctx, ref, PREVIEW_SAMPLE_RATE, text=ctx.params["text"],
                                 speed=float(ctx.value("speed")))
        headers = {"content-type": PREVIEW_CONTENT_TYPE}
        headers.update({h: HEADER_VALUES[h] for h in ctx.endpoint.response_headers if h in HEADER_VALUES})
        return SimResponse(200, encode(y, rate, "pcm"), headers, chunk_size=STREAM_CHUNK)

    def voice_clone(self, ctx: Context) -> SimResponse:
        p = ctx.params
        preview: AudioInput = p["voice_file"]
        # the preview endpoint's own output is headerless PCM16 at 24 kHz, and is what clone takes
        raw = preview.info is None or preview.info.format == "raw"
        heard = self.sim.reference_for(ctx, "voice_file", preview,  # must be audio the provider can read
                                       raw_sample_rate=PREVIEW_SAMPLE_RATE if raw else None)
        reference: AudioInput = p["reference_audio_file"]
        self.sim.reference_for(ctx, "reference_audio_file", reference)
        slug = re.sub(r"[^a-z0-9]+", "-", p["name"].lower()).strip("-") or "voice"
        voice_id = f"{slug}-{self.sim.next_id('voice')[:6]}"
        # the new voice's sample: the voice cloned from the preview, saying what the preview said
        from conformance.simulators.audio import encode

        y, rate = self.sim.speak(ctx, heard, heard.sample_rate, sample=heard)
        sample_url = self.sim.host_file(encode(y, rate, "wav"), f"{self.sim.next_uuid('sample')}.wav",
                                        content_type="audio/wav", provider_id=self.provider_id)
        body = {
            "id": self.sim.next_uuid("voice-record"),
            "voice_id": voice_id,
            "name": p["name"],
            "description": p.get("description"),
            "gender": p.get("gender"),
            "age": p.get("age"),
            "languages": _split(p.get("languages")),
            "dialect": _split(p.get("dialects")),
            "type": "cloned",
            "sample_url": sample_url,
            "avatar_url": p.get("avatar_url"),
            "stability": p["stability"],
        }
        self.sim.voices[self.provider_id][voice_id] = Voice(
            self.provider_id, voice_id, reference=reference.data, meta=body, created=True)
        return ctx.json(body)


SIMULATOR = FaseehSimulator
