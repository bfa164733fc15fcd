"""The registry of providers and endpoints. Adding a provider means adding its module to ``_MODULES``."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from conformance.spec.model import Endpoint, Provider

_MODULES = ("elevenlabs", "modelslab", "novita", "faseeh")


@cache
def providers() -> dict[str, Provider]:
    """Every provider by id, in a stable order."""
    out: dict[str, Provider] = {}
    for name in _MODULES:
        p: Provider = import_module(f"conformance.spec.{name}").PROVIDER
        for e in p.endpoints:
            if e.provider_id != p.id or not e.id.startswith(p.id + "."):
                raise RuntimeError(f"endpoint {e.id} is filed under provider {p.id}")
        out[p.id] = p
    return out


def provider(provider_id: str) -> Provider:
    """The provider with this id (``elevenlabs``, ``modelslab``, ``novita``, ``faseeh``)."""
    try:
        return providers()[provider_id]
    except KeyError:
        raise KeyError(f"unknown provider {provider_id!r}; known: {', '.join(providers())}") from None


def endpoints(provider_id: str | None = None) -> list[Endpoint]:
    """Every endpoint (of one provider when ``provider_id`` is given)."""
    ps = [provider(provider_id)] if provider_id else list(providers().values())
    return [e for p in ps for e in p.endpoints]


def get(endpoint_id: str) -> Endpoint:
    """The endpoint with this id, e.g. ``get("elevenlabs.speech_to_speech")``."""
    for e in endpoints():
        if e.id == endpoint_id:
            return e
    known = ", ".join(e.id for e in endpoints())
    raise KeyError(f"unknown endpoint {endpoint_id!r}; known: {known}")
