"""Hypothesis strategies read from the spec: valid requests, invalid requests, boundary values, audio.

>>> from conformance import spec, strategies
>>> ep = spec.get("<provider>.<endpoint>")        # doctest: +SKIP
>>> strategies.valid_requests(ep).example()          # doctest: +SKIP
>>> strategies.invalid_requests(ep).example().rule   # doctest: +SKIP
'range'

Every example of :func:`invalid_requests` breaks exactly one rule, named by ``rule`` and
``param``; :func:`boundary_cases` lists, for each range, length and duration window, the values on
it, just inside and just outside (as schemathesis' coverage phase does). Audio comes from the
fixture speakers (:mod:`conformance.audio.corpus`), encoded in the format the rule needs.

Strategies are keyed by the spec's keys, as respx keys its patterns: :data:`CONSTRAINT_STRATEGIES`
maps each constraint key (``Constraint.key``, e.g. ``"range"``) to the functions that make its valid
values, invalid values and boundary cases, and :data:`RULE_STRATEGIES` maps each request-rule key to
how a request is made to satisfy it and how it is broken. :func:`constraint_strategy` and
:func:`rule_strategy` register them; a key with nothing registered is a :class:`MissingStrategy`
error naming it. The spec (:mod:`conformance.spec.model`) never imports hypothesis.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

from hypothesis import strategies as st

from conformance import hosted
from conformance.spec.model import (
    MISSING,
    AtLeastOne,
    AudioDuration,
    AudioFormat,
    AudioInput,
    Base64Audio,
    CommaList,
    Constraint,
    Endpoint,
    EndsWithPunctuation,
    FileSize,
    JsonObjectString,
    Length,
    NotBlank,
    OneOf,
    Param,
    Precedence,
    Range,
    RawPcm,
    RequiredWith,
    Rule,
    Url,
    When,
    WordCount,
)
from conformance.spec.wire import probe_into

DEFAULT_SPEAKER = "en_slt"
_WORDS = ("the", "voice", "clone", "speaks", "clearly", "today", "and", "every", "morning", "sounds", "bright",
          "a", "quiet", "river", "runs", "north", "سلام", "مرحبا", "hola", "dobrý")

# ---------------------------------------------------------------------------------------------
# audio
# ---------------------------------------------------------------------------------------------

_EXT = {"wav": "wav", "mp3": "mp3", "ogg": "ogg", "flac": "flac", "raw": "pcm"}


@lru_cache(maxsize=256)
def audio_bytes(duration: float, fmt: str = "wav", sample_rate: int = 16000, speaker: str = DEFAULT_SPEAKER) -> bytes:
    """``duration`` seconds of real speech from ``speaker`` in ``fmt`` (wav, mp3, ogg, flac, raw s16le)."""
    import numpy as np

    from conformance.audio import corpus
    from conformance.audio.encoding import soundfile_bytes

    y = corpus.make_clip(speaker, duration, sample_rate)
    if fmt == "raw":  # y * 32767, rounded toward zero (not the encoder's "pcm", which scales by 32768)
        return (np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()
    subtype = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS", "mp3": "MPEG_LAYER_III"}[fmt]
    # MP3 through libsndfile here (the encoder's "mp3" is LAME through lameenc: other bytes)
    return soundfile_bytes(y, sample_rate, {"mp3": "MP3"}.get(fmt, fmt.upper()), subtype)


@lru_cache(maxsize=4)
def _oversized_wav(size: int) -> bytes:
    """A WAV header over ``size`` bytes of silence at 192 kHz stereo: big, but short."""
    import struct

    rate, ch = 192000, 2
    data_len = size - 44
    return (b"RIFF" + struct.pack("<I", size - 8) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, ch, rate,
            rate * ch * 2, ch * 2, 16) + b"data" + struct.pack("<I", data_len) + bytes(data_len))


def audio_input(data: bytes, kind: str, fmt: str, raw: RawPcm | None = None) -> AudioInput:
    """An :class:`AudioInput` of ``kind`` (bytes, base64 or url: hosted by the kit) for ``data``.

    Hosting and probing happen once per distinct input; each call returns a fresh copy.
    """
    return replace(_audio_input(data, kind, fmt, raw))


@lru_cache(maxsize=512)
def _audio_input(data: bytes, kind: str, fmt: str, raw: RawPcm | None) -> AudioInput:
    # ``bytes`` caches its hash, and audio_bytes() hands out the same objects: lookups are cheap
    if kind == "url":
        value = AudioInput("url", url=hosted.host(data, _EXT.get(fmt, "bin")), data=data)
    else:
        value = AudioInput(kind, data=data, filename=f"audio.{_EXT.get(fmt, 'bin')}")  # type: ignore[arg-type]
    return probe_into(value, raw)


def audio(*, duration: float | st.SearchStrategy[float] = 5.0, fmt: str = "wav", sample_rate: int = 16000,
          speaker: str = DEFAULT_SPEAKER, kind: str = "bytes") -> st.SearchStrategy[AudioInput]:
    """Real speech of a chosen duration, format and rate, as an :class:`AudioInput`."""
    durations = duration if isinstance(duration, st.SearchStrategy) else st.just(duration)
    return durations.map(lambda d: audio_input(audio_bytes(round(d, 2), fmt, sample_rate, speaker), kind, fmt))


def _with_key(param: Param, key: str) -> list[Any]:
    """``param``'s constraints of one key, in spec order."""
    return [c for c in param.constraints if c.key == key]


def _window(param: Param) -> tuple[float, float]:
    lo, hi = 1.0, 12.0
    for c in _with_key(param, AudioDuration.key):
        if c.min is not None:
            lo = c.min
        if c.max is not None:
            hi = min(c.max, max(lo + 2, 12.0))
            hi = c.max - 0.1 if c.max_exclusive and hi >= c.max else hi
    return lo, hi


def _formats(param: Param) -> tuple[str, ...]:
    for c in _with_key(param, AudioFormat.key):
        return tuple(f for f in ("wav", "mp3", "flac", "ogg") if f in c.formats) or ("wav",)
    return ("wav", "mp3")


def _audio_kind(param: Param) -> str:
    return "url" if _with_key(param, Url.key) else "bytes"


def _per_param(build: Callable[..., st.SearchStrategy[Any]]) -> Callable[..., st.SearchStrategy[Any]]:
    """Build a param's strategy once: strategies are immutable, and hypothesis validates each new one."""
    cache: dict[tuple[Any, ...], tuple[Param, st.SearchStrategy[Any]]] = {}

    def cached(param: Param, *args: Any, **kwargs: Any) -> st.SearchStrategy[Any]:
        key = (id(param), args, tuple(sorted(kwargs.items())))
        hit = cache.get(key)
        if hit is None or hit[0] is not param:
            hit = cache[key] = (param, build(param, *args, **kwargs))
        return hit[1]

    cached.__doc__, cached.__name__, cached.__wrapped__ = build.__doc__, build.__name__, build  # type: ignore[attr-defined]
    return cached


@_per_param
def _valid_audio(param: Param, kind: str | None = None, raw: RawPcm | None = None) -> st.SearchStrategy[AudioInput]:
    lo, hi = _window(param)
    if raw is not None:
        return st.sampled_from([round(lo, 2), 2.0]).map(
            lambda d: audio_input(audio_bytes(max(d, 0.5), "raw", raw.sample_rate), "bytes", "raw", raw))
    durations = sorted({round(lo, 2), round(hi, 2), round((lo + hi) / 2, 2)})
    k = kind or _audio_kind(param)
    # one choice of (duration, format): shortest first, so failures shrink to the shortest clip
    choices = [(d, f) for d in durations for f in _formats(param)]
    return st.sampled_from(choices).map(lambda t: audio_input(audio_bytes(t[0], t[1], 16000), k, t[1]))


# ---------------------------------------------------------------------------------------------
# the registries: strategies keyed by constraint key and by rule key (cf. respx's patterns)
# ---------------------------------------------------------------------------------------------

Values = st.SearchStrategy[Any]
Breaker = Callable[[dict[str, Any]], st.SearchStrategy[dict[str, Any]]]
Target = tuple[str, str | None, Breaker]
Edge = tuple[Any, bool, str]  # (value, valid, label) on a documented limit


class MissingStrategy(LookupError):
    """A constraint or rule key with no strategy registered here (for that use)."""


class _Entry:
    kind: ClassVar[str]
    key: str

    def role(self, name: str) -> Callable[..., Any]:
        """The function registered as ``name``; :class:`MissingStrategy` if there is none."""
        fn = getattr(self, name)
        if fn is None:
            raise MissingStrategy(f"no {name} strategy for {self.kind} key {self.key!r}: register one with "
                                  f"@{self.kind}_strategy({self.key!r}, {name!r})")
        return fn


@dataclass
class ConstraintStrategies(_Entry):
    """What this module makes for one constraint key (each function takes ``(param, constraint)``).

    ``valid`` builds a param's valid values from the constraint, for params of the types in ``builds``
    (``None``: all but audio); of a param's constraints, the one with the lowest ``rank`` builds them,
    and values built from it are filtered by its check unless ``meets``. ``filtered=False``: valid
    values are never filtered by it (audio is drawn inside the window, in the formats, small).
    ``invalid`` breaks it; ``covered(param)``: another rule breaks it on that param, no target of its
    own. ``boundaries`` / ``field_boundaries``: the :data:`Edge` values on its limits for a param / an
    object's field. ``when_valid`` / ``when_invalid``: a :class:`When` target's audio that meets / breaks
    it while the condition holds.
    """

    kind: ClassVar[str] = "constraint"
    key: str
    valid: Callable[[Param, Any], Values] | None = None
    builds: tuple[str, ...] | None = None
    rank: int = 0
    meets: bool = False
    filtered: bool = True
    invalid: Callable[[Param, Any], Values] | None = None
    covered: Callable[[Param], bool] | None = None
    boundaries: Callable[[Param, Any], list[Edge]] | None = None
    field_boundaries: Callable[[Param, Any], list[Edge]] | None = None
    when_valid: Callable[[Param, Any], Values] | None = None
    when_invalid: Callable[[Param, Any], Values] | None = None


@dataclass
class RuleStrategies(_Entry):
    """What this module does with one request-rule key (each function takes ``(endpoint, rule, ...)``).

    ``repair(ep, rule, params, draw)`` makes a request drawn param by param satisfy the rule, in
    ``stage`` order (then spec order); ``targets(ep, rule)`` lists the :data:`Target` breaking it.
    """

    kind: ClassVar[str] = "rule"
    key: str
    repair: Callable[[Endpoint, Any, dict[str, Any], Callable[[Values], Any]], None] | None = None
    stage: int = 0
    targets: Callable[[Endpoint, Any], list[Target]] | None = None


CONSTRAINT_STRATEGIES: dict[str, ConstraintStrategies] = {}
RULE_STRATEGIES: dict[str, RuleStrategies] = {}

_F = TypeVar("_F", bound=Callable[..., Any])  # a registered function, returned as is


def _register(registry: dict[str, Any], entry_type: type, key: str, role: str,
              options: dict[str, Any]) -> Callable[[_F], _F]:
    fields = set(entry_type.__dataclass_fields__) - {"key"}
    unknown = ({role} | set(options)) - fields
    if unknown:
        raise ValueError(f"{entry_type.__name__} has no {', '.join(sorted(unknown))}")

    def register(fn: _F) -> _F:
        entry = registry.setdefault(key, entry_type(key))
        if getattr(entry, role) is not None:
            raise ValueError(f"{key!r} already has a {role!r} strategy")
        setattr(entry, role, fn)
        for name, value in options.items():
            setattr(entry, name, value)
        return fn

    return register


def constraint_strategy(key: str, role: str, **options: Any) -> Callable[[_F], _F]:
    """Register the decorated function as the ``role`` of constraint ``key`` (see :class:`ConstraintStrategies`).

    >>> @constraint_strategy("not_blank", "invalid")   # doctest: +SKIP
    ... def _blank(param, c): ...
    """
    return _register(CONSTRAINT_STRATEGIES, ConstraintStrategies, key, role, options)


def rule_strategy(key: str, role: str, **options: Any) -> Callable[[_F], _F]:
    """Register the decorated function as the ``role`` of request rule ``key`` (see :class:`RuleStrategies`)."""
    return _register(RULE_STRATEGIES, RuleStrategies, key, role, options)


def constraint_strategies(c: Constraint) -> ConstraintStrategies:
    """The strategies registered for ``c.key``; :class:`MissingStrategy` if there are none."""
    entry = CONSTRAINT_STRATEGIES.get(c.key)
    if entry is None:
        raise MissingStrategy(f"no strategies for constraint key {c.key!r} ({type(c).__name__}): register them "
                              f"in conformance/strategies.py with @constraint_strategy({c.key!r}, ...)")
    return entry


def rule_strategies(r: Rule) -> RuleStrategies:
    """The strategies registered for ``r.key``; :class:`MissingStrategy` if there are none."""
    entry = RULE_STRATEGIES.get(r.key)
    if entry is None:
        raise MissingStrategy(f"no strategies for rule key {r.key!r} ({type(r).__name__}): register them "
                              f"in conformance/strategies.py with @rule_strategy({r.key!r}, ...)")
    return entry


# ---------------------------------------------------------------------------------------------
# values per constraint
# ---------------------------------------------------------------------------------------------


def _phrases() -> tuple[str, ...]:
    """Phrases of 1–16 words over :data:`_WORDS` (several scripts), shortest first so examples shrink to them."""
    import random

    rnd = random.Random(0)
    out = {" ".join(rnd.choice(_WORDS) for _ in range(n)) for n in range(1, 17) for _ in range(16)}
    return tuple(sorted(out, key=lambda t: (len(t), t)))


_PHRASES = _phrases()


def _text(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    # one choice per text: a list of sampled words costs hypothesis a draw per word
    return st.sampled_from([t for t in _PHRASES if min_size <= len(t) <= max_size])


def _value_source(param: Param) -> Constraint | None:
    """The constraint ``param``'s valid values are built from (lowest rank, then first), if any."""
    if param.type == "audio":
        return None
    best: tuple[int, Constraint] | None = None
    for c in param.constraints:
        entry = constraint_strategies(c)
        if entry.valid is not None and (entry.builds is None or param.type in entry.builds) \
                and (best is None or entry.rank < best[0]):
            best = (entry.rank, c)
    return best[1] if best else None


@_per_param
def valid_value(param: Param) -> st.SearchStrategy[Any]:
    """Values of ``param`` that satisfy every one of its constraints."""
    cs = param.constraints
    strategy: st.SearchStrategy[Any]
    source = _value_source(param)
    if param.type == "audio":
        strategy = _valid_audio(param)
    elif source is not None:
        strategy = constraint_strategies(source).role("valid")(param, source)
    elif param.type in ("integer", "number"):
        strategy = _numbers(param, None)
    elif param.type == "boolean":
        strategy = st.booleans()
    elif param.type == "url":
        strategy = _urls(param, None)
    elif param.type == "object":
        required = {f.name: valid_value(f) for f in param.fields if f.required}
        strategy = st.fixed_dictionaries(required)
    else:
        strategy = _texts(param)
    # what the strategy does not already satisfy by construction is filtered (a filter costs every draw)
    built_from = {source} if source is not None and constraint_strategies(source).meets else set()
    checks = [c for c in cs if constraint_strategies(c).filtered and c not in built_from]
    if checks:
        strategy = strategy.filter(lambda v: all(c.check(v) is None for c in checks))
    if param.nullable:
        strategy = strategy | st.none()
    return strategy


def _texts(param: Param) -> st.SearchStrategy[str]:
    """Text within the param's length (the first), ending with punctuation if it must."""
    length = next(iter(_with_key(param, Length.key)), None)
    hi = length.max if length and length.max is not None else 60
    strategy = _text(1, hi)
    if length and length.max and length.max > 60:
        strategy = strategy | st.just("a" * length.max)
    if _with_key(param, EndsWithPunctuation.key):
        strategy = strategy.map(lambda s: s + st_punct(s))
    return strategy


@_per_param
def _non_null(param: Param) -> st.SearchStrategy[Any]:
    return valid_value(param).filter(lambda v: v is not None)


def st_punct(s: str) -> str:
    return "." if not s.endswith(tuple(string.punctuation)) else ""


def invalid_values(param: Param, c: Constraint) -> st.SearchStrategy[Any]:
    """Values of ``param``'s type that break constraint ``c`` (and, where possible, only it).

    An empty form field is no value at all to a form parser (FastAPI reads it as absent), so a
    form param is never broken with ``""``.
    """
    values = _invalid_values(param, c)
    if param.location == "form":
        values = values.filter(lambda v: v != "")
    return values


def _invalid_values(param: Param, c: Constraint) -> st.SearchStrategy[Any]:
    return constraint_strategies(c).role("invalid")(param, c)


def _eps(c: Range) -> float:
    span = (c.max - c.min) if c.max is not None and c.min is not None else 1.0
    return max(span * 1e-3, 1e-6) if span < 10 else 1.0


# one_of ---------------------------------------------------------------------------------------


@constraint_strategy(OneOf.key, "valid", rank=0, meets=True)
def _one_of_values(param: Param, c: OneOf) -> Values:
    return st.sampled_from(c.values)


@constraint_strategy(OneOf.key, "invalid")
def _one_of_invalid(param: Param, c: OneOf) -> Values:
    return st.sampled_from([f"{v}x" for v in c.values[:3]] + ["", "NOT_A_CHOICE"]).filter(
        lambda v: v not in c.values)


# range ----------------------------------------------------------------------------------------


@constraint_strategy(Range.key, "valid", builds=("integer", "number"), rank=1, meets=True)
def _numbers(param: Param, rng: Range | None) -> Values:
    """Numbers in the range (without one: 0 to 1000)."""
    strategy: Values
    lo = rng.min if rng and rng.min is not None else 0
    hi = rng.max if rng and rng.max is not None else 1000
    # the bounds themselves, always within reach (boundary_cases() adds just inside and outside)
    ends = [v for v, excl in ((lo, rng and rng.min_exclusive), (hi, rng and rng.max_exclusive)) if not excl]
    if param.type == "integer":
        strategy = st.integers(int(lo), int(hi))
    else:
        strategy = st.floats(lo, hi, allow_nan=False, allow_infinity=False,
                             exclude_min=bool(rng and rng.min_exclusive), exclude_max=bool(rng and rng.max_exclusive))
    if ends:
        strategy = st.sampled_from([int(v) if param.type == "integer" else float(v) for v in ends]) | strategy
    return strategy


@constraint_strategy(Range.key, "invalid")
def _range_invalid(param: Param, c: Range) -> Values:
    out: list[Any] = []
    integer = param.type == "integer"
    step = 1 if integer else _eps(c)
    if c.min is not None:
        out += [c.min - step, c.min - 100 * step] if not c.min_exclusive else [c.min]
    if c.max is not None:
        out += [c.max + step, c.max * 10 + 100 * step] if not c.max_exclusive else [c.max]
    out = [int(v) if integer else float(v) for v in out]
    return st.sampled_from(out)


@constraint_strategy(Range.key, "boundaries")
def _range_edges(p: Param, c: Range) -> list[Edge]:
    out: list[Edge] = []
    if p.type not in ("integer", "number"):
        return out
    step = 1 if p.type == "integer" else _eps(c)
    conv: Callable[[float], Any] = int if p.type == "integer" else float
    if c.min is not None:
        out += [(conv(c.min), not c.min_exclusive, "min"),
                (conv(c.min + step), True, "just inside min"),
                (conv(c.min - step), False, "just outside min")]
    if c.max is not None:
        out += [(conv(c.max), not c.max_exclusive, "max"),
                (conv(c.max - step), True, "just inside max"),
                (conv(c.max + step), False, "just outside max")]
    return out


# length ---------------------------------------------------------------------------------------


@constraint_strategy(Length.key, "invalid")
def _length_invalid(param: Param, c: Length) -> Values:
    opts = []
    if c.max is not None:
        opts.append("ab " * (c.max // 3) + "abc"[: c.max % 3 + 1])
    if c.min is not None and c.min > 0:
        opts.append("a b c"[: max(0, c.min - 1)] if c.min > 5 else "")
    return st.sampled_from(opts).filter(lambda v: c.check(v) is not None)


@constraint_strategy(Length.key, "boundaries")
def _length_edges(p: Param, c: Length) -> list[Edge]:
    out: list[Edge] = []
    if c.max is not None:
        out += [("a" * c.max, True, "max"), ("a" * (c.max + 1), False, "just outside max")]
    if c.min is not None:
        out += [(_words_of_length(c.min), True, "min"), (_words_of_length(c.min - 1), False, "just outside min")]
    return out


# word_count -----------------------------------------------------------------------------------


@constraint_strategy(WordCount.key, "valid", builds=("string",), rank=7)
def _word_count_values(param: Param, c: WordCount) -> Values:
    words = c.min
    return st.sampled_from([t for t in _PHRASES if words <= len(t.split()) <= words + 8])


@constraint_strategy(WordCount.key, "invalid")
def _word_count_invalid(param: Param, c: WordCount) -> Values:
    return st.sampled_from(["onetwothreefour", "one-two-three-four", "wordwordword five"[: 17]]).filter(
        lambda v: c.check(v) is not None)


# ends_with_punctuation, not_blank -------------------------------------------------------------


@constraint_strategy(EndsWithPunctuation.key, "invalid")
def _unpunctuated(param: Param, c: EndsWithPunctuation) -> Values:
    return st.sampled_from(["Hello there", "no punctuation at the end"])


@constraint_strategy(NotBlank.key, "invalid")
def _blank(param: Param, c: NotBlank) -> Values:
    # an empty path segment is another URL: in a path, blank means spaces
    return st.sampled_from(["   "] if param.location == "path" else ["", "   "])


# url, base64_audio, raw_pcm (the last two only as a When's constraint) ------------------------


@constraint_strategy(Url.key, "valid", builds=("string", "url", "object"), rank=3)
def _urls(param: Param, c: Url | None) -> Values:
    return st.sampled_from(["https://hooks.voice-conformance.test/done",
                            "http://127.0.0.1:9/hook", "https://img.example/a.png"])


# base64-or-URL audio: covered by the base64 rules
@constraint_strategy(Url.key, "invalid", covered=lambda p: p.type == "audio" and p.base64_allowed)
def _url_invalid(param: Param, c: Url) -> Values:
    if param.type == "audio":
        return _valid_audio(param, kind="bytes")
    return st.sampled_from(["not a url", "ftp://files.example/a", "files.example/a.wav"])


@constraint_strategy(Url.key, "when_valid")
def _url_audio(target: Param, c: Url) -> Values:
    return _valid_audio(target, kind="url")


@constraint_strategy(Url.key, "when_invalid")
def _url_broken(target: Param, c: Url) -> Values:
    return _valid_audio(target, kind="base64")


@constraint_strategy(Base64Audio.key, "when_valid")
def _base64_audio(target: Param, c: Base64Audio) -> Values:
    return _valid_audio(target, kind="base64")


@constraint_strategy(Base64Audio.key, "when_invalid")
def _base64_broken(target: Param, c: Base64Audio) -> Values:
    return _valid_audio(target, kind="url")


@constraint_strategy(RawPcm.key, "when_valid")
def _raw_pcm_audio(target: Param, c: RawPcm) -> Values:
    return _valid_audio(target, raw=c)


@constraint_strategy(RawPcm.key, "when_invalid")
def _raw_pcm_broken(target: Param, c: RawPcm) -> Values:
    return st.just(audio_input(audio_bytes(2.0, "wav", 16000), "bytes", "wav"))


# json_object_string, comma_list ---------------------------------------------------------------


@constraint_strategy(JsonObjectString.key, "valid", builds=("string",), rank=5)
def _json_objects(param: Param, c: JsonObjectString) -> Values:
    keys = c.keys or ("value",)
    return st.dictionaries(st.sampled_from(list(keys)), st.floats(0, 1, allow_nan=False),
                           max_size=len(keys)).map(json.dumps)


@constraint_strategy(JsonObjectString.key, "invalid")
def _json_invalid(param: Param, c: JsonObjectString) -> Values:
    return st.sampled_from(["{", "[1, 2]", "stability=0.5", '"text"'])


@constraint_strategy(CommaList.key, "valid", builds=("string",), rank=6)
def _comma_lists(param: Param, c: CommaList) -> Values:
    item = c.item_pattern
    # an ASCII pattern draws from ASCII: the default alphabet makes hypothesis list every code point
    # UTF-8 encodes, 1.3 s in each new process (its disk cache is off in the kit's runs)
    ascii_only = {"alphabet": st.characters(codec="ascii")} if item.isascii() else {}
    return st.lists(st.from_regex(f"^{item}$", fullmatch=True, **ascii_only).filter(lambda s: 0 < len(s) <= 12),
                    min_size=1, max_size=3).map(",".join)


@constraint_strategy(CommaList.key, "invalid")
def _comma_list_invalid(param: Param, c: CommaList) -> Values:
    return st.sampled_from(["a,,b", "ar;en", "AR, EN!"]).filter(lambda v: c.check(v) is not None)


# audio_duration, audio_format, file_size: valid audio meets them by construction ----------------


@constraint_strategy(AudioDuration.key, "invalid", filtered=False)
def _duration_invalid(param: Param, c: AudioDuration) -> Values:
    durations: list[float] = []
    if c.min is not None and c.min > 0.2:
        durations.append(round(c.min - 0.1, 2))
    if c.max is not None:
        durations.append(c.max if c.max_exclusive else round(c.max + 0.1, 2))
    fmt = _formats(param)[0]
    rate = 8000 if max(durations) > 60 else 16000
    return st.sampled_from(durations).map(
        lambda d: audio_input(audio_bytes(d, fmt, rate), _audio_kind(param), fmt))


@constraint_strategy(AudioDuration.key, "boundaries")
def _duration_param_edges(p: Param, c: AudioDuration) -> list[Edge]:
    out: list[Edge] = []
    kind, fmt = _audio_kind(p), _formats(p)[0]
    for d, valid, label in _duration_edges(c):
        rate = 8000 if d > 60 else 16000
        out.append((audio_input(audio_bytes(d, fmt, rate), kind, fmt), valid, f"{label} ({d} s)"))
    return out


@constraint_strategy(AudioDuration.key, "field_boundaries")
def _duration_field_edges(f: Param, c: AudioDuration) -> list[Edge]:
    out: list[Edge] = []
    fmt = _formats(f)[0]
    for d, valid, label in _duration_edges(c):
        value = audio_input(audio_bytes(d, fmt, 16000), _audio_kind(f), fmt)
        out.append((value, valid, f"{label} ({d} s)"))
    return out


@constraint_strategy(AudioFormat.key, "invalid", filtered=False)
def _format_invalid(param: Param, c: AudioFormat) -> Values:
    other = next(f for f in ("flac", "ogg", "wav", "mp3") if f not in c.formats) \
        if set(c.formats) != {"wav", "mp3", "ogg", "flac", "m4a", "aac"} else None
    lo, _ = _window(param)
    if other is None:  # any audio is allowed: break it with bytes that are not audio
        junk = b"%PDF-1.4 this is not audio " * 8
        if c.raw is not None:  # nor whole headerless frames
            junk += b"!" * (c.raw.sample_width * c.raw.channels - 1 or 1)
        return st.just(AudioInput("bytes", data=junk, filename="audio.wav"))
    return st.just(audio_input(audio_bytes(max(lo, 2.0), other, 16000), _audio_kind(param), other))


@constraint_strategy(FileSize.key, "invalid", filtered=False)
def _oversized(param: Param, c: FileSize) -> Values:
    return st.just(audio_input(_oversized_wav(c.max_bytes + 1), _audio_kind(param), "wav"))


def wrong_type(param: Param) -> Any:
    """A value of the wrong type for ``param``, as it can travel on the wire (``MISSING`` if none can).

    JSON keeps types, so any other type will do. Form, query and path values are text: only text
    that does not parse as the param's type is wrong there (any text is a valid string).
    """
    if param.location == "json":
        return {"string": 123, "url": 123, "integer": "seven", "number": "0.5", "boolean": "true",
                "object": "not an object", "audio": 123}[param.type]
    return {"integer": "seven", "number": "not-a-number", "boolean": "maybe"}.get(param.type, MISSING)


# ---------------------------------------------------------------------------------------------
# requests
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvalidRequest:
    """A request that breaks exactly one rule: ``rule`` (constraint or rule key) on ``param``."""

    params: dict[str, Any]
    rule: str
    param: str | None
    label: str

    def __repr__(self) -> str:
        return f"InvalidRequest({self.label})"


def _repair(ep: Endpoint, params: dict[str, Any], draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    """Make a request whose params were drawn one by one satisfy the request-level rules."""
    entries = [(r, rule_strategies(r)) for r in ep.rules]
    for r, entry in sorted(entries, key=lambda t: t[1].stage):  # stable: spec order within a stage
        if entry.repair is not None:
            entry.repair(ep, r, params, draw)
    return params


def _optional_names(ep: Endpoint) -> list[str]:
    return [p.name for p in ep.params if not p.required and p.name not in ep.auth_params]


@st.composite
def _valid_request(draw: Any, ep: Endpoint, omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    params: dict[str, Any] = {}
    optional = [p for p in ep.params if not p.required and p.name not in ep.auth_params and p.name not in omit]
    # which optional params are sent: one choice (a bit mask) rather than a boolean each; shrinks to none
    present = draw(st.integers(0, 2 ** len(optional) - 1)) if optional else 0
    chosen = {p.name for i, p in enumerate(optional) if present >> i & 1}
    for p in ep.params:
        if p.name in ep.auth_params:
            continue
        if p.required or p.name in chosen:
            params[p.name] = draw(valid_value(p))
    return _repair(ep, params, draw)


def valid_requests(endpoint: Endpoint, *, omit: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """Requests (logical params, no API key) that satisfy every documented rule.

    ``omit``: optional params never to send (e.g. ``("text",)``: no preview audio).
    """
    for name in omit:
        if not endpoint.has_param(name) or endpoint.param(name).required:
            raise ValueError(f"valid_requests(omit=...): {name!r} is not an optional param of {endpoint.id}")
    return _valid_request(endpoint, frozenset(omit)).filter(lambda p: not endpoint.validate(p))


def _targets(ep: Endpoint) -> list[Target]:
    """``(rule, param, breaker)``: each breaker turns a valid request into one breaking that rule."""
    out: list[Target] = []

    def setter(name: str, values: st.SearchStrategy[Any]) -> Breaker:
        return lambda base: values.map(lambda v: {**base, name: v})

    for p in ep.params:
        if p.name in ep.auth_params:
            continue
        # a path param cannot be left out of a URL, and null cannot travel in a form, query or path
        if p.required and p.location != "path":
            out.append(("required", p.name, lambda base, n=p.name: st.just({k: v for k, v in base.items() if k != n})))
        bad_type = wrong_type(p) if p.type != "audio" else MISSING
        if bad_type is not MISSING:
            out.append(("type", p.name, setter(p.name, st.just(bad_type))))
        if not p.nullable and not p.required and p.location == "json":
            out.append(("not_nullable", p.name, setter(p.name, st.just(None))))
        for c in p.constraints:
            covered = constraint_strategies(c).covered
            if covered is not None and covered(p):
                continue
            out.append((c.key, p.name, setter(p.name, invalid_values(p, c))))
        for f in p.fields:
            if f.required:
                out.append(("required", f"{p.name}.{f.name}", lambda base, p=p, f=f: valid_value(p).map(
                    lambda obj: {**base, p.name: {k: v for k, v in obj.items() if k != f.name}})))
            for c in f.constraints:
                out.append((c.key, f"{p.name}.{f.name}", lambda base, p=p, f=f, c=c: st.tuples(
                    valid_value(p), invalid_values(f, c)).map(lambda t: {**base, p.name: {**t[0], f.name: t[1]}})))
    for r in ep.rules:
        out += rule_strategies(r).role("targets")(ep, r)
    out.append(("unknown_parameter", "undocumented_field",
                lambda base: st.just({**base, "undocumented_field": "x"})))
    return out


# required_with --------------------------------------------------------------------------------


@rule_strategy(RequiredWith.key, "repair")
def _fill_required_with(ep: Endpoint, r: RequiredWith, params: dict[str, Any], draw: Callable[[Values], Any]) -> None:
    if r.trigger in params and params[r.trigger] is not None and params.get(r.param) is None:
        params[r.param] = draw(_non_null(ep.param(r.param)))


@rule_strategy(RequiredWith.key, "targets")
def _break_required_with(ep: Endpoint, r: RequiredWith) -> list[Target]:
    trig = ep.param(r.trigger)
    return [(r.key, r.param, lambda base, r=r, trig=trig: valid_value(trig).filter(
        lambda v: v is not None).map(lambda v: {**{k: x for k, x in base.items() if k != r.param},
                                                 r.trigger: v}))]


# at_least_one ---------------------------------------------------------------------------------


@rule_strategy(AtLeastOne.key, "repair")
def _fill_at_least_one(ep: Endpoint, r: AtLeastOne, params: dict[str, Any], draw: Callable[[Values], Any]) -> None:
    if not any(params.get(n) is not None for n in r.names):
        name = r.names[-1]
        params[name] = draw(_non_null(ep.param(name)))


@rule_strategy(AtLeastOne.key, "targets")
def _break_at_least_one(ep: Endpoint, r: AtLeastOne) -> list[Target]:
    return [(r.key, " | ".join(r.names), lambda base, r=r: st.just(
        {k: v for k, v in base.items() if k not in r.names}))]


# when: the target meets / breaks the When's constraint (its when_valid / when_invalid) ------------


@rule_strategy(When.key, "repair", stage=1)  # after the others: they may have just sent its target
def _fill_when(ep: Endpoint, w: When, params: dict[str, Any], draw: Callable[[Values], Any]) -> None:
    current = params.get(w.param, MISSING)
    if current is MISSING:
        current = ep.param(w.param).default
    if current != w.value or params.get(w.target) is None:
        return
    params[w.target] = draw(constraint_strategies(w.constraint).role("when_valid")(
        ep.param(w.target), w.constraint))


@rule_strategy(When.key, "targets")
def _break_when(ep: Endpoint, r: When) -> list[Target]:
    target = ep.param(r.target)
    bad = constraint_strategies(r.constraint).role("when_invalid")(target, r.constraint)
    return [(r.constraint.key, r.target, lambda base, r=r, bad=bad: bad.map(
        lambda v: {**base, r.param: r.value, r.target: v}))]


# precedence -----------------------------------------------------------------------------------


@rule_strategy(Precedence.key, "targets")
def _break_precedence(ep: Endpoint, r: Precedence) -> list[Target]:
    return []  # not a violation (a notice): there is nothing to break


def rule_labels(endpoint: Endpoint) -> list[str]:
    """Every rule :func:`invalid_requests` can break on this endpoint, as ``param:rule``."""
    return [f"{param}:{rule}" for rule, param, _ in _targets(endpoint)]


def invalid_requests(endpoint: Endpoint, rule: str | None = None) -> st.SearchStrategy[InvalidRequest]:
    """Requests that break exactly one rule each (``rule``: only that ``param:rule`` label)."""
    targets = _targets(endpoint)
    if rule is not None:
        targets = [t for t in targets if f"{t[1]}:{t[0]}" == rule]
        if not targets:
            raise KeyError(f"{endpoint.id} has no rule {rule!r}; known: {', '.join(rule_labels(endpoint))}")

    def build(t: tuple[str, str | None, Any]) -> st.SearchStrategy[InvalidRequest]:
        key, param, breaker = t
        return valid_requests(endpoint).flatmap(breaker).map(
            lambda p: InvalidRequest(p, key, param, f"{param}:{key}"))

    def exactly_one(ex: InvalidRequest) -> bool:
        found = {(v.rule, v.param) for v in endpoint.validate(ex.params)}
        rules = {r for r, _ in found}
        return rules == {ex.rule} and all(p == ex.param or ex.rule in ("at_least_one",) for _, p in found)

    return st.sampled_from(targets).flatmap(build).filter(exactly_one)


# ---------------------------------------------------------------------------------------------
# boundaries
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundaryCase:
    """A value on, just inside or just outside a documented limit."""

    param: str
    rule: str
    value: Any
    valid: bool
    label: str


def boundary_cases(endpoint: Endpoint) -> list[BoundaryCase]:
    """For each range, length and duration window: min, max, just inside, just outside."""
    out: list[BoundaryCase] = []
    for p in endpoint.params:
        for c in p.constraints:
            edges = constraint_strategies(c).boundaries
            out += [BoundaryCase(p.name, c.key, v, valid, label) for v, valid, label in (edges(p, c) if edges else [])]
        for f in p.fields:
            for c in f.constraints:
                edges = constraint_strategies(c).field_boundaries
                out += [BoundaryCase(f"{p.name}.{f.name}", c.key, v, valid, label)
                        for v, valid, label in (edges(f, c) if edges else [])]
    return out


def _duration_edges(c: AudioDuration) -> list[tuple[float, bool, str]]:
    edges: list[tuple[float, bool, str]] = []
    if c.min is not None:
        edges += [(c.min, not c.min_exclusive, "min"), (round(c.min - 0.1, 2), False, "just outside min")]
    if c.max is not None:
        edges += [(c.max, not c.max_exclusive, "max"), (round(c.max - 0.1, 2), True, "just inside max"),
                  (round(c.max + 0.1, 2), False, "just outside max")]
    return [e for e in edges if e[0] > 0]


def _words_of_length(n: int) -> str:
    """A text of exactly ``n`` characters with as many words as fit (for word-count rules)."""
    if n <= 0:
        return ""
    text = " ".join(["ab"] * math.ceil(n / 3))
    return (text + "a" * n)[:n] if len(text) < n else re.sub(r"\s$", "a", text[:n])
