"""One method per documented endpoint, for each provider; sync and async classes share them.

Each method's keywords are the endpoint's documented parameter names (tests check them against
the spec). A keyword left out is not sent; the provider's documented default applies.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.clients.base import UNSET, AsyncClient, ClientCore, SyncClient
from conformance.clients.errors import JobFailed, JobTimeout, ProtocolError
from conformance.clients.results import Job
from conformance.clients.transport import Flow, Received, Sleep
from conformance.spec.elevenlabs import DEFAULT_OUTPUT_FORMAT, OUTPUT_FORMATS, parse_output_format
from conformance.spec.faseeh import PREVIEW_SAMPLE_RATE
from conformance.spec.model import Endpoint, ErrorCase
from conformance.spec.novita import MINIMAX_BASE_RESP_CODES

# ============================================================================================
# ElevenLabs
# ============================================================================================


class _ElevenLabs(ClientCore):
    provider_id = "elevenlabs"

    def speech_to_speech(self, voice_id: str, audio: Any, *, enable_logging: bool = UNSET,
                         optimize_streaming_latency: int | None = UNSET, output_format: str = UNSET,
                         model_id: str = UNSET, voice_settings: str | dict[str, Any] | None = UNSET,
                         seed: int | None = UNSET, remove_background_noise: bool = UNSET,
                         file_format: str | None = UNSET, validate: bool | None = None, **extra: Any) -> Any:
        """Voice changer: ``audio`` (path, bytes, file or URL) said by ``voice_id``.

        Returns an :class:`AudioResult` in ``output_format`` (default mp3_44100_128). A dict for
        ``voice_settings`` is JSON-encoded, as the API wants a string.
        """
        if isinstance(voice_settings, dict):
            voice_settings = json.dumps(voice_settings)
        params = dict(voice_id=voice_id, audio=audio, enable_logging=enable_logging,
                      optimize_streaming_latency=optimize_streaming_latency, output_format=output_format,
                      model_id=model_id, voice_settings=voice_settings, seed=seed,
                      remove_background_noise=remove_background_noise, file_format=file_format, **extra)
        return self._call("speech_to_speech", params, validate)  # type: ignore[attr-defined]

    def _error_fields(self, body: Any) -> tuple[Any, str, Any]:
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list):
            msgs = [f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail if isinstance(d, dict)]
            return "validation_error", "; ".join(msgs), detail
        if isinstance(detail, dict):
            return detail.get("code") or detail.get("status"), str(detail.get("message", "")), None
        return None, str(body)[:200], None

    def _interpret(self, ep: Endpoint, params: dict[str, Any], got: Received) -> Flow[Any]:
        if got.response.status_code == 200:
            name = params.get("output_format", DEFAULT_OUTPUT_FORMAT)
            expect: dict[str, Any] = {}
            if isinstance(name, str) and name in OUTPUT_FORMATS:
                fmt = parse_output_format(name)
                expect = {"container": fmt.container, "sample_rate": fmt.sample_rate,
                          "raw_format": fmt.raw_sample_format}
            return self._audio_result(ep, got, expect=expect)
        body = self._json(ep, got)
        self._raise_error(ep, got, body)
        yield  # pragma: no cover


class ElevenLabsClient(_ElevenLabs, SyncClient):
    """ElevenLabs reference client (``xi-api-key``, multipart, query options)."""


class AsyncElevenLabsClient(_ElevenLabs, AsyncClient):
    """Async twin of :class:`ElevenLabsClient`."""


# ============================================================================================
# ModelsLab
# ============================================================================================


class _ModelsLab(ClientCore):
    provider_id = "modelslab"

    def __init__(self, api_key: str | None = None, *, poll_interval: float = 5.0, poll_timeout: float = 600.0,
                 **kwargs: Any):
        super().__init__(api_key, **kwargs)
        if poll_interval < 0 or poll_timeout <= 0:
            raise ValueError("poll_interval must be >= 0 and poll_timeout > 0")
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout

    def voice_to_voice(self, init_audio: Any, target_audio: Any, *, base64: bool = UNSET, temp: bool = UNSET,
                       webhook: str | None = UNSET, track_id: str | None = UNSET, wait: bool = True,
                       validate: bool | None = None, **extra: Any) -> Any:
        """``init_audio`` said by the voice of ``target_audio``. Local audio is sent as base64.

        Returns a :class:`Job`; with ``wait`` (default) a queued job is polled through ``fetch``
        until it succeeds, fails (:class:`JobFailed`) or ``poll_timeout`` passes (:class:`JobTimeout`).
        """
        params = dict(init_audio=init_audio, target_audio=target_audio, base64=base64, temp=temp,
                      webhook=webhook, track_id=track_id, **extra)
        return self._call("voice_to_voice", {**params, "__wait": wait}, validate)  # type: ignore[attr-defined]

    def text_to_audio(self, prompt: str, *, init_audio: Any = UNSET, voice_id: str | None = UNSET,
                      language: str = UNSET, emotion: str = UNSET, base64: bool = UNSET, temp: bool = UNSET,
                      webhook: str | None = UNSET, track_id: str | None = UNSET, wait: bool = True,
                      validate: bool | None = None, **extra: Any) -> Any:
        """``prompt`` spoken in the voice of ``init_audio`` (4–30 s) or catalogue ``voice_id``."""
        params = dict(prompt=prompt, init_audio=init_audio, voice_id=voice_id, language=language,
                      emotion=emotion, base64=base64, temp=temp, webhook=webhook, track_id=track_id, **extra)
        return self._call("text_to_audio", {**params, "__wait": wait}, validate)  # type: ignore[attr-defined]

    def fetch(self, id: Any, *, validate: bool | None = None) -> Any:
        """The current state of job ``id`` (one poll, no waiting)."""
        return self._call("fetch", {"id": str(id), "__wait": False}, validate)  # type: ignore[attr-defined]

    def _flow(self, name: str, kwargs: dict[str, Any], validate: bool | None = None) -> Flow[Any]:
        wait = kwargs.pop("__wait", False)
        job = yield from super()._flow(name, kwargs, validate)
        if wait and isinstance(job, Job) and job.status == "processing":
            job = yield from self._poll(job, validate)
        return job

    def _poll(self, job: Job, validate: bool | None) -> Flow[Job]:
        waited, polls = 0.0, 0
        started_timing, endpoint_id = job.timing, job.endpoint_id
        while job.status == "processing":
            if waited >= self.poll_timeout:
                raise JobTimeout(job.id, waited, polls, endpoint_id=job.endpoint_id)
            delay = min(self.poll_interval, max(0.0, self.poll_timeout - waited))
            yield Sleep(delay)
            waited += delay
            polls += 1
            job = yield from super()._flow("fetch", {"id": str(job.id)}, validate)
        job.polls = polls
        job.endpoint_id = endpoint_id
        job.timing.total += started_timing.total
        return job

    def _is_soft_rate_limit(self, status: int, body: Any) -> bool:
        return status == 200 and isinstance(body, dict) and body.get("status") == "error" \
            and isinstance(body.get("retry_after"), int | float)

    def _error_fields(self, body: Any) -> tuple[Any, str, Any]:
        if isinstance(body, dict):
            message = body.get("message", body.get("messege", ""))
            return None, message if isinstance(message, str) else json.dumps(message), message
        return None, str(body)[:200], None

    def _error_case(self, status: int, code: Any, message: str) -> ErrorCase | None:
        case = super()._error_case(status, code, message)
        if case is None and status == 200:
            # errors with HTTP 200 that match no documented message are the request's data
            return self.provider.error("invalid_request")
        if case is not None and status == 200 and case.name == "invalid_request" and "api key" in message.lower():
            return self.provider.error("auth")
        return case

    def _interpret(self, ep: Endpoint, params: dict[str, Any], got: Received) -> Flow[Any]:
        body = self._json(ep, got)
        status = got.response.status_code
        state = body.get("status") if isinstance(body, dict) else None
        if status != 200 or state == "error":
            if state == "error" and isinstance(body, dict) and body.get("retry_after") is not None:
                status_for = 429
            else:
                status_for = status
            self._raise_error_as(ep, got, body, status_for)
        if state == "failed":
            message = body.get("message") or body.get("messege") or "job failed"
            raise JobFailed(status, None, self._key.mask(str(message)), self._request_id(got), endpoint_id=ep.id,
                            body=body)
        if state not in ("success", "processing"):
            raise ProtocolError(f"unknown job status {state!r} (documented: success, processing, error, failed)",
                                status=status, endpoint_id=ep.id)
        self._check_schema(ep, got, body, state)
        return Job(id=body.get("id"), status=state, endpoint_id=ep.id, output=list(body.get("output") or []),
                   eta=body.get("eta"), fetch_result=body.get("fetch_result"),
                   future_links=list(body.get("future_links") or []), message=body.get("message"),
                   track_id=body.get("track_id"), body=body, timing=self._timing(got))
        yield  # pragma: no cover

    def _raise_error_as(self, ep: Endpoint, got: Received, body: Any, status: int) -> None:
        if status == 429:
            case = self.provider.error("rate_limit")
            code, message, _ = self._error_fields(body)
            from conformance.clients.errors import RateLimited
            from conformance.clients.transport import retry_after_seconds

            err = RateLimited(got.response.status_code, code, self._key.mask(message or case.message),
                              self._request_id(got), endpoint_id=ep.id,
                              retry_after=retry_after_seconds(got.response.headers, body))
            err.attempts = int(got.response.extensions.get("attempts", 1))
            raise err
        self._raise_error(ep, got, body)


class ModelsLabClient(_ModelsLab, SyncClient):
    """ModelsLab reference client (API key in the JSON body; queued jobs polled through fetch)."""


class AsyncModelsLabClient(_ModelsLab, AsyncClient):
    """Async twin of :class:`ModelsLabClient`."""


# ============================================================================================
# Novita (MiniMax)
# ============================================================================================


class _Novita(ClientCore):
    provider_id = "novita"

    def minimax_voice_cloning(self, audio_url: str, *, clone_prompt: dict[str, Any] = UNSET, text: str = UNSET,
                              model: str = UNSET, accuracy: float = UNSET, need_noise_reduction: bool = UNSET,
                              need_volume_normalization: bool = UNSET, validate: bool | None = None,
                              **extra: Any) -> Any:
        """Clone the voice at ``audio_url`` (mp3/m4a/wav, 10 s–5 min, ≤ 20 MB). Returns a :class:`VoiceResult`;
        ``demo_audio_url`` is there when ``text`` and ``model`` were given."""
        params = dict(audio_url=audio_url, clone_prompt=clone_prompt, text=text, model=model, accuracy=accuracy,
                      need_noise_reduction=need_noise_reduction, need_volume_normalization=need_volume_normalization,
                      **extra)
        return self._call("minimax_voice_cloning", params, validate)  # type: ignore[attr-defined]

    def _error_fields(self, body: Any) -> tuple[Any, str, Any]:
        if isinstance(body, dict):
            base = body.get("base_resp")
            if isinstance(base, dict):
                return base.get("status_code"), str(base.get("status_msg", "")), None
            return body.get("reason"), str(body.get("message", "")), body.get("metadata")
        return None, str(body)[:200], None

    def _interpret(self, ep: Endpoint, params: dict[str, Any], got: Received) -> Flow[Any]:
        body = self._json(ep, got)
        status = got.response.status_code
        if status == 200 and isinstance(body, dict) and isinstance(body.get("base_resp"), dict) \
                and body["base_resp"].get("status_code") not in (0, None):
            self._raise_minimax(ep, got, body)
        if status != 200:
            self._raise_error(ep, got, body)
        return self._voice_result(ep, got, body)
        yield  # pragma: no cover

    def _raise_minimax(self, ep: Endpoint, got: Received, body: dict[str, Any]) -> None:
        from conformance.clients.base import _EXCEPTION_FOR
        from conformance.clients.errors import ProviderError

        code = body["base_resp"].get("status_code")
        name = MINIMAX_BASE_RESP_CODES.get(code, "")
        cls = _EXCEPTION_FOR.get(name, ProviderError)
        message = self._key.mask(str(body["base_resp"].get("status_msg", "")))
        raise cls(200, code, message, self._request_id(got), endpoint_id=ep.id, body=body)


class NovitaClient(_Novita, SyncClient):
    """Novita reference client (``Authorization: Bearer``, JSON)."""


class AsyncNovitaClient(_Novita, AsyncClient):
    """Async twin of :class:`NovitaClient`."""


# ============================================================================================
# Faseeh
# ============================================================================================


class _Faseeh(ClientCore):
    provider_id = "faseeh"

    def voice_preview(self, text: str, similarity: float, model_id: str, file: Any, *, speed: float = UNSET,
                      validate: bool | None = None, **extra: Any) -> Any:
        """A preview of the voice in ``file`` saying ``text``: raw PCM16, 24 kHz, mono (:class:`AudioResult`)."""
        params = dict(text=text, similarity=similarity, model_id=model_id, file=file, speed=speed, **extra)
        return self._call("voice_preview", params, validate)  # type: ignore[attr-defined]

    def voice_clone(self, voice_file: Any, reference_audio_file: Any, text: str, stability: float, name: str,
                    model: str, *, description: str = UNSET, gender: str = UNSET, age: str = UNSET,
                    languages: str = UNSET, dialects: str = UNSET, avatar_url: str = UNSET,
                    validate: bool | None = None, **extra: Any) -> Any:
        """Create a voice from a preview (``voice_file``) and its reference audio. Returns a :class:`VoiceResult`."""
        params = dict(voice_file=voice_file, reference_audio_file=reference_audio_file, text=text,
                      stability=stability, name=name, model=model, description=description, gender=gender,
                      age=age, languages=languages, dialects=dialects, avatar_url=avatar_url, **extra)
        return self._call("voice_clone", params, validate)  # type: ignore[attr-defined]

    def _error_fields(self, body: Any) -> tuple[Any, str, Any]:
        if isinstance(body, dict):
            return body.get("errorCode"), str(body.get("errorMessage", "")), None
        return None, str(body)[:200], None

    def _interpret(self, ep: Endpoint, params: dict[str, Any], got: Received) -> Flow[Any]:
        status = got.response.status_code
        if status == 200 and ep.name == "voice_preview":
            return self._audio_result(ep, got, expect={"container": "raw", "raw_format": "s16le",
                                                       "sample_rate": PREVIEW_SAMPLE_RATE})
        body = self._json(ep, got)
        if status != 200:
            self._raise_error(ep, got, body)
        return self._voice_result(ep, got, body)
        yield  # pragma: no cover


class FaseehClient(_Faseeh, SyncClient):
    """Faseeh reference client (``x-api-key``, multipart)."""


class AsyncFaseehClient(_Faseeh, AsyncClient):
    """Async twin of :class:`FaseehClient`."""


CLIENTS: dict[str, tuple[type[SyncClient], type[AsyncClient]]] = {
    "elevenlabs": (ElevenLabsClient, AsyncElevenLabsClient),
    "modelslab": (ModelsLabClient, AsyncModelsLabClient),
    "novita": (NovitaClient, AsyncNovitaClient),
    "faseeh": (FaseehClient, AsyncFaseehClient),
}
