"""This provider's published request/response examples, transcribed (see :mod:`conformance.cassettes.examples`)."""

from __future__ import annotations

from conformance.cassettes.examples import Example, Expect, Gap, Reply

# -- sources --------------------------------------------------------------------------------

S003 = ("seed 003: ElevenLabs Voice changer, SDK code examples (voice_id JBFqnCBsd6RMkjVDRZzb, "
        "output_format mp3_44100_128, model_id eleven_multilingual_sts_v2)")
P3_401 = "PROVIDERS.md §3 ElevenLabs, errors: legacy 401 body"

# -- the examples ---------------------------------------------------------------------------

_EL_PARAMS = {"voice_id": "JBFqnCBsd6RMkjVDRZzb", "output_format": "mp3_44100_128",
              "model_id": "eleven_multilingual_sts_v2", "audio": {"fixture": ("en_slt", 1.0)}}
_EL_401 = {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}

EXAMPLES: tuple[Example, ...] = (
    Example("elevenlabs.speech_to_speech.invalid_api_key_401", "elevenlabs.speech_to_speech", _EL_PARAMS, S003,
            (Reply(401, _EL_401, P3_401),),
            Expect("AuthError", {"status": 401, "code": "invalid_api_key", "message": "Invalid API key"}),
            filled=("the docs' examples upload a placeholder file (\"example_audio\", <file1> with no bytes): "
                    "1 s of fixture speech stands in",)),
)

NO_EXAMPLE: tuple[Gap, ...] = (
    Gap("elevenlabs.speech_to_speech", "200 audio", "the OpenAPI gives the body as binary audio; no example bytes"),
    Gap("elevenlabs.speech_to_speech", "422", "the OpenAPI gives the HTTPValidationError schema, no example values"),
    Gap("elevenlabs.speech_to_speech", "404 voice_not_found, 429 rate_limit_exceeded / concurrent_limit_exceeded",
        "the codes are documented, the bodies' messages are not"),
)
