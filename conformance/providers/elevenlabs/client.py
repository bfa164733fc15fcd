"""ElevenLabs reference clients: one method per documented endpoint, sync and async."""

from __future__ import annotations

import json
from typing import Any

from conformance.clients.base import UNSET, AsyncClient, ClientCore, SyncClient
from conformance.clients.transport import Flow, Received
from conformance.providers.elevenlabs.spec import DEFAULT_OUTPUT_FORMAT, OUTPUT_FORMATS, parse_output_format
from conformance.spec.model import Endpoint


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
        if isinstance(detail, dict):  # `status` is the specific error in both forms; `code` its class
            return detail.get("status") or detail.get("code"), str(detail.get("message", "")), None
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


CLIENT = ElevenLabsClient
ASYNC_CLIENT = AsyncElevenLabsClient
