"""The declarative model every other part of the kit reads.

A :class:`Provider` owns :class:`Endpoint` objects; an endpoint owns :class:`Param` objects and
request-level :class:`Rule` objects; every param carries :class:`Constraint` objects. Each rule
and constraint names the :class:`Source` it was read from, and is marked ``assumed`` where the
provider's documents are silent.

Values checked here are *logical* values (Python ``int``, ``bool``, ``str``, :class:`AudioInput`),
whichever side produced them: a client before sending, or a simulator after decoding the wire
form with :meth:`Param.decode`.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:  # pragma: no cover
    from conformance.audio.probe import AudioInfo

Location = Literal["json", "form", "file", "query", "header", "path"]
ParamType = Literal["string", "integer", "number", "boolean", "url", "audio", "object"]


class _MissingType:
    """Marker for a parameter that was not sent at all (distinct from an explicit ``None``)."""

    _instance: _MissingType | None = None

    def __new__(cls) -> _MissingType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _MissingType()


# --------------------------------------------------------------------------------------------
# sources, violations, errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: a seed document, a provider page, or ``assumed`` where docs are silent."""

    doc: str
    section: str = ""
    assumed: bool = False
    note: str = ""

    def __str__(self) -> str:
        text = self.doc + (f", {self.section}" if self.section else "")
        if self.assumed:
            text += " [assumed]"
        return text

    @property
    def evidence(self) -> str:
        """How far to trust it: ``assumed`` (the documents are silent), ``live`` (an answer of the real
        service someone captured), ``sdk`` (an official SDK's source) or ``docs`` (the provider's documents)."""
        doc = self.doc.lower()
        if self.assumed:
            return "assumed"
        if doc.startswith("live"):
            return "live"
        if " sdk" in f" {doc}" or "pypi" in doc:
            return "sdk"
        return "docs"

    def as_assumed(self, note: str = "") -> Source:
        return Source(self.doc, self.section, True, note or self.note)

    def at(self, section: str) -> Source:
        return Source(self.doc, section, self.assumed, self.note)


_SECRET_MASK = "***"


def mask_value(value: Any, *, secret: bool = False, limit: int = 80) -> str:
    """A short printable form of a value, safe to put in an error message or report."""
    if secret:
        return repr(_SECRET_MASK) if value not in (MISSING, None, "") else repr(value)
    if value is MISSING:
        return "(missing)"
    if isinstance(value, AudioInput):
        return value.describe()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 12] + f"…({len(text)} chars)"
    return text


@dataclass(frozen=True)
class Violation:
    """One broken rule: which parameter, which value (masked), which rule, and its source."""

    rule: str
    param: str | None
    value: str
    message: str
    source: Source
    kind: str = "invalid"  # "missing" | "type" | "invalid" | "unknown" | "auth"

    def __str__(self) -> str:
        where = f"{self.param}={self.value}: " if self.param else ""
        return f"{where}{self.message} [{self.rule}; source: {self.source}]"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "param": self.param,
            "value": self.value,
            "message": self.message,
            "source": str(self.source),
            "assumed": self.source.assumed,
            "kind": self.kind,
        }


class SpecViolation(ValueError):
    """A request breaks documented rules. ``violations`` lists every one of them."""

    def __init__(self, endpoint_id: str, violations: Iterable[Violation]):
        self.endpoint_id = endpoint_id
        self.violations: tuple[Violation, ...] = tuple(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        n = len(self.violations)
        super().__init__(f"{endpoint_id}: {n} rule{'s' if n != 1 else ''} violated:\n{lines}")


class SpecWarning(UserWarning):
    """A request is valid but something in it will be ignored by the provider (e.g. precedence)."""


# --------------------------------------------------------------------------------------------
# audio values
# --------------------------------------------------------------------------------------------


@dataclass(repr=False)
class AudioInput:
    """An audio parameter value: a local file's bytes, a URL, or base64 text.

    ``info`` holds the header-level probe of local audio (``None`` for URLs not fetched).
    ``raw`` marks bytes that are meant as headerless PCM (an output format such as ``pcm_s16le_16``).
    """

    kind: Literal["path", "bytes", "url", "base64"]
    data: bytes | None = None
    url: str | None = None
    filename: str | None = None
    info: AudioInfo | None = None
    probe_error: str | None = None

    def describe(self) -> str:
        if self.kind == "url":
            return f"<audio url {self.url!r}>"
        size = len(self.data) if self.data is not None else 0
        what = f"<audio {self.kind}"
        if self.filename and self.kind == "path":
            what += f" {self.filename!r}"
        what += f", {size} bytes"
        if self.info is not None:
            what += f", {self.info.short()}"
        return what + ">"

    @property
    def size(self) -> int | None:
        return len(self.data) if self.data is not None else None

    __repr__ = describe

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis (and IPython) pretty-print dataclasses field by field: keep audio bytes out
        printer.text(self.describe())


# --------------------------------------------------------------------------------------------
# constraints: one small class each, with a registry (cf. respx patterns)
# --------------------------------------------------------------------------------------------

CONSTRAINTS: dict[str, type[Constraint]] = {}


class Constraint:
    """A rule on a single parameter value.

    ``check`` returns a message when ``value`` breaks the rule, else ``None``. ``describe`` says the
    rule in one line. ``valid``/``invalid`` give hypothesis strategies (boundaries included); they
    are in :mod:`conformance.strategies`, keyed by :attr:`key`, so hypothesis is imported only there.
    """

    key: ClassVar[str] = "constraint"
    source: Source

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        CONSTRAINTS[cls.key] = cls

    def check(self, value: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{self.describe()} (source: {self.source})"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


@dataclass(frozen=True)
class OneOf(Constraint):
    values: tuple[Any, ...]
    source: Source
    key: ClassVar[str] = "one_of"

    def check(self, value: Any) -> str | None:
        if value not in self.values:
            return f"must be one of {', '.join(map(str, self.values))}"
        return None

    def describe(self) -> str:
        if len(self.values) > 8:
            return f"one of {len(self.values)} values: {', '.join(map(str, self.values[:6]))}, …"
        return f"one of {', '.join(map(str, self.values))}"


@dataclass(frozen=True)
class Range(Constraint):
    min: float | None
    max: float | None
    source: Source
    min_exclusive: bool = False
    max_exclusive: bool = False
    key: ClassVar[str] = "range"

    def check(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None  # the type check reports it
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number in {self.describe_interval()}"
        if self.min is not None and (value <= self.min if self.min_exclusive else value < self.min):
            return f"must be in {self.describe_interval()}"
        if self.max is not None and (value >= self.max if self.max_exclusive else value > self.max):
            return f"must be in {self.describe_interval()}"
        return None

    def describe_interval(self) -> str:
        lo = "(" if self.min_exclusive else "["
        hi = ")" if self.max_exclusive else "]"
        a = "-inf" if self.min is None else _num(self.min)
        b = "inf" if self.max is None else _num(self.max)
        return f"{lo}{a}, {b}{hi}"

    def describe(self) -> str:
        return f"number in {self.describe_interval()}"


@dataclass(frozen=True)
class Length(Constraint):
    """String length in characters."""

    min: int | None
    max: int | None
    source: Source
    key: ClassVar[str] = "length"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        n = len(value)
        if self.min is not None and n < self.min:
            return f"must be at least {self.min} characters (got {n})"
        if self.max is not None and n > self.max:
            return f"must be at most {self.max} characters (got {n})"
        return None

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{self.min} to {self.max} characters"
        if self.min is not None:
            return f"at least {self.min} characters"
        return f"at most {self.max} characters"


@dataclass(frozen=True)
class WordCount(Constraint):
    min: int
    source: Source
    key: ClassVar[str] = "word_count"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        n = len(value.split())
        if n < self.min:
            return f"must have at least {self.min} words (got {n})"
        return None

    def describe(self) -> str:
        return f"at least {self.min} words"


@dataclass(frozen=True)
class EndsWithPunctuation(Constraint):
    source: Source
    # ASCII punctuation plus the sentence marks of the languages the providers list
    marks: str = string.punctuation + "。！？，、；：…؟،؛"
    key: ClassVar[str] = "ends_with_punctuation"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        text = value.rstrip()
        if not text:
            return None  # empty text is NotBlank's concern
        if text[-1] not in self.marks:
            return "must end with punctuation"
        return None

    def describe(self) -> str:
        return "ends with punctuation"


@dataclass(frozen=True)
class NotBlank(Constraint):
    source: Source
    key: ClassVar[str] = "not_blank"

    def check(self, value: Any) -> str | None:
        if isinstance(value, str) and not value.strip():
            return "must not be empty"
        return None

    def describe(self) -> str:
        return "not empty"


_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Url(Constraint):
    source: Source
    key: ClassVar[str] = "url"

    def check(self, value: Any) -> str | None:
        if isinstance(value, AudioInput):
            if value.kind == "url":
                value = value.url
            else:
                return f"must be a URL (got local {value.kind} audio)"
        if not isinstance(value, str) or not _URL_RE.match(value):
            return "must be an http(s) URL"
        return None

    def describe(self) -> str:
        return "an http(s) URL"


@dataclass(frozen=True)
class Base64Audio(Constraint):
    """Audio sent inline as base64 data (not a URL). Local files are encoded by the client."""

    source: Source
    key: ClassVar[str] = "base64_audio"

    def check(self, value: Any) -> str | None:
        if isinstance(value, AudioInput):
            if value.kind == "url":
                return "must be base64 audio data, not a URL"
            if value.data is None:
                return f"is not valid base64 audio ({value.probe_error or 'no data'})"
            return None
        return "must be base64 audio data"

    def describe(self) -> str:
        return "base64 audio data"


@dataclass(frozen=True)
class JsonObjectString(Constraint):
    """A string holding a JSON-encoded object (a ``voice_settings`` field); ``keys`` are member
    names the provider knows (valid data is drawn from them; the check does not restrict them)."""

    source: Source
    keys: tuple[str, ...] = ()
    key: ClassVar[str] = "json_object_string"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        from conformance import safejson

        try:
            parsed = safejson.loads(value)
        except safejson.TooDeep as exc:
            return f"must be a JSON-encoded object ({exc})"
        except ValueError:
            return "must be a JSON-encoded object"
        if not isinstance(parsed, dict):
            return "must be a JSON-encoded object"
        return None

    def describe(self) -> str:
        return "a JSON-encoded object"


@dataclass(frozen=True)
class CommaList(Constraint):
    """A comma-separated list whose items match ``item_pattern``."""

    item_pattern: str
    source: Source
    key: ClassVar[str] = "comma_list"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        items = [i.strip() for i in value.split(",")]
        bad = [i for i in items if not re.fullmatch(self.item_pattern, i)]
        if bad:
            return f"must be a comma-separated list of items matching {self.item_pattern} (bad: {bad[:3]})"
        return None

    def describe(self) -> str:
        return f"comma-separated list of {self.item_pattern}"


@dataclass(frozen=True)
class AudioDuration(Constraint):
    """Duration of local audio in seconds; URLs that were not fetched cannot be checked here."""

    min: float | None
    max: float | None
    source: Source
    min_exclusive: bool = False
    max_exclusive: bool = False
    key: ClassVar[str] = "audio_duration"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, AudioInput) or value.info is None or value.info.duration is None:
            return None
        d = value.info.duration
        if self.min is not None and (d <= self.min if self.min_exclusive else d < self.min):
            return f"audio lasts {d:.3f} s; must be {self.describe()}"
        if self.max is not None and (d >= self.max if self.max_exclusive else d > self.max):
            return f"audio lasts {d:.3f} s; must be {self.describe()}"
        return None

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{_num(self.min)} s to {_num(self.max)} s long"
        if self.max is not None:
            return f"{'under' if self.max_exclusive else 'at most'} {_num(self.max)} s long"
        return f"at least {_num(self.min or 0)} s long"


@dataclass(frozen=True)
class AudioFormat(Constraint):
    """The container/codec of local audio, from its header (not its file name)."""

    formats: tuple[str, ...]
    source: Source
    raw: RawPcm | None = None  # headerless PCM is accepted too, read as this
    key: ClassVar[str] = "audio_format"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, AudioInput):
            return None
        if value.kind == "url" and value.data is None:
            return None  # a URL nobody fetched cannot be checked here
        if value.info is None or value.info.format == "raw":
            if self.raw is not None:
                kind = container_magic(value.data or b"")
                if kind is not None:  # a file of another kind, or a broken one: not headerless PCM either
                    why = f" ({value.probe_error})" if value.probe_error else ""
                    return f"is a {kind} file that is not readable audio{why}; must be {self.describe()}"
                broken = self.raw.check(value)
                return None if broken is None else f"{broken}; must be {self.describe()}"
            return f"is not recognisable audio ({value.probe_error or 'unknown format'}); must be {self.describe()}"
        if value.info.format not in self.formats:
            return f"is {value.info.format}; must be {self.describe()}"
        return None

    def describe(self) -> str:
        named = " or ".join(f.upper() for f in self.formats)
        return named + (f" or {self.raw.describe()}" if self.raw is not None else "")


@dataclass(frozen=True)
class FileSize(Constraint):
    max_bytes: int
    source: Source
    key: ClassVar[str] = "file_size"

    def check(self, value: Any) -> str | None:
        if isinstance(value, AudioInput):
            size = value.info.size if value.info is not None and value.info.size is not None else value.size
        elif isinstance(value, bytes | bytearray):
            size = len(value)
        else:
            return None
        if size is not None and size > self.max_bytes:
            return f"is {size} bytes; must be at most {self.describe()}"
        return None

    def describe(self) -> str:
        return f"{self.max_bytes // (1024 * 1024)} MB"


# --------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One documented request parameter."""

    name: str
    location: Location
    type: ParamType
    source: Source
    required: bool = False
    default: Any = MISSING
    nullable: bool = False
    constraints: tuple[Constraint, ...] = ()
    fields: tuple[Param, ...] = ()  # for type == "object"
    secret: bool = False
    description: str = ""
    base64_allowed: bool = False  # audio given as base64 text is accepted
    numeric_bool: Source | None = None  # a JSON boolean the provider also takes as the numbers 0 and 1 (why)

    def field(self, name: str) -> Param:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def type_error(self, value: Any) -> str | None:
        """A message when ``value`` is not of the param's logical type."""
        t = self.type
        if t == "string" and not isinstance(value, str):
            return "must be a string"
        if t == "url" and not isinstance(value, str | AudioInput):
            return "must be a URL string"
        if t == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            return "must be an integer"
        if t == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            return "must be a number"
        if t == "boolean" and not isinstance(value, bool):
            return "must be a boolean"
        if t == "audio" and not isinstance(value, AudioInput):
            return "must be audio (a path, bytes, URL or base64 text)"
        if t == "object" and not isinstance(value, Mapping):
            return "must be an object"
        return None

    def decode(self, raw: Any) -> Any:
        """Turn a wire value (form/query text, JSON value) into the logical value, as a server would.

        Returns the raw value unchanged when it cannot be decoded; the type check then reports it.
        """
        if raw is None or raw is MISSING:
            return raw
        if self.location in ("form", "query", "header", "path") and isinstance(raw, str):
            if self.nullable and raw == "":
                return None
            if self.type == "boolean":
                low = raw.lower()
                return True if low in _TRUE else False if low in _FALSE else raw
            if self.type == "integer":
                try:
                    return int(raw)
                except ValueError:
                    return raw
            if self.type == "number":
                try:
                    return float(raw)
                except ValueError:
                    return raw
        if (self.numeric_bool is not None and self.type == "boolean" and not isinstance(raw, bool)
                and isinstance(raw, int | float) and raw in (0, 1)):
            return bool(raw)
        if self.type == "object" and isinstance(raw, Mapping):
            return {k: (self.field(k).decode(v) if any(f.name == k for f in self.fields) else v)
                    for k, v in raw.items()}
        return raw

    def encode(self, value: Any) -> Any:
        """The wire form of a logical value for form/query/path locations (JSON keeps types)."""
        if self.location in ("form", "query", "header", "path"):
            if value is None:
                return ""
            if isinstance(value, bool):
                return "true" if value else "false"
            return str(value)
        return value

    def describe(self) -> str:
        parts = [f"{self.name} ({self.location}, {self.type}{', nullable' if self.nullable else ''})"]
        parts.append("required" if self.required else "optional")
        if self.default is not MISSING:
            parts.append(f"default {self.default!r}")
        parts.extend(c.describe() for c in self.constraints)
        return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# request-level rules (across parameters)
# --------------------------------------------------------------------------------------------

RULES: dict[str, type[Rule]] = {}


class Rule:
    """A rule over the whole request (several parameters)."""

    key: ClassVar[str] = "rule"
    source: Source

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        RULES[cls.key] = cls

    def check(self, params: Mapping[str, Any], endpoint: Endpoint) -> list[Violation]:  # pragma: no cover
        raise NotImplementedError

    def notices(self, params: Mapping[str, Any]) -> list[str]:
        """Things the provider will silently do with a valid request (see :class:`Precedence`)."""
        return []

    def describe(self) -> str:  # pragma: no cover
        raise NotImplementedError

    @property
    def params(self) -> tuple[str, ...]:  # pragma: no cover
        raise NotImplementedError


def _present(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name, MISSING) not in (MISSING, None)


@dataclass(frozen=True)
class RequiredWith(Rule):
    """``param`` is required when ``trigger`` is given (e.g. ``model`` when ``text``)."""

    param: str
    trigger: str
    source: Source
    key: ClassVar[str] = "required_with"

    def check(self, params: Mapping[str, Any], endpoint: Endpoint) -> list[Violation]:
        if _present(params, self.trigger) and not _present(params, self.param):
            return [Violation(self.key, self.param, "(missing)",
                              f"is required when {self.trigger} is given", self.source, "missing")]
        return []

    def describe(self) -> str:
        return f"{self.param} is required when {self.trigger} is given"

    @property
    def params(self) -> tuple[str, ...]:
        return (self.param, self.trigger)


@dataclass(frozen=True)
class AtLeastOne(Rule):
    names: tuple[str, ...]
    source: Source
    key: ClassVar[str] = "at_least_one"

    def check(self, params: Mapping[str, Any], endpoint: Endpoint) -> list[Violation]:
        if not any(_present(params, n) for n in self.names):
            return [Violation(self.key, " | ".join(self.names), "(missing)",
                              f"one of {', '.join(self.names)} is required", self.source, "missing")]
        return []

    def describe(self) -> str:
        return f"at least one of {', '.join(self.names)}"

    @property
    def params(self) -> tuple[str, ...]:
        return self.names


@dataclass(frozen=True)
class Precedence(Rule):
    """When both are sent, ``winner`` is used and ``loser`` ignored (e.g. init_audio over voice_id).

    Not a violation: :meth:`notices` reports it and :meth:`effective` tells simulators which to use.
    """

    winner: str
    loser: str
    source: Source
    key: ClassVar[str] = "precedence"

    def check(self, params: Mapping[str, Any], endpoint: Endpoint) -> list[Violation]:
        return []

    def notices(self, params: Mapping[str, Any]) -> list[str]:
        if _present(params, self.winner) and _present(params, self.loser):
            return [f"both {self.winner} and {self.loser} given: {self.winner} takes precedence, "
                    f"{self.loser} is ignored (source: {self.source})"]
        return []

    def effective(self, params: Mapping[str, Any]) -> str | None:
        if _present(params, self.winner):
            return self.winner
        if _present(params, self.loser):
            return self.loser
        return None

    def describe(self) -> str:
        return f"{self.winner} takes precedence over {self.loser}"

    @property
    def params(self) -> tuple[str, ...]:
        return (self.winner, self.loser)


@dataclass(frozen=True)
class When(Rule):
    """When ``param`` equals ``value``, ``target`` must satisfy ``constraint``."""

    param: str
    value: Any
    target: str
    constraint: Constraint
    source: Source
    key: ClassVar[str] = "when"

    def check(self, params: Mapping[str, Any], endpoint: Endpoint) -> list[Violation]:
        current = params.get(self.param, MISSING)
        if current is MISSING and endpoint.has_param(self.param):
            current = endpoint.param(self.param).default  # an absent param takes its documented default
        if current != self.value:
            return []
        target = params.get(self.target, MISSING)
        if target is MISSING or target is None:
            return []
        msg = self.constraint.check(target)
        if msg:
            return [Violation(self.constraint.key, self.target, mask_value(target),
                              f"{msg} (because {self.param}={self.value!r})", self.source)]
        return []

    def describe(self) -> str:
        return f"when {self.param}={self.value!r}, {self.target} is {self.constraint.describe()}"

    @property
    def params(self) -> tuple[str, ...]:
        return (self.param, self.target)


# File signatures that headerless PCM cannot be taken for, even when the file behind them is broken
_MAGIC = ((b"RIFF", "wav"), (b"RIFX", "wav"), (b"FORM", "aiff"), (b"ID3", "mp3"), (b"OggS", "ogg"),
          (b"fLaC", "flac"), (b"%PDF", "pdf"), (b"GIF8", "gif"), (b"\x89PNG", "png"), (b"PK\x03\x04", "zip"),
          (b"\xff\xd8\xff", "jpeg"))


def container_magic(data: bytes) -> str | None:
    """The kind of file ``data`` starts like (``None``: no known signature), by its first bytes."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[4:8] == b"ftyp":
        return "mp4"
    return None


@dataclass(frozen=True)
class RawPcm(Constraint):
    """Headerless PCM: ``sample_width``-byte little-endian samples, ``channels`` channels.

    A container header (RIFF, ID3, Ogg…) means the bytes are not raw PCM; an odd byte count cannot
    be 16-bit samples.
    """

    sample_rate: int
    source: Source
    channels: int = 1
    sample_width: int = 2
    key: ClassVar[str] = "raw_pcm"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, AudioInput) or value.data is None:
            return None
        data = value.data
        kind = value.info.format if value.info is not None and value.info.format not in ("raw", None) \
            else container_magic(data)
        if kind is not None:
            return (f"is a {kind} file; must be raw {self.sample_width * 8}-bit little-endian "
                    f"PCM, {self.sample_rate} Hz, {'mono' if self.channels == 1 else f'{self.channels} ch'}, no header")
        if len(data) == 0:
            return "is empty"
        if len(data) % (self.sample_width * self.channels):
            return f"has {len(data)} bytes, not a whole number of {self.sample_width * 8}-bit frames"
        return None

    def describe(self) -> str:
        return (f"raw {self.sample_width * 8}-bit little-endian PCM at {self.sample_rate} Hz, "
                f"{'mono' if self.channels == 1 else f'{self.channels} channels'}")


# --------------------------------------------------------------------------------------------
# auth, errors, responses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Auth:
    """How the API key travels: a header (optionally with a prefix) or a JSON body field."""

    scheme: Literal["header", "bearer", "json_body"]
    name: str
    source: Source
    env_var: str

    def describe(self) -> str:
        if self.scheme == "bearer":
            return f"header {self.name}: Bearer <key>"
        if self.scheme == "header":
            return f"header {self.name}: <key>"
        return f"JSON body field {self.name!r}"


@dataclass(frozen=True)
class ErrorCase:
    """A documented error: HTTP status, the provider's code, what it means."""

    name: str  # kit-wide meaning: auth, invalid_request, not_found, rate_limit, server_error, ...
    status: int
    code: str | int | None
    message: str
    source: Source
    http200: bool = False  # provider sends it with HTTP 200


@dataclass(frozen=True)
class ErrorShape:
    """The JSON shape of a provider's error body, with a renderer and a JSON Schema."""

    description: str
    schema: Mapping[str, Any]
    # render(case, request_id=None, violations=None, endpoint=None, message=None) -> body
    render: Callable[..., Any]
    source: Source


_VALIDATORS: dict[int, Any] = {}


def schema_errors(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Why ``instance`` breaks the JSON Schema ``schema`` (empty when it conforms).

    Validators are built once per schema (checking a schema costs more than using it).
    """
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        import jsonschema

        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _VALIDATORS[id(schema)] = cls(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]


def _norm_ctype(value: str) -> tuple[str, frozenset[str]]:
    parts = [p.strip().lower().replace(" ", "") for p in value.split(";") if p.strip()]
    return (parts[0] if parts else ""), frozenset(p for p in parts[1:] if not p.startswith("charset="))


def content_type_ok(ctype: str, allowed: Iterable[str]) -> bool:
    """``ctype`` is one of ``allowed`` (with the same parameters where the documented one has them);
    where the documentation says ``application/octet-stream``, any ``audio/*`` type also fits."""
    base, params = _norm_ctype(ctype)
    for a in allowed:
        a_base, a_params = _norm_ctype(a)
        if base == a_base and a_params <= params:
            return True
        if a_base == "application/octet-stream" and base.startswith("audio/"):
            return True
    return False


@dataclass(frozen=True)
class ResponseContract:
    """What a response with this status looks like.

    ``kind``: ``json`` (with ``schema``), ``audio`` (bytes, ``content_types``), or ``error``.
    ``state`` names the documented state for 200 JSON answers that are not plain success
    (a queued ``processing``, an ``error`` with HTTP 200).
    """

    status: int
    kind: Literal["json", "audio"]
    source: Source
    content_types: tuple[str, ...] = ("application/json",)
    schema: Mapping[str, Any] | None = None
    state: str = "success"
    description: str = ""

    def accepts_content_type(self, ctype: str) -> bool:
        return content_type_ok(ctype, self.content_types)


@dataclass(frozen=True)
class Fact:
    """A documented fact that is not a request rule (queue limits, retention, concurrency)."""

    name: str
    value: Any
    source: Source


@dataclass(frozen=True)
class Variant:
    """A documented alternative where sources disagree (the spec picks one; this is the other)."""

    what: str
    value: Any
    source: Source


# --------------------------------------------------------------------------------------------
# endpoint and provider
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    id: str
    method: str
    path: str
    encoding: Literal["json", "multipart", "none"]
    params: tuple[Param, ...]
    source: Source
    summary: str = ""
    rules: tuple[Rule, ...] = ()
    responses: tuple[ResponseContract, ...] = ()
    variants: tuple[Variant, ...] = ()
    webhooks: tuple[ResponseContract, ...] = ()
    response_headers: tuple[str, ...] = ()
    path_assumed: bool = False
    async_job: bool = False  # answers may be queued (processing → fetch)
    converts_voice: bool = False  # speech in, the same words out in another voice (a voice changer)
    provider_id: str = ""

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

    @property
    def provider(self) -> Provider:
        from conformance.spec.registry import provider

        return provider(self.provider_id)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.id} has no parameter {name!r}")

    def has_param(self, name: str) -> bool:
        return any(p.name == name for p in self.params)

    def params_at(self, *locations: Location) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location in locations)

    def responses_for(self, status: int) -> tuple[ResponseContract, ...]:
        return tuple(r for r in self.responses if r.status == status)

    def all_rules(self) -> list[tuple[str, Constraint | Rule | Param]]:
        """Every rule of this endpoint, for reports: ``(param-or-'request', rule)``."""
        out: list[tuple[str, Constraint | Rule | Param]] = []
        for p in self.params:
            out.append((p.name, p))
            out.extend((p.name, c) for c in p.constraints)
            for f in p.fields:
                out.append((f"{p.name}.{f.name}", f))
                out.extend((f"{p.name}.{f.name}", c) for c in f.constraints)
        out.extend(("request", r) for r in self.rules)
        return out

    # -- validation ----------------------------------------------------------------------

    @property
    def auth_params(self) -> tuple[str, ...]:
        """Params that carry the API key (a body field such as ``key``); checked as auth, not as data."""
        a = self.provider.auth
        return (a.name,) if a.scheme == "json_body" and self.has_param(a.name) else ()

    def validate(self, params: Mapping[str, Any], *, allow_unknown: bool = False,
                 skip: Iterable[str] = (), include_auth: bool = False) -> list[Violation]:
        """Every violated rule of ``params`` (logical values; absent keys are not sent).

        ``skip`` names params not to check. The auth params are skipped unless ``include_auth``:
        the key travels separately (clients add it, servers check it against their accounts).
        """
        skipped = set(skip) | (set() if include_auth else set(self.auth_params))
        out: list[Violation] = []
        known = {p.name for p in self.params}
        if not allow_unknown:
            for name in params:
                if name not in known and name not in skipped:
                    out.append(Violation("unknown_parameter", name, mask_value(params[name]),
                                         f"is not a documented parameter of {self.id}", self.source, "unknown"))
        for p in self.params:
            if p.name in skipped:
                continue
            out.extend(_check_param(p, params.get(p.name, MISSING), p.name, allow_unknown))
        for r in self.rules:
            out.extend(r.check(params, self))
        return out

    def notices(self, params: Mapping[str, Any]) -> list[str]:
        return [n for r in self.rules for n in r.notices(params)]

    def check(self, params: Mapping[str, Any], **kwargs: Any) -> None:
        """Raise :class:`SpecViolation` listing every violated rule."""
        violations = self.validate(params, **kwargs)
        if violations:
            raise SpecViolation(self.id, violations)

    def describe(self) -> str:
        return f"{self.method} {self.path} ({self.id})"


def _check_param(p: Param, value: Any, label: str, allow_unknown: bool = False) -> list[Violation]:
    if value is MISSING:
        if p.required:
            return [Violation("required", label, "(missing)", "is required", p.source, "missing")]
        return []
    shown = mask_value(value, secret=p.secret)
    if value is None:
        if p.nullable:
            return []
        if p.required:
            return [Violation("required", label, shown, "is required and may not be null", p.source, "missing")]
        return [Violation("not_nullable", label, shown, "may not be null", p.source, "type")]
    err = p.type_error(value)
    if err:
        return [Violation("type", label, shown, f"{err} (got {type(value).__name__})", p.source, "type")]
    out: list[Violation] = []
    for c in p.constraints:
        msg = c.check(value)
        if msg:
            out.append(Violation(c.key, label, shown, msg, c.source))
    if p.type == "object":
        names = {f.name for f in p.fields}
        for k in value:
            if k not in names and not allow_unknown:
                out.append(Violation("unknown_parameter", f"{label}.{k}", mask_value(value[k]),
                                     f"is not a documented field of {label}", p.source, "unknown"))
        for f in p.fields:
            out.extend(_check_param(f, value.get(f.name, MISSING), f"{label}.{f.name}", allow_unknown))
    return out


@dataclass(frozen=True)
class VoiceSetup:
    """How the shipped suite gets a voice to convert into, for endpoints that take a voice id.

    On the simulators the voice is made from the fixture ``speaker``. On live and gateway targets a
    provider with a ``premade_voice_id`` converts into that voice, or into the account's own voice
    named by ``VOICE_CONFORMANCE_<PROVIDER>_VOICE_ID`` with a recording of it at
    ``VOICE_CONFORMANCE_<PROVIDER>_VOICE_REFERENCE`` (speaker verification needs both).
    """

    speaker: str = "en_slt"
    premade_voice_id: str | None = None

    @staticmethod
    def env_vars(provider_id: str) -> tuple[str, str]:
        """The variables naming the account's voice and a recording of it, on live and gateway targets."""
        base = f"VOICE_CONFORMANCE_{provider_id.upper()}_VOICE"
        return f"{base}_ID", f"{base}_REFERENCE"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    base_url: str
    auth: Auth
    error_shape: ErrorShape
    errors: tuple[ErrorCase, ...]
    source: Source
    alt_base_urls: tuple[str, ...] = ()
    retry_headers: tuple[str, ...] = ()
    response_headers: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()
    facts: tuple[Fact, ...] = ()
    endpoints: tuple[Endpoint, ...] = field(default=())
    voice: VoiceSetup = VoiceSetup()  # how the suite gets a voice to convert into

    def error(self, name: str) -> ErrorCase:
        """The documented error for a kit-wide meaning (``auth``, ``invalid_request``, ``rate_limit``…)."""
        for e in self.errors:
            if e.name == name:
                return e
        raise KeyError(f"{self.id} documents no {name!r} error")

    def errors_named(self, name: str) -> tuple[ErrorCase, ...]:
        return tuple(e for e in self.errors if e.name == name)

    def endpoint(self, name: str) -> Endpoint:
        for e in self.endpoints:
            if e.name == name or e.id == name:
                return e
        raise KeyError(f"{self.id} has no endpoint {name!r}")
