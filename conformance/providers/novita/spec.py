"""Novita's MiniMax Quick Voice Cloning, from novita.ai's docs (and MiniMax's, which it wraps) and live captures."""

from __future__ import annotations

from typing import Any

from conformance.spec.model import (
    AudioDuration,
    AudioFormat,
    Auth,
    Endpoint,
    EndsWithPunctuation,
    ErrorCase,
    ErrorShape,
    Fact,
    FileSize,
    Length,
    NotBlank,
    OneOf,
    Param,
    Provider,
    Range,
    RequiredWith,
    ResponseContract,
    Source,
    Url,
    Variant,
    Violation,
)

SEED = Source("novita.ai docs, MiniMax Quick Voice Cloning", "POST /v3/minimax-voice-cloning")
FACTS = Source("novita.ai docs")
ERROR_CODES = Source("novita.ai docs, basic error codes")
# live answers of api.novita.ai (and of the same platform under PPIO) in published captures
LIVE_ERRORS = Source("live error bodies {code, reason, message, metadata}: a Novita backend's live probe "
                     "(GitHub, re-verified 2026-09-18: 403 INVALID_API_KEY \"invalid api-key\"), a survey of the "
                     "same platform (2026-09-18: 400 MISSING_API_KEY, before routing), 400 INVALID_REQUEST_BODY "
                     "relayed by OpenRouter")

MODELS = ("speech-02-hd", "speech-02-turbo", "speech-2.5-hd-preview", "speech-2.5-turbo-preview",
          "speech-2.6-hd", "speech-2.6-turbo", "speech-2.8-hd", "speech-2.8-turbo")
AUDIO_FORMATS = ("mp3", "m4a", "wav")

MINIMAX = Source("platform.minimax.io voice-cloning API reference and error codes")
# MiniMax, which Novita wraps, answers errors in HTTP 200 bodies: {"base_resp": {"status_code", "status_msg"}}.
# Each code maps to the kit-wide error meaning used in ERRORS below.
MINIMAX_BASE_RESP_CODES: dict[int, str] = {
    1002: "rate_limit",
    1004: "auth",
    1008: "billing",
    1043: "invalid_audio",  # ASR similarity check failed
    2013: "invalid_request",
    2037: "invalid_audio",  # voice duration too short/long
    2039: "invalid_request",  # voice_id duplicate
    2048: "invalid_audio",  # prompt audio too long
    2049: "auth",  # invalid api key
}

SUCCESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["voice_id"],
    "properties": {"voice_id": {"type": "string", "minLength": 1}, "demo_audio_url": {"type": "string"}},
}
# The JSON shape of Novita's error body is not published: this is Novita's general API error shape.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["reason", "message"],
    "properties": {"code": {"type": "integer"}, "reason": {"type": "string"}, "message": {"type": "string"},
                   "metadata": {"type": "object"}},
}


def _render_error(case: ErrorCase, request_id: str | None = None, violations: list[Violation] | None = None,
                  endpoint: Endpoint | None = None, message: str | None = None) -> dict[str, Any]:
    if message is None and violations:
        message = "; ".join(f"{v.param}: {v.message}" if v.param else v.message for v in violations)
    meta: dict[str, Any] = {}
    if violations:
        meta["fields"] = [v.param for v in violations if v.param]
    return {"code": case.status, "reason": case.code, "message": message or case.message, "metadata": meta}


AUTH = Auth("bearer", "Authorization", SEED.at("request header Authorization: Bearer"), "NOVITA_API_KEY")

ERRORS = (
    ErrorCase("invalid_request", 400, "INVALID_REQUEST_BODY", "invalid request body", ERROR_CODES),
    ErrorCase("invalid_audio", 400, "INVALID_AUDIO_FILE", "invalid audio file", ERROR_CODES),
    ErrorCase("billing", 400, "BILLING_BALANCE_NOT_ENOUGH", "balance not enough", ERROR_CODES),
    ErrorCase("auth_missing", 400, "MISSING_API_KEY", "missing api key", LIVE_ERRORS),
    ErrorCase("auth", 403, "INVALID_API_KEY", "invalid api-key", LIVE_ERRORS),
    ErrorCase("forbidden", 403, "API_NOT_ALLOWED", "api not allowed", ERROR_CODES),
    ErrorCase("rate_limit", 429, "RATE_LIMIT_EXCEEDED", "rate limit exceeded", ERROR_CODES),
    ErrorCase("server_error", 500, "BILLING_FAILED", "billing failed", ERROR_CODES),
    ErrorCase("not_found", 404, "NOT_FOUND", "voice not found",
              ERROR_CODES.as_assumed("unknown voice ids are not in the error table")),
    ErrorCase("unavailable", 503, "SERVICE_UNAVAILABLE", "service unavailable",
              ERROR_CODES.as_assumed("5xx other than BILLING_FAILED")),
)

ERROR_SHAPE = ErrorShape('{"code": <status>, "reason": "<ERROR_CODE>", "message": "…", "metadata": {}}',
                         ERROR_SCHEMA, _render_error, LIVE_ERRORS)

_AUDIO_RULES = (
    Url(SEED.at("audio_url: the URL of the audio file")),
    AudioFormat(AUDIO_FORMATS, SEED.at("notes: mp3, m4a, or wav format")),
    AudioDuration(10, 300, SEED.at("notes: at least 10 seconds and no more than 5 minutes")),
    FileSize(20 * 1024 * 1024, SEED.at("notes: file size must not exceed 20 MB")),
)

MINIMAX_VOICE_CLONING = Endpoint(
    id="novita.minimax_voice_cloning",
    provider_id="novita",
    method="POST",
    path="/v3/minimax-voice-cloning",
    encoding="json",
    source=SEED,
    summary="Clone a voice from an audio URL; optionally synthesise preview text with it.",
    params=(
        Param("audio_url", "json", "audio", SEED.at("body audio_url"), required=True, constraints=_AUDIO_RULES,
              description="URL of the audio to clone"),
        Param("clone_prompt", "json", "object", SEED.at("body clone_prompt"),
              description="a short sample and its transcript, improving similarity",
              fields=(
                  Param("prompt_audio_url", "json", "audio",
                        SEED.at("clone_prompt.prompt_audio_url (required when clone_prompt is used)"), required=True,
                        constraints=(Url(SEED.at("prompt_audio_url: the URL of the sample audio")),
                                     AudioFormat(AUDIO_FORMATS, SEED.at("clone_prompt: mp3, m4a, wav")),
                                     AudioDuration(None, 8, SEED.at("prompt_audio_url: duration less than 8 seconds"),
                                                   max_exclusive=True))),
                  Param("prompt_text", "json", "string",
                        SEED.at("clone_prompt.prompt_text (required when clone_prompt is used)"), required=True,
                        constraints=(NotBlank(SEED.at("prompt_text: the transcript")),
                                     EndsWithPunctuation(SEED.at("prompt_text: must end with punctuation")))),
              )),
        Param("text", "json", "string", SEED.at("body text"),
              constraints=(Length(None, 2000, SEED.at("text: maximum 2000 characters")),),
              description="preview text synthesised with the cloned voice"),
        Param("model", "json", "string", SEED.at("body model"),
              constraints=(OneOf(MODELS, SEED.at("model: options")),)),
        Param("accuracy", "json", "number", SEED.at("body accuracy"), default=0.7,
              constraints=(Range(0, 1, SEED.at("accuracy: value range [0, 1]")),)),
        Param("need_noise_reduction", "json", "boolean", SEED.at("body need_noise_reduction"), default=False),
        Param("need_volume_normalization", "json", "boolean", SEED.at("body need_volume_normalization"),
              default=False),
    ),
    rules=(RequiredWith("model", "text", SEED.at("model: required if the text field is provided")),),
    responses=(
        ResponseContract(200, "json", SEED.at("response"), schema=SUCCESS_SCHEMA),
        *(ResponseContract(s, "json", ERROR_CODES.as_assumed("error body shape"), schema=ERROR_SCHEMA, state="error")
          for s in (400, 401, 403, 429, 500)),
    ),
    variants=(
        Variant("model example", "speech-01-hd", SEED.at("example request uses a model not in the options list")),
    ),
)

PROVIDER = Provider(
    id="novita",
    name="Novita (MiniMax)",
    base_url="https://api.novita.ai",
    auth=AUTH,
    error_shape=ERROR_SHAPE,
    errors=ERRORS,
    source=FACTS,
    retry_headers=("retry-after",),
    variants=(
        Variant("missing or wrong key", {"status": 401}, FACTS.at("another Novita page says 401")),
        Variant("upstream API", "POST https://api.minimax.io/v1/voice_clone (errors in HTTP 200 base_resp)",
                Source("platform.minimax.io voice-cloning API reference")),
    ),
    facts=(
        Fact("cloned voice retention", "deleted unless used in a TTS call within 168 h", SEED.at("introduction")),
        Fact("demo_audio_url", "only when both text and model are given", SEED.at("response demo_audio_url")),
    ),
    endpoints=(MINIMAX_VOICE_CLONING,),
)
