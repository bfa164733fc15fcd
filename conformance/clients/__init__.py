"""Reference httpx clients: every request checked against the spec before it leaves.

Each provider package defines its clients (``client.CLIENT`` and ``client.ASYNC_CLIENT``); they are
importable from here by class name too. :func:`make_client` builds one by provider id:

>>> client = make_client("<provider>", api_key="…", base_url="http://127.0.0.1:8750")  # doctest: +SKIP
"""

from typing import Any

from conformance.clients.base import UNSET
from conformance.clients.errors import (
    AuthError,
    ClientError,
    JobFailed,
    JobTimeout,
    NetworkError,
    NotFound,
    ProtocolError,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    RequestTimeout,
    SpecViolation,
    SpecWarning,
)
from conformance.clients.results import AudioResult, Job, Timing, VoiceResult
from conformance.clients.transport import NO_RETRY, RetryPolicy, Secret

__all__ = [
    "CLIENTS",
    "client_classes",
    "make_client",
    "NO_RETRY",
    "UNSET",
    "AudioResult",
    "AuthError",
    "ClientError",
    "Job",
    "JobFailed",
    "JobTimeout",
    "NetworkError",
    "NotFound",
    "ProtocolError",
    "ProviderError",
    "ProviderValidationError",
    "RateLimited",
    "RequestTimeout",
    "RetryPolicy",
    "Secret",
    "SpecViolation",
    "SpecWarning",
    "Timing",
    "VoiceResult",
]


OFFLINE_MAX_SLEEP = 0.05  # seconds: the longest an offline client waits between two tries


def _short_sleep(seconds: float) -> None:
    """Waits against a simulator or cassette are cut short (a retry hint of 30 s waits 50 ms), but
    real: a simulated queued job finishes on its own clock, which polls must leave time to run."""
    import time

    time.sleep(min(max(seconds, 0.0), OFFLINE_MAX_SLEEP))


def client_classes(provider_id: str) -> tuple[type, type]:
    """The provider's (sync, async) reference client classes; a KeyError names the known providers."""
    from conformance import registry as packages
    from conformance.clients.base import AsyncClient, SyncClient

    packages.package(provider_id)
    sync, asynchronous = (packages.part(provider_id, "client", "CLIENT"),
                          packages.part(provider_id, "client", "ASYNC_CLIENT"))
    for cls, base in ((sync, SyncClient), (asynchronous, AsyncClient)):
        if not (isinstance(cls, type) and issubclass(cls, base) and cls.provider_id == provider_id):
            raise packages.ProviderLoadError(f"provider {provider_id!r}: client.{'ASYNC_' if base is AsyncClient else ''}"
                                             f"CLIENT must be a {base.__name__} subclass with provider_id "
                                             f"{provider_id!r}")
    return sync, asynchronous


def make_client(provider_id: str, *, offline: bool = False, asynchronous: bool = False, **kwargs: Any) -> Any:
    """A reference client of ``provider_id``. ``offline``: the target is a simulator or cassettes, so
    retries and polls wait at most ``OFFLINE_MAX_SLEEP`` each. Other keywords go to the client."""
    sync, async_cls = client_classes(provider_id)
    cls = async_cls if asynchronous else sync
    if offline:
        if not asynchronous:
            kwargs.setdefault("sleep", _short_sleep)
        for name, value in cls.offline_options.items():
            kwargs.setdefault(name, value)
    return cls(**kwargs)


def __getattr__(name: str) -> Any:
    """``CLIENTS`` (provider id → (sync, async) classes) and every provider's client classes by name."""
    from conformance import registry as packages

    if name == "CLIENTS":
        return {pid: client_classes(pid) for pid in packages.names()}
    for pid in packages.names():
        for cls in client_classes(pid):
            if cls.__name__ == name:
                return cls
    raise AttributeError(f"module 'conformance.clients' has no attribute {name!r}")
