"""Faseeh reference clients: one method per documented endpoint, sync and async."""

from __future__ import annotations

from typing import Any

from conformance.clients.base import UNSET, AsyncClient, ClientCore, SyncClient
from conformance.clients.transport import Flow, Received
from conformance.providers.faseeh.spec import PREVIEW_SAMPLE_RATE
from conformance.spec.model import Endpoint


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


CLIENT = FaseehClient
ASYNC_CLIENT = AsyncFaseehClient
