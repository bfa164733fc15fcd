"""The vcrpy configuration for audio APIs: scrubbing, sidecars, fingerprint matching, host rewriting.

>>> with use_cassette("cassettes/x.yaml", record_mode="none"):   # doctest: +SKIP
...     client.speech_to_speech(...)
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.cassettes.scrub import Scrubber

#: pytest-recording's record modes; ``none`` (the default) never reaches the network
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body_fingerprint")
#: ``sequence`` cassettes (generated traffic: hypothesis' later examples are not reproducible across
#: runs) replay each endpoint's answers in recorded order, whatever the body
MATCH_SEQUENCE = ("method", "scheme", "host", "port", "path")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class HostRewriter:
    """Recorded URLs on a loopback simulator become the provider's real URLs.

    Provider paths map to the provider's base URL (through the spec's routes); the simulator's
    hosted files map to the in-process simulator's files host, so replay matches clients that use
    the real base URLs.
    """

    def __init__(self, bases: Iterable[str] = ()):
        self.bases = [b.rstrip("/") for b in bases]
        self._rx = (re.compile("|".join(re.escape(b) for b in sorted(self.bases, key=len, reverse=True))
                               + r"(/[^\s\"'<>]*)?") if self.bases else None)

    def url(self, url: str, method: str = "GET") -> str:
        for base in self.bases:
            if url == base or url.startswith(base + "/") or url.startswith(base + "?"):
                return self._map(url[len(base):] or "/", method)
        return url

    def _map(self, rest: str, method: str) -> str:
        from conformance.simulators.core import FILES_BASE, FILES_PATH
        from conformance.spec import endpoints
        from conformance.spec.wire import match_endpoint

        parts = urlsplit(rest)
        if parts.path.startswith(FILES_PATH):
            return FILES_BASE + "/" + rest[len(FILES_PATH):].lstrip("/")
        found = match_endpoint(method, parts.path)
        for ep in ([found[0]] if found else []) + [e for e in endpoints() if parts.path.startswith(
                urlsplit(e.provider.base_url).path or "/~")]:
            base = urlsplit(ep.provider.base_url)
            return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
        return rest

    def text(self, text: str) -> str:
        if not self._rx:
            return text
        return self._rx.sub(lambda m: self._map(m.group(1) or "/", "POST"), text)

    def request(self, request: Any) -> Any:
        if self.bases:
            new = self.url(request.uri, request.method)
            if new != request.uri:
                request.uri = new
                headers = dict(request.headers)
                for k in headers:
                    if k.lower() == "host":
                        headers[k] = urlsplit(new).netloc
                request.headers = headers
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        if not self.bases:
            return response
        headers = {k: [self.text(v) for v in (vs if isinstance(vs, list) else [vs])]
                   for k, vs in response.get("headers", {}).items()}
        out = dict(response, headers=headers)
        body = (response.get("body") or {}).get("string")
        if body:
            raw = body if isinstance(body, bytes) else body.encode()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return out
            new = self.text(text).encode()
            if new != raw:
                out["body"] = dict(response["body"], string=new)
                for k in headers:
                    if k.lower() == "content-length":
                        headers[k] = [str(len(new))]
        return out


def make_vcr(*, record_mode: str = "none", scrubber: Scrubber | None = None, origin: str = "unknown",
             request_bodies: str = "full", bodies_dir: Path | None = None, rewrite_hosts: Iterable[str] = (),
             metadata: dict[str, Any] | None = None, match: str = "fingerprint") -> Any:
    """A ``vcr.VCR`` that scrubs, stores sidecars, matches by fingerprint and rewrites loopback hosts."""
    import vcr

    from conformance.cassettes.match import body_fingerprint
    from conformance.cassettes.store import SidecarPersister

    if record_mode not in RECORD_MODES:
        raise ValueError(f"record mode {record_mode!r}: use one of {', '.join(RECORD_MODES)}")
    scrubber = scrubber or Scrubber()
    hosts = HostRewriter(rewrite_hosts)

    def before_request(request: Any) -> Any:
        return hosts.request(scrubber.request(request))

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        return hosts.response(scrubber.response(response))

    v = vcr.VCR(record_mode="all" if record_mode == "rewrite" else record_mode,
                match_on=MATCH_SEQUENCE if match == "sequence" else MATCH_ON, decode_compressed_response=False,
                before_record_request=before_request, before_record_response=before_response)
    v.register_matcher("body_fingerprint", body_fingerprint)
    v.register_persister(SidecarPersister(origin=origin, request_bodies=request_bodies, bodies_dir=bodies_dir,
                                          extra_metadata={**(metadata or {}), "match": match}))
    v.conformance_rewrite = record_mode == "rewrite"
    return v


@contextlib.contextmanager
def use_cassette(path: str | Path, *, record_mode: str = "none", vcr_obj: Any = None, **kwargs: Any) -> Iterator[Any]:
    """Replay (or record) ``path``; ``rewrite`` starts the cassette afresh."""
    v = vcr_obj or make_vcr(record_mode=record_mode, **kwargs)
    path = Path(path)
    rewrite = getattr(v, "conformance_rewrite", False) or record_mode == "rewrite"
    if rewrite and path.exists():
        path.unlink()
    with v.use_cassette(str(path), allow_playback_repeats=False) as cassette:
        yield cassette


class NetworkBlocked(OSError):
    """A test tried to reach a host outside the allowed ones (``--block-network``)."""


@contextlib.contextmanager
def block_network(allowed_hosts: Iterable[str] = LOOPBACK) -> Iterator[None]:
    """Refuse socket connections to any host but ``allowed_hosts`` (loopback by default)."""
    allowed = set(allowed_hosts)
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family == getattr(socket, "AF_UNIX", None) or host in allowed:
            return
        raise NetworkBlocked(f"network blocked (--block-network): connection to {address!r}; "
                             f"allowed: {', '.join(sorted(allowed))}")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
