"""The simulators over real HTTP: one ASGI app (served by uvicorn) for every simulated provider.

Paths are the providers' own, so a client only swaps its base URL (the providers' paths do not
collide, so one port serves them all). Output URLs (job outputs, demo audio, voice
samples) point at this server. A few control paths let clients in any language drive the simulator:

- ``PUT /_simulator/files/<name>`` hosts the request body (e.g. reference audio for ``audio_url``)
  and answers ``{"url": …}``; ``GET`` serves it back;
- ``POST /_simulator/faults`` with ``{"fault": "rate_limit", "endpoint": …, "times": …, <options>}``
  injects a fault; ``DELETE /_simulator/faults`` clears them. A body that is not a JSON object, an
  unknown fault or option, or an option of the wrong type or out of its range (``times`` a whole
  number ≥ 0 or ``null``; delays such as ``latency``'s ``seconds`` finite, 0 to
  :data:`~conformance.simulators.faults.MAX_SECONDS`; no NaN, infinity or boolean for a number) is
  answered 400 ``{"error": …, "field": …}`` naming the field and what is allowed;
- ``POST /_simulator/jobs/complete`` finishes queued jobs; ``GET /_simulator/calls`` and
  ``GET /_simulator/webhooks`` list what happened.

>>> with serve_in_thread(Simulator()) as server:        # doctest: +SKIP
...     httpx.post(server.base_url + "/v3/minimax-voice-cloning", ...)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import httpx

from conformance.simulators.core import FILES_PATH, SimResponse, Simulator

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
CONTROL = "/_simulator/"


def max_request_bytes() -> int:
    """The largest request body the server reads: the largest upload any provider documents
    (ElevenLabs' 50 MB per request today), times 4/3 (a JSON body carries audio as base64 text),
    plus 1 MiB for the other fields and the multipart framing. Cached after the first call."""
    global _max_request_bytes
    if _max_request_bytes is None:
        from conformance.spec.model import FileSize
        from conformance.spec.registry import endpoints

        documented = [c.max_bytes for ep in endpoints() for _, c in ep.all_rules() if isinstance(c, FileSize)]
        _max_request_bytes = max(documented, default=DEFAULT_UPLOAD_BYTES) * 4 // 3 + 2**20
    return _max_request_bytes


DEFAULT_UPLOAD_BYTES = 50 * 2**20  # when no provider documents a limit
_max_request_bytes: int | None = None


class SimulatorApp:
    """ASGI app answering every request with :meth:`Simulator.handle` (work runs in a thread).

    A request body over ``max_body_bytes`` (default :func:`max_request_bytes`) is answered 413 before
    it is read whole: at once when its Content-Length says so, else as soon as the chunks received
    pass it; the connection is then closed, so a server sent many oversized uploads stays flat.
    """

    def __init__(self, sim: Simulator, *, max_body_bytes: int | None = None):
        self.sim = sim
        self.max_body_bytes = max_request_bytes() if max_body_bytes is None else int(max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    self.sim.close()  # nothing of it runs on once the server is gone (queued jobs' clocks)
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":  # pragma: no cover - websockets are not served
            return
        cap = self.max_body_bytes
        declared = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), None)
        if declared is not None and declared.strip().isdigit() and int(declared) > cap:
            await self._send(send, _too_large(int(declared), cap, declared=True))
            return
        body = bytearray()
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body += msg.get("body", b"")
            if len(body) > cap:  # a chunked (or lying) upload: stop reading here
                received = len(body)
                del body
                await self._send(send, _too_large(received, cap, declared=False))
                return
            if not msg.get("more_body", False):
                break
        request = self._request(scope, bytes(body))
        del body
        control = await asyncio.to_thread(self._control, request)
        if control is not None:
            await self._send(send, control)
            return
        resp = await asyncio.to_thread(self.sim.handle, request)
        if resp.delay:
            await asyncio.sleep(resp.delay)
        if resp.timeout:
            # hold the connection without answering, until the client gives up or `hold` passes
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_until_disconnect(receive), timeout=resp.hold)
            return
        await self._send(send, resp)

    @staticmethod
    def _request(scope: Scope, body: bytes) -> httpx.Request:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        host = next((v for k, v in headers if k.lower() == "host"), None)
        if host is None:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string") or b""
        url = f"{scope.get('scheme', 'http')}://{host}{path.decode('latin-1')}"
        if query:
            url += "?" + query.decode("latin-1")
        return httpx.Request(scope["method"], url, headers=headers, content=body)

    @staticmethod
    async def _send(send: Send, resp: SimResponse) -> None:
        headers = {k.lower(): v for k, v in resp.headers.items()}
        headers["content-length"] = str(len(resp.body))
        await send({"type": "http.response.start", "status": resp.status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]})
        body = resp.body if resp.send_bytes is None else resp.body[: resp.send_bytes]
        step = resp.chunk_size or len(body) or 1
        chunks = [body[i: i + step] for i in range(0, len(body), step)] or [b""]
        for chunk in chunks[:-1]:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        # a truncated body ends here, short of its Content-Length: the server then drops the connection
        await send({"type": "http.response.body", "body": chunks[-1], "more_body": resp.send_bytes is not None})

    # -- control paths ----------------------------------------------------------------------

    def _control(self, request: httpx.Request) -> SimResponse | None:
        path, method = request.url.path, request.method
        if not path.startswith(CONTROL):
            return None
        try:
            if path.startswith(FILES_PATH) and method in ("PUT", "POST"):
                name = path[len(FILES_PATH):]
                url = self.sim.host_file(request.content, name or None,
                                         content_type=request.headers.get("content-type", "application/octet-stream"))
                return _json({"url": url}, 201)
            if path == CONTROL + "faults" and method == "POST":
                return self._inject(request.content)
            if path == CONTROL + "faults" and method == "DELETE":
                self.sim.clear_faults()
                return _json({"faults": []})
            if path == CONTROL + "jobs/complete" and method == "POST":
                return _json({"completed": self.sim.complete_jobs()})
            if path == CONTROL + "calls" and method == "GET":
                return _json([dataclasses.asdict(c) for c in self.sim.calls])
            if path == CONTROL + "webhooks" and method == "GET":
                return _json([dataclasses.asdict(w) for w in self.sim.webhooks])
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)}, 400)
        return None  # GET of a hosted file: the simulator serves it

    def _inject(self, content: bytes) -> SimResponse:
        """``POST /_simulator/faults``: the fault, or 400 ``{"error", "field"}`` naming what is wrong."""
        from conformance import safejson
        from conformance.simulators.faults import FaultOptionError

        def refuse(field: str | None, message: str) -> SimResponse:
            return _json({"error": message, "field": field}, 400)

        try:
            spec = safejson.loads(content or b"{}")
        except ValueError as exc:  # malformed, or nested too deeply (never a RecursionError)
            return refuse(None, f"the body is not JSON: {exc}")
        if not isinstance(spec, dict):
            return refuse(None, 'the body must be a JSON object such as {"fault": "latency", "seconds": 0.5}')
        if not isinstance(spec.get("fault"), str):
            return refuse("fault", f"fault must be a fault name, got {json.dumps(spec.get('fault'))[:60]}")
        name, endpoint, times = spec.pop("fault"), spec.pop("endpoint", None), spec.pop("times", 1)
        try:
            fault = self.sim.inject(name, endpoint, times, **spec)
        except FaultOptionError as exc:  # a wrong type, out of range, or not an option of this fault
            return refuse(exc.option, str(exc))
        except KeyError as exc:  # an unknown fault, or an endpoint this simulator does not serve
            message = str(exc.args[0]) if exc.args else str(exc)
            return refuse("fault" if message.startswith("unknown fault") else "endpoint", message)
        return _json({"fault": fault.describe()}, 201)


def _too_large(size: int, cap: int, *, declared: bool) -> SimResponse:
    """413 for a body over the server's cap. No provider documents its answer to an oversized body, so
    the shape is assumed: ``{"detail": …}``, as the simulator's own 404 reads. ``connection: close``
    ends the connection, so the rest of the upload is never read."""
    said = f"its Content-Length is {size} bytes" if declared else f"more than {cap} bytes arrived ({size} so far)"
    resp = _json({"detail": f"request body too large: {said}; the simulator reads at most {cap} bytes "
                            f"(the largest upload the providers document, base64-encoded, plus 1 MiB)",
                  "limit_bytes": cap}, 413)
    resp.headers["connection"] = "close"
    return resp


def _json(body: Any, status: int = 200) -> SimResponse:
    return SimResponse(status, json.dumps(body).encode(), {"content-type": "application/json"})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def create_app(sim: Simulator) -> SimulatorApp:
    return SimulatorApp(sim)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (``port`` 0 picks a free one), its connections without Nagle's delay."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # the protocol named: asyncio turns Nagle's algorithm off only on sockets that say they are TCP.
    # Left on, an answer's body waits for the client to acknowledge its headers, which a client
    # delays by 40 ms: every request over the loopback server took 44 ms instead of 0.4 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # and accepted connections inherit it
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn_server(sim: Simulator, *, log_level: str = "warning") -> Any:
    import uvicorn

    class _Server(uvicorn.Server):
        def capture_signals(self) -> contextlib.AbstractContextManager[None]:
            return _clean_exit_on_signals(self)

    config = uvicorn.Config(create_app(sim), http="h11", lifespan="on", log_level=log_level,
                            access_log=False, timeout_graceful_shutdown=2)
    return _Server(config)


@contextlib.contextmanager
def _clean_exit_on_signals(server: Any) -> Iterator[None]:
    """SIGINT/SIGTERM stop the server gracefully and the process exits 0 (uvicorn would re-raise them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run(sim: Simulator, host: str = "127.0.0.1", port: int = 0, *,
        on_ready: Callable[[str], None] | None = None, log_level: str = "warning") -> None:
    """Serve ``sim`` until SIGINT/SIGTERM. ``on_ready(base_url)`` is called once the port is bound."""
    sock = bind(host, port)
    base = base_url_of(sock)
    sim.files_base = base + FILES_PATH.rstrip("/")
    server = _uvicorn_server(sim, log_level=log_level)
    if on_ready is not None:
        on_ready(base)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


class ServerThread:
    """The simulator on a loopback port, in a background thread (a context manager)."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0):
        self.sim = sim
        self.sock = bind(host, port)
        self.base_url = base_url_of(self.sock)
        sim.files_base = self.base_url + FILES_PATH.rstrip("/")
        self.server = _uvicorn_server(sim)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="voice-conformance-simulator")

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.thread.start()
        for _ in range(int(timeout / 0.01)):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                break
            threading.Event().wait(0.01)
        raise RuntimeError("the simulator server did not start")

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()
        self.sim.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> ServerThread:
    """Serve ``sim`` on ``host:port`` from a background thread; use as a context manager."""
    return ServerThread(sim, host, port)
