"""ModelsLab reference clients: one method per documented endpoint, sync and async."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from conformance.clients.base import UNSET, AsyncClient, ClientCore, SyncClient
from conformance.clients.errors import JobFailed, JobTimeout, ProtocolError
from conformance.clients.results import Job
from conformance.clients.transport import Flow, Received, Sleep
from conformance.spec.model import Endpoint, ErrorCase


class _ModelsLab(ClientCore):
    provider_id = "modelslab"
    # the simulator's jobs finish on a clock scaled down from their eta: poll often, but not in a busy loop
    offline_options: ClassVar[dict[str, Any]] = {"poll_interval": 0.02, "poll_timeout": 2.0}

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
                err = JobTimeout(job.id, waited, polls, endpoint_id=job.endpoint_id)
                err.exchange = job.exchange  # the last answer: still processing
                raise err
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
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        output = body.get("output") or body.get("links") or []  # links: the enterprise page's success form
        return Job(id=body.get("id"), status=state, endpoint_id=ep.id, output=list(output) if isinstance(output, list)
                   else [], eta=body.get("eta"), fetch_result=body.get("fetch_result"),
                   future_links=list(body.get("future_links") or []), message=body.get("message"),
                   track_id=body.get("track_id", meta.get("track_id")), body=body, timing=self._timing(got))
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


CLIENT = ModelsLabClient
ASYNC_CLIENT = AsyncModelsLabClient
