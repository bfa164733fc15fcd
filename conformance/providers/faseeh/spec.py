"""Faseeh (also sold as Munsit) voice preview and voice clone, from docs.faseeh.ai (docs.munsit.com)."""

from __future__ import annotations

from typing import Any

from conformance.spec.model import (
    AudioFormat,
    Auth,
    CommaList,
    Endpoint,
    ErrorCase,
    ErrorShape,
    Fact,
    Length,
    NotBlank,
    OneOf,
    Param,
    Provider,
    Range,
    RawPcm,
    ResponseContract,
    Source,
    Url,
    Variant,
    Violation,
    WordCount,
)

SEED = Source("docs.faseeh.ai api-reference/voice-clone", "POST /api/v1/voices/clone")
PREVIEW = Source("docs.faseeh.ai api-reference/voice-preview")
FACTS = Source("docs.faseeh.ai API reference (introduction, models, voices)")
ERRORS_DOC = Source("docs.faseeh.ai api-reference/errors")
PREVIEW_ERRORS = Source("docs.faseeh.ai api-reference/voice-preview", "Error Responses (errorCode as strings)")

MODELS = ("faseeh-v1-preview", "faseeh-mini-v1-preview")
PREVIEW_CONTENT_TYPE = "audio/raw;codec=pcm16;rate=24000;channels=1"
PREVIEW_SAMPLE_RATE = 24000

CLONE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "voice_id", "name", "languages", "dialect", "sample_url", "stability"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "voice_id": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "gender": {"type": ["string", "null"]},
        "age": {"type": ["string", "null"]},
        "languages": {"type": "array", "items": {"type": "string"}},
        "dialect": {"type": "array", "items": {"type": "string"}},
        "type": {"type": ["string", "null"]},
        "sample_url": {"type": "string"},
        "avatar_url": {"type": ["string", "null"]},
        "stability": {"type": "number"},
    },
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["errorCode", "errorMessage"],
    "properties": {"errorCode": {"type": ["string", "integer"]}, "errorMessage": {"type": "string"}},
}


# The documented wordings of 400 messages, by (param, rule): the voice-preview page's examples, the errors
# page's 40001 example, the text-to-speech pages' "Model not found"; other fields say it alike (assumed).
_RANGE = {"similarity": "0 and 1", "stability": "0 and 1", "speed": "0.7 and 1.2"}


def _message(v: Violation) -> str:
    param = v.param or ""
    if param == "text" and v.rule in ("word_count", "length"):
        return "Text must have at least 3 words and 10 characters"
    if param in _RANGE:
        return f"{param} must be a number between {_RANGE[param]}"
    if param in ("file", "voice_file", "reference_audio_file") and v.rule in ("required", "audio_format"):
        return f"{param} is required and must be of audio type"
    if param in ("model_id", "model") and v.rule == "one_of":
        return f"Model not found: {v.value.strip(chr(39))}"
    if v.rule == "required":
        return f"{param} is required"
    return f"{param} {v.message}" if param else v.message


def _render_error(case: ErrorCase, request_id: str | None = None, violations: list[Violation] | None = None,
                  endpoint: Endpoint | None = None, message: str | None = None) -> dict[str, Any]:
    if message is None and violations:
        # Faseeh answers one message per request, for the first broken field ("text is required", …)
        message = _message(violations[0])
    # errorCode as each page prints it: a string on the voice-preview page, a number on the errors page
    code: str | int | None = str(case.code) if endpoint is not None and endpoint.id == "faseeh.voice_preview" \
        else case.code
    return {"errorCode": code, "errorMessage": message or case.message}


AUTH = Auth("header", "x-api-key", SEED.at("authentication: x-api-key header"), "FASEEH_API_KEY")

ERRORS = (
    ErrorCase("invalid_request", 400, 40001, "Invalid parameters", ERRORS_DOC.at("400 40001")),
    ErrorCase("auth", 401, 40101, "Invalid or missing API key", ERRORS_DOC.at("401 40101")),
    ErrorCase("auth_missing", 401, 40101, "Invalid or missing API key", ERRORS_DOC.at("401 40101")),
    ErrorCase("billing", 402, 40201, "Insufficient wallet balance", ERRORS_DOC.at("402 40201")),
    ErrorCase("forbidden", 403, 40301, "Model access denied", ERRORS_DOC.at("403 40301")),
    ErrorCase("not_found", 404, 40401, "Resource not found",
              ERRORS_DOC.at("introduction: 404 Not Found").as_assumed("the code 40401 is not published")),
    ErrorCase("rate_limit", 429, 42901, "Concurrency limit exceeded", ERRORS_DOC.at("429 42901")),
    ErrorCase("server_error", 500, 50001, "Failed to generate voice preview", ERRORS_DOC.at("500 50001")),
    ErrorCase("unavailable", 503, 50301, "Service unavailable",
              ERRORS_DOC.as_assumed("503 is not in the error table")),
)

ERROR_SHAPE = ErrorShape('{"errorCode": "40001", "errorMessage": "…"} (codes as strings or numbers)',
                         ERROR_SCHEMA, _render_error, ERRORS_DOC)

_ERROR_RESPONSES = tuple(
    ResponseContract(s, "json", ERRORS_DOC.at(str(s)), schema=ERROR_SCHEMA, state="error")
    for s in (400, 401, 402, 403, 429, 500))


ANY_AUDIO = ("wav", "mp3", "ogg", "flac", "m4a", "aac")


def _is_audio(source: Source) -> tuple[Any, ...]:
    return (AudioFormat(ANY_AUDIO, source),)


def _preview_text(source: Source) -> tuple[Any, ...]:
    return (WordCount(3, source), Length(10, None, source))


VOICE_PREVIEW = Endpoint(
    id="faseeh.voice_preview",
    provider_id="faseeh",
    method="POST",
    path="/api/v1/voices/preview",
    path_assumed=True,
    encoding="multipart",
    source=PREVIEW,
    summary="Generate a preview of a voice from a reference file: streamed raw PCM16, 24 kHz, mono.",
    params=(
        Param("text", "form", "string", PREVIEW.at("field text"), required=True,
              constraints=_preview_text(PREVIEW.at("text: minimum 3 words, 10 characters"))),
        Param("similarity", "form", "number", PREVIEW.at("field similarity"), required=True,
              constraints=(Range(0, 1, PREVIEW.at("similarity: 0.0 to 1.0")),)),
        Param("model_id", "form", "string", PREVIEW.at("field model_id"), required=True,
              constraints=(OneOf(MODELS, FACTS.at("model ids")),)),
        Param("speed", "form", "number", PREVIEW.at("field speed"), default=1.0,
              constraints=(Range(0.7, 1.2, PREVIEW.at("speed: 0.7 to 1.2")),)),
        Param("file", "file", "audio", PREVIEW.at("field file: audio file containing the voice"), required=True,
              constraints=_is_audio(PREVIEW.at("file is required and must be of audio type"))),
    ),
    responses=(
        ResponseContract(200, "audio", PREVIEW.at("response 200"), content_types=(PREVIEW_CONTENT_TYPE,),
                         description="Streaming PCM16 audio, 24000 Hz, mono, 16-bit"),
        *_ERROR_RESPONSES,
    ),
    response_headers=("cache-control",),
)

VOICE_CLONE = Endpoint(
    id="faseeh.voice_clone",
    provider_id="faseeh",
    method="POST",
    path="/api/v1/voices/clone",
    encoding="multipart",
    source=SEED,
    summary="Create a cloned voice from a preview file and the reference audio it was made from.",
    params=(
        Param("voice_file", "file", "audio", SEED.at("form voice_file: the generated preview audio"), required=True,
              constraints=(AudioFormat(ANY_AUDIO, SEED.at("voice_file: an audio file").as_assumed("any audio container"),
                                       raw=RawPcm(PREVIEW_SAMPLE_RATE, SEED.at(
                                           "voice_file: the generated preview audio file from the preview API "
                                           "(whose output is raw PCM16, 24 kHz, mono)").as_assumed(
                                           "the docs do not say whether the raw bytes or a wrapped file: both "
                                           "are taken"))),)),
        Param("reference_audio_file", "file", "audio", SEED.at("form reference_audio_file: the original audio"),
              required=True,
              constraints=_is_audio(SEED.at("reference_audio_file: an audio file").as_assumed("any audio container"))),
        Param("text", "form", "string", SEED.at("form text: the text used in preview generation"), required=True,
              constraints=_preview_text(PREVIEW.at("text must match the preview's: minimum 3 words, 10 characters")
                                        .as_assumed("the clone text is the preview text"))),
        Param("stability", "form", "number", SEED.at("form stability"), required=True,
              constraints=(Range(0, 1, SEED.at("stability: 0 <= x <= 1")),)),
        Param("name", "form", "string", SEED.at("form name"), required=True,
              constraints=(NotBlank(SEED.at("name").as_assumed("an empty name is rejected")),)),
        Param("model", "form", "string", SEED.at("form model"), required=True,
              constraints=(OneOf(MODELS, FACTS.at("model ids")),)),
        Param("description", "form", "string", SEED.at("form description")),
        Param("gender", "form", "string", SEED.at("form gender (e.g. male, female)")),
        Param("age", "form", "string", SEED.at("form age (e.g. middle, elderly)")),
        Param("languages", "form", "string", SEED.at("form languages"),
              constraints=(CommaList(r"[a-z]{2,3}", SEED.at("languages: comma-separated language codes")
                                     .as_assumed("codes are ISO 639 letters")),)),
        Param("dialects", "form", "string", SEED.at("form dialects"),
              constraints=(CommaList(r"[a-z][a-z_-]*", SEED.at("dialects: comma-separated dialects")
                                     .as_assumed("dialect names are lower-case words")),)),
        Param("avatar_url", "form", "url", SEED.at("form avatar_url"),
              constraints=(Url(SEED.at("avatar_url: URL to an avatar image")),)),
    ),
    responses=(
        ResponseContract(200, "json", SEED.at("response 200"), schema=CLONE_SCHEMA),
        *_ERROR_RESPONSES,
    ),
    variants=(
        Variant("dialects in, dialect out", "request field dialects; response field dialect", SEED.at("response")),
    ),
)

PROVIDER = Provider(
    id="faseeh",
    name="Faseeh",
    base_url="https://api.faseeh.ai",
    alt_base_urls=("https://ae.api.faseeh.ai", "https://api.munsit.com"),
    auth=AUTH,
    error_shape=ERROR_SHAPE,
    errors=ERRORS,
    source=FACTS,
    retry_headers=(),  # no Retry-After or rate-limit header is documented (errors page, introduction)
    variants=(
        Variant("errorCode type", "numbers or strings", FACTS.at("errors")),
    ),
    facts=(
        Fact("concurrency limit by plan", {"Basic": 2, "Starter": 5, "Growth": 10}, ERRORS_DOC.at("429 42901")),
        Fact("cloned voice availability", "usable in TTS at once", SEED.at("notes")),
        Fact("voice id example", "ar-najdi-male-2", FACTS),
        Fact("400 messages", "one per request, for the first broken field: \"<field> must be a number between "
             "<a> and <b>\", \"<field> is required\", \"Text must have at least 3 words and 10 characters\"",
             PREVIEW_ERRORS),
        Fact("400 messages of other fields", "worded like the documented ones (stability, name, voice_file…)",
             PREVIEW_ERRORS.as_assumed("only the preview's fields have documented wordings")),
        Fact("rate limit hints", "none: no Retry-After or rate-limit header", ERRORS_DOC.at("429 42901")),
    ),
    endpoints=(VOICE_PREVIEW, VOICE_CLONE),
)
