"""Acme Speak simulator: the text spoken in the sample's voice, as WAV or MP3."""

from __future__ import annotations

from typing import ClassVar

from acme_conformance.spec import FORMATS, SAMPLE_RATE
from conformance.simulators.core import Context, ProviderSimulator, SimResponse


class AcmeSimulator(ProviderSimulator):
    provider_id: ClassVar[str] = "acme"

    def speak(self, ctx: Context) -> SimResponse:
        from conformance.simulators.audio import encode, mp3_rate

        voice = self.sim.reference_for(ctx, "voice_sample", ctx.params["voice_sample"])
        fmt = ctx.value("format")
        rate = mp3_rate(SAMPLE_RATE) if fmt == "mp3" else SAMPLE_RATE
        y, rate = self.sim.speak(ctx, voice, rate, text=ctx.params["text"])
        body = encode(y, rate, fmt, bitrate_kbps=64) if fmt == "mp3" else encode(y, rate, "wav")
        return SimResponse(200, body, {"content-type": FORMATS[fmt], "x-request-id": ctx.request_id})


SIMULATOR = AcmeSimulator
