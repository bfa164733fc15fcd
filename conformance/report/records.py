"""The results model: one :class:`Record` per check, written as JSON Lines, merged across processes.

A record is the only thing the report reads. It carries what the check measured and expected, the
rule and its source, masked request/response excerpts, latency and compressed audio artifacts
(Ogg/Opus, base64 inline or in sidecar files) with their waveform and spectrogram pictures made
when the record is written. The JSON Schema is ``record.schema.json`` beside this module.

    writer = RecordWriter("reports/conformance.jsonl")
    writer.write(Record(nodeid="t.py::test_x", outcome="pass", provider="acme", check="x"))
    records = read_records(["reports/conformance.jsonl"])

Importing this module pulls in no audio stack: numpy and soundfile load when audio is encoded.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from conformance.audio._cache import ByteBudget
from conformance.secrets import mask

SCHEMA_ID = "voice-conformance/record/1"
OUTCOMES = ("pass", "fail", "skip", "error")
AUDIO_ROLES = ("input", "reference", "output")
OPUS_MIME = "audio/ogg; codecs=opus"
# the report's audio: 20 kbit/s Opus (a 30 s clip is 75 kB), through libopus at complexity 3 when it is there,
# about 3x faster than libsndfile, which picks complexity 10 itself
REPORT_OPUS_KBPS = 20
MAX_EXCERPT = 4000  # characters kept of a request/response excerpt
MAX_CLIP_SECONDS = 30.0  # audio kept per clip in the report
MASK = "***"

# ---------------------------------------------------------------------------------------------
# secrets (their names: conformance.secrets, from the spec's auth entries)
# ---------------------------------------------------------------------------------------------


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    from conformance.secrets import secret_fields, secret_headers

    headers = "|".join(re.escape(h) for h in sorted(secret_headers()))
    fields_ = "|".join(re.escape(f) for f in sorted(secret_fields()))
    return (
        re.compile(r"(?im)^([ \t>]*(?:" + headers + r")[ \t]*:[ \t]*)(\S[^\r\n]*?)[ \t]*$"),
        re.compile(r"(?i)([\"'](?:" + headers + r")[\"']\s*:\s*[\"'])([^\"']*)([\"'])"),
        re.compile(r"(?i)([\"'](?:" + fields_ + r")[\"']\s*:\s*[\"'])([^\"']*)([\"'])"),
        re.compile(r"(?i)([?&](?:" + fields_ + r")=)([^&\s#\"']+)"),
    )


def mask_excerpt(text: Any, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials replaced by ``***``.

    Masks the given ``secrets`` and every secret the process knows (:func:`conformance.secrets.known`),
    in each form they travel in (base64, percent-encoded, escaped…), the values of credential headers
    (``xi-api-key``, ``x-api-key``, ``authorization``…, as ``Name: value`` lines or JSON/dict items),
    JSON body fields such as ``"key"`` and query parameters such as ``?key=``. Bytes are decoded
    as UTF-8 (replacing errors); mappings are shown as JSON.

    >>> mask_excerpt('xi-api-key: sk_123\\n{"key": "abc", "text": "hi"}')
    'xi-api-key: ***\\n{"key": "***", "text": "hi"}'
    """
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "replace")
    elif isinstance(text, Mapping):
        text = json.dumps(dict(text), indent=1, default=str, ensure_ascii=False)
    elif not isinstance(text, str):
        text = str(text)
    text = mask(text, secrets, placeholder=MASK)  # every known secret, in every encoded form
    header, inline_header, json_field, query = _patterns()
    text = header.sub(lambda m: m.group(1) + MASK, text)
    text = inline_header.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = json_field.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = query.sub(lambda m: m.group(1) + MASK, text)
    return text


def _excerpt(value: Any, secrets: Iterable[str]) -> str:
    text = mask_excerpt(value, secrets)
    if len(text) > MAX_EXCERPT:
        text = text[:MAX_EXCERPT] + f"\n… ({len(text) - MAX_EXCERPT} more characters)"
    return text


# ---------------------------------------------------------------------------------------------
# audio artifacts
# ---------------------------------------------------------------------------------------------


def _decode(audio: Any) -> tuple[Any, int]:
    """Mono float32 samples and rate from bytes (any format soundfile reads, MP3 included) or ``(samples, sr)``.

    Bytes go through the kit's decoder, unchecked (``strict=False``, no ffmpeg, no duration cap): the
    report shows what libsndfile reads of them, as it is (the check has judged the audio already).
    Only the first ``MAX_CLIP_SECONDS`` are decoded (what the report keeps), never the whole file, and
    the decoder's sample cap still holds (a header claiming more is a note, not gigabytes).
    """
    import numpy as np

    if isinstance(audio, tuple) and len(audio) == 2:
        samples, sr = np.asarray(audio[0], dtype=np.float32), int(audio[1])
        if samples.ndim > 1:
            samples = samples.mean(axis=1)
        return samples, sr
    from conformance.audio.decoding import decode

    d = decode(bytes(audio), mono=True, strict=False, max_duration=math.inf, first_seconds=MAX_CLIP_SECONDS)
    return d.samples, d.sample_rate


def encode_audio(audio: Any, *, sidecar_dir: Path | None = None) -> dict[str, Any]:
    """One audio artifact of a record: Ogg/Opus (mono, ≤ 30 s) plus waveform/spectrogram PNGs and levels.

    ``audio`` is encoded bytes (WAV, FLAC, MP3, Ogg…) or ``(samples, sample_rate)``. The Opus data
    is base64 inline (``data``) or, with ``sidecar_dir``, a file there named by its sha256 (``path``).
    Audio that cannot be decoded is kept as a note (``error``), never fails the check.
    """
    original = len(audio) if isinstance(audio, bytes | bytearray) else None
    key = _audio_key(audio)
    cached = _ENCODED.get(key) if key is not None else None
    if cached is not None:  # the same audio again (a fixture input, a reference): encoded once per process
        info, data = dict(cached[0]), cached[1]
        if "path" in info and sidecar_dir is not None:
            sidecar_dir.mkdir(parents=True, exist_ok=True)
            target = sidecar_dir / Path(info["path"]).name
            if not target.exists():
                target.write_bytes(data)
            info["path"] = f"{sidecar_dir.name}/{target.name}"
            return info
        if "data" in info and sidecar_dir is None:
            return info
    info, data = _encode_audio(audio, original, sidecar_dir)
    if key is not None and data is not None:
        _ENCODED.put(key, (info, data), nbytes=len(data) + sum(len(str(v)) for v in info.values()))
    return info


def _audio_key(audio: Any) -> str | None:
    """A content key for ``audio`` (bytes, or ``(samples, rate)``), or ``None`` when it has none."""
    import numpy as np

    h = hashlib.sha256()
    if isinstance(audio, bytes | bytearray):
        h.update(b"bytes:" + bytes(audio))
    elif isinstance(audio, tuple) and len(audio) == 2:
        a = np.ascontiguousarray(audio[0])
        h.update(f"samples:{a.dtype.str}:{a.shape}:{int(audio[1])}:".encode() + a.tobytes())
    else:
        return None
    return h.hexdigest()


def _encode_audio(audio: Any, original: int | None, sidecar_dir: Path | None) -> tuple[dict[str, Any], bytes | None]:
    """The artifact and its Opus bytes (``None`` when the audio could not be encoded)."""
    try:
        import numpy as np
        import soundfile  # noqa: F401  (the audio extra is there)

        from conformance.audio.encoding import encode_opus
        from conformance.report import images
    except ImportError as exc:
        return {"error": f"audio not encoded ({exc}): install voice-conformance[audio]", "original_bytes": original}, None
    try:
        samples, sr = _decode(audio)
    except Exception as exc:  # the check judged the audio; the report only shows it
        exc = exc.__cause__ or exc  # libsndfile's own error, which the decoder wraps
        return {"error": f"cannot decode audio: {type(exc).__name__}: {exc}", "original_bytes": original}, None
    samples = np.nan_to_num(samples[: int(MAX_CLIP_SECONDS * sr)])
    info: dict[str, Any] = images.stats(samples, sr)
    info["original_bytes"] = original
    info["waveform"] = base64.b64encode(images.waveform(samples)).decode("ascii")
    info["spectrogram"] = base64.b64encode(images.spectrogram(samples, sr)).decode("ascii")
    data = encode_opus(np.clip(samples, -1, 1), sr, REPORT_OPUS_KBPS)
    info["mime"] = OPUS_MIME
    if sidecar_dir is not None:
        sidecar_dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(data).hexdigest()[:32] + ".opus.ogg"
        (sidecar_dir / name).write_bytes(data)
        info["path"] = f"{sidecar_dir.name}/{name}"
    else:
        info["data"] = base64.b64encode(data).decode("ascii")
    return info, data


#: encoded clips by content (the same input or reference audio recurs in many records), at most 32 MiB
_ENCODED: ByteBudget[tuple[dict[str, Any], bytes]] = ByteBudget(32 * 1024 * 1024)


# ---------------------------------------------------------------------------------------------
# the record
# ---------------------------------------------------------------------------------------------


@dataclass
class Record:
    """What one check did, measured and expected, with its evidence. JSON-ready via :meth:`to_dict`."""

    nodeid: str
    outcome: str  # pass | fail | skip | error
    run_id: str = ""
    provider: str | None = None
    endpoint: str | None = None
    target: str | None = None
    check: str | None = None
    duration: float = 0.0
    failure: str | None = None
    cause: str | None = None  # one line: why it failed (the failing check's verdict, else the exception's)
    measured: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    rule: str | None = None
    source: str | None = None
    request_excerpt: str | None = None
    response_excerpt: str | None = None
    latency: dict[str, float | None] = field(default_factory=dict)
    audio: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    worker: str = "main"
    timestamp: float = field(default_factory=time.time)
    kind: str = "result"
    schema: str = SCHEMA_ID

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"Record.outcome must be one of {', '.join(OUTCOMES)}, got {self.outcome!r}")

    @property
    def family(self) -> str:
        """The check family: the check name up to its first ``[``, ``:`` or ``.``."""
        return re.split(r"[\[:.]", self.check or "unmarked", maxsplit=1)[0] or "unmarked"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        if extra:
            kwargs["extra"] = {**kwargs.get("extra", {}), **extra}
        return cls(**kwargs)


def build_record(fields_: Mapping[str, Any], *, secrets: Iterable[str] = (), sidecar_dir: Path | None = None,
                 **base: Any) -> Record:
    """A :class:`Record` from the fields a test gave ``record(...)`` plus ``base`` (nodeid, outcome…).

    Excerpts and the failure text are masked; audio given as bytes or ``(samples, sr)`` is encoded
    (:func:`encode_audio`); unknown fields go to ``extra``.
    """
    secrets = list(secrets)
    data = dict(base)
    known = {f.name for f in fields(Record)}
    extra: dict[str, Any] = dict(data.pop("extra", {}) or {})
    for key, value in fields_.items():
        if key == "audio":
            data["audio"] = {role: (clip if isinstance(clip, dict) else encode_audio(clip, sidecar_dir=sidecar_dir))
                             for role, clip in (value or {}).items() if clip is not None}
        elif key in ("request_excerpt", "response_excerpt"):
            data[key] = _excerpt(value, secrets)
        elif key in ("measured", "expected", "latency"):
            data[key] = {**data.get(key, {}), **_jsonable(value)}
        elif key == "extra":
            extra.update(_jsonable(value))
        elif key in known and key not in ("outcome", "nodeid", "schema", "kind"):
            data[key] = _jsonable(value)
        else:
            extra[key] = _jsonable(value)
    for key in ("failure", "cause"):
        if data.get(key):
            data[key] = mask_excerpt(data[key], secrets)
    for key in ("rule", "source"):
        if data.get(key) is not None and not isinstance(data[key], str):
            data[key] = str(data[key])
    # every text the record carries (values, rules, each check's message) is masked like the excerpts:
    # a provider may echo a key into anything a check measured
    for key in ("measured", "expected", "rule", "source"):
        if data.get(key) is not None:
            data[key] = _mask_texts(data[key], secrets)
    data["extra"] = _mask_texts(extra, secrets)
    return Record(**data)


def _mask_texts(value: Any, secrets: list[str]) -> Any:
    """``value`` with :func:`mask_excerpt` applied to every string inside it (dict keys and values, lists)."""
    if isinstance(value, str):
        return mask_excerpt(value, secrets)
    if isinstance(value, dict):
        return {_mask_texts(k, secrets): _mask_texts(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_texts(v, secrets) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (numpy scalars/arrays, tuples, sets, bytes become JSON types)."""
    return json.loads(json.dumps(value, default=_default))


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, bytes | bytearray):
        return f"<{len(obj)} bytes>"
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    return str(obj)


# ---------------------------------------------------------------------------------------------
# JSON Lines
# ---------------------------------------------------------------------------------------------


class RecordWriter:
    """Appends records to one JSON Lines file, one line each, flushed per record (thread-safe)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.count = 0

    def write(self, record: Record | Mapping[str, Any]) -> None:
        data = record.to_dict() if isinstance(record, Record) else dict(record)
        line = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default)
        line = mask(line)  # the last pass before the disk: whatever field a secret slipped into
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            self.count += 1


class RecordsError(ValueError):
    """A results file that cannot be read; the message names the file, the line and what is wrong."""


def read_lines(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Every JSON object of the given JSON Lines files, in order; blank lines are ignored.

    Each line must be UTF-8 JSON (nested at most :data:`conformance.safejson.MAX_DEPTH` levels) that
    fits the published schema of its ``kind`` (:func:`line_problem`); else :class:`RecordsError`
    naming the file and line."""
    from conformance import safejson

    out: list[dict[str, Any]] = []
    for path in paths:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise RecordsError(f"{path}: cannot read: {exc.strerror or exc}") from None
        with fh:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise RecordsError(f"{path}:{n}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                                       f"{exc.start + 1}): not a results file") from None
                try:
                    item = safejson.loads(line)
                except ValueError as exc:  # malformed, or nested too deeply (never a RecursionError)
                    raise RecordsError(f"{path}:{n}: not a JSON record: {exc}") from None
                problem = line_problem(item)
                if problem is not None:
                    raise RecordsError(f"{path}:{n}: {problem}")
                out.append(item)
    return out


@functools.cache
def _line_validators() -> dict[str, Any]:
    """A JSON Schema validator per line kind, from ``record.schema.json``: the types and values it
    documents. Of its required fields only what a :class:`Record` cannot do without is required
    (``nodeid``, ``outcome``): the reader fills in the others, as it always has."""
    from jsonschema import Draft202012Validator

    def lenient(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: lenient(v) for k, v in node.items() if k != "required"}
        if isinstance(node, list):
            return [lenient(v) for v in node]
        return node

    published = schema()
    defs = lenient(published["$defs"])
    defs["result"]["required"] = ["nodeid", "outcome"]
    return {kind: Draft202012Validator({"$schema": published["$schema"], "$defs": defs, "$ref": f"#/$defs/{kind}"})
            for kind in ("result", "run", *SECTION_KINDS)}


def line_problem(item: Any) -> str | None:
    """Why ``item`` (one parsed line) is not a results line of the published schema, or ``None``."""
    if not isinstance(item, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(item), "a number")
        return f"expected a JSON object (one record per line), got {kind}"
    kind = item.get("kind", "result")
    validators = _line_validators()
    if kind not in validators:
        return f"kind: {kind!r} is not a kind of results line ({', '.join(validators)})"
    errors = sorted(validators[kind].iter_errors(item), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return None
    err = errors[0]
    where = ".".join(str(p) for p in err.absolute_path) or "(the line)"
    message = err.message if len(err.message) <= 200 else err.message[:197] + "..."
    return f"{where}: {message} (a {kind} line of {SCHEMA_ID})"


SECTION_KINDS = ("drift", "sdk")  # lines that are report sections, not results


def split_lines(lines: Iterable[Mapping[str, Any]]) -> tuple[list[Record], list[dict[str, Any]]]:
    """Result records and run descriptions (``kind == "run"``) of merged JSON lines (report sections:
    ``kind == "drift"`` by :func:`drift_sections`, ``kind == "sdk"`` by :func:`sdk_sections`)."""
    records: list[Record] = []
    runs: list[dict[str, Any]] = []
    for item in lines:
        if item.get("kind") == "run":
            runs.append(dict(item))
        elif item.get("kind") not in SECTION_KINDS:
            records.append(Record.from_dict(item))
    return records, runs


def drift_sections(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The API drift sections (``kind == "drift"``: cassettes against the spec) of merged JSON lines,
    each once (merged shards of one run may repeat one)."""
    return _sections(lines, "drift")


def sdk_sections(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The SDK compatibility sections (``kind == "sdk"``, see :func:`conformance.sdkmatrix.report_line`)."""
    return _sections(lines, "sdk")


def _sections(lines: Iterable[Mapping[str, Any]], kind: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for item in lines:
        if item.get("kind") != kind:
            continue
        key = json.dumps({k: v for k, v in item.items() if k != "run_id"}, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(dict(item))
    return out


def read_records(paths: Iterable[str | os.PathLike[str]]) -> list[Record]:
    """The result records of the given JSON Lines files."""
    return split_lines(read_lines(paths))[0]


def merge_files(sources: Iterable[str | os.PathLike[str]], dest: str | os.PathLike[str]) -> int:
    """Concatenate JSON Lines shards into ``dest`` (runs and report sections first, then results by node id);
    returns lines written."""
    lines = read_lines(list(sources))
    runs = [x for x in lines if x.get("kind") in ("run", *SECTION_KINDS)]
    results = sorted((x for x in lines if x.get("kind") not in ("run", *SECTION_KINDS)),
                     key=lambda x: (x.get("nodeid", ""), x.get("timestamp", 0)))
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(dest) + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for item in runs + results:
            fh.write(mask(json.dumps(item, ensure_ascii=False, separators=(",", ":"))) + "\n")
    tmp.replace(dest)
    return len(runs) + len(results)


def schema() -> dict[str, Any]:
    """The published JSON Schema of a record line (``record.schema.json``)."""
    return json.loads((Path(__file__).with_name("record.schema.json")).read_text(encoding="utf-8"))
