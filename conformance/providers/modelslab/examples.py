"""This provider's published request/response examples, transcribed (see :mod:`conformance.cassettes.examples`)."""

from __future__ import annotations

from conformance.cassettes.examples import Example, Expect, Gap, Reply

# -- sources --------------------------------------------------------------------------------

S000 = "seed 000: ModelsLab Voice to Voice, Body (docs.modelslab.com enterprise voice_to_voice)"
S001 = "seed 001: ModelsLab Voice cloning, Body (docs.modelslab.com enterprise text_to_audio)"
P1_QUEUED = "PROVIDERS.md §1 ModelsLab, Responses: queued (docs-v2 VoiceResponse)"
P1_SUCCESS = "PROVIDERS.md §1 ModelsLab, Responses: success (docs-v2 VoiceResponse)"
P1_FETCH = "PROVIDERS.md §1 ModelsLab, fetch: POST …/enterprise/voice/fetch/{id} with body {\"key\": …}"
P1_ERROR = ("PROVIDERS.md §1 ModelsLab, Responses: error {\"status\":\"error\",\"message\":\"…\"}; "
            "401 \"Invalid API key\"")
P1_ERROR200 = P1_ERROR + "; errors may arrive with HTTP 200"
P1_429 = "PROVIDERS.md §1 ModelsLab, Responses: 429 body (docs-v2 rate-limits.mdx)"

# -- the examples ---------------------------------------------------------------------------

_V2V_AUDIO = "https://assets.modelslab.ai/generations/a9823a38-6c67-43f7-80a3-11e7eea504c0"
_V2V_PARAMS = {"init_audio": _V2V_AUDIO, "target_audio": _V2V_AUDIO, "temp": False, "base64": False,
               "webhook": None, "track_id": None}
_V2V_LITERAL = {"key": "enterprise_api_key", **_V2V_PARAMS}
_T2A_PARAMS = {
    "prompt": "Narrative voices capable of pronouncing terminologies & acronyms in training and ai learning "
              "materials.",
    "init_audio": "https://assets.modelslab.ai/generations/d5b64159-b9cc-4342-996e-ebde7e7e35c0.mp3",
    "language": "english", "webhook": None, "track_id": None,
}
_T2A_LITERAL = {"key": "enteprise_api_key", **_T2A_PARAMS}  # the docs' own spelling of the placeholder
_JOB_ID = 91530826  # the docs elide ids ("id": …)
_OUTPUT = f"https://assets.modelslab.ai/generations/{_JOB_ID}.wav"  # the host of the docs' own audio URLs
_FUTURE = _OUTPUT
_QUEUED = {"status": "processing", "id": _JOB_ID, "eta": 30, "message": "Your request is being processed",
           "fetch_result": f"https://modelslab.com/api/v1/enterprise/voice/fetch/{_JOB_ID}",
           "future_links": [_FUTURE]}
_SUCCESS = {"status": "success", "generationTime": 7.42, "id": _JOB_ID, "output": [_OUTPUT],
            "proxy_links": [_OUTPUT], "future_links": [_FUTURE], "meta": {}, "track_id": None}
_JOB_FILLED = ("the docs elide the job id, URLs, generationTime and meta (\"id\": …, \"output\": "
               "[\"https://…/x.wav\"], \"meta\": {…}): a job id, URLs of that form, 7.42 and {} stand in",)
_ML_ERROR = {"status": "error", "message": "Invalid API key"}
_ML_429 = {"status": "error", "message": "Rate limit exceeded. Maximum 5 queued requests allowed.", "retry_after": 30}

EXAMPLES: tuple[Example, ...] = (
    Example("modelslab.voice_to_voice.queued_then_fetched", "modelslab.voice_to_voice", _V2V_PARAMS, S000,
            (Reply(200, _QUEUED, P1_QUEUED), Reply(200, _SUCCESS, P1_SUCCESS + "; request: " + P1_FETCH)),
            Expect("Job", {"status": "success", "id": _JOB_ID, "output": [_OUTPUT], "polls": 1}),
            literal=_V2V_LITERAL, filled=_JOB_FILLED, then=("modelslab.fetch",)),
    Example("modelslab.voice_to_voice.invalid_key_401", "modelslab.voice_to_voice", _V2V_PARAMS, S000,
            (Reply(401, _ML_ERROR, P1_ERROR),), Expect("AuthError", {"status": 401, "message": "Invalid API key"}),
            literal=_V2V_LITERAL),
    Example("modelslab.voice_to_voice.rate_limited_429", "modelslab.voice_to_voice", _V2V_PARAMS, S000,
            (Reply(429, _ML_429, P1_429),), Expect("RateLimited", {"status": 429, "retry_after": 30.0}),
            literal=_V2V_LITERAL),
    Example("modelslab.text_to_audio.success", "modelslab.text_to_audio", _T2A_PARAMS, S001,
            (Reply(200, _SUCCESS, P1_SUCCESS),),
            Expect("Job", {"status": "success", "id": _JOB_ID, "output": [_OUTPUT], "polls": 0}),
            literal=_T2A_LITERAL, filled=_JOB_FILLED),
    Example("modelslab.text_to_audio.invalid_key_http200", "modelslab.text_to_audio", _T2A_PARAMS, S001,
            (Reply(200, _ML_ERROR, P1_ERROR200),),
            Expect("AuthError", {"status": 200, "message": "Invalid API key"}), literal=_T2A_LITERAL),
)

NO_EXAMPLE: tuple[Gap, ...] = (
    Gap("modelslab.voice_to_voice, modelslab.text_to_audio", "400, 402, 403, 500, 503",
        "the statuses are documented (credits, plan…), the message texts are not"),
    Gap("modelslab.fetch", "failed or error job", "the fetch page shows only the request body; the failure "
        "payload documented is the webhook's"),
    Gap("modelslab", "webhook payloads (success, failed)", "calls the provider makes to the user's URL, not "
        "exchanges a client replays; the suite checks them against the spec's webhook schemas"),
    Gap("modelslab", "legacy \"messege\" spelling", "documented for some legacy endpoints without an example body"),
)
