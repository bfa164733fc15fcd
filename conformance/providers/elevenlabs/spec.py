"""ElevenLabs voice changer (speech-to-speech), from seed 003 (the provider's OpenAPI) and PROVIDERS.md §3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.spec.model import (
    AudioDuration,
    Auth,
    Endpoint,
    ErrorCase,
    ErrorShape,
    FileSize,
    JsonObjectString,
    NotBlank,
    OneOf,
    Param,
    Provider,
    Range,
    RawPcm,
    ResponseContract,
    Source,
    Variant,
    Violation,
    VoiceSetup,
    When,
)

SEED = Source("seed 003: ElevenLabs voice changer OpenAPI", "POST /v1/speech-to-speech/{voice_id}")
FACTS = Source("PROVIDERS.md §3 ElevenLabs")
ERRORS_PAGE = Source("elevenlabs.io docs, errors page (via PROVIDERS.md §3)")
SDK = Source("elevenlabs-python core/http_client.py (via PROVIDERS.md §3)")
SDK_STS = Source("elevenlabs-python speech_to_speech/raw_client.py (elevenlabs 2.x on PyPI)")

# codec_samplerate[_bitrate], exactly as the OpenAPI enum lists them
OUTPUT_FORMATS: tuple[str, ...] = (
    "alaw_8000",
    "mp3_22050_32", "mp3_24000_48",
    "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128", "mp3_44100_192",
    "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128", "opus_48000_192",
    "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_32000", "pcm_44100", "pcm_48000",
    "ulaw_8000",
    "wav_8000", "wav_16000", "wav_22050", "wav_24000", "wav_32000", "wav_44100", "wav_48000",
)
DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"
STS_MODELS = ("eleven_english_sts_v2", "eleven_multilingual_sts_v2")
RESPONSE_HEADERS = ("request-id", "history-item-id", "character-cost", "x-trace-id", "x-region",
                    "current-concurrent-requests", "maximum-concurrent-requests")


@dataclass(frozen=True)
class OutputFormat:
    """A parsed ``output_format``: what the audio bytes must really be."""

    name: str
    codec: str  # mp3 | opus | pcm | ulaw | alaw | wav
    sample_rate: int
    bitrate_kbps: int | None

    @property
    def container(self) -> str:
        """The container the bytes come in: raw formats have none."""
        return {"mp3": "mp3", "opus": "ogg", "wav": "wav"}.get(self.codec, "raw")

    @property
    def raw_sample_format(self) -> str | None:
        return {"pcm": "s16le", "ulaw": "ulaw", "alaw": "alaw"}.get(self.codec)

    @property
    def source(self) -> str:
        """Where the format's promise is documented (the output check cites it)."""
        return f"seed 003: output_format {self.name} (codec_samplerate_bitrate)"

    @property
    def content_type(self) -> str:
        # The OpenAPI says application/octet-stream; audio/mpeg is observed for mp3 (PROVIDERS.md §3).
        return "audio/mpeg" if self.codec == "mp3" else "application/octet-stream"


def parse_output_format(name: str) -> OutputFormat:
    """``"mp3_22050_32"`` → codec mp3, 22050 Hz, 32 kbps (the name is ``codec_samplerate_bitrate``)."""
    if name not in OUTPUT_FORMATS:
        raise ValueError(f"unknown ElevenLabs output_format {name!r}")
    parts = name.split("_")
    return OutputFormat(name, parts[0], int(parts[1]), int(parts[2]) if len(parts) > 2 else None)


def _render_error(case: ErrorCase, request_id: str | None = None, violations: list[Violation] | None = None,
                  endpoint: Endpoint | None = None, message: str | None = None) -> dict[str, Any]:
    if case.name == "invalid_request" and case.status == 422:
        detail = []
        for v in violations or []:
            loc_kind = "body"
            if endpoint is not None and v.param:
                try:
                    loc_kind = {"query": "query", "path": "path", "header": "header"}.get(
                        endpoint.param(v.param.split(".")[0]).location, "body")
                except KeyError:
                    loc_kind = "body"
            detail.append({"type": "missing" if v.kind == "missing" else v.rule,
                           "loc": [loc_kind, v.param or "body"], "msg": v.message, "input": v.value})
        return {"detail": detail}
    return {"detail": {
        "type": {401: "authentication_error", 404: "not_found", 429: "rate_limit_error"}.get(case.status, "error"),
        "code": case.code,
        "message": message or case.message,
        "status": case.code,  # the legacy shape spelled the code as `status`
        "request_id": request_id,
        "param": None,
    }}


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "oneOf": [
                {"type": "object", "required": ["message"], "properties": {
                    "type": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]},
                    "message": {"type": "string"}, "status": {"type": ["string", "integer", "null"]},
                    "request_id": {"type": ["string", "null"]}, "param": {"type": ["string", "null"]}}},
                {"type": "array", "items": {"type": "object", "required": ["loc", "msg", "type"], "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"}, "type": {"type": "string"}}}},
            ]
        }
    },
}

AUTH = Auth("header", "xi-api-key", SEED.at("parameter xi-api-key (header)"), "ELEVENLABS_API_KEY")

ERRORS = (
    ErrorCase("invalid_request", 422, "validation_error", "Validation Error", SEED.at("responses 422 HTTPValidationError")),
    ErrorCase("auth", 401, "invalid_api_key", "Invalid API key", FACTS.at("legacy 401 body")),
    ErrorCase("auth_missing", 401, "invalid_api_key", "Missing API key",
              FACTS.as_assumed("a missing key is answered like a wrong one")),
    ErrorCase("not_found", 404, "voice_not_found", "A voice with the voice_id was not found.", ERRORS_PAGE),
    ErrorCase("rate_limit", 429, "rate_limit_exceeded", "Too many requests", ERRORS_PAGE),
    ErrorCase("rate_limit", 429, "concurrent_limit_exceeded", "Too many concurrent requests", ERRORS_PAGE),
    ErrorCase("server_error", 500, "internal_server_error", "Internal server error",
              ERRORS_PAGE.as_assumed("shape of 5xx bodies")),
    ErrorCase("unavailable", 503, "service_unavailable", "Service unavailable",
              ERRORS_PAGE.as_assumed("shape of 5xx bodies")),
)

ERROR_SHAPE = ErrorShape(
    '{"detail": {"type", "code", "message", "status", "request_id", "param"}}; 422: {"detail": [{"type", "loc", "msg", "input"}]}',
    ERROR_SCHEMA, _render_error, FACTS.at("errors"))

AUDIO_BODY = ResponseContract(
    200, "audio", SEED.at("responses 200"),
    content_types=("application/octet-stream", "audio/mpeg"),
    description="The generated audio, in the codec and sample rate named by output_format, streamed")

SPEECH_TO_SPEECH = Endpoint(
    id="elevenlabs.speech_to_speech",
    provider_id="elevenlabs",
    method="POST",
    path="/v1/speech-to-speech/{voice_id}",
    encoding="multipart",
    source=SEED,
    summary="Voice changer: transform audio from one voice to another, keeping emotion, timing and delivery.",
    converts_voice=True,
    params=(
        Param("voice_id", "path", "string", SEED.at("parameter voice_id"), required=True,
              constraints=(NotBlank(SEED.at("parameter voice_id (path segment)")),),
              description="ID of the target voice"),
        Param("enable_logging", "query", "boolean", SEED.at("parameter enable_logging"), default=True,
              description="false selects zero retention mode (enterprise only)"),
        Param("optimize_streaming_latency", "query", "integer", SEED.at("parameter optimize_streaming_latency"),
              nullable=True, default=None,
              constraints=(Range(0, 4, SEED.at("parameter optimize_streaming_latency: possible values 0-4")),)),
        Param("output_format", "query", "string", SEED.at("parameter output_format"), default=DEFAULT_OUTPUT_FORMAT,
              constraints=(OneOf(OUTPUT_FORMATS, SEED.at("schema V1SpeechToSpeechVoiceIdPostParametersOutputFormat")),)),
        Param("audio", "file", "audio", SEED.at("requestBody audio"), required=True,
              constraints=(AudioDuration(None, 300, FACTS.at("limits: 5 min per request")),
                           FileSize(50 * 1024 * 1024, FACTS.at("limits: 50 MB per request"))),
              description="The audio whose content and emotion control the generated speech"),
        Param("model_id", "form", "string", SEED.at("requestBody model_id"), default="eleven_english_sts_v2",
              constraints=(OneOf(STS_MODELS, FACTS.at("model_id: speech-to-speech models")),)),
        Param("voice_settings", "form", "string", SEED.at("requestBody voice_settings"), nullable=True,
              constraints=(JsonObjectString(SEED.at("voice_settings: needs to be sent as a JSON encoded string"),
                                           # members of the SDK's VoiceSettings model (elevenlabs-python)
                                           keys=("stability", "similarity_boost", "style")),)),
        Param("seed", "form", "integer", SEED.at("requestBody seed"), nullable=True,
              constraints=(Range(0, 4294967295, SEED.at("seed: must be integer between 0 and 4294967295")),)),
        Param("remove_background_noise", "form", "boolean", SEED.at("requestBody remove_background_noise"),
              default=False),
        Param("file_format", "form", "string", SEED.at("requestBody file_format"), nullable=True, default="other",
              constraints=(OneOf(("pcm_s16le_16", "other"),
                                 SEED.at("schema …MultipartFormDataSchemaFileFormat")),)),
    ),
    rules=(
        When("file_format", "pcm_s16le_16", "audio",
             RawPcm(16000, SEED.at("file_format: pcm_s16le_16 is 16-bit PCM, 16 kHz, mono, little-endian")),
             SEED.at("requestBody file_format")),
    ),
    responses=(
        AUDIO_BODY,
        ResponseContract(422, "json", SEED.at("responses 422"), schema=ERROR_SCHEMA, state="error"),
        ResponseContract(401, "json", FACTS.at("errors: 401"), schema=ERROR_SCHEMA, state="error"),
        ResponseContract(404, "json", ERRORS_PAGE, schema=ERROR_SCHEMA, state="error"),
        ResponseContract(429, "json", ERRORS_PAGE, schema=ERROR_SCHEMA, state="error"),
    ),
    variants=(
        Variant("unknown voice error", {"status": 400, "code": "voice_does_not_exist"}, FACTS.at("older API")),
        # the official SDK calls the same endpoint under its newer name (and a streamed twin)
        Variant("path", "/v1/voice-changer/{voice_id}", SDK_STS.at("convert: POST v1/voice-changer/{voice_id}")),
        Variant("path", "/v1/voice-changer/{voice_id}/stream",
                SDK_STS.at("convert_as_stream: POST v1/voice-changer/{voice_id}/stream, same parameters")),
    ),
)

PROVIDER = Provider(
    voice=VoiceSetup(speaker="en_slt", premade_voice_id="JBFqnCBsd6RMkjVDRZzb"),  # the docs' example voice
    id="elevenlabs",
    name="ElevenLabs",
    base_url="https://api.elevenlabs.io",
    alt_base_urls=("https://api.us.elevenlabs.io", "https://api.eu.residency.elevenlabs.io",
                   "https://api.in.residency.elevenlabs.io"),
    auth=AUTH,
    error_shape=ERROR_SHAPE,
    errors=ERRORS,
    source=SEED,
    retry_headers=("retry-after-ms", "retry-after", "x-ratelimit-reset"),
    response_headers=RESPONSE_HEADERS,
    endpoints=(SPEECH_TO_SPEECH,),
)
