"""Every provider's spec and its endpoints, read from the provider packages (:mod:`conformance.providers`)."""

from __future__ import annotations

from functools import cache

from conformance.spec.model import Endpoint, Provider


@cache
def providers() -> dict[str, Provider]:
    """Every provider by id, in a stable order."""
    out: dict[str, Provider] = {}
    from conformance import registry as packages

    for name in packages.names():
        p = packages.part(name, "spec", "PROVIDER")
        if not isinstance(p, Provider) or p.id != name:
            raise packages.ProviderLoadError(f"provider {name!r}: {packages.package(name)}.spec.PROVIDER must be "
                                             f"a conformance.spec.Provider with id {name!r}")
        for e in p.endpoints:
            if e.provider_id != p.id or not e.id.startswith(p.id + "."):
                raise RuntimeError(f"endpoint {e.id} is filed under provider {p.id}")
        out[p.id] = p
    return out


def provider(provider_id: str) -> Provider:
    """The provider with this id (``voice-conformance spec`` lists them)."""
    try:
        return providers()[provider_id]
    except KeyError:
        raise KeyError(f"unknown provider {provider_id!r}; known: {', '.join(providers())}") from None


def endpoints(provider_id: str | None = None) -> list[Endpoint]:
    """Every endpoint (of one provider when ``provider_id`` is given)."""
    ps = [provider(provider_id)] if provider_id else list(providers().values())
    return [e for p in ps for e in p.endpoints]


def get(endpoint_id: str) -> Endpoint:
    """The endpoint with this id, ``<provider>.<endpoint name>``."""
    for e in endpoints():
        if e.id == endpoint_id:
            return e
    known = ", ".join(e.id for e in endpoints())
    raise KeyError(f"unknown endpoint {endpoint_id!r}; known: {known}")
