"""Novita (MiniMax quick voice cloning) simulator.

A clone call creates a voice that exists afterwards (``Simulator.voices["novita"]``); with ``text``
and ``model`` it also returns ``demo_audio_url``, an MP3 of the text in the cloned voice, hosted by
the simulator.
"""

from __future__ import annotations

import time
from typing import ClassVar

from conformance.simulators.core import Context, ProviderSimulator, SimResponse, Voice
from conformance.spec.model import AudioInput, Violation

DEMO_BITRATE_KBPS = 128  # not documented: MiniMax's default MP3 bitrate


class NovitaSimulator(ProviderSimulator):
    provider_id: ClassVar[str] = "novita"

    def invalid_audio_case(self) -> str:
        return "invalid_audio"

    def invalid_case(self, violations: list[Violation], ctx: Context) -> str:
        audio = {p.name for p in ctx.endpoint.params if p.type == "audio"}
        audio |= {f"{p.name}.{f.name}" for p in ctx.endpoint.params for f in p.fields if f.type == "audio"}
        if all(v.param in audio and v.kind not in ("missing", "type") for v in violations):
            return "invalid_audio"
        return "invalid_request"

    def minimax_voice_cloning(self, ctx: Context) -> SimResponse:
        from conformance.simulators.audio import encode, mp3_rate

        audio: AudioInput = ctx.params["audio_url"]
        ref = self.sim.reference_for(ctx, "audio_url", audio)
        voice_id = "voice-" + self.sim.next_id("voice")[:16]
        voice = Voice(self.provider_id, voice_id, reference=audio.data,
                      speaker=None if audio.data is not None else ref.label.removeprefix("speaker:"),
                      meta={"audio_url": audio.url, "accuracy": ctx.value("accuracy"), "created_at": time.time()},
                      created=True)
        self.sim.voices[self.provider_id][voice_id] = voice
        body = {"voice_id": voice_id}
        text = ctx.params.get("text")
        if text and ctx.params.get("model"):
            rate = mp3_rate(ref.sample_rate)
            y, rate = self.sim.speak(ctx, ref, rate, text=text)
            mp3 = encode(y, rate, "mp3", bitrate_kbps=DEMO_BITRATE_KBPS)
            body["demo_audio_url"] = self.sim.host_file(mp3, f"{self.sim.next_uuid('demo')}.mp3",
                                                        content_type="audio/mpeg", provider_id=self.provider_id)
        return ctx.json(body)


SIMULATOR = NovitaSimulator
