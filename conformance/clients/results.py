"""Typed results of the reference clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import httpx

    from conformance.clients.transport import Received


@dataclass
class Exchange:
    """One request and the complete response to it: kept in ``client.history`` (newest last), and on every
    result and error a call returns (``result.exchange``, ``error.exchange``)."""

    request: httpx.Request
    received: Received
    attempt: int

    @property
    def status(self) -> int:
        return self.received.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.received.response.headers

    @property
    def body(self) -> bytes:
        return self.received.body

    @property
    def content_type(self) -> str:
        return self.received.response.headers.get("content-type", "")

    def __repr__(self) -> str:
        return f"<Exchange {self.request.method} {self.request.url.path} -> {self.status}>"


@dataclass
class Timing:
    """Seconds from sending the (last) attempt: to the first body byte, and to the end of the body."""

    ttfb: float
    total: float
    attempts: int = 1


@dataclass
class AudioResult:
    """Audio bytes and what the provider said about them.

    ``format`` is the container (``mp3``, ``ogg``, ``wav``, ``raw``…); for ``raw`` audio,
    ``raw_format`` (``s16le``, ``ulaw``, ``alaw``) and ``sample_rate`` say how to read the bytes.
    """

    audio: bytes
    content_type: str
    endpoint_id: str
    status: int = 200
    format: str | None = None
    codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    raw_format: str | None = None
    request_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timing: Timing = field(default_factory=lambda: Timing(0.0, 0.0))
    exchange: Exchange | None = field(default=None, repr=False, compare=False)  # the last request and answer

    @property
    def ttfb(self) -> float:
        return self.timing.ttfb

    @property
    def latency(self) -> float:
        return self.timing.total

    def __repr__(self) -> str:
        return (f"AudioResult({self.endpoint_id}, {len(self.audio)} bytes, {self.content_type!r}, "
                f"format={self.format!r}, sample_rate={self.sample_rate}, request_id={self.request_id!r})")


@dataclass
class VoiceResult:
    """A created voice: its id and every field the provider returned."""

    voice_id: str
    fields: dict[str, Any]
    endpoint_id: str
    request_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timing: Timing = field(default_factory=lambda: Timing(0.0, 0.0))
    exchange: Exchange | None = field(default=None, repr=False, compare=False)  # the last request and answer

    @property
    def demo_audio_url(self) -> str | None:
        value = self.fields.get("demo_audio_url")
        return value if isinstance(value, str) else None

    @property
    def latency(self) -> float:
        return self.timing.total


@dataclass
class Job:
    """A queued job: ``processing`` with an ``eta``, then ``success`` with ``output`` URLs."""

    id: Any
    status: str
    endpoint_id: str
    output: list[str] = field(default_factory=list)
    eta: float | None = None
    fetch_result: str | None = None
    future_links: list[str] = field(default_factory=list)
    message: str | None = None
    track_id: Any = None
    body: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    timing: Timing = field(default_factory=lambda: Timing(0.0, 0.0))
    exchange: Exchange | None = field(default=None, repr=False, compare=False)  # the last request and answer

    @property
    def done(self) -> bool:
        return self.status != "processing"

    @property
    def latency(self) -> float:
        return self.timing.total
