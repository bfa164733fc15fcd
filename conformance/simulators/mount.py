"""In-process transport: respx routes on every real provider host, answered by :meth:`Simulator.handle`.

respx patches httpcore, so any httpx-based code (the reference clients, the providers' official
SDK, your own) reaches the simulator unchanged. Requests to hosts nobody mocks raise respx's
``AllMockedAssertionError`` (or go on to your own respx router), so nothing reaches the network.
Async clients get real ``await asyncio.sleep`` delays; sync clients ``time.sleep``.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx

from conformance.simulators.answers import Answerer, SimResponse

ROUTE_PREFIX = "simulator:"
_IN_ASYNC: contextvars.ContextVar[bool] = contextvars.ContextVar("simulator_in_async", default=False)


class _Router(respx.MockRouter):
    """A respx router that tells its side effects whether the calling client is async, and does not
    keep the simulator's own calls (``Simulator.calls`` keeps a bounded record; respx would hold
    every request and response, audio included, for the router's life)."""

    def record(self, request: httpx.Request, *, response: httpx.Response | None = None,
               route: respx.Route | None = None) -> None:
        if route is not None and (route.name or "").startswith(ROUTE_PREFIX):
            return
        super().record(request, response=response, route=route)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _IN_ASYNC.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _IN_ASYNC.reset(token)


class _SimulatorRoute(respx.Route):
    """A route on one host answered by the simulator (no per-call side-effect introspection)."""

    def __init__(self, host: str, answer: Callable[[httpx.Request], Any]):
        super().__init__(host=host)
        self._answer = answer

    def resolve(self, request: httpx.Request, **kwargs: Any) -> Any:
        return self._answer(request)


def to_httpx(resp: SimResponse, request: httpx.Request) -> httpx.Response:
    """The httpx response for ``resp`` (a truncated body keeps the full ``Content-Length``)."""
    headers = dict(resp.headers)
    body = resp.body
    if resp.send_bytes is not None:
        headers["content-length"] = str(len(body))
        body = body[: resp.send_bytes]
    return httpx.Response(resp.status, headers=headers, content=body, request=request)


def _wait(resp: SimResponse, request: httpx.Request) -> tuple[float, bool]:
    """How long to wait, and whether the client's read timeout passes first.

    Mocked transports ignore httpx timeouts, so the simulator applies the request's own read timeout:
    an answer later than it becomes ``httpx.ReadTimeout`` after that long, as on a real connection.
    """
    read = (request.extensions.get("timeout") or {}).get("read")
    if resp.timeout:
        return (resp.timeout_after if read is None else min(resp.timeout_after, read)), True
    if read is not None and resp.delay > read:
        return read, True
    return resp.delay, False


class RespxMount:
    """The respx routes of one simulator: one catch-all route per provider host and the files host."""

    def __init__(self, sim: Answerer, *, passthrough: bool = False):
        self.sim = sim
        self.router = _Router(assert_all_called=False, assert_all_mocked=True)
        hosts = {urlsplit(u).hostname for u in [*sim.hosts(), sim.files_base]}
        for host in sorted(h for h in hosts if h):
            self.router.add(_SimulatorRoute(host, self._side_effect), name=f"{ROUTE_PREFIX}{host}")
        if passthrough:
            self.router.route(name=f"{ROUTE_PREFIX}passthrough").pass_through()

    def _side_effect(self, request: httpx.Request) -> Any:
        resp = self.sim.handle(request)
        wait, times_out = _wait(resp, request)
        if _IN_ASYNC.get():
            return self._async_answer(resp, request, wait, times_out)
        if wait:
            time.sleep(wait)
        if times_out:
            raise httpx.ReadTimeout("simulated timeout: the provider did not answer in time", request=request)
        return to_httpx(resp, request)

    async def _async_answer(self, resp: SimResponse, request: httpx.Request, wait: float,
                            times_out: bool) -> httpx.Response:
        if wait:
            await asyncio.sleep(wait)
        if times_out:
            raise httpx.ReadTimeout("simulated timeout: the provider did not answer in time", request=request)
        return to_httpx(resp, request)

    def start(self) -> None:
        """Register the routes; the latest simulator started answers first (nested ``simulate()``
        blocks, or a test's own simulator inside a session-wide one, behave as expected)."""
        self.router.start()
        mocker = self.router.Mocker
        if mocker is not None and self.router in mocker.routers:
            mocker.routers.remove(self.router)
            mocker.routers.insert(0, self.router)

    def stop(self) -> None:
        self.router.stop(quiet=True)


class SimulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport answered by the simulator, for clients you build yourself
    (``httpx.Client(transport=sim.transport())``): no patching, any host, the providers' paths."""

    def __init__(self, sim: Answerer):
        self.sim = sim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        resp = self.sim.handle(request)
        wait, times_out = _wait(resp, request)
        if wait:
            time.sleep(wait)
        if times_out:
            raise httpx.ReadTimeout("simulated timeout: the provider did not answer in time", request=request)
        return to_httpx(resp, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        resp = self.sim.handle(request)
        wait, times_out = _wait(resp, request)
        if wait:
            await asyncio.sleep(wait)
        if times_out:
            raise httpx.ReadTimeout("simulated timeout: the provider did not answer in time", request=request)
        return to_httpx(resp, request)
