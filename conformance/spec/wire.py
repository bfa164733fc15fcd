"""The wire form of a request, both ways, read from the spec.

``encode_request`` is what a client sends; ``decode_request`` is what a server reads back. Both
follow each param's ``location`` and the provider's auth scheme, so the two stay symmetric (the
tests round-trip every endpoint).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx

from conformance import safejson
from conformance.audio.probe import AudioDecodeError, probe, raw_info
from conformance.spec.model import MISSING, AudioInput, Endpoint, Param, RawPcm, When
from conformance.spec.registry import endpoints

_URL_RE = re.compile(r"^https?://", re.IGNORECASE)
_DATA_URI_RE = re.compile(r"^data:[^,]*;base64,", re.IGNORECASE)

# --------------------------------------------------------------------------------------------
# audio values
# --------------------------------------------------------------------------------------------


def raw_pcm_rule(endpoint: Endpoint, name: str, params: Mapping[str, Any]) -> RawPcm | None:
    """The :class:`RawPcm` rule that applies to audio param ``name`` given the other params, if any."""
    for r in endpoint.rules:
        if isinstance(r, When) and r.target == name and isinstance(r.constraint, RawPcm):
            current = params.get(r.param, MISSING)
            if current is MISSING and endpoint.has_param(r.param):
                current = endpoint.param(r.param).default
            if current == r.value:
                return r.constraint
    return None


def probe_into(audio: AudioInput, raw: RawPcm | None = None) -> AudioInput:
    """Fill ``audio.info`` from its bytes (header probe, or the raw PCM parameters when ``raw``)."""
    if audio.data is None:
        return audio
    try:
        audio.info = probe(audio.data)
    except AudioDecodeError as exc:
        audio.info = None
        audio.probe_error = str(exc)
        if raw is not None:
            audio.info = raw_info(audio.data, sample_rate=raw.sample_rate, channels=raw.channels,
                                  sample_format=f"s{raw.sample_width * 8}le")
            audio.probe_error = None
    return audio


def audio_from_user(value: Any, param: Param, *, base64_text: bool = False) -> AudioInput:
    """Turn what a user passed (path, bytes, file object, URL, base64 text) into an :class:`AudioInput`.

    Raises ``ValueError`` naming the param when the value is none of those.
    """
    if isinstance(value, AudioInput):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return AudioInput("bytes", data=bytes(value))
    if isinstance(value, os.PathLike):
        path = Path(value)
        if not path.is_file():
            raise ValueError(f"{param.name}: no such audio file {os.fspath(value)!r}")
        return AudioInput("path", data=path.read_bytes(), filename=path.name)
    if hasattr(value, "read"):
        data = value.read()
        if not isinstance(data, bytes | bytearray):
            raise ValueError(f"{param.name}: file object must be opened in binary mode")
        name = getattr(value, "name", None)
        return AudioInput("bytes", data=bytes(data), filename=Path(name).name if isinstance(name, str) else None)
    if isinstance(value, str):
        if _URL_RE.match(value):
            return AudioInput("url", url=value)
        if param.base64_allowed and (base64_text or _DATA_URI_RE.match(value)):
            return audio_from_base64(value)
        if len(value) < 4096 and Path(value).is_file():
            path = Path(value)
            return AudioInput("path", data=path.read_bytes(), filename=path.name)
        hint = " or base64 text (with base64=True)" if param.base64_allowed else ""
        raise ValueError(f"{param.name}: {value[:60]!r} is not a URL, an existing file{hint}")
    raise ValueError(f"{param.name}: cannot use {type(value).__name__} as audio; "
                     "give a path, bytes, a binary file object or a URL")


def audio_from_base64(text: str) -> AudioInput:
    body = _DATA_URI_RE.sub("", text.strip())
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return AudioInput("base64", data=None, probe_error="not valid base64")
    return AudioInput("base64", data=data)


def _audio_to_json(value: Any) -> Any:
    if isinstance(value, AudioInput):
        if value.kind == "url":
            return value.url
        return base64.b64encode(value.data or b"").decode("ascii")
    return value


# --------------------------------------------------------------------------------------------
# client side
# --------------------------------------------------------------------------------------------


def _content_type_for(audio: AudioInput) -> str:
    fmt = audio.info.format if audio.info is not None else None
    return {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "flac": "audio/flac",
            "m4a": "audio/mp4", "aac": "audio/aac"}.get(fmt or "", "application/octet-stream")


def _filename_for(name: str, audio: AudioInput) -> str:
    if audio.filename:
        return audio.filename
    fmt = audio.info.format if audio.info is not None else None
    return f"{name}.{fmt if fmt and fmt != 'raw' else 'bin'}"


def encode_request(endpoint: Endpoint, params: Mapping[str, Any], *, base_url: str,
                   api_key: str | None) -> httpx.Request:
    """The HTTP request a client sends for ``params`` (logical values; absent keys are not sent).

    Params the spec does not know (sent on purpose with validation off) go where the endpoint's
    body goes.
    """
    provider = endpoint.provider
    path_values: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    form: dict[str, str] = {}
    files: list[tuple[str, tuple[str, bytes, str]]] = []

    for name, value in params.items():
        if value is MISSING:
            continue
        p = endpoint.param(name) if endpoint.has_param(name) else None
        loc = p.location if p else ("json" if endpoint.encoding == "json" else "form")
        if loc == "path":
            path_values[name] = "" if value is None else str(value)
        elif loc == "query":
            if value is not None:
                query.append((name, p.encode(value) if p else _plain(value)))
        elif loc == "header":
            if value is not None:
                headers[name] = p.encode(value) if p else _plain(value)
        elif loc == "json":
            if isinstance(value, Mapping):
                value = {k: _audio_to_json(v) for k, v in value.items()}
            body[name] = _audio_to_json(value)
        elif loc == "file":
            if isinstance(value, AudioInput) and value.data is not None:
                files.append((name, (_filename_for(name, value), value.data, _content_type_for(value))))
            elif isinstance(value, bytes | bytearray):
                files.append((name, (name, bytes(value), "application/octet-stream")))
            elif value is not None:
                form[name] = _plain(value)
        else:  # form
            if value is not None:
                form[name] = p.encode(value) if p else _plain(value)

    auth = provider.auth
    if api_key is not None:
        if auth.scheme == "header":
            headers[auth.name] = api_key
        elif auth.scheme == "bearer":
            headers[auth.name] = f"Bearer {api_key}"
        else:
            body[auth.name] = api_key

    path = endpoint.path
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", quote(path_values.get(name, ""), safe=""))
    url = httpx.URL(base_url.rstrip("/") + path, params=query or None)

    kwargs: dict[str, Any] = {"headers": headers}
    if endpoint.encoding == "json":
        kwargs["json"] = body
    elif endpoint.encoding == "multipart":
        if body:
            form.update({k: _plain(v) for k, v in body.items()})
        if files:
            kwargs["files"] = files
            kwargs["data"] = form
        else:  # still multipart: httpx falls back to urlencoded without files
            kwargs["files"] = [(k, (None, v.encode(), None)) for k, v in form.items()] or {"": (None, b"", None)}
    return httpx.Request(endpoint.method, url, **kwargs)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


# --------------------------------------------------------------------------------------------
# server side
# --------------------------------------------------------------------------------------------


@dataclass
class DecodedRequest:
    """A request read back into logical params. ``error`` is set when the body could not be parsed."""

    endpoint: Endpoint
    params: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None
    error: str | None = None
    raw: dict[str, str] = field(default_factory=dict)  # path, query and form values as the text sent


@cache
def _route_table() -> list[tuple[str, re.Pattern[str], Endpoint]]:
    table = []
    for ep in endpoints():
        paths = [ep.path] + [v.value for v in ep.variants if v.what == "path"]
        for path in paths:
            rx = re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "/?$")
            table.append((ep.method, rx, ep))
    return table


def match_endpoint(method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """The endpoint serving ``method path`` and its path params, or ``None``."""
    for m, rx, ep in _route_table():
        if m == method.upper():
            found = rx.match(path)
            if found:
                return ep, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


@cache
def _quiet_multipart_logger() -> None:
    """The parser logs each broken body as a warning; the broken body is answered as an error, so the
    log line would only be noise on the user's stderr (the library's logger gets a no-op handler)."""
    import logging

    logging.getLogger("python_multipart.multipart").addHandler(logging.NullHandler())


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str | None, bytes]]]:
    """Form fields and files of a ``multipart/form-data`` body (python-multipart's parser)."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    _quiet_multipart_logger()

    _, opts = parse_options_header(content_type)
    boundary = opts.get(b"boundary")
    if not boundary:
        raise ValueError("multipart body without a boundary")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str | None, bytes]] = {}
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "data": []}

    def on_part_begin() -> None:
        state["headers"], state["data"] = {}, []

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"].decode("latin-1")
        state["field"], state["value"] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["data"].append(data[start:end])

    def on_part_end() -> None:
        _, disp = parse_options_header(state["headers"].get("content-disposition", ""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        payload = b"".join(state["data"])
        if b"filename" in disp:
            files[name] = (disp[b"filename"].decode("utf-8", "replace"), payload)
        elif name:
            fields[name] = payload.decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
    })
    parser.write(body)
    parser.finalize()
    return fields, files


def bearer_token(value: str) -> str | None:
    """The key in an ``Authorization`` value: ``Bearer <key>`` gives the key; ``Bearer`` alone (or with
    only spaces after it) or an empty header gives ``None``, a missing key. A value without the scheme
    is taken as the key itself (what a server that strips an optional scheme would read)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    return value.strip() or None


def decode_request(endpoint: Endpoint, request: httpx.Request, *,
                   resolve_url: Callable[[str], bytes | None] | None = None) -> DecodedRequest:
    """Read ``request`` back into logical params, as the provider's server would.

    ``resolve_url`` may return the bytes behind an audio URL (a simulator serving its own URLs),
    so URL audio gets probed too.
    """
    out = DecodedRequest(endpoint)
    auth = endpoint.provider.auth
    found = match_endpoint(request.method, request.url.path)
    raw: dict[str, Any] = {}
    if found is not None:
        raw.update(found[1])
    for k, v in request.url.params.multi_items():
        raw[k] = v
    for p in endpoint.params_at("header"):
        if p.name in request.headers:
            raw[p.name] = request.headers[p.name]

    body = request.content if hasattr(request, "_content") else request.read()
    ctype = request.headers.get("content-type", "")
    if endpoint.encoding == "json":
        if body:
            try:  # JSON nested too deeply (any depth: no RecursionError) is as unreadable as broken JSON
                parsed = safejson.loads(body)
            except ValueError:
                out.error = "request body is not valid JSON"
                parsed = {}
            if not isinstance(parsed, dict):
                out.error = out.error or "request body must be a JSON object"
                parsed = {}
            raw.update(parsed)
    elif endpoint.encoding == "multipart" and body:
        if "multipart/form-data" not in ctype:
            out.error = f"request body must be multipart/form-data (got {ctype or 'no content type'})"
        else:
            try:
                fields, files = parse_multipart(ctype, body)
            except Exception as exc:  # a broken body is the client's fault: report, don't crash
                out.error = f"unreadable multipart body: {exc}"
                fields, files = {}, {}
            raw.update(fields)
            for name, (filename, data) in files.items():
                raw[name] = AudioInput("bytes", data=data, filename=filename)

    # auth
    if auth.scheme == "header":
        out.api_key = request.headers.get(auth.name)
    elif auth.scheme == "bearer":
        out.api_key = bearer_token(request.headers.get(auth.name, ""))
    else:
        key = raw.pop(auth.name, None)
        out.api_key = key if isinstance(key, str) else None

    out.raw = {k: v for k, v in raw.items() if isinstance(v, str) and k != auth.name}
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if not endpoint.has_param(name):
            params[name] = value
            continue
        params[name] = endpoint.param(name).decode(value)
    for name, value in list(params.items()):
        if not endpoint.has_param(name):
            continue
        p = endpoint.param(name)
        if p.type == "audio":
            params[name] = _server_audio(endpoint, p, value, params, resolve_url)
        elif p.type == "object" and isinstance(value, Mapping):
            params[name] = {
                k: (_server_audio(endpoint, p.field(k), v, params, resolve_url)
                    if any(f.name == k and f.type == "audio" for f in p.fields) else v)
                for k, v in value.items()}
    out.params = params
    return out


def _server_audio(endpoint: Endpoint, p: Param, value: Any, params: Mapping[str, Any],
                  resolve_url: Callable[[str], bytes | None] | None) -> Any:
    if isinstance(value, AudioInput):
        return probe_into(value, raw_pcm_rule(endpoint, p.name, params))
    if not isinstance(value, str):
        return value  # the type check reports it
    if p.base64_allowed and params.get("base64") is True:
        return probe_into(audio_from_base64(value))
    if _URL_RE.match(value):
        audio = AudioInput("url", url=value)
        if resolve_url is not None:
            data = resolve_url(value)
            if data is not None:
                audio.data = data
                probe_into(audio)
        return audio
    return AudioInput("url", url=value)  # not a URL: the Url constraint reports it
