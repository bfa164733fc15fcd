"""ElevenLabs voice changer (speech-to-speech), from the provider's OpenAPI and docs, its SDK and live captures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from conformance.spec.model import (
    AudioDuration,
    Auth,
    Endpoint,
    ErrorCase,
    ErrorShape,
    Fact,
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

SEED = Source("ElevenLabs OpenAPI (elevenlabs.io API reference), voice changer", "POST /v1/speech-to-speech/{voice_id}")
FACTS = Source("elevenlabs.io docs (API reference, models, limits)")
ERRORS_PAGE = Source("elevenlabs.io docs, errors page")
SDK_1_59 = Source("elevenlabs-python 1.59.0 (PyPI wheel), speech_to_speech/client.py")
SDK_2_59 = Source("elevenlabs-python 2.59.0 (PyPI wheel)")
SDK_2_78 = Source("elevenlabs-python 2.78.0 (PyPI wheel), speech_to_speech/raw_client.py")
# Live answers of api.elevenlabs.io, as users captured them in public issue threads (newest first).
LIVE_401 = Source("live 401 bodies, 5-field form: a client's research note of live probes (GitHub, ~2026-09) and "
                  "a second probe of POST /v1/text-to-voice/design; legacy {status, message} form: "
                  "SillyTavern/SillyTavern#4483 (2025-09-03)")
LIVE_NO_KEY = Source("live 401 without a key, 5-field form (~2026-09, as LIVE_401); legacy form: "
                     "griptape-ai/ComfyUI-Griptape#144 (2024-10-30), lugia19/elevenlabslib#23 (2023-10-16)")
LIVE_ORDER = Source("live: pydantic 422s come before authentication, with an invalid key too (~2026-09 probe)")
LIVE_TRACE = Source("live error answers carry x-trace-id (32 hex), equal to detail.request_id, and no request-id "
                    "header: elevenlabs/elevenlabs-docs#1317 (2025-07-11), home-assistant/core#160414 (2026-01-07)")
LIVE_404 = Source("live 404 voice_not_found: elevenlabs/elevenlabs-docs#1317 (2025-07-11, a maintainer's capture)")
LIVE_429 = Source("live 429 bodies: haguro/elevenlabs-go#25 (2024-12-09, too_many_concurrent_requests), "
                  "SubtitleEdit/subtitleedit#9246 (2025-01-22, system_busy)")
LIVE_500 = Source("live 500 on the voice changer stream: elevenlabs/elevenlabs-python#351 (2024-09-02)")
LIVE_400 = Source("live 400 of the voice changer on a body it could not parse: "
                  "{\"detail\": \"There was an error parsing the body\"} (elevenlabs/elevenlabs-js#133, 2025-01-03); "
                  "older 400 voice_does_not_exist (Andrewcpu/elevenlabs-api#14, 2023-12-02)")
ERRORS_PAGE_NOW = Source("elevenlabs.io/docs/eleven-api/resources/errors", "error types and codes tables")

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
        return f"ElevenLabs OpenAPI: output_format {self.name} (codec_samplerate_bitrate)"

    @property
    def content_type(self) -> str:
        # The OpenAPI says application/octet-stream; audio/mpeg is observed for mp3 (and the docs' OpenAPI says so).
        return "audio/mpeg" if self.codec == "mp3" else "application/octet-stream"


def parse_output_format(name: str) -> OutputFormat:
    """``"mp3_22050_32"`` → codec mp3, 22050 Hz, 32 kbps (the name is ``codec_samplerate_bitrate``)."""
    if name not in OUTPUT_FORMATS:
        raise ValueError(f"unknown ElevenLabs output_format {name!r}")
    parts = name.split("_")
    return OutputFormat(name, parts[0], int(parts[1]), int(parts[2]) if len(parts) > 2 else None)


# The 5-field error body (type, code, message, status, request_id): ``type`` by HTTP status and ``code``
# from the errors page's tables; ``status`` is the legacy code (ErrorCase.code), which live answers
# still carry and which may differ from ``code`` (401: code unauthorized, status invalid_api_key).
ERROR_TYPE: dict[int, str] = {400: "invalid_request", 401: "authentication_error", 404: "not_found",
                              422: "validation_error", 429: "rate_limit_error", 500: "internal_error",
                              503: "service_unavailable"}
ERROR_CODE: dict[str, str] = {"invalid_api_key": "unauthorized", "needs_authorization": "unauthorized",
                              "too_many_concurrent_requests": "concurrent_limit_exceeded",
                              "something_went_wrong": "internal_error"}
PYDANTIC_TYPE_ERRORS = {
    "integer": ("int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
    "number": ("float_parsing", "Input should be a valid number, unable to parse string as a number"),
    "boolean": ("bool_parsing", "Input should be a valid boolean, unable to interpret input"),
}


def _wire_input(v: Violation) -> Any:
    """The value as it came over the wire (form and query values are text), as pydantic echoes it."""
    import ast

    if v.kind == "missing":
        return None
    try:
        value = ast.literal_eval(v.value)
    except (ValueError, SyntaxError):
        return v.value
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


def _pydantic_entry(v: Violation, endpoint: Endpoint | None) -> dict[str, Any]:
    """One ``detail`` entry as FastAPI's pydantic v2 validation writes it."""
    param = None
    if endpoint is not None and v.param:
        param = next((q for q in endpoint.params if q.name == v.param.split(".")[0]), None)
    where = {"query": "query", "path": "path", "header": "header"}.get(param.location, "body") if param else "body"
    entry: dict[str, Any] = {"type": v.rule, "loc": [where, v.param or "body"], "msg": v.message,
                             "input": _wire_input(v)}
    if v.kind == "missing":
        entry.update(type="missing", msg="Field required")
    elif v.kind == "type" and param is not None and param.type in PYDANTIC_TYPE_ERRORS:
        entry["type"], entry["msg"] = PYDANTIC_TYPE_ERRORS[param.type]
    elif param is not None:
        for c in param.constraints:
            if isinstance(c, Range) and v.rule == c.key:
                entry.update(_range_entry(c, float(entry["input"])))
            elif isinstance(c, OneOf) and v.rule == c.key:
                quoted = [f"'{x}'" for x in c.values]
                expected = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
                entry.update(type="enum", msg=f"Input should be {expected}", ctx={"expected": expected})
    return entry


def _range_entry(c: Range, value: float) -> dict[str, Any]:
    """pydantic's words for a number outside ``c`` (which bound it broke, inclusive or not)."""
    if not math.isfinite(value):
        return {"type": "finite_number", "msg": "Input should be a finite number"}
    if c.max is not None and (value >= c.max if c.max_exclusive else value > c.max):
        if c.max_exclusive:
            return {"type": "less_than", "msg": f"Input should be less than {c.max}", "ctx": {"lt": c.max}}
        return {"type": "less_than_equal", "msg": f"Input should be less than or equal to {c.max}",
                "ctx": {"le": c.max}}
    if c.min_exclusive:
        return {"type": "greater_than", "msg": f"Input should be greater than {c.min}", "ctx": {"gt": c.min}}
    return {"type": "greater_than_equal", "msg": f"Input should be greater than or equal to {c.min}",
            "ctx": {"ge": c.min}}


def _render_error(case: ErrorCase, request_id: str | None = None, violations: list[Violation] | None = None,
                  endpoint: Endpoint | None = None, message: str | None = None) -> dict[str, Any]:
    if case is UNREADABLE_BODY:  # the live answer is a bare string, whatever could not be parsed
        return {"detail": case.message}
    if case.name == "invalid_request" and case.status == 422:
        return {"detail": [_pydantic_entry(v, endpoint) for v in violations or []]}
    legacy = str(case.code)
    return {"detail": {"type": ERROR_TYPE.get(case.status, "invalid_request"), "code": ERROR_CODE.get(legacy, legacy),
                       "message": message or case.message, "status": legacy, "request_id": request_id}}


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
                {"type": "string"},  # 400 on a body it cannot parse (live, elevenlabs/elevenlabs-js#133)
                {"type": "array", "items": {"type": "object", "required": ["loc", "msg", "type"], "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"}, "type": {"type": "string"}}}},
            ]
        }
    },
}

AUTH = Auth("header", "xi-api-key", SEED.at("parameter xi-api-key (header)"), "ELEVENLABS_API_KEY")

UNREADABLE_BODY = ErrorCase("invalid_request", 400, None, "There was an error parsing the body", LIVE_400)
ERRORS = (
    ErrorCase("invalid_request", 422, "validation_error", "Validation Error", SEED.at("responses 422 HTTPValidationError")),
    # the newest live form (type, code, message, status, request_id) wins over the legacy {status, message}
    # body; both parse (ERROR_SCHEMA), and the legacy form's bodies are in the example cassettes
    ErrorCase("auth", 401, "invalid_api_key", "Invalid API key", LIVE_401),
    ErrorCase("auth_missing", 401, "needs_authorization",
              "Neither authorization header nor xi-api-key received, please provide one.", LIVE_NO_KEY),
    ErrorCase("not_found", 404, "voice_not_found", "A voice with the voice_id was not found.", LIVE_404),
    ErrorCase("rate_limit", 429, "too_many_concurrent_requests",
              "Too many concurrent requests. Your current subscription is associated with a maximum of 5 concurrent "
              "requests (running in parallel). This is done such that a single user does not overwhelm our systems "
              "and affect other users negatively. Please upgrade your subscription or contact sales if you want to "
              "increase this limit.", LIVE_429),
    ErrorCase("rate_limit", 429, "system_busy", "We are sorry, the system is experiencing heavy traffic, please try "
              "again. Higher subscriptions have higher priority.", LIVE_429),
    ErrorCase("server_error", 500, "something_went_wrong",
              "We are sorry, something went wrong. You are not charged for this request.", LIVE_500),
    ErrorCase("unavailable", 503, "service_unavailable", "The service is temporarily unavailable. Try again later.",
              ERRORS_PAGE_NOW.as_assumed("no live 503 body found: the errors page's code and description")),
    UNREADABLE_BODY,
)

ERROR_SHAPE = ErrorShape(
    '{"detail": {"type", "code", "message", "status", "request_id"}} (legacy and no key: {"detail": {"status", '
    '"message"}}); 422: pydantic\'s {"detail": [{"type", "loc", "msg", "input", "ctx"?}]}',
    ERROR_SCHEMA, _render_error, LIVE_401)

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
        ResponseContract(400, "json", LIVE_400, schema=ERROR_SCHEMA, state="error"),
        ResponseContract(401, "json", FACTS.at("errors: 401"), schema=ERROR_SCHEMA, state="error"),
        ResponseContract(404, "json", ERRORS_PAGE, schema=ERROR_SCHEMA, state="error"),
        ResponseContract(429, "json", ERRORS_PAGE, schema=ERROR_SCHEMA, state="error"),
    ),
    variants=(
        Variant("unknown voice error", {"status": 400, "code": "voice_does_not_exist"}, FACTS.at("older API")),
        # the official SDK's paths: 1.x to 2.59 speech-to-speech (convert, and stream /
        # convert_as_stream on /stream), later releases the same endpoint under its newer name
        Variant("path", "/v1/speech-to-speech/{voice_id}/stream",
                SDK_1_59.at("convert_as_stream: POST v1/speech-to-speech/{voice_id}/stream (to 2.59.0: stream)")),
        Variant("path", "/v1/voice-changer/{voice_id}", SDK_2_78.at("convert: POST v1/voice-changer/{voice_id}")),
        Variant("path", "/v1/voice-changer/{voice_id}/stream",
                SDK_2_78.at("stream: POST v1/voice-changer/{voice_id}/stream, same parameters")),
    ),
)

PROVIDER = Provider(
    voice=VoiceSetup(speaker="en_slt", premade_voice_id="JBFqnCBsd6RMkjVDRZzb"),  # the docs' example voice
    id="elevenlabs",
    name="ElevenLabs",
    base_url="https://api.elevenlabs.io",
    # the SDK's environments (PRODUCTION_US, _EU from 1.x; _INDIA, _SINGAPORE in 2.59.0)
    alt_base_urls=("https://api.us.elevenlabs.io", "https://api.eu.residency.elevenlabs.io",
                   "https://api.in.residency.elevenlabs.io", "https://api.sg.residency.elevenlabs.io"),
    auth=AUTH,
    error_shape=ERROR_SHAPE,
    errors=ERRORS,
    source=SEED,
    # none documented or observed on 429 (the SDK reads retry-after and x-ratelimit-reset when present,
    # and never retries speech-to-speech, which it streams)
    retry_headers=(),
    response_headers=RESPONSE_HEADERS,
    facts=(
        Fact("validation before authentication", "the request schema's missing fields, types, ranges and enums "
             "are answered (422) before the key is checked; output_format, model_id and the rest after it",
             LIVE_ORDER),
        Fact("error headers", "x-trace-id (32 hex) = detail.request_id; no request-id header on errors", LIVE_TRACE),
        Fact("retries", "the SDK never retries speech-to-speech (it streams); other calls retry 408, 409, 429, "
             "5xx (max_retries 0 up to 2.0.0, 2 from 2.59.0), reading retry-after and x-ratelimit-reset",
             SDK_2_59.at("core/http_client.py")),
        Fact("data residency hosts", "us; eu (1.x); in, sg (2.59.0)", SDK_2_59.at("environment.py")),
    ),
    endpoints=(SPEECH_TO_SPEECH,),
)
