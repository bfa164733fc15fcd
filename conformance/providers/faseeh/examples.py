"""This provider's published request/response examples, verbatim (see :mod:`conformance.cassettes.examples`)."""

from __future__ import annotations

from conformance.cassettes.examples import Example, Expect, Gap, Reply
from conformance.providers.faseeh.scenarios import MODEL, TEXT

# -- sources --------------------------------------------------------------------------------

P4_PREVIEW = ("docs.faseeh.ai api-reference/voice-preview, Request (multipart): text, similarity, model_id, speed, file; "
              "model ids")
PREVIEW_PAGE = "docs.faseeh.ai/api-reference/voice-preview, Error Responses"
ERRORS_PAGE = "docs.faseeh.ai/api-reference/errors.md"

# -- the docs' bytes (the preview page as its published rendering prints it; codes as strings there,
# as numbers on the errors page) ----------------------------------------------------------------

PREVIEW_400 = '{\n"errorCode": "400xx",\n"errorMessage": "similarity must be a number between 0 and 1"\n}'
PREVIEW_401 = '{\n"errorCode": "40101",\n"errorMessage": "Invalid or missing API key"\n}'
PREVIEW_402 = '{\n"errorCode": "40201",\n"errorMessage": "Insufficient wallet balance"\n}'
PREVIEW_500 = '{\n"errorCode": "50001",\n"errorMessage": "Failed to generate voice preview"\n}'
ERRORS_401 = '{\n  "errorCode": 40101,\n  "errorMessage": "Invalid API key"\n}'
ERRORS_400 = '{\n  "errorCode": 40001,\n  "errorMessage": "Text must have at least 3 words and 10 characters"\n}'

# -- the examples ---------------------------------------------------------------------------

_FASEEH_PREVIEW = {"text": TEXT, "similarity": 0.8, "model_id": MODEL,
                   "speed": 1.0, "file": {"fixture": ("en_alsa", 1.0)}}
_FASEEH_FILLED = ("the docs give the preview's fields without example values: an Arabic sentence of six words, "
                  "similarity 0.8, speed 1.0, model faseeh-v1-preview and 1 s of fixture speech stand in",)


def _example(case: str, status: int, text: str, source: str, expect: Expect) -> Example:
    return Example(f"faseeh.voice_preview.{case}", "faseeh.voice_preview", _FASEEH_PREVIEW, P4_PREVIEW,
                   (Reply(status, text, source),), expect, filled=_FASEEH_FILLED)


EXAMPLES: tuple[Example, ...] = (
    _example("server_error_500_string_code", 500, PREVIEW_500, PREVIEW_PAGE + " 500",
             Expect("ProviderError", {"status": 500, "code": "50001", "message": "Failed to generate voice preview"})),
    _example("invalid_similarity_400_placeholder_code", 400, PREVIEW_400, PREVIEW_PAGE + " 400",
             Expect("ProviderValidationError", {"status": 400, "code": "400xx"})),
    _example("invalid_key_401_string_code", 401, PREVIEW_401, PREVIEW_PAGE + " 401",
             Expect("AuthError", {"status": 401, "code": "40101", "message": "Invalid or missing API key"})),
    _example("insufficient_balance_402", 402, PREVIEW_402, PREVIEW_PAGE + " 402",
             Expect("ProviderError", {"status": 402, "code": "40201"})),
    _example("invalid_key_401_number_code", 401, ERRORS_401, ERRORS_PAGE + ", AuthenticationError example",
             Expect("AuthError", {"status": 401, "code": 40101, "message": "Invalid API key"})),
    _example("short_text_400_number_code", 400, ERRORS_400, ERRORS_PAGE + ", ValidationError example",
             Expect("ProviderValidationError", {"status": 400, "code": 40001})),
)

NO_EXAMPLE: tuple[Gap, ...] = (
    Gap("faseeh.voice_preview", "200 audio", "a raw PCM16 stream; no example bytes"),
    Gap("faseeh.voice_preview, faseeh.voice_clone", "40301, 42901",
        "the codes and what they mean are documented, no example body"),
    Gap("faseeh.voice_clone", "request and 200 body", "the page's playground shows placeholders (\"<string>\", "
        "stability 123) for every value, and no error example"),
)
