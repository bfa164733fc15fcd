"""ModelsLab enterprise voice API, from docs.modelslab.com and ModelsLab/docs-v2, and its official SDK.

The API key travels in the JSON body as ``key``. Answers may be queued (``processing``) and must
then be fetched; errors may come with HTTP 200 and ``{"status": "error"}``.
"""

from __future__ import annotations

from typing import Any

from conformance.spec.model import (
    AtLeastOne,
    AudioDuration,
    AudioFormat,
    Auth,
    Base64Audio,
    Endpoint,
    ErrorCase,
    ErrorShape,
    Fact,
    NotBlank,
    OneOf,
    Param,
    Precedence,
    Provider,
    ResponseContract,
    Source,
    Url,
    Variant,
    Violation,
    VoiceSetup,
    When,
)

SEED_V2V = Source("docs.modelslab.com enterprise Voice to Voice", "POST /api/v1/enterprise/voice/voice_to_voice")
SEED_T2A = Source("docs.modelslab.com enterprise Voice cloning (text_to_audio)", "POST /api/v1/enterprise/voice/text_to_audio")
FACTS = Source("ModelsLab docs (docs.modelslab.com, ModelsLab/docs-v2)")
DOCS = Source("ModelsLab/docs-v2 (error-codes.mdx, rate-limits.mdx, webhooks.mdx, openapi VoiceResponse)")
# The voice answers' example bodies: published with the docs' migration (commit ef9d723, 2025-05-29), dropped
# from the enterprise pages on 2025-09-01; processing and error examples only ever on the v6 voice pages.
DOCS_V2V = Source("ModelsLab/docs-v2 @ef9d723 (2025-05-29) voice-cloning/voice-to-voice.mdx",
                  "Response tabs Success, Processing, Error")
DOCS_T2A = Source("ModelsLab/docs-v2 @ef9d723 (2025-05-29) voice-cloning/text-to-audio.mdx",
                  "Response tabs Success, Processing, Error")
DOCS_ENTERPRISE_V2V = Source("ModelsLab/docs-v2 @ef9d723 (2025-05-29) enterprise-api/voice-cloning/voice-to-voice.mdx",
                             "Response (success: links, no id or output)")
DOCS_URL_ERROR = Source("ModelsLab/docs-v2 error-codes.mdx", "Common Error Scenarios > Image URL Issues")
# the processing body's wording (the Processing tab of DOCS_T2A)
PROCESSING_TIP = "Your audio is processing in background, you can get this audio using fetch API"
PROCESSING_MESSAGE = "Try to fetch request after seconds estimated"
UNREACHABLE_URL = "Unable to fetch audio from provided URL"  # DOCS_URL_ERROR's image wording, for audio
SDK_PY = Source("modelslab-py 0.2.3 (PyPI), schemas/audio.py", "temp: Optional[float] (sent as 1.0 / 0.0)")

LANGUAGES = ("english", "arabic", "chinese", "spanish", "german", "czech", "dutch", "french", "hindi",
             "hungarian", "italian", "japanese", "korean", "polish", "russian", "turkish")
EMOTIONS = ("neutral", "happy", "sad", "angry", "dull")
BASE_PATH = "/api/v1/enterprise/voice"

_ID = {"type": ["integer", "string"]}
_URLS = {"type": "array", "items": {"type": "string"}}

SUCCESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"const": "success"},
        "generationTime": {"type": "number"},
        "id": _ID,
        "output": {**_URLS, "minItems": 1},
        "links": {**_URLS, "minItems": 1},  # the enterprise voice_to_voice page's form: links, no id or output
        "proxy_links": _URLS,
        "future_links": _URLS,
        "audio_time": {"type": "number"},
        "meta": {"type": "object"},
        "track_id": {"type": ["string", "integer", "null"]},
    },
    "anyOf": [{"required": ["output"]}, {"required": ["links"]}],
}
PROCESSING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "id"],
    "properties": {
        "status": {"const": "processing"},
        "id": _ID,
        "tip": {"type": "string"},
        "eta": {"type": "number"},  # seconds
        "message": {"type": "string"},
        "fetch_result": {"type": "string"},
        "output": {"type": ["array", "string"], "maxItems": 0, "maxLength": 0},
        "future_links": _URLS,
        "proxy_links": _URLS,
        "audio_time": {"type": "number"},
        "track_id": {"type": ["string", "integer", "null"]},
        "meta": {"type": "object"},
    },
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"enum": ["error", "failed"]},
        "message": {"type": ["string", "object", "array"]},
        "messege": {"type": ["string", "object", "array"]},  # legacy spelling
        "retry_after": {"type": "number"},
        "id": _ID,
        "track_id": {"type": ["string", "integer", "null"]},
    },
    "anyOf": [{"required": ["message"]}, {"required": ["messege"]}],
}
WEBHOOK_SUCCESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "id", "output"],
    "properties": {"status": {"const": "success"}, "id": _ID, "output": _URLS, "generationTime": {"type": "number"},
                   "track_id": {"type": ["string", "integer", "null"]}, "meta": {"type": "object"}},
}
WEBHOOK_FAILED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "id", "message"],
    "properties": {"status": {"const": "failed"}, "id": _ID, "message": {"type": "string"},
                   "track_id": {"type": ["string", "integer", "null"]}},
}


def _render_error(case: ErrorCase, request_id: str | None = None, violations: list[Violation] | None = None,
                  endpoint: Endpoint | None = None, message: str | None = None) -> dict[str, Any]:
    if message is None and violations:
        message = "; ".join(f"The {v.param} field {v.message}." if v.param else v.message for v in violations)
    body: dict[str, Any] = {"status": "error", "message": message or case.message}
    if case.name == "rate_limit":
        body["retry_after"] = 30
    return body


AUTH = Auth("json_body", "key", SEED_V2V.at("body attribute key"), "MODELSLAB_API_KEY")

ERRORS = (
    ErrorCase("invalid_request", 400, 400, "Invalid request", DOCS.at("error-codes.mdx: 400"), http200=True),
    ErrorCase("auth", 401, 401, "Invalid API key", DOCS.at("error-codes.mdx: 401 (example body)"), http200=True),
    ErrorCase("auth_missing", 401, 401, "API key is required",
              DOCS.as_assumed("a missing key is answered like a wrong one"), http200=True),
    ErrorCase("billing", 402, 402, "Insufficient credits. Please add more credits to continue.",
              DOCS.at("error-codes.mdx: 402 (example body)")),
    ErrorCase("forbidden", 403, 403, "This feature requires a premium subscription",
              DOCS.at("error-codes.mdx: 403 (example body)")),
    ErrorCase("not_found", 404, 404, "Request not found",
              DOCS.as_assumed("fetch of an unknown id"), http200=True),
    ErrorCase("rate_limit", 429, 429, "Rate limit exceeded. Maximum 5 queued requests allowed.",
              DOCS.at("rate-limits.mdx: 429 body with retry_after")),
    ErrorCase("server_error", 500, 500, "Internal server error. Please try again.",
              DOCS.at("error-codes.mdx: 500 (example body)")),
    ErrorCase("unavailable", 503, 503, "Service temporarily unavailable. Please try again later.",
              DOCS.at("error-codes.mdx: 503 (example body)")),
)

ERROR_SHAPE = ErrorShape('{"status": "error", "message": "…"} (legacy: "messege"), often with HTTP 200',
                         ERROR_SCHEMA, _render_error, FACTS.at("responses: error"))


def _key(source: Source) -> Param:
    return Param("key", "json", "string", source.at("body attribute key"), required=True, secret=True,
                 description="API key, sent in the JSON body")


def _common_tail(source: Source) -> tuple[Param, ...]:
    return (
        Param("base64", "json", "boolean", source.at("body attribute base64"), default=False,
              description="the audio inputs are base64 data, not URLs"),
        Param("temp", "json", "boolean", source.at("body attribute temp"), default=False,
              numeric_bool=SDK_PY, description="temporary links"),
        Param("webhook", "json", "url", source.at("body attribute webhook"), nullable=True,
              constraints=(Url(source.at("webhook: format url")),),
              description="URL that receives a POST when the job completes"),
        Param("track_id", "json", "string", source.at("body attribute track_id"), nullable=True,
              description="returned in the webhook call to identify the request"),
    )


def _base64_rules(names: tuple[str, ...], source: Source) -> tuple[When, ...]:
    out: list[When] = []
    for n in names:
        out.append(When("base64", True, n, Base64Audio(source.at("base64: input clips are base64")), source))
        out.append(When("base64", False, n, Url(source.at(f"{n}: a valid URL unless base64")), source))
    return out  # type: ignore[return-value]


_RESPONSES_JOB = (
    ResponseContract(200, "json", DOCS_V2V.at("Success (and the enterprise page's links form)"),
                     schema=SUCCESS_SCHEMA, state="success"),
    ResponseContract(200, "json", DOCS_V2V.at("Processing"), schema=PROCESSING_SCHEMA, state="processing"),
    ResponseContract(200, "json", FACTS.at("errors may arrive with HTTP 200"), schema=ERROR_SCHEMA, state="error"),
    *(ResponseContract(s, "json", DOCS.at(f"error-codes.mdx: {s}"), schema=ERROR_SCHEMA, state="error")
      for s in (400, 401, 402, 403, 429, 500, 503)),
)
_WEBHOOKS = (
    ResponseContract(200, "json", DOCS.at("webhooks.mdx: success payload"), schema=WEBHOOK_SUCCESS_SCHEMA),
    ResponseContract(200, "json", DOCS.at("webhooks.mdx: failure payload (status failed)"),
                     schema=WEBHOOK_FAILED_SCHEMA, state="failed"),
)

VOICE_TO_VOICE = Endpoint(
    id="modelslab.voice_to_voice",
    provider_id="modelslab",
    method="POST",
    path=f"{BASE_PATH}/voice_to_voice",
    encoding="json",
    source=SEED_V2V,
    summary="Clone a voice from a target audio file: the source utterances, said by the target voice.",
    converts_voice=True,
    async_job=True,
    params=(
        _key(SEED_V2V),
        Param("init_audio", "json", "audio", SEED_V2V.at("body attribute init_audio"), required=True,
              base64_allowed=True,
              constraints=(AudioFormat(("wav", "mp3"), SEED_V2V.at("init_audio: WAV/MP3 file")),
                           AudioDuration(None, 30, SEED_V2V.at("init_audio: maximum length 30 seconds"))),
              description="source utterances"),
        Param("target_audio", "json", "audio", SEED_V2V.at("body attribute target_audio"), required=True,
              base64_allowed=True,
              constraints=(AudioFormat(("wav", "mp3"), SEED_V2V.at("target_audio: WAV/MP3 file")),
                           AudioDuration(None, 30, SEED_V2V.at("target_audio: maximum length 30 seconds"))),
              description="target voice that should say the original utterances"),
        *_common_tail(SEED_V2V),
    ),
    rules=_base64_rules(("init_audio", "target_audio"), SEED_V2V.at("body attribute base64")),
    responses=_RESPONSES_JOB,
    webhooks=_WEBHOOKS,
)

TEXT_TO_AUDIO = Endpoint(
    id="modelslab.text_to_audio",
    provider_id="modelslab",
    method="POST",
    path=f"{BASE_PATH}/text_to_audio",
    encoding="json",
    source=SEED_T2A,
    summary="Speak a text prompt in a cloned voice (init_audio) or a catalogue voice (voice_id).",
    async_job=True,
    params=(
        _key(SEED_T2A),
        Param("prompt", "json", "string", SEED_T2A.at("body attribute prompt"), required=True,
              constraints=(NotBlank(SEED_T2A.at("prompt: text to speak").as_assumed("empty text is rejected")),),
              description="text to speak"),
        Param("init_audio", "json", "audio", SEED_T2A.at("body attribute init_audio"), base64_allowed=True,
              constraints=(AudioDuration(4, 30, SEED_T2A.at("init_audio: minimum 4 seconds, maximum 30 seconds")),),
              description="audio of the voice to clone"),
        Param("voice_id", "json", "string", SEED_T2A.at("body attribute voice_id"), nullable=True,
              description="ID of a voice from the provider's list"),
        Param("language", "json", "string", SEED_T2A.at("body attribute language"), default="english",
              constraints=(OneOf(LANGUAGES, SEED_T2A.at("language enum")),)),
        Param("emotion", "json", "string", SEED_T2A.at("body attribute emotion"), default="neutral",
              constraints=(OneOf(EMOTIONS, SEED_T2A.at("emotion enum")),)),
        *_common_tail(SEED_T2A),
    ),
    rules=(
        AtLeastOne(("init_audio", "voice_id"), SEED_T2A.at("note: pass either init_audio or voice_id")),
        Precedence("init_audio", "voice_id", SEED_T2A.at("note: if both are passed, init_audio takes preference")),
        *_base64_rules(("init_audio",), SEED_T2A.at("body attribute base64")),
    ),
    responses=_RESPONSES_JOB,
    webhooks=_WEBHOOKS,
)

FETCH = Endpoint(
    id="modelslab.fetch",
    provider_id="modelslab",
    method="POST",
    path=f"{BASE_PATH}/fetch/{{id}}",
    encoding="json",
    source=FACTS.at("fetch: docs page"),
    summary="Poll a queued job until it is success, error or failed.",
    params=(
        Param("id", "path", "string", FACTS.at("fetch/{id}"), required=True,
              constraints=(NotBlank(FACTS.at("fetch/{id}: the job id")),)),
        _key(FACTS.at("fetch body {key}")),
    ),
    responses=(
        *_RESPONSES_JOB,
        ResponseContract(200, "json", DOCS.at("fetch: failed job"), schema=ERROR_SCHEMA, state="failed"),
    ),
    variants=(
        Variant("path", "/api/v1/enterprise/voice-cloning/fetch/{id}",
                Source("ModelsLab/docs-v2 voice-cloning/openapi.json", "enterprise OpenAPI")),
    ),
)

PROVIDER = Provider(
    voice=VoiceSetup(speaker="en_alsa"),
    id="modelslab",
    name="ModelsLab",
    base_url="https://modelslab.com",
    auth=AUTH,
    error_shape=ERROR_SHAPE,
    errors=ERRORS,
    source=FACTS,
    retry_headers=("retry-after",),
    variants=(
        Variant("error message key", "messege", FACTS.at("legacy endpoints spell it messege")),
        Variant("id type", "integer or string", FACTS.at("id is an integer in some examples, a string in others")),
        Variant("success body", '{"generationTime", "links", "meta", "proxy_links": [], "status"} (no id, no output)',
                DOCS_ENTERPRISE_V2V),
        Variant("temp type", "boolean in the docs; the official SDK sends a float (1.0 / 0.0)", SDK_PY),
        Variant("unreachable audio URL", f'{{"status": "error", "message": "{UNREACHABLE_URL}"}}',
                DOCS_URL_ERROR.as_assumed("documented for images: the audio wording is by analogy")),
    ),
    facts=(
        Fact("queue limit per account", {"basic": 5, "standard": 10, "premium": 15}, DOCS.at("rate-limits.mdx")),
        Fact("retry_after on 429 (s)", 30, DOCS.at("rate-limits.mdx")),
        Fact("output retention", "24 h without S3 details", SEED_V2V.at("warning")),
        Fact("official SDK", "modelslab-py (requests; base https://modelslab.com/api/)", FACTS),
        Fact("processing body", f"tip {PROCESSING_TIP!r}, eta in seconds, message {PROCESSING_MESSAGE!r}, output []",
             DOCS_T2A.at("Processing")),
        Fact("job time (eta)", "1 s per second of audio made, at least 1 s; the simulator's clock runs 50 times "
             "faster", DOCS_V2V.as_assumed("the docs show eta 35 and 100 for 30 s of audio, no rule")),
        Fact("jobs end unpolled", "a job ends on its own and calls its webhook whether or not it is fetched",
             DOCS.at("webhooks.mdx: instead of polling, ModelsLab will send the results")),
    ),
    endpoints=(VOICE_TO_VOICE, TEXT_TO_AUDIO, FETCH),
)
