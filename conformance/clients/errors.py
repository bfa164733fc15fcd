"""Typed errors of the reference clients. None of them ever carries an API key."""

from __future__ import annotations

from typing import Any

from conformance.secrets import mask_data
from conformance.spec.model import SpecViolation, SpecWarning

__all__ = [
    "AuthError",
    "ClientError",
    "JobFailed",
    "JobTimeout",
    "NetworkError",
    "NotFound",
    "ProtocolError",
    "ProviderError",
    "ProviderValidationError",
    "RateLimited",
    "RequestTimeout",
    "SpecViolation",
    "SpecWarning",
]


class ClientError(Exception):
    """Base of every error a reference client raises after sending (not :class:`SpecViolation`).

    Its message and every text attribute (code, message, request id, body, excerpt) are masked when
    set: a provider or gateway that echoes a key into any of them does not put it in a traceback."""

    endpoint_id: str | None = None
    attempts: int = 1
    exchange: Any = None  # the request and answer it judged (an Exchange), when it got one

    def __init__(self, *args: Any):
        super().__init__(*(mask_data(a) for a in args))

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "exchange":
            value = mask_data(value)
        super().__setattr__(name, value)


class ProviderError(ClientError):
    """The provider answered with an error it documents (or an undocumented one, ``code`` None)."""

    def __init__(self, status: int, code: Any = None, message: str = "", request_id: str | None = None,
                 *, endpoint_id: str | None = None, body: Any = None):
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.endpoint_id = endpoint_id
        self.body = body
        where = f"{endpoint_id}: " if endpoint_id else ""
        rid = f" (request-id {request_id})" if request_id else ""
        code_text = f" {code}" if code not in (None, "") else ""
        super().__init__(f"{where}HTTP {status}{code_text}: {message}{rid}")


class AuthError(ProviderError):
    """Missing or wrong API key (401/403, or an HTTP 200 error body saying so)."""


class NotFound(ProviderError):
    """An unknown voice, job or resource."""


class ProviderValidationError(ProviderError):
    """The provider rejected the request's data. ``details`` holds its per-field messages, if any."""

    def __init__(self, *args: Any, details: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.details = details


class RateLimited(ProviderError):
    """429 (or a queue-limit body sent with HTTP 200). ``retry_after`` in seconds, when the provider said."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ProtocolError(ClientError):
    """A response that breaks the provider's own contract: HTML instead of JSON, malformed JSON,
    a body shorter than its Content-Length, a wrong content type, audio that is not what was asked."""

    def __init__(self, message: str, *, status: int | None = None, endpoint_id: str | None = None,
                 content_type: str | None = None, excerpt: str | None = None):
        self.status = status
        self.endpoint_id = endpoint_id
        self.content_type = content_type
        self.excerpt = excerpt
        where = f"{endpoint_id}: " if endpoint_id else ""
        super().__init__(f"{where}{message}" + (f" (HTTP {status})" if status else ""))


class NetworkError(ClientError):
    """The request could not be completed (connection refused, reset, …) after every retry."""


class RequestTimeout(NetworkError):
    """No complete answer within the timeout, after every retry."""


class JobFailed(ProviderError):
    """A queued job ended ``failed`` or ``error``."""


class JobTimeout(ClientError):
    """A queued job was still ``processing`` when the polling deadline passed."""

    def __init__(self, job_id: Any, waited: float, polls: int, *, endpoint_id: str | None = None):
        self.job_id = job_id
        self.waited = waited
        self.polls = polls
        self.endpoint_id = endpoint_id
        super().__init__(f"job {job_id} still processing after {waited:.1f} s and {polls} polls")
