"""The conformance checks: one signature, one registry (in the way schemathesis registers its checks).

Every check is a function ``check(case: Case) -> CheckResult`` registered under its name in
:data:`CHECKS`. A :class:`Case` holds everything a check may read: the endpoint and the answer
(status, content type, body), the audio and what it should be (reference voice, source speech,
text, output format), the rule a request broke on purpose, and the thresholds. Each check returns a
:class:`CheckResult` with what it measured and what it expected, so a failure message (and the
report) shows the numbers, the rule and its source. What an answer must look like comes from
:mod:`conformance.contract`, which the reference clients read too. Names follow schemathesis where
the meaning is the same (``not_a_server_error``, ``positive_data_acceptance``, …).

    >>> from conformance.checks import CHECKS, Case
    >>> CHECKS["not_a_server_error"](Case(status=503)).passed
    False
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance import contract
from conformance.spec.model import Endpoint, Provider, Source, schema_errors
from conformance.thresholds import THRESHOLDS, Thresholds


@dataclass
class CheckResult:
    """The outcome of one check: ``passed``, a message, measured values against expected ones."""

    check: str
    passed: bool
    message: str
    measured: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    rule: str | None = None
    source: str | None = None

    def __bool__(self) -> bool:
        return self.passed

    def explain(self) -> str:
        lines = [f"{self.check}: {'passed' if self.passed else 'FAILED'}: {self.message}"]
        for k in sorted(set(self.measured) | set(self.expected)):
            lines.append(f"  {k}: measured {self.measured.get(k, '—')!r}, expected {self.expected.get(k, '—')!r}")
        if self.rule:
            lines.append(f"  rule: {self.rule}")
        if self.source:
            lines.append(f"  source: {self.source}")
        return "\n".join(lines)


@dataclass
class Case:
    """What the checks read. Each check uses the fields it needs and says which are missing."""

    endpoint: Endpoint | None = None
    status: int | None = None  # the answer
    content_type: str = ""
    body: bytes = b""
    audio: Any = None  # the output audio (an AudioResult, bytes, or (samples, rate))
    reference: Any = None  # speech of the voice the output should carry
    source_audio: Any = None  # the speech a voice changer converted
    source_seconds: float | None = None  # how long that speech was
    text: str | None = None  # the words the output should say
    expect_format: Any = None  # what the output's bytes must be (name, codec, container, sample_rate…)
    rule: str | None = None  # the rule a negative request broke (its label)
    rule_source: Source | None = None
    error_names: tuple[str, ...] = ("invalid_request", "invalid_audio")  # documented errors that may answer it
    auth_case: str | None = None  # "missing" or "wrong": the key a request was sent with
    error: str | None = None  # what the client raised on the call: no answer, a job that never finished…
    thresholds: Thresholds = field(default_factory=lambda: THRESHOLDS)

    def need(self, check: str, *names: str) -> None:
        """A check run on a case without what it reads is a kit bug: say which field is missing."""
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            raise ValueError(f"check {check} needs {', '.join(missing)} in its Case")


Check = Callable[[Case], CheckResult]
CHECKS: dict[str, Check] = {}


def check(fn: Check) -> Check:
    """Register ``fn`` under its name (a second check of the same name is a kit bug)."""
    if fn.__name__ in CHECKS:  # a kit bug
        raise ValueError(f"check {fn.__name__} is registered twice")
    CHECKS[fn.__name__] = fn
    return fn


def run(name: str, case: Case) -> CheckResult:
    """Run the check ``name`` on ``case``; an unknown name is a KeyError naming the known ones.

    Audio that cannot be decoded fails the check with what was wrong with it (the answer under test
    is at fault); any other exception out of a check is a kit bug and propagates as one.
    """
    from conformance.audio.probe import AudioDecodeError

    try:
        fn = CHECKS[name]
    except KeyError:
        raise KeyError(f"unknown check {name!r}; known: {', '.join(sorted(CHECKS))}") from None
    try:
        result = fn(case)
    except AudioDecodeError as exc:
        result = _fail(name, f"the output audio cannot be read: {exc}", measured={"audio": f"unreadable: {exc}"},
                       expected={"audio": "decodable audio"})
    # every result says what it checked and on whose word: the check's own rule, else its summary;
    # the endpoint's documentation, else the kit's check
    if not result.rule:
        result.rule = (fn.__doc__ or name).strip().splitlines()[0]
    if not result.source:
        result.source = str(case.endpoint.source) if case.endpoint is not None else f"the kit's check {name}"
    return result


def _judgeable(name: str, audio: Any, role: str = "output") -> tuple[Any, CheckResult | None]:
    """``(decoded audio, None)`` to measure (decoded once), or ``(None, failure)`` saying why ``audio``
    holds no speech to judge (silence, NaN, DC, a click, unreadable bytes)."""
    from conformance.audio import judgeable

    decoded, why = judgeable(audio)
    if why is None:
        return decoded, None
    return None, _fail(name, f"no speech to judge in the {role}: {why}", measured={role: why},
                       expected={role: "speech"})


def _status(case: Case) -> int:
    """The answer's status, once ``case.need(…, "status")`` has said there is one."""
    return int(case.status)  # type: ignore[arg-type]


def _ok(check: str, message: str, **kw: Any) -> CheckResult:
    return CheckResult(check, True, message, **kw)


def _fail(check: str, message: str, **kw: Any) -> CheckResult:
    return CheckResult(check, False, message, **kw)


def _json(body: bytes) -> Any:
    from conformance import safejson

    try:  # JSON nested too deeply is no JSON (never a RecursionError)
        return safejson.loads(body)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# protocol checks
# ---------------------------------------------------------------------------------------------


def not_a_server_error(case: Case) -> CheckResult:
    """An answer, and no 5xx, whatever was sent."""
    if case.status is None and case.error is not None:  # no answer at all: what a gateway reports as 504
        return _fail("not_a_server_error", f"no answer: {case.error}", measured={"status": None, "error": case.error},
                     expected={"status": "< 500"})
    case.need("not_a_server_error", "status")
    status = _status(case)
    if status >= 500:
        return _fail("not_a_server_error", f"server error {status}", measured={"status": status},
                     expected={"status": "< 500"})
    return _ok("not_a_server_error", f"status {status}", measured={"status": status})


def content_type_conformance(case: Case) -> CheckResult:
    """The content type is one the provider documents for this status."""
    case.need("content_type_conformance", "endpoint", "status")
    ep, status, ctype = case.endpoint, _status(case), case.content_type
    assert ep is not None
    if not ep.responses_for(status):
        return _ok("content_type_conformance", f"status {status} has no documented body",
                   measured={"content_type": ctype})
    broken = contract.content_type(ep, status, ctype)
    allowed = sorted({c for r in ep.responses_for(status) for c in r.content_types})
    if broken is None:
        return _ok("content_type_conformance", ctype, measured={"content_type": ctype},
                   expected={"content_type": allowed})
    return _fail("content_type_conformance", f"{ctype or '(none)'} is not documented for {status}",
                 measured=broken.measured, expected=broken.expected, source=broken.source)


def response_schema_conformance(case: Case) -> CheckResult:
    """A JSON body matches a documented schema for its status (any documented state)."""
    case.need("response_schema_conformance", "endpoint", "status")
    ep, status, body = case.endpoint, _status(case), case.body
    assert ep is not None
    name = "response_schema_conformance"
    if not contract.json_contracts(ep, status):
        if any(r.kind == "audio" for r in ep.responses_for(status)):
            return _ok(name, "audio body", measured={"status": status})
        broken = contract.documented_status(ep, status) or contract.Broken(f"status {status}: no JSON body documented")
        return _fail(name, broken.message, measured={"status": status}, expected=broken.expected)
    data = _json(body)
    if data is None:
        return _fail(name, "body is not JSON", measured={"body": body[:80].decode("utf-8", "replace")},
                     expected={"schema": [r.state for r in contract.json_contracts(ep, status)]})
    state, broken = contract.matching_state(ep, status, data)
    if broken is not None:
        return _fail(name, broken.message[:400], measured=broken.measured, expected=broken.expected,
                     source=broken.source)
    source = next(str(r.source) for r in contract.json_contracts(ep, status, state))
    return _ok(name, f"matches the documented {state} body", measured={"state": state}, source=source)


def _error_statuses(provider: Provider, names: tuple[str, ...]) -> set[int]:
    out = {e.status for e in provider.errors if e.name in names}
    if any(e.http200 for e in provider.errors if e.name in names):
        out.add(200)
    for v in provider.variants:  # documented alternatives count (e.g. a second documented 401 body)
        if isinstance(v.value, dict) and "status" in v.value and any(n.startswith("auth") for n in names):
            out.add(v.value["status"])
    return out


def _error_body_problem(provider: Provider, body: Any) -> str | None:
    """Why ``body`` is not in the provider's error shape, or ``None`` when it is."""
    found = schema_errors(body, provider.error_shape.schema)  # type: ignore[arg-type]
    return found[0] if found else None


def negative_data_rejection(case: Case) -> CheckResult:
    """A request breaking a documented rule is rejected with a documented status and error shape."""
    case.need("negative_data_rejection", "endpoint", "status", "rule")
    ep, status, rule = case.endpoint, _status(case), case.rule
    assert ep is not None
    provider = ep.provider
    allowed = _error_statuses(provider, case.error_names)
    data = _json(case.body)
    measured = {"status": status}
    expected = {"status": sorted(allowed), "error_shape": provider.error_shape.description}
    src = str(case.rule_source) if case.rule_source else None
    if status not in allowed:
        return _fail("negative_data_rejection", f"request breaking {rule} got status {status}", measured=measured,
                     expected=expected, rule=rule, source=src)
    if data is None:
        return _fail("negative_data_rejection", "error body is not JSON", measured=measured, expected=expected,
                     rule=rule, source=src)
    if status == 200 and not contract.is_error_answer(ep, status, data):
        return _fail("negative_data_rejection", "HTTP 200 without an error body: the request was accepted",
                     measured={**measured, "body_status": data.get("status") if isinstance(data, dict) else None},
                     expected=expected, rule=rule, source=src)
    why = _error_body_problem(provider, data)
    if why is not None:
        return _fail("negative_data_rejection", f"error body is not in {provider.name}'s error shape: {why}",
                     measured=measured, expected=expected, rule=rule, source=src)
    return _ok("negative_data_rejection", f"rejected with {status}", measured=measured, expected=expected,
               rule=rule, source=src)


def ignored_auth(case: Case) -> CheckResult:
    """A missing or wrong key gets the documented auth error, not data."""
    case.need("ignored_auth", "endpoint", "status", "auth_case")
    ep, status, which = case.endpoint, _status(case), case.auth_case
    assert ep is not None
    provider = ep.provider
    allowed = _error_statuses(provider, ("auth", "auth_missing"))
    data = _json(case.body)
    measured = {"status": status, "case": which}
    expected = {"status": sorted(allowed)}
    src = str(provider.auth.source)
    if status not in allowed:
        return _fail("ignored_auth", f"{which} key got status {status}", measured=measured, expected=expected,
                     rule=provider.auth.describe(), source=src)
    if status == 200 and not contract.is_error_answer(ep, status, data):
        return _fail("ignored_auth", f"{which} key was accepted (HTTP 200, no error)", measured=measured,
                     expected=expected, rule=provider.auth.describe(), source=src)
    why = _error_body_problem(provider, data) if data is not None else "not JSON"
    if why is not None:
        return _fail("ignored_auth", f"auth error body is not in the error shape: {why}", measured=measured,
                     expected=expected, rule=provider.auth.describe(), source=src)
    return _ok("ignored_auth", f"{which} key rejected with {status}", measured=measured, expected=expected,
               rule=provider.auth.describe(), source=src)


def positive_data_acceptance(case: Case) -> CheckResult:
    """A request that follows every documented rule is accepted."""
    case.need("positive_data_acceptance", "endpoint", "status")
    ep, status, body = case.endpoint, _status(case), case.body
    assert ep is not None
    data = _json(body) if "json" in case.content_type else None
    measured = {"status": status}
    if status != 200:
        detail = json.dumps(data)[:200] if data is not None else body[:120].decode("utf-8", "replace")
        return _fail("positive_data_acceptance", f"valid request got status {status}: {detail}", measured=measured,
                     expected={"status": 200})
    if data is not None and contract.is_error_answer(ep, status, data):
        return _fail("positive_data_acceptance", f"valid request answered with an error body: {json.dumps(data)[:200]}",
                     measured={**measured, "body_status": data.get("status") if isinstance(data, dict) else None},
                     expected={"status": 200})
    if case.error is not None:  # accepted, but it never delivered: a queued job that never finished
        return _fail("positive_data_acceptance", f"valid request accepted but never completed: {case.error}",
                     measured={**measured, "error": case.error}, expected={"status": 200, "error": None})
    return _ok("positive_data_acceptance", "accepted", measured=measured, expected={"status": 200})


# ---------------------------------------------------------------------------------------------
# audio checks (the audio stack loads on first use)
# ---------------------------------------------------------------------------------------------


def output_format_conformance(case: Case) -> CheckResult:
    """The bytes really are the promised format's codec and sample rate, with the bandwidth that rate promises.

    The header must agree (containers); headerless formats are read at the promised rate. The
    effective bandwidth catches audio made at a lower rate and declared at a higher one; it is not
    asked of MP3 under 64 kbps, whose encoder low-passes by design.
    """
    from conformance.audio import analyze

    name = "output_format_conformance"
    case.need(name, "audio", "expect_format")
    audio, fmt = case.audio, case.expect_format
    min_bandwidth_share = case.thresholds.min_bandwidth_share
    expected = {"container": fmt.container, "sample_rate": fmt.sample_rate, "codec": fmt.codec}
    measured = {"container": getattr(audio, "format", None), "sample_rate": getattr(audio, "sample_rate", None),
                "codec": getattr(audio, "codec", None)}
    src = str(getattr(fmt, "source", None) or f"output variant {fmt.name}")
    if measured["container"] != fmt.container or measured["sample_rate"] != fmt.sample_rate:
        got = f"{measured['container']} at {measured['sample_rate']} Hz"
        measured["format_honest"] = False
        return _fail(name, f"asked for {fmt.name} ({fmt.container} at {fmt.sample_rate} Hz), got {got}",
                     measured=measured, expected=expected, source=src)
    report = analyze(audio)
    measured.update(bandwidth_hz=round(report.bandwidth_hz), duration_s=round(report.duration_s, 3))
    lossy_low = fmt.codec == "mp3" and (fmt.bitrate_kbps or 0) < 64
    if fmt.sample_rate >= 16000 and not lossy_low:
        need = min_bandwidth_share * fmt.sample_rate / 2
        expected["bandwidth_hz"] = f">= {need:.0f}"
        if report.bandwidth_hz < need:
            measured["format_honest"] = False
            return _fail(name, f"{fmt.name}: effective bandwidth {report.bandwidth_hz:.0f} Hz is under "
                               f"{need:.0f} Hz: the audio was made at a lower rate than declared",
                         measured=measured, expected=expected, source=src)
    measured["format_honest"] = True
    return _ok(name, f"{fmt.name} as promised", measured=measured, expected=expected, source=src)


MIN_SECONDS, MAX_SECONDS = 0.5, 600.0  # any output: at least half a second of audio, at most ten minutes


def duration_conformance(case: Case) -> CheckResult:
    """A voice changer keeps its input's length; any output is at least half a second of audio."""
    from conformance.audio.decoding import as_decoded

    name = "duration_conformance"
    case.need(name, "audio")
    source_seconds, tolerance = case.source_seconds, case.thresholds.duration_tolerance
    d = as_decoded(case.audio).duration  # the length is the decoder's to say: no loudness, pitch or bandwidth
    measured = {"duration_s": round(d, 3)}
    if source_seconds is not None:
        slack = source_seconds * tolerance + 0.1
        expected = {"duration_s": f"{source_seconds} ± {slack:.2f}"}
        if abs(d - source_seconds) > slack:
            return _fail(name, f"output lasts {d:.2f} s for {source_seconds:.2f} s of input", measured=measured,
                         expected=expected, rule="a voice changer keeps the input's timing")
        return _ok(name, f"{d:.2f} s", measured=measured, expected=expected)
    expected = {"duration_s": f"{MIN_SECONDS}–{MAX_SECONDS}"}
    if not MIN_SECONDS <= d <= MAX_SECONDS:
        return _fail(name, f"output lasts {d:.2f} s", measured=measured, expected=expected)
    return _ok(name, f"{d:.2f} s", measured=measured, expected=expected)


def audio_not_silent(case: Case) -> CheckResult:
    """The output holds speech, not silence."""
    from conformance.audio import analyze

    case.need("audio_not_silent", "audio")
    audio, empty = _judgeable("audio_not_silent", case.audio)
    if empty is not None:
        return empty
    max_silence_ratio = case.thresholds.max_silence_ratio
    r = analyze(audio)
    measured = {"silence_ratio": round(r.silence_ratio, 3), "peak_dbfs": round(r.peak_dbfs, 1)}
    expected = {"silence_ratio": f"<= {max_silence_ratio}"}
    if r.silence_ratio > max_silence_ratio:
        return _fail("audio_not_silent", f"{r.silence_ratio:.0%} of the output is silence", measured=measured,
                     expected=expected)
    return _ok("audio_not_silent", "speech present", measured=measured, expected=expected)


def speaker_verification(case: Case) -> CheckResult:
    """The output is spoken by the reference's speaker (S-normalised speaker verification)."""
    from conformance.audio import verify_speaker

    case.need("speaker_verification", "audio", "reference")
    audio, empty = _judgeable("speaker_verification", case.audio)
    if empty is not None:
        return empty
    v = verify_speaker(audio, case.reference, threshold=case.thresholds.speaker_score)
    measured = {"speaker_similarity": round(v.cosine, 3), "score": round(v.score, 2), "backend": v.backend}
    expected = {"score": f">= {v.threshold}"}
    if not v.same_speaker:
        return _fail("speaker_verification", f"the output is not the target voice (S-norm score {v.score:.2f} "
                                             f"< {v.threshold})", measured=measured, expected=expected)
    return _ok("speaker_verification", "same speaker", measured=measured, expected=expected)


def predicted_mos_floor(case: Case) -> CheckResult:
    """DNSMOS predicts an overall quality at or above the floor."""
    from conformance.audio import predicted_mos

    case.need("predicted_mos_floor", "audio")
    audio, empty = _judgeable("predicted_mos_floor", case.audio)
    if empty is not None:
        return empty
    floor = case.thresholds.mos_floor
    m = predicted_mos(audio)
    measured = {"predicted_mos": round(m.ovrl, 2), "sig": round(m.sig, 2), "bak": round(m.bak, 2)}
    expected = {"predicted_mos": f">= {floor}"}
    if m.ovrl < floor:
        return _fail("predicted_mos_floor", f"DNSMOS OVRL {m.ovrl:.2f} under {floor}", measured=measured,
                     expected=expected)
    return _ok("predicted_mos_floor", f"OVRL {m.ovrl:.2f}", measured=measured, expected=expected)


def intelligibility(case: Case) -> CheckResult:
    """The output says the words it was given (WER at or under the ceiling)."""
    from conformance.audio import intelligibility as measure

    case.need("intelligibility", "audio", "text")
    audio, empty = _judgeable("intelligibility", case.audio)
    if empty is not None:
        return empty
    wer_ceiling = case.thresholds.wer_ceiling
    r = measure(audio, str(case.text))
    measured = {"wer": round(r.wer, 3), "transcript": r.transcript}
    expected = {"wer": f"<= {wer_ceiling}", "text": r.reference}
    if r.wer > wer_ceiling:
        return _fail("intelligibility", f"WER {r.wer:.2f} over {wer_ceiling}", measured=measured, expected=expected)
    return _ok("intelligibility", f"WER {r.wer:.2f}", measured=measured, expected=expected)


def timing_preservation(case: Case) -> CheckResult:
    """A voice changer keeps the input's timing: duration ratio and DTW slope near 1."""
    from conformance.audio import timing_preservation as measure

    case.need("timing_preservation", "audio", "source_audio")
    audio, empty = _judgeable("timing_preservation", case.audio)
    if empty is not None:
        return empty
    slope_tolerance, ratio_tolerance = case.thresholds.dtw_slope_tolerance, case.thresholds.duration_tolerance
    t = measure(case.source_audio, audio)
    measured = {"duration_ratio": round(t.duration_ratio, 3), "dtw_slope": round(t.dtw_slope, 3),
                "f0_correlation": None if t.f0_correlation is None else round(t.f0_correlation, 3)}
    expected = {"duration_ratio": f"1 ± {ratio_tolerance}", "dtw_slope": f"1 ± {slope_tolerance}"}
    if abs(t.duration_ratio - 1) > ratio_tolerance + 0.1 / max(t.source_duration_s, 0.1) or \
            abs(t.dtw_slope - 1) > slope_tolerance:
        return _fail("timing_preservation", "the conversion does not keep the input's timing", measured=measured,
                     expected=expected)
    return _ok("timing_preservation", "timing kept", measured=measured, expected=expected)


__all__ = ["CHECKS", "Case", "Check", "CheckResult", "check", "run"]


# registered by call, not as a decorator: mutation testing (benchmarks/mutation_score.py) mutates only undecorated functions
for _fn in (not_a_server_error, content_type_conformance, response_schema_conformance,
            negative_data_rejection, ignored_auth, positive_data_acceptance, output_format_conformance,
            duration_conformance, audio_not_silent, speaker_verification, predicted_mos_floor,
            intelligibility, timing_preservation):
    check(_fn)
del _fn
