"""Faults a simulator can inject: how the suite and users prove that clients and checks catch bad providers.

A fault is a small class with a registry (cf. :mod:`conformance.spec.model` constraints): its
``key`` is the name given to :meth:`Simulator.inject`, its ``phase`` says where it acts:

- ``answer``: replaces the provider's answer (``rate_limit``, ``server_error``, ``html_error_page``,
  ``timeout``); the request is not processed;
- ``modify``: changes the answer on its way out (``latency``, ``truncated_body``, ``malformed_json``,
  ``wrong_content_type``, ``wrong_error_shape``);
- ``audio``: changes the audio a request produces (``wrong_sample_rate``, ``silent_audio``,
  ``wrong_speaker``);
- ``job``: changes how a queued job ends (``job_failed``, ``job_stuck``).

>>> sim.inject("rate_limit", endpoint="<provider>.<endpoint>", retry_after=0)   # doctest: +SKIP
>>> sim.inject(latency(0.2), times=3)                                                # doctest: +SKIP

``endpoint`` matches an endpoint id (``<provider>.fetch``), an endpoint name (``fetch``), a provider
id, or the download of output files (``<provider>.download``); ``None`` matches any.
``times`` is how many requests the fault hits (``None``: every one until cleared).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Phase = Literal["answer", "modify", "audio", "job"]

FAULTS: dict[str, type[Fault]] = {}


@dataclass
class Fault:
    """One injected fault. ``hits`` counts the requests it changed; ``remaining`` what is left."""

    key: ClassVar[str] = "fault"
    phase: ClassVar[Phase] = "modify"
    endpoint: str | None = field(default=None, kw_only=True)
    times: int | None = field(default=1, kw_only=True)
    hits: int = field(default=0, kw_only=True)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "key" in cls.__dict__:
            FAULTS[cls.key] = cls

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(0, self.times - self.hits)

    @property
    def active(self) -> bool:
        return self.times is None or self.hits < self.times

    def matches(self, endpoint_id: str) -> bool:
        if self.endpoint is None:
            return True
        provider, _, name = endpoint_id.partition(".")
        return self.endpoint in (endpoint_id, provider, name)

    def take(self) -> bool:
        """Count one hit if any are left (thread-safe); ``False`` when used up."""
        with self._lock:
            if not self.active:
                return False
            self.hits += 1
            return True

    def describe(self) -> str:
        where = self.endpoint or "any endpoint"
        times = "every request" if self.times is None else f"{self.times}×"
        return f"{self.key} on {where}, {times}"


# -- answer: the provider's answer is replaced ---------------------------------------------------


@dataclass
class RateLimit(Fault):
    """429 with the provider's documented body and retry hints (headers, a ``retry_after`` body field).

    ``retry_after`` in seconds; ``code`` picks one of several documented 429 codes (for example
    ``concurrent_limit_exceeded``).
    """

    key: ClassVar[str] = "rate_limit"
    phase: ClassVar[Phase] = "answer"
    retry_after: float = 1.0
    code: str | None = None

    def retry_headers(self, names: tuple[str, ...], now: float) -> dict[str, str]:
        """The provider's retry headers (``Provider.retry_headers``) for :attr:`retry_after`."""
        values = {
            "retry-after-ms": str(round(self.retry_after * 1000)),
            "retry-after": str(math.ceil(self.retry_after)),
            "x-ratelimit-reset": str(math.ceil(now + self.retry_after)),
        }
        return {n: values[n.lower()] for n in names if n.lower() in values}


@dataclass
class ServerError(Fault):
    """A 5xx with the provider's documented body (``status`` 500 or 503)."""

    key: ClassVar[str] = "server_error"
    phase: ClassVar[Phase] = "answer"
    status: int = 500


@dataclass
class HtmlErrorPage(Fault):
    """A gateway's HTML error page instead of the provider's JSON (``status`` 502 by default)."""

    key: ClassVar[str] = "html_error_page"
    phase: ClassVar[Phase] = "answer"
    status: int = 502

    def page(self) -> bytes:
        reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Time-out", 200: "OK"}.get(self.status, "Error")
        return (f"<html>\r\n<head><title>{self.status} {reason}</title></head>\r\n<body>\r\n"
                f"<center><h1>{self.status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n").encode()


@dataclass
class Timeout(Fault):
    """No answer. In-process: ``httpx.ReadTimeout`` after ``seconds``; over HTTP the server holds the
    connection for ``seconds`` (or until the client gives up) and closes it without answering."""

    key: ClassVar[str] = "timeout"
    phase: ClassVar[Phase] = "answer"
    seconds: float = 0.0
    served_seconds: float = 60.0


# -- modify: the answer is changed on its way out -------------------------------------------------


@dataclass
class Latency(Fault):
    """The answer comes ``seconds`` late."""

    key: ClassVar[str] = "latency"
    seconds: float = 0.5


@dataclass
class TruncatedBody(Fault):
    """The full ``Content-Length`` is announced but only ``fraction`` of the body is sent."""

    key: ClassVar[str] = "truncated_body"
    fraction: float = 0.5


@dataclass
class MalformedJson(Fault):
    """A JSON answer is cut mid-document (status and content type unchanged)."""

    key: ClassVar[str] = "malformed_json"

    def garble(self, body: bytes) -> bytes:
        cut = max(1, len(body) // 2)
        return body[:cut].rstrip(b"}]") + b',"'  # never valid JSON


@dataclass
class WrongContentType(Fault):
    """The answer is labelled with ``content_type`` (not one the provider documents)."""

    key: ClassVar[str] = "wrong_content_type"
    content_type: str = "text/plain; charset=utf-8"


@dataclass
class WrongErrorShape(Fault):
    """Errors keep their status but come in a generic body (``{"error": {"message", "type"}}``), not the
    provider's documented error shape. Only error answers are changed."""

    key: ClassVar[str] = "wrong_error_shape"

    def reshape(self, body: bytes) -> bytes:
        import json

        try:
            old = json.loads(body)
        except ValueError:
            old = None
        message = _first_message(old) or "Request failed"
        return json.dumps({"error": {"message": message, "type": "invalid_request_error"}},
                          separators=(",", ":")).encode()


def _first_message(value: Any) -> str | None:
    """The first ``message`` (or ``detail`` text) anywhere in a decoded error body."""
    if isinstance(value, dict):
        for k in ("message", "detail"):
            if isinstance(value.get(k), str):
                return value[k]
        for v in value.values():
            found = _first_message(v)
            if found:
                return found
    return None


# -- audio: the audio a request produces is wrong --------------------------------------------------


@dataclass
class WrongSampleRate(Fault):
    """The audio is made at another rate than asked (``sample_rate``; default 16 kHz, or 24 kHz when
    16 kHz was asked). Containers declare the rate they really hold; raw formats cannot say, so
    their duration and pitch are off; Opus, always 48 kHz, carries only that rate's bandwidth."""

    key: ClassVar[str] = "wrong_sample_rate"
    phase: ClassVar[Phase] = "audio"
    sample_rate: int | None = None

    def rate_for(self, asked: int) -> int:
        if self.sample_rate is not None:
            return self.sample_rate
        return 16000 if asked != 16000 else 24000


@dataclass
class SilentAudio(Fault):
    """The audio has the right format and length but is digital silence."""

    key: ClassVar[str] = "silent_audio"
    phase: ClassVar[Phase] = "audio"


@dataclass
class WrongSpeaker(Fault):
    """The audio is spoken by another voice than asked (``speaker``: a fixture speaker id)."""

    key: ClassVar[str] = "wrong_speaker"
    phase: ClassVar[Phase] = "audio"
    speaker: str | None = None


# -- job: how a queued job ends ---------------------------------------------------------------


@dataclass
class JobFailed(Fault):
    """A queued job ends ``failed`` (fetch answers the failure; the webhook gets the failed payload)."""

    key: ClassVar[str] = "job_failed"
    phase: ClassVar[Phase] = "job"
    message: str = "Failed to generate audio"


@dataclass
class JobStuck(Fault):
    """A queued job stays ``processing`` for ever."""

    key: ClassVar[str] = "job_stuck"
    phase: ClassVar[Phase] = "job"


# constructors that read like the fault names
rate_limit = RateLimit
server_error = ServerError
html_error_page = HtmlErrorPage
timeout = Timeout
latency = Latency
truncated_body = TruncatedBody
malformed_json = MalformedJson
wrong_content_type = WrongContentType
wrong_error_shape = WrongErrorShape
wrong_sample_rate = WrongSampleRate
silent_audio = SilentAudio
wrong_speaker = WrongSpeaker
job_failed = JobFailed
job_stuck = JobStuck


UNSET: Any = object()


def make(fault: str | Fault, *, endpoint: str | None = None, times: int | None = UNSET, **options: Any) -> Fault:
    """A fault from its name and options, or the fault itself with ``endpoint``/``times``/options applied.

    ``times`` defaults to 1 for a name and to the fault's own value for an instance.
    """
    if isinstance(fault, Fault):
        if endpoint is not None:
            fault.endpoint = endpoint
        if times is not UNSET:
            fault.times = times
        for k, v in options.items():
            if not hasattr(fault, k):
                raise TypeError(f"fault {fault.key!r} has no option {k!r}")
            setattr(fault, k, v)
        return fault
    try:
        cls = FAULTS[fault]
    except KeyError:
        raise KeyError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}") from None
    return cls(endpoint=endpoint, times=1 if times is UNSET else times, **options)
