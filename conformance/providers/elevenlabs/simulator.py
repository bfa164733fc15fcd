"""ElevenLabs simulator: the voice changer (speech-to-speech).

The output keeps the input's length and pauses (its speech where the input speaks) and is the real
speech of the fixture speaker behind the voice id (see :func:`conformance.simulators.audio.render_following`); it is
really encoded as ``output_format`` says (``spec.parse_output_format``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import ClassVar

from conformance.providers.elevenlabs.spec import UNREADABLE_BODY, parse_output_format
from conformance.simulators.core import Context, ProviderSimulator, SimError, SimResponse
from conformance.spec import wire
from conformance.spec.model import ErrorCase, Violation

# Premade voice ids from ElevenLabs' public voice library (the docs' examples use the first), each
# read by a wide-band fixture speaker so every output_format up to 48 kHz carries real bandwidth;
# the most used voices by the cleanest recordings (DNSMOS of the fixtures: en_alsa and en_slt 3.1,
# cs_dita 2.7, cs_machac and cs_krb 2.3), so converted speech sounds like speech.
CATALOGUE: dict[str, str] = {
    "JBFqnCBsd6RMkjVDRZzb": "en_alsa",  # George
    "21m00Tcm4TlvDq8ikWAM": "en_slt",  # Rachel
    "EXAVITQu4vr4xnSDxMaL": "cs_dita",  # Sarah
    "pNInz6obpgDQGcFmaJgB": "cs_machac",  # Adam
    "TX3LPaxmHKxFdv7VOQHJ": "cs_krb",  # Liam
}
# Not documented: what the simulator reports in the concurrency headers and character-cost.
MAX_CONCURRENT_REQUESTS = 10
CHARACTERS_PER_MINUTE = 1000
REGIONS = {"api.eu.residency.elevenlabs.io": "europe-west4", "api.in.residency.elevenlabs.io": "asia-south1",
           "api.sg.residency.elevenlabs.io": "asia-southeast1"}
STREAM_CHUNK = 4096
# the constraints the OpenAPI schema itself declares (validated with the body, before auth)
SCHEMA_RULES = {("seed", "range"), ("optimize_streaming_latency", "range"), ("file_format", "one_of")}


class ElevenLabsSimulator(ProviderSimulator):
    provider_id: ClassVar[str] = "elevenlabs"
    catalogue: ClassVar[dict[str, str]] = CATALOGUE

    def headers(self, ctx: Context, response: SimResponse) -> dict[str, str]:
        # x-trace-id is 32 hex characters, the error body's request_id; errors carry no request-id
        wanted = {"x-trace-id": ctx.request_id, "x-region": REGIONS.get(ctx.request.url.host, "us-central1")}
        if not response.error:
            wanted["request-id"] = ctx.request_id
        return {k: v for k, v in wanted.items() if k in self.provider.response_headers}

    def before_auth(self, violations: list[Violation], ctx: Context) -> list[Violation]:
        """FastAPI validates the request against its schema (missing fields, types, the ranges and
        enums the OpenAPI declares) before the key is looked at; the rest is checked after it. Each
        violation carries the value as it came over the wire (pydantic echoes it as ``input``)."""
        return [replace(v, value=repr(ctx.raw_params[v.param])) if v.param in ctx.raw_params else v
                for v in violations if v.kind in ("missing", "type") or v.rule == "request_body"
                or (v.param, v.rule) in SCHEMA_RULES]

    def unreadable_case(self) -> ErrorCase:
        return UNREADABLE_BODY

    def speech_to_speech(self, ctx: Context) -> SimResponse:
        voice_id = ctx.value("voice_id")
        voice = self.sim.voices[self.provider_id].get(voice_id)
        if voice is None:
            raise SimError("not_found", f"A voice with the voice_id {voice_id} was not found.")
        fmt = parse_output_format(ctx.value("output_format"))
        raw = wire.raw_pcm_rule(ctx.endpoint, "audio", ctx.params)
        source = self.sim.reference_for(ctx, "audio", ctx.params["audio"],
                                        raw_sample_rate=raw.sample_rate if raw else None)
        y, rate = self.sim.speak(ctx, self.sim.voice_reference(voice), fmt.sample_rate, follow=source)
        from conformance.simulators.audio import encode

        body = encode(y, rate, fmt.codec, bitrate_kbps=fmt.bitrate_kbps)
        headers = {
            "content-type": fmt.content_type,
            "character-cost": str(math.ceil(source.duration / 60 * CHARACTERS_PER_MINUTE)),
            "current-concurrent-requests": str(max(1, self.sim.in_flight[self.provider_id])),
            "maximum-concurrent-requests": str(MAX_CONCURRENT_REQUESTS),
        }
        if ctx.value("enable_logging") is not False:  # zero retention mode keeps no history item
            headers["history-item-id"] = self.sim.next_id("history")[:20]
        headers = {k: v for k, v in headers.items() if k == "content-type" or k in self.provider.response_headers}
        return SimResponse(200, body, headers, chunk_size=STREAM_CHUNK)


SIMULATOR = ElevenLabsSimulator
