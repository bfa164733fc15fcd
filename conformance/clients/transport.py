"""Transport policy shared by every client: retries, backoff, deadlines, secret handling.

The request flow is written once as a generator that yields :class:`Send` and :class:`Sleep`
actions; :func:`run_sync` and :func:`run_async` carry them out. So sync and async clients share
every decision (retries, polling, error mapping) and differ only in how they wait.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


class Secret:
    """An API key that never shows itself in a repr, str, log or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        self._value = value or None

    def reveal(self) -> str | None:
        return self._value

    def mask(self, text: str) -> str:
        """``text`` with every occurrence of the key replaced by ``***``."""
        if self._value and len(self._value) >= 4:
            text = text.replace(self._value, "***")
        return text

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


def _read_sync(client: httpx.Client, request: httpx.Request) -> Received:
    start = time.perf_counter()
    response = client.send(request, stream=True)
    ttfb = None
    chunks = []
    try:
        for chunk in response.iter_bytes():
            if ttfb is None:
                ttfb = time.perf_counter() - start
            chunks.append(chunk)
    finally:
        response.close()
    total = time.perf_counter() - start
    return Received(response, b"".join(chunks), ttfb if ttfb is not None else total, total,
                    response.num_bytes_downloaded or sum(map(len, chunks)))


async def _read_async(client: httpx.AsyncClient, request: httpx.Request) -> Received:
    start = time.perf_counter()
    response = await client.send(request, stream=True)
    ttfb = None
    chunks = []
    try:
        async for chunk in response.aiter_bytes():
            if ttfb is None:
                ttfb = time.perf_counter() - start
            chunks.append(chunk)
    finally:
        await response.aclose()
    total = time.perf_counter() - start
    return Received(response, b"".join(chunks), ttfb if ttfb is not None else total, total,
                    response.num_bytes_downloaded or sum(map(len, chunks)))


def run_sync(flow: Flow[T], client: httpx.Client, sleep: Callable[[float], None]) -> T:
    """Carry out a flow's actions with a blocking client."""
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
                value = _read_sync(client, action.request)
            except httpx.TransportError as exc:
                error = exc


async def run_async(flow: Flow[T], client: httpx.AsyncClient, sleep: Callable[[float], Awaitable[None]]) -> T:
    """Carry out a flow's actions with an async client."""
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
                value = await _read_async(client, action.request)
            except httpx.TransportError as exc:
                error = exc


async def async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)
