"""Acme Speak's one endpoint: text spoken in the voice of an uploaded sample.

Acme Speak is made up for this example, so every rule cites its (equally made-up) API reference.
"""

from __future__ import annotations

from typing import Any

from conformance.spec.model import (
    AudioDuration,
    AudioFormat,
    Auth,
    Endpoint,
    ErrorCase,
    ErrorShape,
    Length,
    OneOf,
    Param,
    Provider,
    ResponseContract,
    Source,
    Violation,
    VoiceSetup,
    WordCount,
)

DOCS = Source("Acme Speak API reference", "POST /v1/speak")
FORMATS = {"wav": "audio/wav", "mp3": "audio/mpeg"}
SAMPLE_RATE = 22050

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "detail"],
            "properties": {"type": {"type": "string"}, "detail": {"type": "string"},
                           "field": {"type": ["string", "null"]}},
        },
    },
}


def _render_error(case: ErrorCase, request_id: str | None = None, violations: list[Violation] | None = None,
                  endpoint: Endpoint | None = None, message: str | None = None) -> dict[str, Any]:
    field = violations[0].param if violations else None
    if message is None and violations:
        message = "; ".join(f"{v.param}: {v.message}" if v.param else v.message for v in violations)
    return {"error": {"type": case.code, "detail": message or case.message, "field": field}}


AUTH = Auth("header", "x-acme-token", DOCS.at("authentication: X-Acme-Token header"), "ACME_API_KEY")

ERRORS = (
    ErrorCase("invalid_request", 400, "invalid_request", "The request is invalid", DOCS.at("errors: 400")),
    ErrorCase("auth", 401, "unauthorized", "Missing or unknown token", DOCS.at("errors: 401")),
    ErrorCase("not_found", 404, "not_found", "No such resource", DOCS.at("errors: 404")),
    ErrorCase("rate_limit", 429, "rate_limited", "Too many requests", DOCS.at("errors: 429, Retry-After")),
    ErrorCase("server_error", 500, "internal", "Internal error", DOCS.at("errors: 500")),
)

ERROR_SHAPE = ErrorShape('{"error": {"type": "invalid_request", "detail": "…", "field": "text"}}', ERROR_SCHEMA,
                         _render_error, DOCS.at("errors"))

SPEAK = Endpoint(
    id="acme.speak",
    provider_id="acme",
    method="POST",
    path="/v1/speak",
    encoding="multipart",
    source=DOCS,
    summary="Speak a text in the voice of an uploaded sample.",
    params=(
        Param("text", "form", "string", DOCS.at("field text"), required=True,
              constraints=(Length(3, 300, DOCS.at("text: 3 to 300 characters")),
                           WordCount(3, DOCS.at("text: at least three words")))),
        Param("voice_sample", "file", "audio", DOCS.at("field voice_sample"), required=True,
              constraints=(AudioFormat(("wav", "mp3"), DOCS.at("voice_sample: WAV or MP3")),
                           AudioDuration(3, 30, DOCS.at("voice_sample: 3 to 30 seconds")))),
        Param("format", "form", "string", DOCS.at("field format"), default="wav",
              constraints=(OneOf(tuple(FORMATS), DOCS.at("format: wav or mp3")),)),
    ),
    responses=(
        ResponseContract(200, "audio", DOCS.at("response 200"), content_types=tuple(FORMATS.values()),
                         description="the speech, in the format asked for"),
        *(ResponseContract(s, "json", DOCS.at(f"errors: {s}"), schema=ERROR_SCHEMA, state="error")
          for s in (400, 401, 429, 500)),
    ),
)

PROVIDER = Provider(
    id="acme",
    name="Acme Speak",
    base_url="https://api.acme-speak.example",
    auth=AUTH,
    error_shape=ERROR_SHAPE,
    errors=ERRORS,
    source=DOCS,
    retry_headers=("retry-after",),
    endpoints=(SPEAK,),
    voice=VoiceSetup(speaker="en_slt"),  # the suite's voice: a fixture speaker whose clips say whole sentences
)
