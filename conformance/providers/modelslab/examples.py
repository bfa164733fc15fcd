"""This provider's published request/response examples, verbatim (see :mod:`conformance.cassettes.examples`).

The response texts are the docs' bytes as published in ``ModelsLab/docs-v2``: the enterprise voice pages
showed a success body from the docs' migration (commit ef9d723, 2025-05-29) until 2025-09-01; the
processing and error bodies of voice jobs were only ever shown on the v6 voice pages of that commit.
The requests are the current enterprise pages' (HEAD c1440bc, 2026-05-04).
"""

from __future__ import annotations

from conformance.cassettes.examples import Example, Expect, Gap, Reply

# -- sources --------------------------------------------------------------------------------

_REPO = "ModelsLab/docs-v2"
E_V2V = f"{_REPO} @c1440bc enterprise-api/voice-cloning/voice-to-voice.mdx, Body (line 16)"
E_T2A = f"{_REPO} @c1440bc enterprise-api/voice-cloning/text-to-audio.mdx, Body (line 24)"
E_V2V_RES = f"{_REPO} @ef9d723 enterprise-api/voice-cloning/voice-to-voice.mdx, Response (line 99)"
E_T2A_RES = f"{_REPO} @ef9d723 enterprise-api/voice-cloning/text-to-audio.mdx, Response (line 100)"
V6_V2V = f"{_REPO} @ef9d723 voice-cloning/voice-to-voice.mdx, Response tab"
V6_T2A = f"{_REPO} @ef9d723 voice-cloning/text-to-audio.mdx, Response tab"
ERRORS = f"{_REPO} @c1440bc error-codes.mdx, HTTP Status Codes"
RATE = f"{_REPO} @c1440bc rate-limits.mdx, Best Practices > Error Handling (line 96)"
HTTP200 = "ModelsLab docs: errors may arrive with HTTP 200 and status error"

# -- the docs' bytes ------------------------------------------------------------------------

V2V_PROCESSING = '{    "status": "processing",    "tip": "Your audio is processing in background, you can get this image using fetch API",    "eta": 35,    "message": "Try to fetch request after seconds estimated",    "fetch_result": "https://modelslab.com/api/v6/voice/fetch/1248951",    "id": 1248951,    "output": [],    "future_links": [        "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/45111c08-bc20-4c24-ae1b-9e20a02f75c6.wav"    ],    "proxy_links": [        "https://cdn2.stablediffusionapi.com/generations/45111c08-bc20-4c24-ae1b-9e20a02f75c6.wav"    ],    "audio_time": 30,    "meta": {        "base64": "no",        "filename": "45111c08-bc20-4c24-ae1b-9e20a02f75c6.wav",        "id": "1248951",        "original_sound_clip": "https://pub-f3505056e06f40d6990886c8e14102b2.r2.dev/audio/tom_hanks_1.wav",        "target_sound_clip": "https://assets.modelslab.com/tmp/gEJ3RgkrWumjCJpb8hHYD3OsID7ET9-metaSGlyZV92b2ljZV9hY3RvcnNfYW5kX3ZvaWNlX292ZXJfc2VydmljZXNfLV9CdW5ueV9TdHVkaW9fMiAoMSktW0F1ZGlvVHJpbW1lci5jb21dLm1wMw==-.mp3",        "temp": "no",        "track_id": null,        "webhook": null    }}'
V2V_SUCCESS = '{    "status": "success",    "generationTime": 0.24047088623046875,    "id": 1248951,    "output": [        "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/45111c08-bc20-4c24-ae1b-9e20a02f75c6.wav"    ],    "proxy_links": [        "https://cdn2.stablediffusionapi.com/generations/45111c08-bc20-4c24-ae1b-9e20a02f75c6.wav"    ],    "audio_time": 30,    "meta": {        "base64": "no",        "filename": "45111c08-bc20-4c24-ae1b-9e20a02f75c6.wav",        "id": "1248951",        "original_sound_clip": "https://pub-f3505056e06f40d6990886c8e14102b2.r2.dev/audio/tom_hanks_1.wav",        "target_sound_clip": "https://assets.modelslab.com/tmp/gEJ3RgkrWumjCJpb8hHYD3OsID7ET9-metaSGlyZV92b2ljZV9hY3RvcnNfYW5kX3ZvaWNlX292ZXJfc2VydmljZXNfLV9CdW5ueV9TdHVkaW9fMiAoMSktW0F1ZGlvVHJpbW1lci5jb21dLm1wMw==-.mp3",        "temp": "no",        "track_id": null,        "webhook": null    }}'
ENTERPRISE_V2V_SUCCESS = '{    "generationTime": 0.24047088623046875,    "links": [        "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/0af632ff-dd1a-4f29-9dcf-8d61dd00e0ad.wav"    ],    "meta": {        "base64": "no",        "filename": "0af632ff-dd1a-4f29-9dcf-8d61dd00e0ad.wav",        "speaker_wav": "tmp/speaker-0af632ff-dd1a-4f29-9dcf-8d61dd00e0ad.wav",        "target_wav": "tmp/target-0af632ff-dd1a-4f29-9dcf-8d61dd00e0ad.wav",        "temp": "no"    },    "proxy_links": [],    "status": "success"}'
ENTERPRISE_T2A_SUCCESS = '{    "status": "success",    "generationTime": 1.4285192489624,    "id": 334166,    "output": [        "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/b2dff60e-4636-4178-9a72-04a10a309185.wav"    ],    "proxy_links": [        "https://cdn2.stablediffusionapi.com/generations/b2dff60e-4636-4178-9a72-04a10a309185.wav"    ],    "meta": {        "base64": "no",        "emotion": "Neutral",        "filename": "b2dff60e-4636-4178-9a72-04a10a309185.wav",        "input_sound_clip": [            "tmp/0-b2dff60e-4636-4178-9a72-04a10a309185.wav"        ],        "input_text": "Narrative voices capable of pronouncing terminologies & acronyms in training and ai learning materials.",        "language": "english",        "speed": 1,        "temp": "no"    }}'
ERROR_401 = '    {\n      "status": "error",\n      "message": "Invalid API key"\n    }'
ERROR_429 = '{\n  "status": "error",\n  "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",\n  "retry_after": 30\n}'
ERROR_TAB = '{    "status": "error",    "message": "Error message"}'

# -- the examples ---------------------------------------------------------------------------

_INIT = "https://pub-f3505056e06f40d6990886c8e14102b2.r2.dev/audio/tom_hanks_1.wav"
_TARGET = ("https://assets.modelslab.ai/tmp/gEJ3RgkrWumjCJpb8hHYD3OsID7ET9-metaSGlyZV92b2ljZV9hY3RvcnNfYW5kX3ZvaWNl"
           "X292ZXJfc2VydmljZXNfLV9CdW5ueV9TdHVkaW9fMiAoMSktW0F1ZGlvVHJpbW1lci5jb21dLm1wMw==-.mp3")
_V2V_PARAMS = {"init_audio": _INIT, "target_audio": _TARGET, "temp": False, "base64": False, "webhook": None,
               "track_id": None}
_V2V_LITERAL = {"key": "enterprise_api_key", **_V2V_PARAMS}
_T2A_PARAMS = {
    "prompt": "Narrative voices capable of pronouncing terminologies & acronyms in training and ai learning "
              "materials.",
    "init_audio": _INIT, "language": "english", "webhook": None, "track_id": None,
}
_T2A_LITERAL = {"key": "enteprise_api_key", **_T2A_PARAMS}  # the docs' own spelling of the placeholder
_V6_OUT = "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/45111c08-bc20-4c24-ae1b-9e20a02f75c6.wav"
_E_V2V_OUT = "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/0af632ff-dd1a-4f29-9dcf-8d61dd00e0ad.wav"
_E_T2A_OUT = "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/b2dff60e-4636-4178-9a72-04a10a309185.wav"

EXAMPLES: tuple[Example, ...] = (
    Example("modelslab.voice_to_voice.queued_then_fetched", "modelslab.voice_to_voice", _V2V_PARAMS, E_V2V,
            (Reply(200, V2V_PROCESSING, V6_V2V + " 'Processing' (line 108)"),
             Reply(200, V2V_SUCCESS, V6_V2V + " 'Success' (line 104)")),
            Expect("Job", {"status": "success", "id": 1248951, "output": [_V6_OUT], "polls": 1}),
            literal=_V2V_LITERAL, then=("modelslab.fetch",),
            note="the only documented processing body is the v6 voice_to_voice page's: its fetch_result names the "
                 "v6 fetch path and its tip says \"image\"; the enterprise page showed only a success body"),
    Example("modelslab.voice_to_voice.success_links_form", "modelslab.voice_to_voice", _V2V_PARAMS, E_V2V,
            (Reply(200, ENTERPRISE_V2V_SUCCESS, E_V2V_RES),),
            Expect("Job", {"status": "success", "id": None, "output": [_E_V2V_OUT], "polls": 0}),
            literal=_V2V_LITERAL,
            note="the enterprise voice_to_voice page's success body has links, not output, and no id"),
    Example("modelslab.voice_to_voice.invalid_key_401", "modelslab.voice_to_voice", _V2V_PARAMS, E_V2V,
            (Reply(401, ERROR_401, ERRORS + " '401 - Unauthorized' (line 53)"),),
            Expect("AuthError", {"status": 401, "message": "Invalid API key"}), literal=_V2V_LITERAL),
    Example("modelslab.voice_to_voice.rate_limited_429", "modelslab.voice_to_voice", _V2V_PARAMS, E_V2V,
            (Reply(429, ERROR_429, RATE),), Expect("RateLimited", {"status": 429, "retry_after": 30.0}),
            literal=_V2V_LITERAL),
    Example("modelslab.text_to_audio.success", "modelslab.text_to_audio", _T2A_PARAMS, E_T2A,
            (Reply(200, ENTERPRISE_T2A_SUCCESS, E_T2A_RES),),
            Expect("Job", {"status": "success", "id": 334166, "output": [_E_T2A_OUT], "polls": 0}),
            literal=_T2A_LITERAL),
    Example("modelslab.text_to_audio.invalid_key_http200", "modelslab.text_to_audio", _T2A_PARAMS, E_T2A,
            (Reply(200, ERROR_401, ERRORS + " '401 - Unauthorized' (line 53); " + HTTP200),),
            Expect("AuthError", {"status": 200, "message": "Invalid API key"}), literal=_T2A_LITERAL),
    Example("modelslab.text_to_audio.error_tab", "modelslab.text_to_audio", _T2A_PARAMS, E_T2A,
            (Reply(200, ERROR_TAB, V6_T2A + " 'Error' (line 149)"),),
            Expect("ProviderValidationError", {"status": 200, "message": "Error message"}), literal=_T2A_LITERAL),
)

NO_EXAMPLE: tuple[Gap, ...] = (
    Gap("modelslab.voice_to_voice, modelslab.text_to_audio", "400, 402, 403, 500, 503",
        "error-codes.mdx shows them for the image API's requests (prompt, model_id), not the voice endpoints'"),
    Gap("modelslab.fetch", "failed or error job", "the fetch pages' examples are the image API's (a .png output); "
        "the failure payload documented is the webhook's"),
    Gap("modelslab", "webhook payloads (success, failed)", "calls the provider makes to the user's URL, not "
        "exchanges a client replays; the suite checks them against the spec's webhook schemas"),
    Gap("modelslab", "legacy \"messege\" spelling", "documented for some legacy endpoints without an example body"),
)
