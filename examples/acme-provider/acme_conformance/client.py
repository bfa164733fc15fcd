"""Acme Speak reference clients: ``speak(text, voice_sample)`` returns the audio."""

from __future__ import annotations

from typing import Any

from conformance.clients.base import UNSET, AsyncClient, ClientCore, SyncClient
from conformance.clients.transport import Flow, Received
from conformance.spec.model import Endpoint


class _Acme(ClientCore):
    provider_id = "acme"

    def speak(self, text: str, voice_sample: Any, *, format: str = UNSET, validate: bool | None = None,
              **extra: Any) -> Any:
        """``text`` spoken in the voice of ``voice_sample`` (path, bytes or file). Returns an AudioResult."""
        params = dict(text=text, voice_sample=voice_sample, format=format, **extra)
        return self._call("speak", params, validate)  # type: ignore[attr-defined]

    def _error_fields(self, body: Any) -> tuple[Any, str, Any]:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return error.get("type"), str(error.get("detail", "")), error.get("field")
        return None, str(body)[:200], None

    def _interpret(self, ep: Endpoint, params: dict[str, Any], got: Received) -> Flow[Any]:
        if got.response.status_code == 200:
            container = params.get("format", "wav")
            return self._audio_result(ep, got, expect={"container": container})
        self._raise_error(ep, got, self._json(ep, got))
        yield  # pragma: no cover


class AcmeClient(_Acme, SyncClient):
    """Acme Speak reference client (``X-Acme-Token``, multipart)."""


class AsyncAcmeClient(_Acme, AsyncClient):
    """Async twin of :class:`AcmeClient`."""


CLIENT = AcmeClient
ASYNC_CLIENT = AsyncAcmeClient
