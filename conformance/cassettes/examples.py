"""Cassettes built from the providers' published request/response examples (origin ``provider-example``).

Each :class:`Example` transcribes one documented exchange: the request values a provider's docs
show, the response body they show, and a source note for both. :func:`build` sends the request
through the kit's reference client to a stand-in transport that answers with the documented body,
recording the exchange with the same scrubbing and sidecars as any cassette; the request the
client sent is checked against the docs' literal body where the docs print one. Where the docs
elide a value (``…``) or send a placeholder (an empty audio file), the stand-in is listed in the
example's ``filled``; nothing else is made up. What the docs document without an example is listed
in :data:`NO_EXAMPLE` and in the index written beside the cassettes.

    python -m conformance.cassettes.examples [OUT]      # default: cassettes/examples

Sources: the seed documents (``seeds/000``–``004``) and PROVIDERS.md, which quotes the providers'
docs and OpenAPI files.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORIGIN = "provider-example"
DEFAULT_KEY = "docs-example-key"  # stands for the docs' key placeholders; scrubbed like any key
INDEX = "INDEX.md"


@dataclass(frozen=True)
class Reply:
    """A documented response: status and JSON body (the docs show only JSON bodies)."""

    status: int
    body: Any
    source: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Expect:
    """What the reference client must make of the exchange: a result type with field values, or an
    error class with attribute values."""

    kind: str  # result class name (Job, VoiceResult) or error class name (AuthError, RateLimited…)
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    """One documented exchange (or a documented sequence: a queued job, then its fetch)."""

    name: str  # file stem: <endpoint id>.<case>
    endpoint: str  # the spec's endpoint id the request goes to
    params: Mapping[str, Any]  # the docs' request values, as the reference client takes them
    request_source: str
    replies: tuple[Reply, ...]
    expect: Expect
    literal: Mapping[str, Any] | None = None  # the docs' JSON request body, key as the docs print it
    filled: tuple[str, ...] = ()  # values the docs leave out or elide, and what stands in
    validate: bool = True  # the client checks the request against the spec before sending
    note: str = ""  # where the docs contradict themselves or the spec
    then: tuple[str, ...] = ()  # endpoints of the exchanges after the first (a queued job's fetch)

    @property
    def endpoints(self) -> tuple[str, ...]:
        return (self.endpoint, *self.then)

    @property
    def provider(self) -> str:
        return self.endpoint.split(".", 1)[0]

    def path(self, root: Path) -> Path:
        return Path(root) / self.provider / f"{self.name}.yaml"


@dataclass(frozen=True)
class Gap:
    """Something the docs document without an example: no cassette is made up for it."""

    endpoint: str
    what: str
    why: str


# -- sources --------------------------------------------------------------------------------

S000 = "seed 000: ModelsLab Voice to Voice, Body (docs.modelslab.com enterprise voice_to_voice)"
S001 = "seed 001: ModelsLab Voice cloning, Body (docs.modelslab.com enterprise text_to_audio)"
S002_REQ = "seed 002: Novita MiniMax Quick Voice Cloning, Example: Request (curl)"
S002_RES = "seed 002: Novita MiniMax Quick Voice Cloning, Example: Response"
S003 = ("seed 003: ElevenLabs Voice changer, SDK code examples (voice_id JBFqnCBsd6RMkjVDRZzb, "
        "output_format mp3_44100_128, model_id eleven_multilingual_sts_v2)")
P1_QUEUED = "PROVIDERS.md §1 ModelsLab, Responses: queued (docs-v2 VoiceResponse)"
P1_SUCCESS = "PROVIDERS.md §1 ModelsLab, Responses: success (docs-v2 VoiceResponse)"
P1_FETCH = "PROVIDERS.md §1 ModelsLab, fetch: POST …/enterprise/voice/fetch/{id} with body {\"key\": …}"
P1_ERROR = ("PROVIDERS.md §1 ModelsLab, Responses: error {\"status\":\"error\",\"message\":\"…\"}; "
            "401 \"Invalid API key\"")
P1_ERROR200 = P1_ERROR + "; errors may arrive with HTTP 200"
P1_429 = "PROVIDERS.md §1 ModelsLab, Responses: 429 body (docs-v2 rate-limits.mdx)"
P3_401 = "PROVIDERS.md §3 ElevenLabs, errors: legacy 401 body"
P4_PREVIEW = ("PROVIDERS.md §4 Faseeh, Voice preview (multipart): text, similarity, model_id, speed, file; "
              "model ids")
P4_500 = ("PROVIDERS.md §4 Faseeh, Errors: {\"errorCode\", \"errorMessage\"}, 500 50001 "
          "(\"Failed to generate voice preview\"); codes shown as numbers and as strings")

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

_NOVITA_PARAMS = {
    "audio_url": "https://example.com/voice.mp3",
    "text": "Audio generation technology is evolving rapidly, enabling the creation of speech, music, and sound "
            "effects from text or data inputs. It supports applications in media, accessibility, customer "
            "service, and content creation. With improved quality and customization, these tools are "
            "increasingly integrated into digital platforms across various industries.",
    "model": "speech-01-hd",
    "need_noise_reduction": True,
    "need_volume_normalization": True,
}

_EL_PARAMS = {"voice_id": "JBFqnCBsd6RMkjVDRZzb", "output_format": "mp3_44100_128",
              "model_id": "eleven_multilingual_sts_v2", "audio": {"fixture": ("en_slt", 1.0)}}
_EL_401 = {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}

_FASEEH_PREVIEW = {"text": "مرحبا بكم في اختبار الصوت اليوم", "similarity": 0.8, "model_id": "faseeh-v1-preview",
                   "speed": 1.0, "file": {"fixture": ("en_alsa", 1.0)}}
_FASEEH_FILLED = ("the docs give the preview's fields without example values: an Arabic sentence of six words, "
                  "similarity 0.8, speed 1.0, model faseeh-v1-preview and 1 s of fixture speech stand in",)

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
    Example("novita.minimax_voice_cloning.success", "novita.minimax_voice_cloning", _NOVITA_PARAMS, S002_REQ,
            (Reply(200, {"demo_audio_url": "https://demo.com/audio.mp3", "voice_id": "xxxxxxx"}, S002_RES),),
            Expect("VoiceResult", {"voice_id": "xxxxxxx", "demo_audio_url": "https://demo.com/audio.mp3"}),
            literal=_NOVITA_PARAMS, validate=False,
            note="the docs' example request uses model speech-01-hd, which is not among the options the same "
                 "page lists (the spec follows the list and keeps speech-01-hd as a documented variant): the "
                 "reference client refuses the request when it validates, so the example is sent unvalidated"),
    Example("elevenlabs.speech_to_speech.invalid_api_key_401", "elevenlabs.speech_to_speech", _EL_PARAMS, S003,
            (Reply(401, _EL_401, P3_401),),
            Expect("AuthError", {"status": 401, "code": "invalid_api_key", "message": "Invalid API key"}),
            filled=("the docs' examples upload a placeholder file (\"example_audio\", <file1> with no bytes): "
                    "1 s of fixture speech stands in",)),
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
    Gap("elevenlabs.speech_to_speech", "200 audio", "the OpenAPI gives the body as binary audio; no example bytes"),
    Gap("elevenlabs.speech_to_speech", "422", "the OpenAPI gives the HTTPValidationError schema, no example values"),
    Gap("elevenlabs.speech_to_speech", "404 voice_not_found, 429 rate_limit_exceeded / concurrent_limit_exceeded",
        "the codes are documented, the bodies' messages are not"),
    Gap("modelslab.voice_to_voice, modelslab.text_to_audio", "400, 402, 403, 500, 503",
        "the statuses are documented (credits, plan…), the message texts are not"),
    Gap("modelslab.fetch", "failed or error job", "the fetch page shows only the request body; the failure "
        "payload documented is the webhook's"),
    Gap("modelslab", "webhook payloads (success, failed)", "calls the provider makes to the user's URL, not "
        "exchanges a client replays; the suite checks them against the spec's webhook schemas"),
    Gap("modelslab", "legacy \"messege\" spelling", "documented for some legacy endpoints without an example body"),
    Gap("novita.minimax_voice_cloning", "400, 403, 429, 500 error codes",
        "the error-code table lists codes; the JSON shape of Novita's error body is not published"),
    Gap("novita.minimax_voice_cloning", "MiniMax base_resp errors", "documented for MiniMax's own API "
        "(api.minimax.io/v1/voice_clone), not as answers of Novita's endpoint"),
    Gap("faseeh.voice_preview", "200 audio", "a raw PCM16 stream; no example bytes"),
    Gap("faseeh.voice_preview, faseeh.voice_clone", "40001, 40101, 40201, 40301, 42901",
        "the codes and what they mean are documented, the errorMessage texts are not"),
    Gap("faseeh.voice_clone", "request and 200 body", "seed 004 gives tables of fields and types, no example "
        "values"),
)


# -- building ---------------------------------------------------------------------------------


def _audio(value: Any) -> Any:
    if isinstance(value, Mapping) and "fixture" in value:
        from conformance.strategies import audio_bytes

        speaker, seconds = value["fixture"]
        return audio_bytes(seconds, "wav", 16000, speaker)
    return value


def call_params(example: Example) -> dict[str, Any]:
    """The example's request values as the reference client takes them (fixture audio made)."""
    return {k: _audio(v) for k, v in example.params.items()}


def make_client(example: Example, key: str, http_client: Any) -> Any:
    """The reference client the example is sent and replayed with: one attempt, no waiting."""
    from conformance.clients import RetryPolicy, make_client

    return make_client(example.provider, offline=True, api_key=key, http_client=http_client,
                       retry=RetryPolicy(max_attempts=1))


def send(example: Example, client: Any) -> Any:
    """Send the example through ``client``; the typed result, or the typed error raised."""
    try:
        return client.call(example.endpoint, call_params(example), validate=example.validate)
    except Exception as exc:  # typed errors are results here
        return exc


def _stand_in(example: Example) -> Any:
    """A transport answering the example's documented replies in order (and nothing else)."""
    import httpx

    replies = list(example.replies)
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if len(sent) >= len(replies):
            raise AssertionError(f"{example.name}: request {len(sent) + 1} ({request.method} {request.url.path}) "
                                 f"but the docs give {len(replies)} response(s)")
        reply = replies[len(sent)]
        sent.append(request)
        return httpx.Response(reply.status, json=reply.body, headers=dict(reply.headers))

    transport = httpx.MockTransport(handle)
    transport.sent = sent  # type: ignore[attr-defined]
    return transport


def check_literal(example: Example, body: bytes, key: str) -> None:
    """The client's JSON body must be the docs' literal body (its key placeholder read as ``key``)."""
    if example.literal is None:
        return
    sent = json.loads(body)
    want = dict(example.literal)
    if "key" in want:
        want["key"] = key
    if sent != want:
        extra = sorted(set(sent) - set(want))
        missing = sorted(set(want) - set(sent))
        changed = sorted(k for k in set(sent) & set(want) if sent[k] != want[k])
        raise ValueError(f"{example.name}: the reference client's request differs from the docs' example "
                         f"({example.request_source}): extra {extra}, missing {missing}, changed {changed}")


def build(out: str | Path = "cassettes/examples", *, key: str = DEFAULT_KEY,
          examples: Sequence[Example] = EXAMPLES) -> list[Path]:
    """Write one cassette per example under ``out/<provider>/`` and the index; returns the cassettes."""
    import httpx

    from conformance.cassettes.recorder import make_vcr, use_cassette
    from conformance.cassettes.scrub import Scrubber

    out = Path(out)
    written = []
    for ex in examples:
        path = ex.path(out)
        meta = {"example": ex.name, "endpoints": list(ex.endpoints), "request_source": ex.request_source,
                "exchanges": [{"status": r.status, "response_source": r.source} for r in ex.replies],
                "filled": list(ex.filled), "validated_request": ex.validate}
        if ex.note:
            meta["note"] = ex.note
        vcr_obj = make_vcr(record_mode="all", scrubber=Scrubber([key], from_env=False), origin=ORIGIN,
                           request_bodies="full", bodies_dir=out / "bodies", metadata=meta, match="fingerprint")
        stand_in = _stand_in(ex)
        with use_cassette(path, record_mode="rewrite", vcr_obj=vcr_obj), \
                httpx.Client(transport=stand_in) as http:
            got = send(ex, make_client(ex, key, http))
        if len(stand_in.sent) != len(ex.replies):
            raise ValueError(f"{ex.name}: the client sent {len(stand_in.sent)} request(s) for "
                             f"{len(ex.replies)} documented response(s); it ended with {got!r}")
        check_literal(ex, stand_in.sent[0].content, key)
        written.append(path)
    write_index(out, examples)
    from conformance.cassettes.store import prune_sidecars

    prune_sidecars(out)
    return written


def write_index(out: Path, examples: Sequence[Example] = EXAMPLES, gaps: Sequence[Gap] = NO_EXAMPLE) -> Path:
    """``INDEX.md``: every example cassette with its sources, and what the docs give no example of."""
    from conformance.spec import endpoints

    lines = ["# Cassettes from the providers' published examples", "",
             "Built by `python -m conformance.cassettes.examples` (origin `provider-example`). Each cassette is",
             "one documented exchange: the request the docs show, sent by the kit's reference client, and the",
             "response body the docs show. Values the docs elide or leave as placeholders are listed under",
             "*filled*; nothing else is made up.", "", "## Examples", "",
             "| cassette | endpoints | statuses | request from | response from | filled |",
             "|---|---|---|---|---|---|"]
    for ex in examples:
        rel = ex.path(Path(".")).as_posix()
        statuses = ", ".join(str(r.status) for r in ex.replies)
        responses = "<br>".join(_cell(r.source) for r in ex.replies)
        filled = "<br>".join(_cell(f) for f in ex.filled) or "—"
        eps = "<br>".join(f"`{e}`" for e in ex.endpoints)
        lines.append(f"| [{ex.name}]({rel}) | {eps} | {statuses} | {_cell(ex.request_source)} | "
                     f"{responses} | {filled} |")
    notes = [ex for ex in examples if ex.note]
    if notes:
        lines += ["", "## Where the docs contradict themselves or the spec", ""]
        lines += [f"- `{ex.name}`: {ex.note}." for ex in notes]
    lines += ["", "## Documented without an example (no cassette)", "", "| endpoint | what | why no cassette |",
              "|---|---|---|"]
    lines += [f"| `{g.endpoint}` | {_cell(g.what)} | {_cell(g.why)} |" for g in gaps]
    covered = {e for ex in examples for e in ex.endpoints}
    bare = [ep.id for ep in endpoints() if ep.id not in covered]
    if bare:
        lines += ["", "Endpoints with no example cassette at all: " + ", ".join(f"`{e}`" for e in bare) + "."]
    path = Path(out) / INDEX
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print("usage: python -m conformance.cassettes.examples [OUT]  (default: cassettes/examples)", file=sys.stderr)
        return 2
    out = Path(args[0]) if args else Path("cassettes/examples")
    written = build(out)
    print(f"{len(written)} example cassettes and {INDEX} written to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
