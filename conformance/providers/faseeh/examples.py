"""This provider's published request/response examples, transcribed (see :mod:`conformance.cassettes.examples`)."""

from __future__ import annotations

from conformance.cassettes.examples import Example, Expect, Gap, Reply
from conformance.providers.faseeh.scenarios import MODEL, TEXT

# -- sources --------------------------------------------------------------------------------

P4_PREVIEW = ("PROVIDERS.md §4 Faseeh, Voice preview (multipart): text, similarity, model_id, speed, file; "
              "model ids")
P4_500 = ("PROVIDERS.md §4 Faseeh, Errors: {\"errorCode\", \"errorMessage\"}, 500 50001 "
          "(\"Failed to generate voice preview\"); codes shown as numbers and as strings")

# -- the examples ---------------------------------------------------------------------------

_FASEEH_PREVIEW = {"text": TEXT, "similarity": 0.8, "model_id": MODEL,
                   "speed": 1.0, "file": {"fixture": ("en_alsa", 1.0)}}
_FASEEH_FILLED = ("the docs give the preview's fields without example values: an Arabic sentence of six words, "
                  "similarity 0.8, speed 1.0, model faseeh-v1-preview and 1 s of fixture speech stand in",)

EXAMPLES: tuple[Example, ...] = (
    Example("faseeh.voice_preview.server_error_500", "faseeh.voice_preview", _FASEEH_PREVIEW, P4_PREVIEW,
            (Reply(500, {"errorCode": 50001, "errorMessage": "Failed to generate voice preview"}, P4_500),),
            Expect("ProviderError", {"status": 500, "code": 50001, "message": "Failed to generate voice preview"}),
            filled=_FASEEH_FILLED),
    Example("faseeh.voice_preview.server_error_500_string_code", "faseeh.voice_preview", _FASEEH_PREVIEW,
            P4_PREVIEW,
            (Reply(500, {"errorCode": "50001", "errorMessage": "Failed to generate voice preview"}, P4_500),),
            Expect("ProviderError", {"status": 500, "code": "50001", "message": "Failed to generate voice preview"}),
            filled=_FASEEH_FILLED),
)

NO_EXAMPLE: tuple[Gap, ...] = (
    Gap("faseeh.voice_preview", "200 audio", "a raw PCM16 stream; no example bytes"),
    Gap("faseeh.voice_preview, faseeh.voice_clone", "40001, 40101, 40201, 40301, 42901",
        "the codes and what they mean are documented, the errorMessage texts are not"),
    Gap("faseeh.voice_clone", "request and 200 body", "seed 004 gives tables of fields and types, no example "
        "values"),
)
