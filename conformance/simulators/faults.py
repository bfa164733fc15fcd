"""Faults a simulator can inject: how the suite and users prove that clients and checks catch bad providers.

A fault is a small class with a registry (cf. :mod:`conformance.spec.model` constraints): its
``key`` is the name given to :meth:`Simulator.inject`, its ``phase`` says where it acts, and it
carries its own behaviour as the one method of its phase (named like the phase; the simulator
calls it without knowing the fault's class). Adding a fault is adding a subclass of its phase's
base class here:

- ``answer`` (:class:`AnswerFault`): replaces the provider's answer (``rate_limit``,
  ``server_error``, ``html_error_page``, ``timeout``); the request is not processed.
  ``answer(sim, provider, ctx) -> SimResponse`` (``ctx`` is ``None`` for a download);
- ``modify`` (:class:`ModifyFault`): changes the answer on its way out (``latency``,
  ``truncated_body``, ``malformed_json``, ``wrong_content_type``, ``wrong_error_shape``).
  ``modify(response) -> SimResponse``, only for answers it ``accepts(response)``;
- ``audio`` (:class:`AudioFault`): changes the audio a request produces (``wrong_sample_rate``,
  ``silent_audio``, ``wrong_speaker``). ``audio(ctx, ref, rate, render) -> (samples, rate)``, where
  ``render(ref, rate)`` makes the request's speech in the voice of ``ref`` at ``rate``;
- ``job`` (:class:`JobFault`): changes how a queued job ends (``job_failed``, ``job_stuck``).
  ``job(job) -> None`` sets what the job reads (:class:`QueuedJob`).

>>> sim.inject("rate_limit", endpoint="<provider>.<endpoint>", retry_after=0)   # doctest: +SKIP
>>> sim.inject(latency(0.2), times=3)                                                # doctest: +SKIP

``endpoint`` matches an endpoint id (``<provider>.fetch``), an endpoint name (``fetch``), a provider
id, or the download of output files (``<provider>.download``); ``None`` matches any.
``times`` is how many requests the fault hits (a whole number ≥ 0; ``None``: every one until cleared).

Options are checked when a fault is made (:meth:`Fault.check`), wherever they come from (Python, the
``serve`` control API): each has its annotated type, numbers are finite and within the fault's
:attr:`Fault.limits` (delays at most :data:`MAX_SECONDS`); NaN, infinities, booleans for numbers and
text for numbers are a :class:`FaultOptionError` naming the option and the allowed range.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from conformance.simulators.answers import SimResponse

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from conformance.simulators.audio import Reference
    from conformance.spec.model import Endpoint, ErrorCase, Provider

Phase = Literal["answer", "modify", "audio", "job"]


class Simulator(Protocol):
    """What a fault uses of the simulator it is injected into (:class:`conformance.simulators.core.Simulator`)."""

    def render_error(self, provider: Provider, name: str, *, request_id: str | None = None,
                     endpoint: Endpoint | None = None, case: ErrorCase | None = None,
                     headers: dict[str, str] | None = None) -> SimResponse: ...

    def wrong_speaker_reference(self, fault: Any, ref: Reference) -> Reference: ...


class Context(Protocol):
    """What a fault reads of the request it changes (:class:`conformance.simulators.core.Context`)."""

    endpoint: Endpoint
    request_id: str
    sim: Simulator

FAULTS: dict[str, type[Fault]] = {}

MAX_SECONDS = 60.0  # the longest a fault may hold an answer back (latency, timeout), in seconds


class FaultOptionError(ValueError):
    """A fault option (or ``times``, ``endpoint``) of the wrong type or out of range; ``option`` names it."""

    def __init__(self, fault: str, option: str, problem: str):
        self.fault = fault
        self.option = option
        super().__init__(f"{fault}: {option} {problem}")


def _annotated_kinds(annotation: Any) -> set[str] | None:
    """``{"number", "null"}`` for ``float | None`` and the like; ``None`` when the annotation says nothing checkable."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    names = {"float": "number", "int": "integer", "str": "text", "bool": "boolean", "None": "null"}
    parts = [p.strip() for p in text.split("|")]
    if not all(p in names for p in parts):
        return None
    return {names[p] for p in parts}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class Fault:
    """One injected fault. ``hits`` counts the requests it changed; ``remaining`` what is left.

    Subclass the base class of its phase (:class:`AnswerFault`, :class:`ModifyFault`,
    :class:`AudioFault`, :class:`JobFault`) and define the method named like the phase.
    """

    key: ClassVar[str] = "fault"
    phase: ClassVar[Phase]
    # the fault-honesty matrix (tests/test_fault_matrix.py): on every endpoint it applies to ("any",
    # "audio": the endpoints whose output audio the suite checks, "formats": those whose output formats
    # (codec and rate) the suite checks variant by variant, "job": queued jobs), the fault must
    # fail at least one of the checks in ``trips``; a fault no check can judge says why in ``untripped``
    trips: ClassVar[tuple[str, ...]] = ()
    applies_to: ClassVar[str] = "any"
    untripped: ClassVar[str] = ""
    # the inclusive range of each numeric option (a subclass lists its own); see check()
    limits: ClassVar[dict[str, tuple[float, float]]] = {}
    endpoint: str | None = field(default=None, kw_only=True)
    times: int | None = field(default=1, kw_only=True)
    hits: int = field(default=0, kw_only=True)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "key" in cls.__dict__:
            FAULTS[cls.key] = cls

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Refuse options of the wrong type or out of range (:class:`FaultOptionError` naming the option
        and what is allowed): ``times`` a whole number ≥ 0 or ``None``, ``endpoint`` text or ``None``,
        every other option its annotated type, numbers finite and within :attr:`limits`."""
        from dataclasses import fields as dc_fields

        if self.times is not None and (not isinstance(self.times, int) or isinstance(self.times, bool)
                                       or self.times < 0):
            raise FaultOptionError(self.key, "times", f"must be a whole number >= 0, or null for every request "
                                                      f"(got {_show(self.times)})")
        if self.endpoint is not None and not isinstance(self.endpoint, str):
            raise FaultOptionError(self.key, "endpoint", f"must be an endpoint id, name or provider id "
                                                         f"(got {_show(self.endpoint)})")
        for f in dc_fields(self):
            if not f.init or f.name in ("endpoint", "times", "hits"):
                continue
            self._check_option(f.name, getattr(self, f.name), _annotated_kinds(f.type))

    def _check_option(self, name: str, value: Any, kinds: set[str] | None) -> None:
        lo, hi = self.limits.get(name, (-math.inf, math.inf))
        span = f" from {lo:g} to {hi:g}" if name in self.limits else ""
        if kinds is None or (value is None and "null" in kinds):
            return
        if kinds & {"number", "integer"}:
            whole = "number" not in kinds
            what = ("a whole number" if whole else "a finite number") + span + (", or null" if "null" in kinds else "")
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or (whole and not isinstance(value, int)) or not math.isfinite(value) or not lo <= value <= hi):
                raise FaultOptionError(self.key, name, f"must be {what} (got {_show(value)})")
            return
        if "text" in kinds and not isinstance(value, str):
            raise FaultOptionError(self.key, name, f"must be text{', or null' if 'null' in kinds else ''} "
                                                   f"(got {_show(value)})")
        if "boolean" in kinds and kinds <= {"boolean", "null"} and not isinstance(value, bool):
            raise FaultOptionError(self.key, name, f"must be true or false (got {_show(value)})")

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(0, self.times - self.hits)

    @property
    def active(self) -> bool:
        return self.times is None or self.hits < self.times

    def matches(self, endpoint_id: str) -> bool:
        if self.endpoint is None:
            return True
        provider, _, name = endpoint_id.partition(".")
        return self.endpoint in (endpoint_id, provider, name)

    def take(self) -> bool:
        """Count one hit if any are left (thread-safe); ``False`` when used up."""
        with self._lock:
            if not self.active:
                return False
            self.hits += 1
            return True

    def describe(self) -> str:
        where = self.endpoint or "any endpoint"
        times = "every request" if self.times is None else f"{self.times}×"
        return f"{self.key} on {where}, {times}"


class AnswerFault(Fault):
    """Replaces the provider's answer; the request is not processed."""

    phase: ClassVar[Phase] = "answer"

    def answer(self, sim: Simulator, provider: Provider, ctx: Context | None) -> SimResponse:
        """The answer instead of the provider's (``ctx`` is ``None`` for the download of a file)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it answers")


class ModifyFault(Fault):
    """Changes the answer on its way out."""

    phase: ClassVar[Phase] = "modify"

    def accepts(self, response: SimResponse) -> bool:
        """Whether this answer is one the fault changes (one it does not leaves the fault armed)."""
        return True

    def modify(self, response: SimResponse) -> SimResponse:
        """The changed answer (``response`` may be changed in place and returned)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it changes an answer")


Render = Callable[["Reference", int], "np.ndarray"]


class AudioFault(Fault):
    """Changes the audio a request produces."""

    phase: ClassVar[Phase] = "audio"

    def audio(self, ctx: Context, ref: Reference, rate: int, render: Render) -> tuple[np.ndarray, int]:
        """``(samples, rate)`` for a request asking for speech in the voice of ``ref`` at ``rate``;
        ``render(ref, rate)`` makes that speech (the clean answer is ``render(ref, rate), rate``)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it changes audio")


class QueuedJob(Protocol):
    """What a job fault sets on a provider simulator's queued job."""

    fail_message: str | None  # not None: the job ends ``failed`` with this message
    stuck: bool  # the job stays ``processing``


class JobFault(Fault):
    """Changes how a queued job ends."""

    phase: ClassVar[Phase] = "job"

    def job(self, job: QueuedJob) -> None:
        """Set how ``job`` (just queued) ends."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it changes a job")


PHASES: dict[Phase, type[Fault]] = {"answer": AnswerFault, "modify": ModifyFault, "audio": AudioFault,
                                    "job": JobFault}


# -- answer: the provider's answer is replaced ---------------------------------------------------


@dataclass
class RateLimit(AnswerFault):
    """429 with the provider's documented body and retry hints (headers, a ``retry_after`` body field).

    ``retry_after`` in seconds; ``code`` picks one of several documented 429 codes (for example
    ``concurrent_limit_exceeded``).
    """

    key: ClassVar[str] = "rate_limit"
    trips: ClassVar[tuple[str, ...]] = ("positive_data_acceptance",)
    limits: ClassVar[dict[str, tuple[float, float]]] = {"retry_after": (0, 3600)}
    retry_after: float = 1.0
    code: str | None = None

    def answer(self, sim: Simulator, provider: Provider, ctx: Context | None) -> SimResponse:
        cases = provider.errors_named("rate_limit")
        case = next((c for c in cases if self.code in (None, c.code)), cases[0])
        resp = sim.render_error(provider, "rate_limit", request_id=ctx.request_id if ctx else None,
                                endpoint=ctx.endpoint if ctx else None, case=case,
                                headers=self.retry_headers(provider.retry_headers, time.time()))
        body = resp.json()
        if isinstance(body, dict) and "retry_after" in body:  # the documented body field carries it too
            body["retry_after"] = self.retry_after
            resp.body = json.dumps(body, separators=(",", ":")).encode()
        return resp

    def retry_headers(self, names: tuple[str, ...], now: float) -> dict[str, str]:
        """The provider's retry headers (``Provider.retry_headers``) for :attr:`retry_after`."""
        values = {
            "retry-after-ms": str(round(self.retry_after * 1000)),
            "retry-after": str(math.ceil(self.retry_after)),
            "x-ratelimit-reset": str(math.ceil(now + self.retry_after)),
        }
        return {n: values[n.lower()] for n in names if n.lower() in values}


@dataclass
class ServerError(AnswerFault):
    """A 5xx with the provider's documented body (``status`` 500 or 503)."""

    key: ClassVar[str] = "server_error"
    trips: ClassVar[tuple[str, ...]] = ("not_a_server_error",)
    limits: ClassVar[dict[str, tuple[float, float]]] = {"status": (500, 599)}
    status: int = 500

    def answer(self, sim: Simulator, provider: Provider, ctx: Context | None) -> SimResponse:
        case = next((c for c in provider.errors if c.status == self.status), None) or provider.error("server_error")
        return sim.render_error(provider, case.name, request_id=ctx.request_id if ctx else None,
                                endpoint=ctx.endpoint if ctx else None, case=case)


@dataclass
class HtmlErrorPage(AnswerFault):
    """A gateway's HTML error page instead of the provider's JSON (``status`` 502 by default)."""

    key: ClassVar[str] = "html_error_page"
    trips: ClassVar[tuple[str, ...]] = ("not_a_server_error",)  # its 502 fails first
    limits: ClassVar[dict[str, tuple[float, float]]] = {"status": (200, 599)}
    status: int = 502

    def answer(self, sim: Simulator, provider: Provider, ctx: Context | None) -> SimResponse:
        return SimResponse(self.status, self.page(), {"content-type": "text/html"})

    def page(self) -> bytes:
        reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Time-out", 200: "OK"}.get(self.status, "Error")
        return (f"<html>\r\n<head><title>{self.status} {reason}</title></head>\r\n<body>\r\n"
                f"<center><h1>{self.status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n").encode()


@dataclass
class Timeout(AnswerFault):
    """No answer. In-process: ``httpx.ReadTimeout`` after ``seconds``; over HTTP the server holds the
    connection for ``seconds`` (or until the client gives up) and closes it without answering."""

    key: ClassVar[str] = "timeout"
    trips: ClassVar[tuple[str, ...]] = ("not_a_server_error",)  # no answer
    limits: ClassVar[dict[str, tuple[float, float]]] = {"seconds": (0, MAX_SECONDS), "served_seconds": (0, MAX_SECONDS)}
    seconds: float = 0.0
    served_seconds: float = 60.0

    def answer(self, sim: Simulator, provider: Provider, ctx: Context | None) -> SimResponse:
        return SimResponse(504, b"", {}, timeout=True, timeout_after=self.seconds, hold=self.served_seconds)


# -- modify: the answer is changed on its way out -------------------------------------------------


@dataclass
class Latency(ModifyFault):
    """The answer comes ``seconds`` late."""

    key: ClassVar[str] = "latency"
    limits: ClassVar[dict[str, tuple[float, float]]] = {"seconds": (0, MAX_SECONDS)}
    untripped: ClassVar[str] = ("latency is measured on every call (time to first byte, total) and shown, not "
                                "judged: no provider documents a bound")
    seconds: float = 0.5

    def modify(self, response: SimResponse) -> SimResponse:
        response.delay += self.seconds
        return response


@dataclass
class TruncatedBody(ModifyFault):
    """The full ``Content-Length`` is announced but only ``fraction`` of the body is sent."""

    key: ClassVar[str] = "truncated_body"
    trips: ClassVar[tuple[str, ...]] = ("response_schema_conformance",)
    limits: ClassVar[dict[str, tuple[float, float]]] = {"fraction": (0, 1)}
    fraction: float = 0.5

    def modify(self, response: SimResponse) -> SimResponse:
        response.send_bytes = int(len(response.body) * min(max(self.fraction, 0.0), 0.999))
        return response


@dataclass
class MalformedJson(ModifyFault):
    """A JSON answer is cut mid-document (status and content type unchanged). Only JSON answers are changed."""

    key: ClassVar[str] = "malformed_json"
    trips: ClassVar[tuple[str, ...]] = ("response_schema_conformance",)

    def accepts(self, response: SimResponse) -> bool:
        return response.is_json

    def modify(self, response: SimResponse) -> SimResponse:
        response.body = self.garble(response.body)
        return response

    def garble(self, body: bytes) -> bytes:
        cut = max(1, len(body) // 2)
        return body[:cut].rstrip(b"}]") + b',"'  # never valid JSON


@dataclass
class WrongContentType(ModifyFault):
    """The answer is labelled with ``content_type`` (not one the provider documents)."""

    key: ClassVar[str] = "wrong_content_type"
    trips: ClassVar[tuple[str, ...]] = ("content_type_conformance",)
    content_type: str = "text/plain; charset=utf-8"

    def check(self) -> None:
        super().check()
        if not (0 < len(self.content_type) <= 200 and self.content_type.isprintable()
                and self.content_type.isascii()):
            raise FaultOptionError(self.key, "content_type", f"must be a printable ASCII header value of 1 to 200 "
                                                             f"characters (got {_show(self.content_type)})")

    def modify(self, response: SimResponse) -> SimResponse:
        response.headers["content-type"] = self.content_type
        return response


@dataclass
class WrongErrorShape(ModifyFault):
    """Errors keep their status but come in a generic body (``{"error": {"message", "type"}}``), not the
    provider's documented error shape. Only error answers are changed."""

    key: ClassVar[str] = "wrong_error_shape"
    trips: ClassVar[tuple[str, ...]] = ("response_schema_conformance",)  # before negative_data_rejection reads the shape

    def accepts(self, response: SimResponse) -> bool:
        return response.error

    def modify(self, response: SimResponse) -> SimResponse:
        response.body = self.reshape(response.body)
        return response

    def reshape(self, body: bytes) -> bytes:
        try:
            old = json.loads(body)
        except ValueError:
            old = None
        message = _first_message(old) or "Request failed"
        return json.dumps({"error": {"message": message, "type": "invalid_request_error"}},
                          separators=(",", ":")).encode()


def _first_message(value: Any) -> str | None:
    """The first ``message`` (or ``detail`` text) anywhere in a decoded error body."""
    if isinstance(value, dict):
        for k in ("message", "detail"):
            if isinstance(value.get(k), str):
                return value[k]
        for v in value.values():
            found = _first_message(v)
            if found:
                return found
    return None


# -- audio: the audio a request produces is wrong --------------------------------------------------


@dataclass
class WrongSampleRate(AudioFault):
    """The audio is made at another rate than asked (``sample_rate``; default 16 kHz, or 24 kHz when
    16 kHz was asked). Containers declare the rate they really hold; raw formats cannot say, so
    their duration and pitch are off; Opus, always 48 kHz, carries only that rate's bandwidth."""

    key: ClassVar[str] = "wrong_sample_rate"
    trips: ClassVar[tuple[str, ...]] = ("output_format_conformance",)
    applies_to: ClassVar[str] = "formats"  # where the asked rate is a documented output format's
    limits: ClassVar[dict[str, tuple[float, float]]] = {"sample_rate": (8000, 192000)}
    sample_rate: int | None = None

    def audio(self, ctx: Context, ref: Reference, rate: int, render: Render) -> tuple[np.ndarray, int]:
        wrong = self.rate_for(rate)
        return render(ref, wrong), wrong

    def rate_for(self, asked: int) -> int:
        if self.sample_rate is not None:
            return self.sample_rate
        return 16000 if asked != 16000 else 24000


@dataclass
class SilentAudio(AudioFault):
    """The audio has the right format and length but is digital silence."""

    key: ClassVar[str] = "silent_audio"
    trips: ClassVar[tuple[str, ...]] = ("audio_not_silent", "predicted_mos_floor", "speaker_verification")
    applies_to: ClassVar[str] = "audio"

    def audio(self, ctx: Context, ref: Reference, rate: int, render: Render) -> tuple[np.ndarray, int]:
        import numpy as np

        return np.zeros(len(render(ref, rate)), dtype=np.float32), rate


@dataclass
class ShortAudio(AudioFault):
    """The audio stops early: the right format and voice, cut to ``seconds`` (default 0.3 s: under
    the half second any output must last, and far from a voice changer's input length)."""

    key: ClassVar[str] = "short_audio"
    trips: ClassVar[tuple[str, ...]] = ("duration_conformance",)
    applies_to: ClassVar[str] = "audio"
    limits: ClassVar[dict[str, tuple[float, float]]] = {"seconds": (0.01, MAX_SECONDS)}
    seconds: float = 0.3

    def audio(self, ctx: Context, ref: Reference, rate: int, render: Render) -> tuple[np.ndarray, int]:
        y = render(ref, rate)
        return y[: max(1, round(self.seconds * rate))], rate


@dataclass
class WrongSpeaker(AudioFault):
    """The audio is spoken by another voice than asked (``speaker``: a fixture speaker id; by default
    the fixture speaker least like the voice asked, see :meth:`Simulator.wrong_speaker_reference`)."""

    key: ClassVar[str] = "wrong_speaker"
    trips: ClassVar[tuple[str, ...]] = ("speaker_verification",)
    applies_to: ClassVar[str] = "audio"
    speaker: str | None = None

    def audio(self, ctx: Context, ref: Reference, rate: int, render: Render) -> tuple[np.ndarray, int]:
        return render(ctx.sim.wrong_speaker_reference(self, ref), rate), rate


# -- job: how a queued job ends ---------------------------------------------------------------


@dataclass
class FailJob(JobFault):
    """A queued job ends ``failed`` (fetch answers the failure; the webhook gets the failed payload)."""

    key: ClassVar[str] = "job_failed"
    trips: ClassVar[tuple[str, ...]] = ("positive_data_acceptance",)
    applies_to: ClassVar[str] = "job"
    message: str = "Failed to generate audio"

    def job(self, job: QueuedJob) -> None:
        job.fail_message = self.message  # still queued at first, like any job


@dataclass
class StickJob(JobFault):
    """A queued job stays ``processing`` for ever."""

    key: ClassVar[str] = "job_stuck"
    trips: ClassVar[tuple[str, ...]] = ("positive_data_acceptance",)
    applies_to: ClassVar[str] = "job"

    def job(self, job: QueuedJob) -> None:
        job.stuck = True


# constructors that read like the fault names
rate_limit = RateLimit
server_error = ServerError
html_error_page = HtmlErrorPage
timeout = Timeout
latency = Latency
truncated_body = TruncatedBody
malformed_json = MalformedJson
wrong_content_type = WrongContentType
wrong_error_shape = WrongErrorShape
wrong_sample_rate = WrongSampleRate
silent_audio = SilentAudio
wrong_speaker = WrongSpeaker
job_failed = FailJob
job_stuck = StickJob


UNSET: Any = object()


def make(fault: str | Fault, *, endpoint: str | None = None, times: int | None = UNSET, **options: Any) -> Fault:
    """A fault from its name and options, or the fault itself with ``endpoint``/``times``/options applied.

    ``times`` defaults to 1 for a name and to the fault's own value for an instance.
    """
    if isinstance(fault, Fault):
        for k in options:
            if k not in _options(type(fault)):
                raise _no_option(fault.key, k, type(fault))
        if endpoint is not None:
            fault.endpoint = endpoint
        if times is not UNSET:
            fault.times = times
        for k, v in options.items():
            setattr(fault, k, v)
        fault.check()
        return fault
    if not isinstance(fault, str) or fault not in FAULTS:
        raise KeyError(f"unknown fault {_show(fault)}; known: {', '.join(sorted(FAULTS))}")
    cls = FAULTS[fault]
    for k in options:
        if k not in _options(cls):
            raise _no_option(fault, k, cls)
    return cls(endpoint=endpoint, times=1 if times is UNSET else times, **options)


def _options(cls: type[Fault]) -> list[str]:
    from dataclasses import fields as dc_fields

    return [f.name for f in dc_fields(cls) if f.init and f.name not in ("hits",)]


class UnknownFaultOption(FaultOptionError, TypeError):
    """An option the fault does not have (a ``TypeError``, as an unexpected keyword argument is)."""


def _no_option(key: str, option: str, cls: type[Fault]) -> UnknownFaultOption:
    own = [o for o in _options(cls) if o not in ("endpoint", "times")]
    err = UnknownFaultOption(key, option, f"is not an option of it; its options: {', '.join(own) or 'none'} "
                                          f"(and endpoint, times)")
    err.args = (f"fault {key!r} has no option {option!r}; its options: {', '.join(own) or 'none'} "
                f"(and endpoint, times)",)
    return err
