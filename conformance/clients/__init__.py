"""Reference httpx clients: every request checked against the spec before it leaves.

>>> from conformance.clients import ElevenLabsClient
>>> client = ElevenLabsClient(api_key="…", base_url="http://127.0.0.1:8750")  # doctest: +SKIP
"""

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
from conformance.clients.providers import (
    CLIENTS,
    AsyncElevenLabsClient,
    AsyncFaseehClient,
    AsyncModelsLabClient,
    AsyncNovitaClient,
    ElevenLabsClient,
    FaseehClient,
    ModelsLabClient,
    NovitaClient,
)
from conformance.clients.results import AudioResult, Job, Timing, VoiceResult
from conformance.clients.transport import NO_RETRY, RetryPolicy, Secret

__all__ = [
    "CLIENTS",
    "NO_RETRY",
    "UNSET",
    "AsyncElevenLabsClient",
    "AsyncFaseehClient",
    "AsyncModelsLabClient",
    "AsyncNovitaClient",
    "AudioResult",
    "AuthError",
    "ClientError",
    "ElevenLabsClient",
    "FaseehClient",
    "Job",
    "JobFailed",
    "JobTimeout",
    "ModelsLabClient",
    "NetworkError",
    "NotFound",
    "NovitaClient",
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
