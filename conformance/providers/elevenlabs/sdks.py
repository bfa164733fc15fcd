"""The official ``elevenlabs`` SDK in the SDK matrix (:mod:`conformance.sdkmatrix`): the voice changer.

Versions: 1.59.0 (last 1.x: ``convert`` and ``convert_as_stream``), 2.0.0 (first 2.x: ``convert``
and ``stream``), 2.59.0, and 2.78.0 (newest, on ``/v1/voice-changer/{voice_id}``; the older ones on
``/v1/speech-to-speech/{voice_id}``). Every method streams (a generator: the request goes out on
first iteration) and never retries. Errors: ``ApiError`` (``status_code``, ``body`` parsed JSON;
``headers`` from 2.0.0), 422 ``UnprocessableEntityError`` (``body``: an ``HttpValidationError`` up to
2.0.0, the raw JSON from 2.59.0).

Pointing the SDK at the loopback server: from 2.59.0 ``base_url=`` is used verbatim. Up to 2.0.0
``ElevenLabs(base_url=…)`` keeps only the host and forces ``https://`` (``http://127.0.0.1:8000``
becomes ``https://127.0.0.1``), so the driver passes ``environment=ElevenLabsEnvironment(base=…,
wss=…)``, a plain class there (an enum from 2.59.0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.sdkmatrix import SdkVersion

if TYPE_CHECKING:  # pragma: no cover
    from conformance.sdkmatrix import Case, Harness

DRIVER = "conformance.providers.elevenlabs.sdks.drive"
SDKS = tuple(SdkVersion("elevenlabs", v, "elevenlabs", DRIVER) for v in ("1.59.0", "2.0.0", "2.59.0", "2.78.0"))
NO_ENDPOINT = ()

UNKNOWN_VOICE = "noSuchVoice000000000"
# what each endpoint is asked for on the happy path, and the out-of-range value it gets for the 422
HAPPY_FORMAT = {"convert": "mp3_44100_128", "stream": "mp3_22050_32"}
INVALID = {"convert": ("seed", -1, ["body", "seed"]),
           "stream": ("optimize_streaming_latency", 9, ["query", "optimize_streaming_latency"])}


def drive(h: Harness) -> None:
    """Every speech-to-speech method of the installed version, on the harness's transport."""
    import enum

    from elevenlabs.client import ElevenLabs
    from elevenlabs.core.api_error import ApiError
    from elevenlabs.environment import ElevenLabsEnvironment
    from elevenlabs.errors import UnprocessableEntityError

    from conformance.providers.elevenlabs.spec import PROVIDER

    endpoint_id = PROVIDER.endpoints[0].id
    voice = PROVIDER.voice.premade_voice_id
    wav = h.speech(2.0)
    pointed = ""

    def client(key: str) -> Any:
        nonlocal pointed
        if h.base_url is None:
            return ElevenLabs(api_key=key)
        if isinstance(ElevenLabsEnvironment.PRODUCTION, enum.Enum):
            pointed = "base_url="
            return ElevenLabs(api_key=key, base_url=h.base_url)
        # base_url= would keep only the host, forced to https: the SDK's environment class takes a URL as is
        pointed = "environment=ElevenLabsEnvironment(base=…) (base_url= drops http and the port)"
        return ElevenLabs(api_key=key, environment=ElevenLabsEnvironment(
            base=h.base_url, wss=h.base_url.replace("http", "ws", 1)))

    good = client(h.key)
    sts = good.speech_to_speech
    stream_name = "stream" if hasattr(sts, "stream") else "convert_as_stream"
    for kind, name in (("convert", "convert"), ("stream", stream_name)):
        endpoint = f"speech_to_speech.{name}"

        def call(sdk: Any = good, name: str = name, **params: Any) -> bytes:
            method = getattr(sdk.speech_to_speech, name)
            return b"".join(method(**{"voice_id": voice, "audio": ("speech.wav", wav, "audio/wav"), **params}))

        with h.case(endpoint, "ok") as c:
            fmt = HAPPY_FORMAT[kind]
            info = c.audio(call(output_format=fmt))
            rate = int(fmt.split("_")[1])
            c.check(info.format == "mp3" and info.sample_rate == rate,
                    f"asked {fmt}, got {info.short()}")
            c.note(f"{info.short()}" + (f"; pointed with {pointed}" if pointed else ""))

        with h.case(endpoint, "wrong_key") as c:
            err = c.raises(ApiError, call, client(h.wrong_key))
            _api_error(c, err, 401, {e.code for e in PROVIDER.errors_named("auth")}, UnprocessableEntityError)

        with h.case(endpoint, "not_found") as c:
            err = c.raises(ApiError, call, voice_id=UNKNOWN_VOICE)
            _api_error(c, err, 404, {e.code for e in PROVIDER.errors_named("not_found")}, UnprocessableEntityError)

        with h.case(endpoint, "invalid") as c:
            param, value, loc = INVALID[kind]
            err = c.raises(UnprocessableEntityError, call, **{param: value})
            _validation_error(c, err, param, value, loc)

        with h.case(endpoint, "rate_limit") as c:
            h.inject("rate_limit", endpoint_id, retry_after=0)
            err = c.raises(ApiError, call)
            _api_error(c, err, 429, {e.code for e in PROVIDER.errors_named("rate_limit")}, UnprocessableEntityError)

        with h.case(endpoint, "server_error") as c:
            h.inject("server_error", endpoint_id, status=500)
            err = c.raises(ApiError, call)
            _api_error(c, err, 500, {e.code for e in PROVIDER.errors if e.status == 500}, UnprocessableEntityError)


def _api_error(c: Case, err: Any, status: int, codes: set[str], unprocessable: type) -> None:
    """A plain ``ApiError`` with the status and the JSON body's ``detail.status`` the provider documents."""
    c.require(not isinstance(err, unprocessable), f"raised {type(err).__name__} for a {status}")
    c.require(err.status_code == status, f"ApiError.status_code {err.status_code}, expected {status}")
    body = err.body
    c.require(isinstance(body, dict), f"ApiError.body is {type(body).__name__}, not parsed JSON: {str(body)[:120]}")
    detail = body.get("detail")
    c.require(isinstance(detail, dict) and "status" in detail, f"ApiError.body has no detail.status: {str(body)[:160]}")
    c.check(detail["status"] in codes, f"detail.status {detail['status']!r}, expected one of {sorted(codes)}")
    c.check(isinstance(detail.get("message"), str) and detail["message"], "detail.message is missing")
    headers = getattr(err, "headers", None)  # from 2.0.0
    c.check(headers is None or isinstance(headers, dict), f"ApiError.headers is {type(headers).__name__}")
    c.note(f"ApiError {err.status_code}, detail.status={detail['status']}")


def _validation_error(c: Case, err: Any, param: str, value: Any, loc: list[str]) -> None:
    """``UnprocessableEntityError`` (422) whose body's ``detail`` entries name the field (``loc``)."""
    c.require(err.status_code == 422, f"status_code {err.status_code}, expected 422")
    body = err.body
    detail = body.get("detail") if isinstance(body, dict) else getattr(body, "detail", None)
    c.require(isinstance(detail, list) and detail,
              f"body ({type(body).__name__}) has no detail list: {str(body)[:160]}")
    locs = [list(_field(d, "loc") or []) for d in detail]
    c.check(loc in locs, f"no detail entry for {param}={value}: locs {locs}")
    c.check(all(isinstance(_field(d, "msg"), str) and _field(d, "type") for d in detail),
            "a detail entry lacks msg or type")
    c.note(f"{type(err).__name__} 422, body {type(body).__name__}, detail[].loc {loc}")


def _field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)
