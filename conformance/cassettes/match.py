"""Request matching for audio APIs: bodies are compared by *fingerprint*, not bytes.

- ``multipart/form-data``: text fields by value, files by (filename, SHA-256, size): the random
  boundary is ignored;
- JSON: the parsed document, long strings (base64 audio) by SHA-256;
- anything else: SHA-256 of the bytes.

A stored request may carry its fingerprint without its bytes (``fingerprint`` attribute).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

LONG = 256  # JSON strings longer than this are compared by hash


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content_type(headers: Any) -> str:
    for k, v in dict(headers or {}).items():
        if k.lower() == "content-type":
            return v if isinstance(v, str) else (v[0] if v else "")
    return ""


def _hash_long(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _hash_long(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_hash_long(v) for v in data]
    if isinstance(data, str) and len(data) > LONG:
        return {"sha256": sha256(data.encode()), "chars": len(data)}
    return data


def fingerprint(body: bytes | str | None, content_type: str) -> Any:
    """What a body means for matching (JSON-serialisable)."""
    if body is None or body == b"" or body == "":
        return None
    raw = body.encode() if isinstance(body, str) else bytes(body)
    ctype = content_type.lower()
    if ctype.startswith("multipart/form-data"):
        from conformance.spec.wire import parse_multipart

        try:
            fields, files = parse_multipart(content_type, raw)
        except Exception:  # a body that is not the multipart it claims: compare bytes
            return {"sha256": sha256(raw), "size": len(raw)}
        return {"fields": dict(sorted(fields.items())),
                "files": {k: {"filename": fn, "sha256": sha256(data), "size": len(data)}
                          for k, (fn, data) in sorted(files.items())}}
    if "json" in ctype or raw[:1] in (b"{", b"["):
        from conformance import safejson

        try:  # JSON nested too deeply is compared as bytes (never a RecursionError)
            return {"json": _hash_long(safejson.loads(raw))}
        except ValueError:
            pass
    return {"sha256": sha256(raw), "size": len(raw)}


def request_fingerprint(request: Any) -> Any:
    fp = getattr(request, "fingerprint", None)
    if fp is not None:
        return fp
    return fingerprint(request.body, _content_type(request.headers))


def body_fingerprint(r1: Any, r2: Any) -> None:
    """vcrpy matcher ``body_fingerprint``: raises ``AssertionError`` when the bodies differ in meaning."""
    a, b = request_fingerprint(r1), request_fingerprint(r2)
    assert a == b, f"bodies differ: {_short(a)} != {_short(b)}"


def _short(fp: Any) -> str:
    text = json.dumps(fp, sort_keys=True, default=str)
    return text if len(text) < 300 else text[:300] + "…"
