"""A loopback gateway that forwards to ``voice-conformance serve`` and echoes the caller's key back in
every way a careless or hostile gateway might: headers, JSON fields (message, code, request id), the
content type, base64 (alone and inside a Basic credential), percent-encoded and hex; and compresses its
answers with every spelling of ``Content-Encoding`` (``GZIP``, ``identity, gzip``, ``deflate``…).

Used by the kit's tests: whatever the kit writes or prints after talking to it must hold none of it.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import cycle
from typing import Any
from urllib.parse import quote

import httpx

#: how answers are compressed, in turn
ENCODINGS = ("GZIP", "identity, gzip", "gzip", "Deflate", "")


def encodings(key: str) -> dict[str, str]:
    """The encoded forms of ``key`` the gateway echoes (and the test looks for)."""
    raw = key.encode()
    return {"plain": key, "base64": base64.b64encode(raw).decode(),
            "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            "basic": base64.b64encode(b"gateway-user:" + raw).decode(),
            "percent": quote(key, safe=""), "hex": raw.hex()}


def _caller_key(headers: Any, body: bytes) -> str | None:
    """The key the caller sent, wherever the spec says a key travels (a header or a JSON field)."""
    from conformance.secrets import secret_fields, secret_headers

    for name in sorted(secret_headers()):
        value = headers.get(name)
        if value:
            return value.split(" ", 1)[1] if value.lower().startswith(("bearer ", "token ")) else value
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        return next((v for k, v in data.items() if k in secret_fields() and isinstance(v, str)), None)
    return None


def _echo_json(data: Any, key: str, status: int) -> Any:
    forms = encodings(key)
    if isinstance(data, dict):
        data = dict(data)
        data["gateway_echo"] = forms
        for field in ("message", "msg", "error", "status_msg"):
            if isinstance(data.get(field), str):
                data[field] += f" (key {key}, {forms['base64']}, {forms['percent']})"
        if status >= 400:
            for field in ("code", "request_id", "errorCode", "status"):
                if field in data and isinstance(data[field], str):
                    data[field] = f"{data[field]}-{key}"
        for value in data.values():
            if isinstance(value, dict):
                for field in ("message", "request_id", "status", "code"):
                    if isinstance(value.get(field), str):
                        value[field] = f"{value[field]} {key}"
    return data


def _compress(data: bytes, coding: str) -> bytes:
    for name in [c.strip().lower() for c in coding.split(",") if c.strip()]:
        if name in ("gzip", "x-gzip"):
            data = gzip.compress(data)
        elif name == "deflate":
            data = zlib.compress(data)
    return data


class Gateway:
    """``with Gateway(upstream) as gw: gw.url`` — forwards every request to ``upstream``."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.requests = 0
        self._codings = cycle(ENCODINGS)
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive: else each answer's body waits 40 ms for an ACK

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                gateway._forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._client = httpx.Client(timeout=60)

    def _forward(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("content-length") or 0))
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length", "accept-encoding")}
        up = self._client.request(h.command, self.upstream + h.path, headers=headers, content=body)
        key = _caller_key(h.headers, body)
        with self._lock:
            self.requests += 1
            coding = next(self._codings)
        content = up.content
        ctype = up.headers.get("content-type", "")
        out_headers = [(k, v) for k, v in up.headers.items()
                       if k.lower() not in ("content-length", "content-encoding", "transfer-encoding", "connection")]
        if key:
            forms = encodings(key)
            out_headers += [("x-echo-key", key), ("x-echo-b64", forms["base64"]), ("x-echo-url", forms["percent"]),
                            ("x-request-id", key), ("www-authenticate", f"Basic realm={forms['basic']}")]
            if "json" in ctype:
                with contextlib.suppress(ValueError):
                    content = json.dumps(_echo_json(json.loads(content), key, up.status_code)).encode()
            elif ctype.startswith("audio/"):
                out_headers = [(k, f"{v}; echo={key}" if k.lower() == "content-type" else v) for k, v in out_headers]
        content = _compress(content, coding)
        if coding:
            out_headers.append(("Content-Encoding", coding))
        h.send_response(up.status_code)
        for k, v in out_headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(content)))
        h.end_headers()
        h.wfile.write(content)

    def __enter__(self) -> Gateway:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


def leaks(data: bytes, keys: dict[str, str]) -> Iterator[str]:
    """Where in ``data`` (as is, gunzipped or inflated) any of the keys stands in any encoded form."""
    views = [("", data)]
    for name, fn in (("gzip", gzip.decompress), ("zlib", zlib.decompress)):
        with contextlib.suppress(Exception):
            views.append((f" ({name})", fn(data)))
    for label, view in views:
        for who, key in keys.items():
            for form, value in encodings(key).items():
                if form == "basic":
                    continue  # the gateway's user name is public; the key's own forms below cover it
                if value.encode() in view:
                    yield f"{who} {form}{label}"
            for form in ("basic",):
                core = encodings(key)[form][16:-4]  # the part of the Basic value fixed by the key alone
                if core.encode() in view:
                    yield f"{who} {form}{label}"
