"""Secrets never reach a cassette: :class:`Scrubber` replaces them by one fixed placeholder.

Replay still matches because incoming requests are scrubbed the same way before matching.

>>> s = Scrubber(["sk-live-123"])
>>> s.text("echo sk-live-123")
'echo REDACTED'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from conformance import safejson
from conformance.secrets import MIN_SECRET, key_env_vars, mask, mask_bytes, secret_fields, secret_headers

PLACEHOLDER = "REDACTED"


class Scrubber:
    """Replaces secrets in headers, URLs, JSON and raw bodies; learns the values it scrubs.

    A value found in a secret header or field is remembered, so a response that echoes it
    (``"Invalid key sk-…"``) is scrubbed too.
    """

    def __init__(self, secrets: Iterable[str] = (), *, placeholder: str = PLACEHOLDER, from_env: bool = True):
        self.placeholder = placeholder
        self.secrets: set[str] = set()
        if from_env:
            self.register(*(os.environ.get(v, "") for v in key_env_vars()))
        self.register(*secrets)

    def register(self, *values: str | None) -> None:
        """Scrub these values wherever they appear from now on."""
        for v in values:
            if v and len(v) >= MIN_SECRET and v != self.placeholder:
                self.secrets.add(v)

    # -- values --------------------------------------------------------------------------

    def text(self, value: str) -> str:
        """``value`` without any known secret, in any of its forms (:func:`conformance.secrets.forms`)."""
        return mask(value, self.secrets, placeholder=self.placeholder, env=False)

    def raw(self, value: bytes) -> bytes:
        return mask_bytes(value, self.secrets, placeholder=self.placeholder.encode(), env=False)

    def header(self, name: str, value: str) -> str:
        if name.lower() in secret_headers():
            scheme, sep, rest = value.partition(" ")
            if sep and scheme.lower() in ("bearer", "basic", "token"):
                self.register(rest.strip())
                return f"{scheme} {self.placeholder}"
            self.register(value.strip())
            return self.placeholder
        return self.text(value)

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query:
            return self.text(url)
        pairs = []
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            if k in secret_fields() or k.lower() in secret_fields():
                self.register(v)
                v = self.placeholder
            pairs.append((k, self.text(v)))
        return self.text(urlunsplit(parts._replace(query=urlencode(pairs))))

    def json_value(self, data: Any) -> Any:
        """Secret fields (any depth) become the placeholder; other strings lose registered secrets."""
        if isinstance(data, dict):
            out = {}
            for k, v in data.items():
                if k in secret_fields() and isinstance(v, str | int) and v not in (None, ""):
                    self.register(str(v))
                    out[k] = self.placeholder
                else:
                    out[k] = self.json_value(v)
            return out
        if isinstance(data, list):
            return [self.json_value(v) for v in data]
        if isinstance(data, str):
            return self.text(data)
        return data

    def body(self, body: bytes | str | None, content_type: str = "") -> bytes | None:
        """A body with its secrets replaced (JSON fields by name, anything by registered value)."""
        if body is None:
            return None
        raw = body.encode() if isinstance(body, str) else bytes(body)
        if not raw:
            return raw
        if "json" in content_type.lower() or raw[:1] in (b"{", b"["):
            try:
                data = safejson.loads(raw)
            except ValueError:  # not JSON, or nested too deeply to walk: scrubbed as bytes
                pass
            else:
                scrubbed = self.json_value(data)
                if scrubbed != data:
                    return json.dumps(scrubbed, separators=(",", ":"), ensure_ascii=False).encode()
        return self.raw(raw)

    # -- vcrpy hooks ---------------------------------------------------------------------

    def request(self, request: Any) -> Any:
        """vcrpy ``before_record_request``: scrub a (copied) vcr Request."""
        import copy

        request = copy.copy(request)
        request.headers = {k: self.header(k, v) for k, v in dict(request.headers).items()}
        request.uri = self.url(request.uri)
        ctype = _get(request.headers, "content-type")
        body = request.body
        new = self.body(body, ctype)
        if new is not None and new != body:
            request.body = new
            _set_length(request.headers, len(new))
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy ``before_record_response``: scrub headers and bodies that echo a key.

        A compressed body is decoded first (every ``Content-Encoding`` an HTTP client decodes, in any
        case, chained ones included), so scrubbing sees its text and the cassette stores it plain;
        a body that cannot be decoded is not recorded (:class:`UnscrubbableBody`).
        """
        response = decode_content(response)
        headers = {k: [self.header(k, v) for v in (vs if isinstance(vs, list) else [vs])]
                   for k, vs in response.get("headers", {}).items()}
        out = dict(response, headers=headers)
        body = (response.get("body") or {}).get("string")
        ctype = _get({k: v[0] for k, v in headers.items() if v}, "content-type")
        if body:
            new = self.body(body, ctype)
            if new != (body.encode() if isinstance(body, str) else body):
                out["body"] = dict(response["body"], string=new)
                for k in headers:
                    if k.lower() == "content-length":
                        headers[k] = [str(len(new or b""))]
        return out


class UnscrubbableBody(ValueError):
    """A response body in a content encoding that cannot be decoded: recording it would store secrets
    the scrubber cannot see, so it is refused."""


#: the most a compressed body may expand to before it is refused (a decompression bomb)
MAX_DECODED = 256 * 1024 * 1024


def _decoders() -> dict[str, Any]:
    import zlib

    def gzip(data: bytes) -> bytes:
        return _inflate(zlib.decompressobj(zlib.MAX_WBITS | 16), data)

    def deflate(data: bytes) -> bytes:
        try:  # zlib-wrapped, as the RFC says; raw deflate, as some servers send it
            return _inflate(zlib.decompressobj(), data)
        except zlib.error:
            return _inflate(zlib.decompressobj(-zlib.MAX_WBITS), data)

    found: dict[str, Any] = {"identity": lambda data: data, "gzip": gzip, "deflate": deflate}  # as httpx
    try:
        import brotli  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        found["br"] = brotli.decompress
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        found["zstd"] = lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return found


def _inflate(d: Any, data: bytes) -> bytes:
    out = d.decompress(data, MAX_DECODED + 1)
    if len(out) > MAX_DECODED or d.unconsumed_tail:
        raise UnscrubbableBody(f"a compressed body expands past {MAX_DECODED // 2**20} MB")
    return out + d.flush()


def decode_content(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` (vcrpy's dict) with its body decoded from every ``Content-Encoding`` it names, the
    header removed and ``Content-Length`` corrected; unchanged when it names none."""
    import zlib

    headers = dict(response.get("headers") or {})
    names = [k for k in headers if k.lower() == "content-encoding"]
    if not names:
        return response
    codings = [c.strip().lower() for k in names
               for v in (headers[k] if isinstance(headers[k], list) else [headers[k]]) for c in str(v).split(",")]
    codings = [c for c in codings if c]
    body = (response.get("body") or {}).get("string") or b""
    data = body.encode() if isinstance(body, str) else bytes(body)
    decoders = _decoders()
    for coding in reversed(codings):  # the last one applied is undone first
        if coding not in decoders:
            raise UnscrubbableBody(f"a response in Content-Encoding {coding!r} cannot be decoded, so its "
                                   "secrets cannot be scrubbed; it is not recorded")
        if data:
            try:
                data = decoders[coding](data)
            except (zlib.error, OSError, ValueError) as exc:
                if isinstance(exc, UnscrubbableBody):
                    raise
                raise UnscrubbableBody(f"a response body marked Content-Encoding {coding!r} does not decode "
                                       f"({exc}); it is not recorded") from None
    for k in names:
        del headers[k]
    for k in headers:
        if k.lower() == "content-length":
            headers[k] = [str(len(data))] if isinstance(headers[k], list) else str(len(data))
    return dict(response, headers=headers, body=dict(response.get("body") or {}, string=data))


def _get(headers: dict[str, Any], name: str) -> str:
    for k, v in headers.items():
        if k.lower() == name:
            return v if isinstance(v, str) else (v[0] if v else "")
    return ""


def _set_length(headers: dict[str, Any], n: int) -> None:
    for k in list(headers):
        if k.lower() == "content-length":
            headers[k] = str(n)
