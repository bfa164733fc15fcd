"""API drift: what changed between two recordings, or between a recording and the spec.

Each change is classed ``breaking`` or ``non-breaking`` the way oasdiff classes OpenAPI changes:
removing or retyping a response field, a new status code, a removed content type or header, and a
changed audio codec or sample rate break clients; added fields, headers and content types do not;
a duration that moved beyond the tolerance is reported as non-breaking.

>>> report = drift_folders("cassettes/old", "cassettes/new")    # doctest: +SKIP
>>> report.breaking, report.to_text()                           # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import safejson

#: headers whose presence says nothing about the API (transport, per-request values)
VOLATILE_HEADERS = frozenset({"date", "server", "content-length", "connection", "keep-alive", "transfer-encoding",
                              "vary", "via", "alt-svc", "cf-ray", "set-cookie", "etag", "age", "x-cache",
                              "content-encoding"})
DURATION_TOLERANCE = (0.25, 0.10)  # seconds, relative: both must be exceeded


@dataclass
class Change:
    kind: str  # field-added, field-removed, field-retyped, status-added, status-removed, content-type-*, header-*, audio-*
    endpoint: str
    status: int | None
    where: str
    old: Any = None
    new: Any = None
    breaking: bool = False

    def describe(self) -> str:
        sev = "BREAKING" if self.breaking else "non-breaking"
        st = f" {self.status}" if self.status is not None else ""
        return f"[{sev}] {self.endpoint}{st}: {self.kind} {self.where}: {self.old!r} -> {self.new!r}"


@dataclass
class DriftReport:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    def exit_code(self) -> int:
        return 1 if self.breaking else 0

    def to_text(self) -> str:
        head = (f"drift {self.old} -> {self.new}: {len(self.changes)} change(s), "
                f"{len(self.breaking)} breaking")
        return "\n".join([head, *(c.describe() for c in sorted(self.changes, key=lambda c: (not c.breaking,
                                                                                           c.endpoint)))])

    def to_json(self) -> str:
        return json.dumps({"old": self.old, "new": self.new, "breaking": len(self.breaking),
                           "changes": [asdict(c) for c in self.changes]}, indent=2, default=str)

    def report_section(self) -> dict[str, Any]:
        """Structured data for the HTML report: a title, a summary and one row per change."""
        return {"title": "API drift", "summary": {"old": self.old, "new": self.new, "changes": len(self.changes),
                                                  "breaking": len(self.breaking)},
                "columns": ["severity", "endpoint", "status", "change", "where", "old", "new"],
                "rows": [{"severity": "breaking" if c.breaking else "non-breaking", "endpoint": c.endpoint,
                          "status": c.status, "change": c.kind, "where": c.where, "old": c.old, "new": c.new}
                         for c in self.changes]}


# -- observations --------------------------------------------------------------------------


def _type(v: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null",
            list: "array", dict: "object"}.get(type(v), type(v).__name__)


def flatten(data: Any, prefix: str = "") -> dict[str, set[str]]:
    """``{"a": {"b": [1]}}`` → ``{"a": {"object"}, "a.b": {"array"}, "a.b[]": {"integer"}}``."""
    out: dict[str, set[str]] = defaultdict(set)
    if isinstance(data, dict):
        for k, v in data.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            out[path].add(_type(v))
            for p, t in flatten(v, path).items():
                out[p] |= t
    elif isinstance(data, list):
        for v in data:
            out[f"{prefix}[]"].add(_type(v))
            for p, t in flatten(v, f"{prefix}[]").items():
                out[p] |= t
    return out


@dataclass
class Observed:
    content_types: set[str] = field(default_factory=set)
    headers: set[str] = field(default_factory=set)
    fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    audio: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)


DOWNLOAD = "download "  # prefix of the pseudo-endpoint of output files fetched by URL


def endpoint_of(method: str, uri: str) -> str:
    """The spec's endpoint id; a GET of anything else is an output download, grouped by host
    (``download files.example``): each output has its own URL, but they share one contract."""
    from conformance.spec.wire import match_endpoint

    path = urlsplit(uri).path
    found = match_endpoint(method, path)
    if found:
        return found[0].id
    if method.upper() == "GET":
        return DOWNLOAD + urlsplit(uri).netloc
    return f"{method} {urlsplit(uri).netloc}{path}"


def observe(root: str | Path, *, probe_audio: bool = True) -> dict[tuple[str, int], Observed]:
    """What a cassette folder shows per (endpoint, status); a cassette that cannot be used is a
    :class:`~conformance.cassettes.store.CassetteError` naming it (sidecars only inside ``root``'s bodies folders)."""
    from conformance.cassettes.store import body_bytes, cassette_files, collection_root, load_yaml

    seen: dict[tuple[str, int], Observed] = defaultdict(Observed)
    top = collection_root(Path(root))
    for path in cassette_files(Path(root)):
        data = load_yaml(path, root=top)
        for i, it in enumerate(data["interactions"]):
            rq, rs = it["request"], it["response"]
            status = rs["status"]["code"] if isinstance(rs["status"], dict) else int(rs["status"])
            ob = seen[(endpoint_of(rq["method"], rq["uri"]), status)]
            headers = {k.lower(): (v[0] if isinstance(v, list) and v else v) for k, v in
                       (rs.get("headers") or {}).items()}
            ctype = str(headers.get("content-type", "")).replace(" ", "").lower()
            if ctype:
                ob.content_types.add(ctype)
            ob.headers |= {h for h in headers if h not in VOLATILE_HEADERS}
            body = body_bytes(path, rs.get("body"), top, where=f"interactions[{i}].response.body")
            if not body:
                continue
            if headers.get("content-encoding"):  # a cassette recorded compressed: compare what it says
                from conformance.cassettes.scrub import UnscrubbableBody, decode_content

                with contextlib.suppress(UnscrubbableBody):
                    body = decode_content({"headers": rs.get("headers") or {}, "body": {"string": body}})["body"]["string"]
            if "json" in ctype or body[:1] in (b"{", b"["):
                try:  # a body nested too deeply is observed as not JSON
                    doc = safejson.loads(body)
                except ValueError:
                    doc = None
                if doc is not None:
                    ob.bodies.append(doc)
                    for p, t in flatten(doc).items():
                        ob.fields[p] |= t
                    continue
            if probe_audio and (ctype.startswith("audio/") or ctype == "application/octet-stream"):
                ob.audio.append(_probe(body, ctype))
    return seen


def _probe(body: bytes, ctype: str) -> dict[str, Any]:
    from conformance.audio.probe import probe

    try:
        info = probe(body)
    except Exception as exc:  # undecodable audio is itself an observation
        return {"codec": f"undecodable ({type(exc).__name__})", "sample_rate": None, "duration": None}
    return {"codec": info.codec or info.format, "sample_rate": info.sample_rate, "duration": info.duration}


# -- comparisons -----------------------------------------------------------------------------


def _audio_summary(items: list[dict[str, Any]]) -> dict[str, Any]:
    durations = [a["duration"] for a in items if a.get("duration")]
    return {"codecs": sorted({str(a["codec"]) for a in items}),
            "sample_rates": sorted({a["sample_rate"] for a in items if a.get("sample_rate")}),
            "duration": (sum(durations) / len(durations)) if durations else None}


def compare(old: dict[tuple[str, int], Observed], new: dict[tuple[str, int], Observed], *,
            old_name: str = "old", new_name: str = "new",
            duration_tolerance: tuple[float, float] = DURATION_TOLERANCE) -> DriftReport:
    report = DriftReport(old_name, new_name)
    add = report.changes.append
    old_eps = {ep for ep, _ in old}
    for key in sorted(set(old) | set(new), key=str):
        ep, status = key
        if key not in old:
            if ep in old_eps:
                add(Change("status-added", ep, status, "response", None, status, breaking=True))
            continue
        if key not in new:
            if ep in {e for e, _ in new}:
                add(Change("status-removed", ep, status, "response", status, None, breaking=False))
            continue
        o, n = old[key], new[key]
        for ct in sorted(o.content_types - n.content_types):
            add(Change("content-type-removed", ep, status, "content-type", ct, sorted(n.content_types), True))
        for ct in sorted(n.content_types - o.content_types):
            add(Change("content-type-added", ep, status, "content-type", sorted(o.content_types), ct, False))
        for h in sorted(o.headers - n.headers):
            add(Change("header-removed", ep, status, h, "present", None, True))
        for h in sorted(n.headers - o.headers):
            add(Change("header-added", ep, status, h, None, "present", False))
        for p in sorted(set(o.fields) - set(n.fields)):
            if n.fields or not o.audio:
                add(Change("field-removed", ep, status, p, sorted(o.fields[p]), None, True))
        for p in sorted(set(n.fields) - set(o.fields)):
            add(Change("field-added", ep, status, p, None, sorted(n.fields[p]), False))
        for p in sorted(set(o.fields) & set(n.fields)):
            ot, nt = o.fields[p] - {"null"}, n.fields[p] - {"null"}
            if ot and nt and not (nt <= ot):
                add(Change("field-retyped", ep, status, p, sorted(o.fields[p]), sorted(n.fields[p]), True))
        if o.audio and n.audio:
            oa, na = _audio_summary(o.audio), _audio_summary(n.audio)
            if oa["codecs"] != na["codecs"]:
                add(Change("audio-codec-changed", ep, status, "codec", oa["codecs"], na["codecs"], True))
            if oa["sample_rates"] != na["sample_rates"]:
                add(Change("audio-sample-rate-changed", ep, status, "sample_rate", oa["sample_rates"],
                           na["sample_rates"], True))
            if oa["duration"] and na["duration"]:
                diff = abs(na["duration"] - oa["duration"])
                if diff > duration_tolerance[0] and diff > duration_tolerance[1] * oa["duration"]:
                    add(Change("audio-duration-changed", ep, status, "duration (mean s)", round(oa["duration"], 3),
                               round(na["duration"], 3), False))
    return report


class NothingToCompare(ValueError):
    """A recording holds no exchange: drift over it would say "no change" about nothing."""


def _observed(root: str | Path) -> dict[tuple[str, int], Observed]:
    """:func:`observe`, refusing a folder that holds no recorded exchange (missing keys leave such)."""
    from conformance.cassettes.store import cassette_files

    seen = observe(root)
    if not seen:
        n = len(cassette_files(Path(root))) if Path(root).exists() else 0
        raise NothingToCompare(f"{root} holds no recorded exchange ({n} cassette file(s), none with an "
                               f"interaction): nothing to compare (were the keys set when it was recorded?)")
    return seen


def drift_folders(old: str | Path, new: str | Path, **kw: Any) -> DriftReport:
    """Changes from the recordings in ``old`` to those in ``new`` (:class:`NothingToCompare` when
    either holds no exchange)."""
    return compare(_observed(old), _observed(new), old_name=str(old), new_name=str(new), **kw)


def drift_spec(root: str | Path) -> DriftReport:
    """Changes of a recording against the spec: undocumented statuses and content types, bodies that
    break the documented schema (removed or retyped fields), fields the schema does not list."""
    import jsonschema

    from conformance.spec import get

    report = DriftReport("spec", str(root))
    add = report.changes.append
    for (ep_id, status), ob in sorted(_observed(root).items(), key=str):
        if ep_id.startswith(DOWNLOAD):  # output files: the spec documents them only as audio URLs
            for ct in sorted(ob.content_types):
                if not (ct.startswith("audio/") or ct.startswith("application/octet-stream")):
                    add(Change("content-type-changed", ep_id, status, "content-type", ["audio/*"], ct, True))
            continue
        try:
            ep = get(ep_id)
        except Exception:
            add(Change("endpoint-unknown", ep_id, status, "request", None, ep_id, False))
            continue
        contracts = ep.responses_for(status)
        if not contracts:
            add(Change("status-added", ep_id, status, "response", sorted({r.status for r in ep.responses}),
                       status, True))
            continue
        for ct in sorted(ob.content_types):
            if not any(r.accepts_content_type(ct) for r in contracts):
                add(Change("content-type-changed", ep_id, status, "content-type",
                           sorted({c for r in contracts for c in r.content_types}), ct, True))
        schemas = [r.schema for r in contracts if r.kind == "json" and r.schema is not None]
        known: set[str] = set()
        for s in schemas:
            known |= set(flatten_schema(s))
        for doc in ob.bodies:
            errors = []
            for s in schemas:
                try:
                    jsonschema.validate(doc, s)
                    break
                except jsonschema.ValidationError as exc:
                    errors.append(exc)
            else:
                if schemas and errors:
                    exc = min(errors, key=lambda e: len(str(e.message)))
                    where = "/".join(map(str, exc.absolute_path)) or "(root)"
                    kind = ("field-removed" if exc.validator == "required" else
                            "field-retyped" if exc.validator in ("type", "enum", "const") else "schema-violated")
                    add(Change(kind, ep_id, status, where, exc.validator_value if kind != "field-removed" else
                               "required", exc.message[:200], True))
        if known:
            for p in sorted(set(ob.fields) - known):
                if "." not in p and "[" not in p:  # top-level fields the schema does not list
                    add(Change("field-added", ep_id, status, p, None, sorted(ob.fields[p]), False))
    # duplicates (same change in several bodies) once
    uniq: dict[str, Change] = {}
    for c in report.changes:
        uniq.setdefault(c.describe(), c)
    report.changes = list(uniq.values())
    return report


def flatten_schema(schema: Any, prefix: str = "") -> list[str]:
    """Field paths a JSON schema names (properties, through anyOf/oneOf/allOf and array items)."""
    out: list[str] = []
    if not isinstance(schema, dict):
        return out
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            out += flatten_schema(sub, prefix)
    for k, v in (schema.get("properties") or {}).items():
        path = f"{prefix}.{k}" if prefix else k
        out.append(path)
        out += flatten_schema(v, path)
    if isinstance(schema.get("items"), dict):
        out += flatten_schema(schema["items"], f"{prefix}[]")
    return out
