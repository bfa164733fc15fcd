"""Novita's official Python packages in the SDK matrix (:mod:`conformance.sdkmatrix`): MiniMax voice cloning.

``novita`` 0.1.0 (the Novita CLI, import ``novita_cli``) has ``NovitaClient.voice_clone(audio_url,
**kwargs)``: ``POST /v3/minimax-voice-cloning`` with ``requests``, the key as ``Authorization:
Bearer``. An answer of 400 or more raises ``NovitaError(message, status_code, error_code)``; it reads
``message`` and ``code`` from an OpenAI-style ``{"error": {...}}`` body and, for any other body,
keeps the whole text as the message and an empty ``error_code``. A 200 answer is returned as the
parsed dict.

Pointing it at the loopback server: there is no argument for it; ``novita_cli.core.client.BASE_URL``
is read at call time, so the driver sets it for the ``serve`` transport (and puts it back).

``novita-client`` 0.7.1, the older SDK, has no audio endpoint at all: it is a note, not driven.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from conformance.sdkmatrix import NoEndpoint, SdkVersion

if TYPE_CHECKING:  # pragma: no cover
    from conformance.sdkmatrix import Case, Harness

SDKS = (SdkVersion("novita", "0.1.0", "novita_cli", "conformance.providers.novita.sdks.drive"),)
NO_ENDPOINT = (
    NoEndpoint("novita-client", "0.7.1", "no endpoint in this SDK: novita_client has image, video and training "
               "calls only (no MiniMax voice cloning, TTS or any audio path)"),
)

PREVIEW_TEXT = "Hello from the SDK matrix."
MODEL = "speech-02-hd"


def drive(h: Harness) -> None:
    """``NovitaClient.voice_clone`` on the harness's transport."""
    import novita_cli.core.client as module
    from novita_cli.core.client import NovitaClient, NovitaError

    from conformance.providers.novita.spec import PROVIDER

    endpoint_id = PROVIDER.endpoints[0].id
    original = module.BASE_URL
    if h.base_url is not None:
        module.BASE_URL = h.base_url
    try:
        pointed = "" if h.base_url is None else "; pointed by setting novita_cli.core.client.BASE_URL"
        sdk, wrong = NovitaClient(api_key=h.key), NovitaClient(api_key=h.wrong_key)
        audio_url = h.host_file(h.speech(11.0, "en_slt"), "sdk-clone.wav", "audio/wav")

        def clone(client: Any = sdk, **overrides: Any) -> Any:
            return client.voice_clone(**{"audio_url": audio_url, "text": PREVIEW_TEXT, "model": MODEL, **overrides})

        endpoint = "voice_clone"
        with h.case(endpoint, "ok") as c:
            got = clone()
            c.require(isinstance(got, dict), f"returned {type(got).__name__}, not the parsed answer")
            c.require(isinstance(got.get("voice_id"), str) and got["voice_id"], f"no voice_id: {str(got)[:160]}")
            demo = got.get("demo_audio_url")
            c.require(isinstance(demo, str) and demo, f"no demo_audio_url with text and model: {str(got)[:160]}")
            info = c.audio(h.download(demo))
            c.check(info.format == "mp3", f"the demo audio is {info.short()}, not MP3")
            c.note(f"voice_id {got['voice_id']}, demo {info.short()}{pointed}")
        cases = (("wrong_key", "auth", {"client": wrong}), ("invalid", "invalid_request", {"accuracy": 5}),
                 ("rate_limit", "rate_limit", {}), ("server_error", "server_error", {}))
        for case, error, kwargs in cases:
            with h.case(endpoint, case) as c:
                if case == "rate_limit":
                    h.inject("rate_limit", endpoint_id, retry_after=0)
                elif case == "server_error":
                    h.inject("server_error", endpoint_id, status=500)
                expected = PROVIDER.error(error)
                if case == "server_error":
                    expected = next(e for e in PROVIDER.errors if e.status == 500)
                _novita_error(c, c.raises(NovitaError, clone, **kwargs), expected.status, expected.code)
    finally:
        module.BASE_URL = original


def _novita_error(c: Case, err: Any, status: int, reason: str) -> None:
    """``NovitaError`` with the status; the provider's ``reason`` reachable through its message."""
    c.require(err.status_code == status, f"NovitaError.status_code {err.status_code}, expected {status}")
    message = str(err)
    try:
        body = json.loads(message)
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" not in body:
        # the SDK reads {"error": {"message", "code"}}; the provider's body is kept whole as the message
        c.check(body.get("reason") == reason, f"the body's reason is {body.get('reason')!r}, expected {reason!r}")
        c.note(f"NovitaError {status}, message = the raw body (reason {body.get('reason')}), "
               f"error_code {err.error_code!r}")
    else:
        c.check(err.error_code, f"error_code is empty and the message is not the body: {message[:120]}")
        c.note(f"NovitaError {status}: {message[:80]} (error_code {err.error_code!r})")
