"""Novita (MiniMax) reference clients: one method per documented endpoint, sync and async."""

from __future__ import annotations

from typing import Any

from conformance.clients.base import UNSET, AsyncClient, ClientCore, SyncClient
from conformance.clients.transport import Flow, Received
from conformance.providers.novita.spec import MINIMAX_BASE_RESP_CODES
from conformance.spec.model import Endpoint


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


CLIENT = NovitaClient
ASYNC_CLIENT = AsyncNovitaClient
