"""This provider's published request/response examples, verbatim (see :mod:`conformance.cassettes.examples`).

ElevenLabs publishes no example error body for the voice changer (its OpenAPI gives the 422 schema without
values, and the errors page's one example is a speech-to-text 400). The bodies here are live answers of
api.elevenlabs.io as users published them in issue threads, byte for byte, each with its thread and date.
"""

from __future__ import annotations

from conformance.cassettes.examples import Example, Expect, Gap, Reply

# -- sources --------------------------------------------------------------------------------

S003 = ("ElevenLabs OpenAPI, voice changer, SDK code examples (voice_id JBFqnCBsd6RMkjVDRZzb, "
        "output_format mp3_44100_128, model_id eleven_multilingual_sts_v2)")
LIVE_401_LEGACY = "live capture, SillyTavern/SillyTavern#4483 (2025-09-03)"
LIVE_401_NEW = "live capture (~2026-09), a client's research note of live probes (GitHub), 401 [LIVE]"
LIVE_NO_KEY = "live capture, lugia19/elevenlabslib#23 (2023-10-16)"
LIVE_404 = "live capture, elevenlabs/elevenlabs-docs#1317 (2025-07-11; text-to-speech with voice id foo)"
LIVE_429 = "live capture, haguro/elevenlabs-go#25 (2024-12-09)"
LIVE_BUSY = "live capture, SubtitleEdit/subtitleedit#9246 (2025-01-22)"
LIVE_400 = "live capture, elevenlabs/elevenlabs-js#133 (2025-01-03; the voice changer, a body it could not parse)"

# -- the captured bytes ---------------------------------------------------------------------

INVALID_KEY_LEGACY = '{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}'
INVALID_KEY = ('{"detail":{"type":"authentication_error","code":"unauthorized","message":"Invalid API key",\n'
               '           "status":"invalid_api_key","request_id":"1c1689d894474556068cd3dcd145df7f"}}')
NO_KEY = ('{"detail":{"status":"needs_authorization","message":"Neither authorization header nor xi-api-key '
          'received, please provide one."}}')
VOICE_NOT_FOUND = ('{\n  "detail": {\n    "status": "voice_not_found",\n'
                   '    "message": "A voice with the voice_id foo was not found."\n  }\n}')
TOO_MANY_CONCURRENT = (
    '{\n  "detail": {\n    "status": "too_many_concurrent_requests",\n    "message": "Too many concurrent requests. '
    'Your current subscription is associated with a maximum of 5 concurrent requests (running in parallel). '
    'This is done such that a single user does not overwhelm our systems and affect other users negatively. '
    'Please upgrade your subscription or contact sales if you want to increase this limit."\n  }\n}')
SYSTEM_BUSY = ('{"detail":{"status":"system_busy","message":"We are sorry, the system is experiencing heavy traffic, '
               'please try again. Higher subscriptions have higher priority."}}')
UNPARSED_BODY = '{\n  "detail": "There was an error parsing the body"\n}'

# -- the examples ---------------------------------------------------------------------------

_EL_PARAMS = {"voice_id": "JBFqnCBsd6RMkjVDRZzb", "output_format": "mp3_44100_128",
              "model_id": "eleven_multilingual_sts_v2", "audio": {"fixture": ("en_slt", 1.0)}}
_FILLED = ("the docs' examples upload a placeholder file (\"example_audio\", <file1> with no bytes): "
           "1 s of fixture speech stands in",)
_TRACE = {"x-trace-id": "81c934e9088a68bd7f3caba1efe476d6", "x-region": "us-central1"}  # the capture's headers


def _example(case: str, status: int, text: str, source: str, expect: Expect, *, headers: dict[str, str] | None = None,
             params: dict | None = None, note: str = "") -> Example:
    return Example(f"elevenlabs.speech_to_speech.{case}", "elevenlabs.speech_to_speech", params or _EL_PARAMS, S003,
                   (Reply(status, text, source, headers=headers or {}),), expect, filled=_FILLED, note=note)


EXAMPLES: tuple[Example, ...] = (
    _example("invalid_api_key_401", 401, INVALID_KEY_LEGACY, LIVE_401_LEGACY,
             Expect("AuthError", {"status": 401, "code": "invalid_api_key", "message": "Invalid API key"})),
    _example("invalid_api_key_401_current", 401, INVALID_KEY, LIVE_401_NEW,
             Expect("AuthError", {"status": 401, "code": "invalid_api_key", "message": "Invalid API key"})),
    _example("missing_api_key_401", 401, NO_KEY, LIVE_NO_KEY,
             Expect("AuthError", {"status": 401, "code": "needs_authorization"})),
    _example("voice_not_found_404", 404, VOICE_NOT_FOUND, LIVE_404,
             Expect("NotFound", {"status": 404, "code": "voice_not_found", "request_id": _TRACE["x-trace-id"]}),
             headers=_TRACE, params={**_EL_PARAMS, "voice_id": "foo"},
             note="captured on text-to-speech, which answers an unknown voice id alike"),
    _example("too_many_concurrent_requests_429", 429, TOO_MANY_CONCURRENT, LIVE_429,
             Expect("RateLimited", {"status": 429, "code": "too_many_concurrent_requests", "retry_after": None})),
    _example("system_busy_429", 429, SYSTEM_BUSY, LIVE_BUSY,
             Expect("RateLimited", {"status": 429, "code": "system_busy", "retry_after": None})),
    _example("unparsable_body_400", 400, UNPARSED_BODY, LIVE_400,
             Expect("ProviderValidationError", {"status": 400})),
)

NO_EXAMPLE: tuple[Gap, ...] = (
    Gap("elevenlabs.speech_to_speech", "200 audio", "the OpenAPI gives the body as binary audio; no example bytes"),
    Gap("elevenlabs.speech_to_speech", "422", "the OpenAPI gives the HTTPValidationError schema, no example values"),
    Gap("elevenlabs.speech_to_speech", "500, 503", "no JSON capture: the one 500 of the voice changer "
        "(elevenlabs/elevenlabs-python#351) is printed as a Python dict; no 503 was captured"),
)
