"""The cassette file: small readable YAML, binary bodies in sidecar files named by SHA-256.

::

    version: 1
    metadata: {recorded_at: 2025-01-31T12:00:00Z, origin: simulator-loopback, ...}
    interactions:
    - request: {method, uri, headers, body: <text> | {sidecar: bodies/<sha256>.bin, sha256, size},
                fingerprint: {...}}     # what matching compares (multipart fields + file hashes)
      response: {status, headers, body: {string: <text>} | {sidecar: ..., sha256, size}}

Sidecars are verified by hash when loaded: replay gives byte-identical bodies or fails loudly.

A cassette may come from anywhere (a shared folder, a pull request), so reading one checks it first
(:func:`check_cassette`): a file that is not YAML, not a mapping with a list of ``interactions``, or
has a wrong type in an interaction, is a :class:`CassetteError` naming the file (and the line, or the
interaction) and what is wrong. A sidecar reference must name ``<sha256>.bin`` (its own ``sha256``:
64 lowercase hex digits), as a relative path to a ``bodies`` folder the cassette may use
(:func:`sidecar_path`): ``<root>/bodies`` of the cassette collection ``root`` (what the suite writes:
``cassettes/suite/test_x/y.yaml`` points to ``../bodies/…``), or the ``bodies`` folder beside the
cassette or beside its folder, when inside ``root``. When the caller does not know the collection root,
only those last two are allowed. Anything else (``../../etc/x.bin``, an absolute path, a link leading
out) is refused without opening the file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

INLINE_TEXT = 2048  # text bodies up to this many bytes stay in the YAML
BINARY_TYPES = ("audio/", "video/", "image/", "application/octet-stream", "multipart/", "application/zip")
ORIGINS = ("simulator-loopback", "provider-example", "live", "unknown")


SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class CassetteError(ValueError):
    """A cassette that cannot be used: not YAML, not this format, a wrong type, a bad sidecar reference.
    The message names the file (and the line or the interaction) and what is wrong."""


class SidecarError(CassetteError):
    """A sidecar body is missing, does not match its SHA-256, or its reference is refused."""


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
    """The body ``bodies/<digest>.bin``, verified by its hash (and ``size``); :class:`SidecarError` if not."""
    if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
        raise SidecarError(f"sidecar sha256 {digest!r} is not 64 lowercase hex digits")
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
                 extra_metadata: dict[str, Any] | None = None, root: Path | None = None):
        self.origin = origin
        self.request_bodies = request_bodies
        self.bodies_dir = bodies_dir
        self.extra_metadata = dict(extra_metadata or {})
        # the cassette collection whose bodies folder sidecar references may point into (see sidecar_path):
        # given, else the folder holding ``bodies_dir`` (the suite's: <cassette-dir>/bodies)
        self.root = Path(root) if root is not None else (Path(bodies_dir).parent if bodies_dir else None)

    def bodies_for(self, cassette_path: Path) -> Path:
        return self.bodies_dir or cassette_path.parent / "bodies"

    def _rel(self, cassette_path: Path, bodies: Path, digest: str) -> str:
        return os.path.relpath(bodies / f"{digest}.bin", cassette_path.parent)

    # -- vcrpy persister API ---------------------------------------------------------------

    def load_cassette(self, cassette_path: Any, serializer: Any = None) -> tuple[list[Any], list[Any], dict]:
        from vcr.persisters.filesystem import CassetteNotFoundError

        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        text = _read_text(path)
        if not text.strip():
            raise CassetteNotFoundError()
        data = parse_yaml(text, path, root=self.root)
        return to_vcr(data, path, root=self.root)

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


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CassetteError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}): "
                            f"not a voice-conformance cassette") from None


def load_yaml(path: Path, *, root: Path | None = None) -> dict[str, Any]:
    """The checked contents of the cassette ``path`` (:func:`check_cassette`); :class:`CassetteError`
    naming the file when it cannot be used. ``root``: the cassette collection it belongs to."""
    path = Path(path)
    return parse_yaml(_read_text(path), path, root=root)


def parse_yaml(text: str, path: Path, *, root: Path | None = None) -> dict[str, Any]:
    """:func:`load_yaml` of text already read from ``path``."""
    from conformance import safejson

    yaml, _ = _yaml()
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise CassetteError(f"{where}: not valid YAML: {problem or type(exc).__name__}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:  # e.g. a date such as 2025-13-45
        raise CassetteError(f"{path}: not valid YAML: {exc}") from None
    except RecursionError:
        raise CassetteError(f"{path}: YAML nested more than {safejson.MAX_DEPTH} levels deep") from None
    try:
        safejson.check_depth(data)
    except safejson.TooDeep as exc:
        raise CassetteError(f"{path}: YAML {exc}") from None
    return check_cassette(data, path, root=root)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "empty", bytes: "binary data"}.get(type(value), type(value).__name__)


def _headers_ok(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, Mapping):
        return False
    for k, v in value.items():
        if not isinstance(k, str):
            return False
        values = v if isinstance(v, list) else [v]
        if not all(isinstance(x, str) for x in values):
            return False
    return True


def check_cassette(data: Any, path: Path, *, root: Path | None = None) -> dict[str, Any]:
    """``data`` (a loaded cassette) when it has this format's shape, else :class:`CassetteError` naming
    ``path``, the interaction and the field. Sidecar references are checked by :func:`sidecar_path`
    (nothing is opened)."""

    def bad(where: str, problem: str) -> CassetteError:
        return CassetteError(f"{path}: {where}: {problem}")

    if not isinstance(data, dict):
        raise CassetteError(f"{path}: not a voice-conformance cassette: the YAML is {_kind(data)}, not a mapping "
                            f"with interactions")
    if "interactions" not in data:
        raise CassetteError(f"{path}: not a voice-conformance cassette (no interactions)")
    if data.get("version", 1) != 1:
        raise bad("version", f"{data['version']!r} is not a cassette version this kit reads (1)")
    if data.get("metadata") is not None and not isinstance(data["metadata"], dict):
        raise bad("metadata", f"expected a mapping, got {_kind(data['metadata'])}")
    interactions = data["interactions"]
    if interactions is None:
        data["interactions"] = interactions = []
    if not isinstance(interactions, list):
        raise bad("interactions", f"expected a list, got {_kind(interactions)}")
    for i, it in enumerate(interactions):
        at = f"interactions[{i}]"
        if not isinstance(it, dict):
            raise bad(at, f"expected a mapping with request and response, got {_kind(it)}")
        for part in ("request", "response"):
            if not isinstance(it.get(part), dict):
                raise bad(f"{at}.{part}", f"expected a mapping, got {_kind(it.get(part))}")
        rq, rs = it["request"], it["response"]
        for key in ("method", "uri"):
            if not isinstance(rq.get(key), str) or not rq[key]:
                raise bad(f"{at}.request.{key}", f"expected text, got {_kind(rq.get(key))}")
        status = rs.get("status")
        code = status.get("code") if isinstance(status, dict) else status
        if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
            got = repr(code) if isinstance(code, int | float | str) else _kind(code)
            raise bad(f"{at}.response.status", f"expected an HTTP status (a number 100-599, or {{code: …}}), got {got}")
        for part, d in (("request", rq), ("response", rs)):
            if not _headers_ok(d.get("headers")):
                raise bad(f"{at}.{part}.headers", "expected a mapping of header names to text (or lists of text)")
            _check_body(d.get("body"), path, f"{at}.{part}.body", root)
    return data


def _check_body(body: Any, path: Path, where: str, root: Path | None) -> None:
    if body is None or isinstance(body, str | bytes):
        return
    if not isinstance(body, dict):
        raise CassetteError(f"{path}: {where}: expected text or a mapping, got {_kind(body)}")
    if "string" in body:
        if not isinstance(body["string"], str | bytes | type(None)):
            raise CassetteError(f"{path}: {where}.string: expected text, got {_kind(body['string'])}")
        return
    size = body.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise CassetteError(f"{path}: {where}.size: expected a byte count (a whole number >= 0), got {size!r}")
    if "sidecar" in body:
        sidecar_path(path, body, root, where=where)
        return
    if body.get("stored") is False:
        digest = body.get("sha256")
        if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
            raise CassetteError(f"{path}: {where}.sha256: expected 64 lowercase hex digits, got {digest!r}")
        return
    raise CassetteError(f"{path}: {where}: expected {{string: …}}, {{sidecar: …, sha256: …}} or "
                        f"{{sha256: …, stored: false}}, got keys {', '.join(map(str, body)) or 'none'}")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def sidecar_path(cassette: Path, body: Mapping[str, Any], root: Path | None = None, *,
                 where: str = "body") -> Path:
    """The file a sidecar reference (``{sidecar, sha256, size}``) of the cassette ``cassette`` points to,
    checked without opening it.

    The reference must be a relative path whose file name is ``<sha256>.bin`` (its own ``sha256``, 64
    lowercase hex digits) in a ``bodies`` folder the cassette may use: ``<root>/bodies``, or the ``bodies``
    folder beside the cassette or beside its folder, when that lies inside ``root`` (``root`` unknown:
    those two only). A link there leading elsewhere is refused too. Anything else is a
    :class:`SidecarError` naming the cassette and the path.
    """
    ref, digest = body.get("sidecar"), body.get("sha256")

    def refuse(problem: str) -> SidecarError:
        return SidecarError(f"{cassette}: {where}.sidecar {ref!r}: {problem}; not read")

    if not isinstance(ref, str) or not ref.strip() or "\x00" in ref:
        raise refuse("expected a relative path such as bodies/<sha256>.bin")
    if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
        raise refuse(f"its sha256 {digest!r} is not 64 lowercase hex digits")
    if PurePosixPath(ref).is_absolute() or PureWindowsPath(ref).anchor:
        raise refuse("an absolute path; a sidecar is a path relative to its cassette")
    here = Path(os.path.abspath(cassette)).parent
    target = Path(os.path.normpath(here / ref))  # lexical: no file is looked at yet
    if target.name != f"{digest}.bin":
        raise refuse(f"the file must be named after its sha256 ({digest}.bin)")
    allowed = [here / "bodies", here.parent / "bodies"]
    if root is not None:
        top = Path(os.path.abspath(root))
        allowed = [top / "bodies", *(d for d in allowed if _inside(d, top))]
    folder = next((d for d in allowed if target.parent == d), None)
    if folder is None:
        shown = ", ".join(str(d) for d in dict.fromkeys(allowed))
        raise refuse(f"leads out of the cassette's bodies folder (allowed: {shown})")
    if target.resolve().parent != folder.resolve() or target.resolve().name != target.name:
        raise refuse(f"is a link leading out of {folder}")
    return target


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    yaml, dumper = _yaml()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def body_bytes(path: Path, body: Any, root: Path | None = None, *, where: str = "body") -> bytes | None:
    """The bytes of a stored body (text, ``{string}`` or a verified sidecar); ``None`` if not stored.

    A sidecar is read only when its reference passes :func:`sidecar_path` (``root``: the cassette
    collection ``path`` belongs to, when known)."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, dict):
        if "string" in body:
            s = body["string"]
            return s.encode() if isinstance(s, str) else bytes(s or b"")
        if "sidecar" in body:
            side = sidecar_path(path, body, root, where=where)
            try:
                return read_sidecar(side.parent, body["sha256"], body.get("size"))
            except SidecarError as exc:
                raise SidecarError(f"{path}: {where}: {exc}") from None
        return None
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    raise CassetteError(f"{path}: {where}: expected text or a mapping, got {_kind(body)}")


def to_vcr(data: dict[str, Any], path: Path, root: Path | None = None) -> tuple[list[Any], list[Any], dict]:
    """vcrpy's (requests, responses, metadata) from a loaded cassette, bodies restored and verified."""
    from vcr.request import Request

    requests, responses = [], []
    for i, it in enumerate(data["interactions"]):
        rq, rs = it["request"], it["response"]
        body = body_bytes(path, rq.get("body"), root, where=f"interactions[{i}].request.body")
        req = Request(rq["method"], rq["uri"], body, rq.get("headers") or {})
        if rq.get("fingerprint") is not None:
            req.fingerprint = rq["fingerprint"]
        if isinstance(rq.get("body"), dict) and rq["body"].get("stored") is False:
            req.stored_body = rq["body"]
        requests.append(req)
        answer = body_bytes(path, rs.get("body"), root, where=f"interactions[{i}].response.body")
        responses.append({"status": rs["status"], "headers": rs.get("headers") or {}, "body": {"string": answer or b""}})
    return requests, responses, dict(data.get("metadata") or {})


def cassette_files(root: Path) -> list[Path]:
    """Every cassette (``*.yaml``) under ``root``, sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.yaml") if not p.name.startswith("."))


def collection_root(root: Path) -> Path | None:
    """The cassette collection ``root`` names: the folder itself (``None`` for a single cassette file,
    whose collection is unknown)."""
    root = Path(root)
    return None if root.is_file() else root


def referenced_sidecars(root: Path) -> set[Path]:
    """Every sidecar file a cassette under ``root`` points to (resolved paths); :class:`CassetteError`
    for a cassette that cannot be read or a reference leading out of ``root``'s bodies folders."""
    found: set[Path] = set()
    top = collection_root(root)
    for path in cassette_files(root):
        for i, it in enumerate(load_yaml(path, root=top)["interactions"]):
            for part in ("request", "response"):
                body = it[part].get("body")
                if isinstance(body, dict) and "sidecar" in body:
                    found.add(sidecar_path(path, body, top, where=f"interactions[{i}].{part}.body").resolve())
    return found


def check_folder(root: Path) -> int:
    """Check every cassette under ``root`` (:func:`load_yaml`: format and sidecar references, no body
    read); returns how many there are, or raises :class:`CassetteError` for the first that cannot be used."""
    files = cassette_files(root)
    top = collection_root(root)
    for path in files:
        load_yaml(path, root=top)
    return len(files)


def prune_sidecars(root: Path) -> list[Path]:
    """Delete sidecar bodies under ``root`` that no cassette there points to (left by re-recording);
    returns what was deleted. Nothing is deleted when a cassette there cannot be read (:class:`CassetteError`)."""
    root = Path(root)
    keep = referenced_sidecars(root)
    gone = [p for p in sorted(root.rglob("bodies/*.bin")) if p.resolve() not in keep]
    for p in gone:
        p.unlink()
    return gone
