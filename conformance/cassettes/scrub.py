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

from conformance.secrets import MIN_SECRET, key_env_vars, secret_fields, secret_headers

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
        for s in sorted(self.secrets, key=len, reverse=True):
            if s in value:
                value = value.replace(s, self.placeholder)
        return value

    def raw(self, value: bytes) -> bytes:
        for s in sorted(self.secrets, key=len, reverse=True):
            enc = s.encode()
            if enc in value:
                value = value.replace(enc, self.placeholder.encode())
        return value

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
                data = json.loads(raw)
            except ValueError:
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
        """vcrpy ``before_record_response``: scrub headers and bodies that echo a key."""
        headers = {k: [self.header(k, v) for v in (vs if isinstance(vs, list) else [vs])]
                   for k, vs in response.get("headers", {}).items()}
        out = dict(response, headers=headers)
        body = response.get("body", {}).get("string")
        ctype = _get({k: v[0] for k, v in headers.items() if v}, "content-type")
        if body:
            new = self.body(body, ctype)
            if new != (body.encode() if isinstance(body, str) else body):
                out["body"] = dict(response["body"], string=new)
                for k in headers:
                    if k.lower() == "content-length":
                        headers[k] = [str(len(new or b""))]
        return out


def _get(headers: dict[str, Any], name: str) -> str:
    for k, v in headers.items():
        if k.lower() == name:
            return v if isinstance(v, str) else (v[0] if v else "")
    return ""


def _set_length(headers: dict[str, Any], n: int) -> None:
    for k in list(headers):
        if k.lower() == "content-length":
            headers[k] = str(n)
