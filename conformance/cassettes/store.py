"""The cassette file: small readable YAML, binary bodies in sidecar files named by SHA-256.

::

    version: 1
    metadata: {recorded_at: 2025-01-31T12:00:00Z, origin: simulator-loopback, ...}
    interactions:
    - request: {method, uri, headers, body: <text> | {sidecar: bodies/<sha256>.bin, sha256, size},
                fingerprint: {...}}     # what matching compares (multipart fields + file hashes)
      response: {status, headers, body: {string: <text>} | {sidecar: ..., sha256, size}}

Sidecars are verified by hash when loaded: replay gives byte-identical bodies or fails loudly.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

INLINE_TEXT = 2048  # text bodies up to this many bytes stay in the YAML
BINARY_TYPES = ("audio/", "video/", "image/", "application/octet-stream", "multipart/", "application/zip")
ORIGINS = ("simulator-loopback", "provider-example", "live", "unknown")


class SidecarError(ValueError):
    """A sidecar body is missing or does not match its SHA-256."""


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_date(value: Any) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.UTC)
    if not value:
        return None
    try:
        d = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=_dt.UTC)


def _ctype(headers: dict[str, Any]) -> str:
    for k, v in headers.items():
        if k.lower() == "content-type":
            return (v[0] if isinstance(v, list) and v else v) or ""
    return ""


def _is_binary(data: bytes, content_type: str) -> bool:
    if content_type.lower().startswith(BINARY_TYPES) or len(data) > INLINE_TEXT:
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return "\x00" in text


def _yaml() -> Any:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def str_rep(dumper: Any, data: str) -> Any:  # multi-line text as a block: readable diffs
        style = "|" if "\n" in data and len(data) < INLINE_TEXT else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Dumper.add_representer(str, str_rep)
    return yaml, Dumper


def write_sidecar(bodies: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = bodies / f"{digest}.bin"
    if not path.exists():
        bodies.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=bodies, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # atomic: parallel workers may write the same body
    return digest


def read_sidecar(bodies: Path, digest: str, size: int | None = None) -> bytes:
    path = bodies / f"{digest}.bin"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SidecarError(f"sidecar body {path} is missing (re-record the cassette)") from None
    got = hashlib.sha256(data).hexdigest()
    if got != digest or (size is not None and size != len(data)):
        raise SidecarError(f"sidecar body {path} does not match its name: sha256 {got}, {len(data)} bytes")
    return data


class SidecarPersister:
    """A vcrpy persister writing :mod:`this format <conformance.cassettes.store>`.

    ``request_bodies``: ``full`` keeps request bodies (sidecars for binary ones), ``digest`` keeps only
    their fingerprint, hash and size (matching needs no more; cassettes of big uploads stay small).
    """

    def __init__(self, *, origin: str = "unknown", request_bodies: str = "full", bodies_dir: Path | None = None,
                 extra_metadata: dict[str, Any] | None = None):
        self.origin = origin
        self.request_bodies = request_bodies
        self.bodies_dir = bodies_dir
        self.extra_metadata = dict(extra_metadata or {})

    def bodies_for(self, cassette_path: Path) -> Path:
        return self.bodies_dir or cassette_path.parent / "bodies"

    def _rel(self, cassette_path: Path, bodies: Path, digest: str) -> str:
        return os.path.relpath(bodies / f"{digest}.bin", cassette_path.parent)

    # -- vcrpy persister API ---------------------------------------------------------------

    def load_cassette(self, cassette_path: Any, serializer: Any = None) -> tuple[list[Any], list[Any], dict]:
        from vcr.persisters.filesystem import CassetteNotFoundError

        path = Path(cassette_path)
        if not path.is_file() or not path.read_text().strip():
            raise CassetteNotFoundError()
        data = load_yaml(path)
        return to_vcr(data, path)

    def save_cassette(self, cassette_path: Any, cassette_dict: dict[str, Any], serializer: Any = None) -> None:
        path = Path(cassette_path)
        bodies = self.bodies_for(path)
        meta = dict(cassette_dict.get("metadata") or {})
        meta.update({"recorded_at": now_iso(), "origin": meta.get("origin", self.origin), **self.extra_metadata})
        meta.setdefault("tool", "voice-conformance")
        interactions = [{"request": self._request(path, bodies, rq), "response": self._response(path, bodies, rs)}
                        for rq, rs in zip(cassette_dict["requests"], cassette_dict["responses"], strict=True)]
        write_yaml(path, {"version": 1, "metadata": meta, "interactions": interactions})

    # -- conversion ------------------------------------------------------------------------

    def _request(self, path: Path, bodies: Path, request: Any) -> dict[str, Any]:
        from conformance.cassettes.match import request_fingerprint

        headers = {k: v for k, v in dict(request.headers).items()}
        out: dict[str, Any] = {"method": request.method, "uri": request.uri, "headers": headers}
        body = request.body
        fp = request_fingerprint(request)
        if body is None or body == b"":
            stored = getattr(request, "stored_body", None)
            out["body"] = stored  # a digest-only request loaded earlier keeps its record
        else:
            raw = body.encode() if isinstance(body, str) else bytes(body)
            if not _is_binary(raw, _ctype(headers)):
                out["body"] = raw.decode("utf-8")
            else:
                digest = hashlib.sha256(raw).hexdigest()
                if self.request_bodies == "full":
                    write_sidecar(bodies, raw)
                    out["body"] = {"sidecar": self._rel(path, bodies, digest), "sha256": digest, "size": len(raw)}
                else:
                    out["body"] = {"sha256": digest, "size": len(raw), "stored": False}
        if fp is not None:
            out["fingerprint"] = fp
        return out

    def _response(self, path: Path, bodies: Path, response: dict[str, Any]) -> dict[str, Any]:
        headers = {k: (v if isinstance(v, list) else [v]) for k, v in response.get("headers", {}).items()}
        body = (response.get("body") or {}).get("string", b"")
        raw = body.encode() if isinstance(body, str) else bytes(body or b"")
        out: dict[str, Any] = {"status": response["status"], "headers": headers}
        if raw and _is_binary(raw, _ctype(headers)):
            digest = write_sidecar(bodies, raw)
            out["body"] = {"sidecar": self._rel(path, bodies, digest), "sha256": digest, "size": len(raw)}
        else:
            out["body"] = {"string": raw.decode("utf-8")}
        return out


def load_yaml(path: Path) -> dict[str, Any]:
    yaml, _ = _yaml()
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or "interactions" not in data:
        raise ValueError(f"{path}: not a voice-conformance cassette (no interactions)")
    return data


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    yaml, dumper = _yaml()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def body_bytes(path: Path, body: Any) -> bytes | None:
    """The bytes of a stored body (text, ``{string}`` or a verified sidecar); ``None`` if not stored."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, dict):
        if "string" in body:
            s = body["string"]
            return s.encode() if isinstance(s, str) else bytes(s or b"")
        if "sidecar" in body:
            side = (path.parent / body["sidecar"]).resolve()
            return read_sidecar(side.parent, body["sha256"], body.get("size"))
        return None
    return bytes(body)


def to_vcr(data: dict[str, Any], path: Path) -> tuple[list[Any], list[Any], dict]:
    """vcrpy's (requests, responses, metadata) from a loaded cassette, bodies restored and verified."""
    from vcr.request import Request

    requests, responses = [], []
    for it in data["interactions"]:
        rq, rs = it["request"], it["response"]
        req = Request(rq["method"], rq["uri"], body_bytes(path, rq.get("body")), rq.get("headers") or {})
        if rq.get("fingerprint") is not None:
            req.fingerprint = rq["fingerprint"]
        if isinstance(rq.get("body"), dict) and rq["body"].get("stored") is False:
            req.stored_body = rq["body"]
        requests.append(req)
        responses.append({"status": rs["status"], "headers": rs.get("headers") or {},
                          "body": {"string": body_bytes(path, rs.get("body")) or b""}})
    return requests, responses, dict(data.get("metadata") or {})


def cassette_files(root: Path) -> list[Path]:
    """Every cassette (``*.yaml``) under ``root``, sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.yaml") if not p.name.startswith("."))


def referenced_sidecars(root: Path) -> set[Path]:
    """Every sidecar file a cassette under ``root`` points to (resolved paths)."""
    found: set[Path] = set()
    for path in cassette_files(root):
        for it in load_yaml(path)["interactions"]:
            for part in (it.get("request") or {}, it.get("response") or {}):
                body = part.get("body")
                if isinstance(body, dict) and body.get("sidecar"):
                    found.add((path.parent / body["sidecar"]).resolve())
    return found


def prune_sidecars(root: Path) -> list[Path]:
    """Delete sidecar bodies under ``root`` that no cassette there points to (left by re-recording);
    returns what was deleted."""
    root = Path(root)
    keep = referenced_sidecars(root)
    gone = [p for p in sorted(root.rglob("bodies/*.bin")) if p.resolve() not in keep]
    for p in gone:
        p.unlink()
    return gone
