"""Transport policy shared by every client: retries, backoff, deadlines, secret handling.

The request flow is written once as a generator that yields :class:`Send` and :class:`Sleep`
actions; :func:`run_sync` and :func:`run_async` carry them out. So sync and async clients share
every decision (retries, polling, error mapping) and differ only in how they wait.

A response body is read as it streams and never past ``max_bytes`` (the clients' ``max_response_bytes``,
default :data:`DEFAULT_MAX_RESPONSE_BYTES`): a Content-Length over it is refused before reading, and
gzip/deflate bodies are inflated a megabyte at a time, so a decompression bomb stops at the cap.
Passing it raises :class:`ResponseTooLarge` (a :class:`~conformance.clients.errors.ProtocolError`).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
import zlib
from collections.abc import Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from conformance.clients.errors import ProtocolError

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
# The longest audio any provider documents answering is 5 min (ElevenLabs speech-to-speech): 29 MB
# as 48 kHz 16-bit WAV, 38 MB as base64 in JSON. A body past this is not a real answer.
DEFAULT_MAX_RESPONSE_BYTES = 128 * 2**20


class Secret:
    """An API key that never shows itself in a repr, str, log or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        from conformance.secrets import MIN_LEARNED, register

        self._value = value or None
        register(self._value, min_length=MIN_LEARNED)  # masked in everything the kit writes or prints from now on

    def reveal(self) -> str | None:
        return self._value

    def mask(self, text: str) -> str:
        """``text`` with the key, and every other known secret, replaced by ``***`` in every form they
        travel in (:func:`conformance.secrets.mask`)."""
        from conformance.secrets import mask

        return mask(text, [self._value] if self._value else [])

    def __bool__(self) -> bool:
        return self._value is not None

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret(None)"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # never pickle the key into a file
        raise TypeError("Secret cannot be pickled")


@dataclass(frozen=True)
class RetryPolicy:
    """Retries on 429, 408, 5xx and connection errors, with exponential backoff and jitter.

    ``max_attempts`` counts the first try. ``deadline`` bounds the whole call in seconds: a wait
    that would pass it is not taken. A provider's own hint (``retry-after-ms``, ``Retry-After``,
    a ``retry_after`` body field) replaces the computed backoff, capped by ``max_backoff``.
    """

    max_attempts: int = 3
    deadline: float = 120.0
    base_delay: float = 0.5
    max_backoff: float = 60.0
    jitter: float = 0.5  # fraction of the delay drawn at random (0: none, 1: full jitter)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.deadline <= 0:
            raise ValueError("RetryPolicy.deadline must be positive")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter must be in [0, 1]")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before attempt ``attempt + 1`` when the provider gave no hint."""
        cap = min(self.max_backoff, self.base_delay * (2 ** (attempt - 1)))
        return cap * (1 - self.jitter) + rng.uniform(0, cap * self.jitter)


NO_RETRY = RetryPolicy(max_attempts=1)


def retry_after_seconds(headers: httpx.Headers, body: Any = None, *, now: float | None = None) -> float | None:
    """The provider's own wait hint, in seconds: ``retry-after-ms``, ``Retry-After`` (seconds or an
    HTTP date), ``x-ratelimit-reset`` (epoch seconds or seconds), or a JSON body ``retry_after``."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - (now if now is not None else time.time()))
    if isinstance(body, dict) and isinstance(body.get("retry_after"), int | float):
        return max(0.0, float(body["retry_after"]))
    value = headers.get("x-ratelimit-reset")
    if value:
        try:
            reset = float(value)
            current = now if now is not None else time.time()
            return max(0.0, reset - current) if reset > 1e9 else reset
        except ValueError:
            pass
    return None


# --------------------------------------------------------------------------------------------
# actions and runners
# --------------------------------------------------------------------------------------------


@dataclass
class Send:
    request: httpx.Request


@dataclass
class Sleep:
    seconds: float


@dataclass
class Received:
    """A complete response: status, headers, the whole body, and its timing."""

    response: httpx.Response
    body: bytes
    ttfb: float
    total: float
    wire_bytes: int = 0  # bytes as received, before any content-encoding was undone


Flow = Generator[Send | Sleep, Any, T]


class ResponseTooLarge(ProtocolError):
    """A response body larger than the client's ``max_response_bytes``: reading stopped at the cap."""

    def __init__(self, size: int, limit: int, *, declared: bool, status: int | None = None,
                 content_type: str | None = None, endpoint_id: str | None = None):
        self.size, self.limit, self.declared = size, limit, declared
        said = f"declares {size} bytes (Content-Length)" if declared else f"passed {limit} bytes ({size} read)"
        super().__init__(f"response body {said}, over the client's max_response_bytes cap of {limit} bytes "
                         f"(pass max_response_bytes= to the client to raise it)", status=status,
                         endpoint_id=endpoint_id, content_type=content_type)

    def at(self, endpoint_id: str | None) -> ResponseTooLarge:
        """The same error, naming the endpoint it came from."""
        return ResponseTooLarge(self.size, self.limit, declared=self.declared, status=self.status,
                                content_type=self.content_type, endpoint_id=endpoint_id)


_INFLATE_STEP = 1 << 20  # bytes a gzip/deflate body is inflated by at a time


class _Inflater:
    """gzip or deflate (zlib or raw, as httpx reads it), inflated at most ``_INFLATE_STEP`` at a time."""

    def __init__(self, encoding: str):
        self.raw_fallback = encoding == "deflate"
        self.d = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self.d.decompress(data, _INFLATE_STEP)
            except zlib.error as exc:
                if self.raw_fallback:  # deflate sent without its zlib header
                    self.raw_fallback = False
                    self.d = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise httpx.DecodingError(str(exc)) from exc
            self.raw_fallback = False
            data = self.d.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _INFLATE_STEP:
                return

    def flush(self) -> Iterator[bytes]:
        try:
            tail = self.d.flush()
        except zlib.error as exc:  # pragma: no cover
            raise httpx.DecodingError(str(exc)) from exc
        if tail:
            yield tail


class _Body:
    """A response body gathered up to ``limit`` bytes (decoded), decoding gzip/deflate itself so that
    no single step can allocate more than a megabyte past the cap."""

    def __init__(self, response: httpx.Response, limit: int | None):
        self.response = response
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        encodings = [e for e in (v.strip().lower() for v in response.headers.get_list("content-encoding",
                                                                                        split_commas=True))
                     if e not in ("identity", "")]
        self.encoded = bool(encodings)
        # httpx decodes other encodings (br, zstd) when their package is installed: those are left to it
        # (bounded per network read, not per megabyte); a body a transport has read already is decoded
        self.raw = all(e in ("gzip", "deflate") for e in encodings) and not response.is_stream_consumed
        self.stages = [_Inflater(e) for e in reversed(encodings)] if self.raw else []

    def _error(self, size: int, *, declared: bool) -> ResponseTooLarge:
        return ResponseTooLarge(size, self.limit or 0, declared=declared, status=self.response.status_code,
                                content_type=self.response.headers.get("content-type"))

    def check_declared(self) -> None:
        """Refuse a Content-Length over the cap before reading (an undecoded body is that size)."""
        declared = self.response.headers.get("content-length", "").strip()
        if self.limit is not None and not self.encoded and declared.isdigit() and int(declared) > self.limit:
            raise self._error(int(declared), declared=True)

    def add(self, chunk: bytes) -> None:
        for piece in self._through(0, chunk) if self.stages else (chunk,):
            self._keep(piece)

    def finish(self) -> bytes:
        if self.stages:
            for i, stage in enumerate(self.stages):
                for out in stage.flush():
                    for piece in self._through(i + 1, out):
                        self._keep(piece)
        body = b"".join(self.parts)
        self.parts.clear()
        return body

    def _through(self, i: int, data: bytes) -> Iterator[bytes]:
        if i == len(self.stages):
            yield data
            return
        for out in self.stages[i].feed(data):
            yield from self._through(i + 1, out)

    def _keep(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.limit is not None and self.size > self.limit:
            self.parts.clear()
            raise self._error(self.size, declared=False)
        self.parts.append(piece)


def _read_sync(client: httpx.Client, request: httpx.Request, max_bytes: int | None = None) -> Received:
    start = time.perf_counter()
    response = client.send(request, stream=True)
    ttfb = None
    body = _Body(response, max_bytes)
    try:
        body.check_declared()
        if response.is_stream_consumed:  # a transport that read it already: its content is what there is
            ttfb = time.perf_counter() - start
            body.add(response.content)
        else:
            for chunk in response.iter_raw() if body.raw else response.iter_bytes():
                if ttfb is None:
                    ttfb = time.perf_counter() - start
                body.add(chunk)
        content = body.finish()
    finally:
        response.close()
    total = time.perf_counter() - start
    return Received(response, content, ttfb if ttfb is not None else total, total,
                    response.num_bytes_downloaded or len(content))


async def _read_async(client: httpx.AsyncClient, request: httpx.Request, max_bytes: int | None = None) -> Received:
    start = time.perf_counter()
    response = await client.send(request, stream=True)
    ttfb = None
    body = _Body(response, max_bytes)
    try:
        body.check_declared()
        if response.is_stream_consumed:  # a transport that read it already: its content is what there is
            ttfb = time.perf_counter() - start
            body.add(response.content)
        else:
            async for chunk in response.aiter_raw() if body.raw else response.aiter_bytes():
                if ttfb is None:
                    ttfb = time.perf_counter() - start
                body.add(chunk)
        content = body.finish()
    finally:
        await response.aclose()
    total = time.perf_counter() - start
    return Received(response, content, ttfb if ttfb is not None else total, total,
                    response.num_bytes_downloaded or len(content))


def run_sync(flow: Flow[T], client: httpx.Client, sleep: Callable[[float], None], *,
             max_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES) -> T:
    """Carry out a flow's actions with a blocking client (response bodies read up to ``max_bytes``)."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            action = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        value, error = None, None
        if isinstance(action, Sleep):
            sleep(action.seconds)
        else:
            try:
                value = _read_sync(client, action.request, max_bytes)
            except (httpx.TransportError, ResponseTooLarge) as exc:
                error = exc


async def run_async(flow: Flow[T], client: httpx.AsyncClient, sleep: Callable[[float], Awaitable[None]], *,
                    max_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES) -> T:
    """Carry out a flow's actions with an async client (response bodies read up to ``max_bytes``)."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            action = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        value, error = None, None
        if isinstance(action, Sleep):
            await sleep(action.seconds)
        else:
            try:
                value = await _read_async(client, action.request, max_bytes)
            except (httpx.TransportError, ResponseTooLarge) as exc:
                error = exc


async def async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)
