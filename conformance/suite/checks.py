"""The suite's checks, as plain functions over what was sent and what came back.

Each returns a :class:`CheckResult` with what it measured and what it expected, so a failure
message (and the report) shows the numbers, the rule and its source. Names follow schemathesis
where the meaning is the same (``not_a_server_error``, ``positive_data_acceptance``, …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conformance.spec.model import Endpoint, Provider, Source, schema_errors


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


def _ok(check: str, message: str, **kw: Any) -> CheckResult:
    return CheckResult(check, True, message, **kw)


def _fail(check: str, message: str, **kw: Any) -> CheckResult:
    return CheckResult(check, False, message, **kw)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def not_a_server_error(status: int) -> CheckResult:
    """No 5xx, whatever was sent."""
    if status >= 500:
        return _fail("not_a_server_error", f"server error {status}", measured={"status": status},
                     expected={"status": "< 500"})
    return _ok("not_a_server_error", f"status {status}", measured={"status": status})


def content_type_conformance(ep: Endpoint, status: int, content_type: str) -> CheckResult:
    """The content type is one the provider documents for this status."""
    contracts = ep.responses_for(status)
    if not contracts:
        return _ok("content_type_conformance", f"status {status} has no documented body",
                   measured={"content_type": content_type})
    allowed = sorted({c for r in contracts for c in r.content_types})
    if any(r.accepts_content_type(content_type) for r in contracts):
        return _ok("content_type_conformance", content_type, measured={"content_type": content_type},
                   expected={"content_type": allowed})
    return _fail("content_type_conformance", f"{content_type or '(none)'} is not documented for {status}",
                 measured={"content_type": content_type}, expected={"content_type": allowed},
                 source=str(contracts[0].source))


def response_schema_conformance(ep: Endpoint, status: int, body: bytes) -> CheckResult:
    """A JSON body matches a documented schema for its status (any documented state)."""
    contracts = [r for r in ep.responses_for(status) if r.kind == "json" and r.schema is not None]
    if not contracts:
        audio = [r for r in ep.responses_for(status) if r.kind == "audio"]
        if audio:
            return _ok("response_schema_conformance", "audio body", measured={"status": status})
        return _fail("response_schema_conformance", f"status {status} is not documented for {ep.id}",
                     measured={"status": status},
                     expected={"status": sorted({r.status for r in ep.responses})})
    data = _json(body)
    if data is None:
        return _fail("response_schema_conformance", "body is not JSON", measured={"body": body[:80].decode(
            "utf-8", "replace")}, expected={"schema": [r.state for r in contracts]})
    errors = []
    for r in contracts:
        found = schema_errors(data, r.schema)  # type: ignore[arg-type]
        if not found:
            return _ok("response_schema_conformance", f"matches the documented {r.state} body",
                       measured={"state": r.state}, source=str(r.source))
        errors.append(f"{r.state}: {found[0]}")
    return _fail("response_schema_conformance", "; ".join(errors)[:400], measured={"status": status},
                 expected={"schema": [r.state for r in contracts]}, source=str(contracts[0].source))


def _error_statuses(provider: Provider, names: tuple[str, ...]) -> set[int]:
    out = {e.status for e in provider.errors if e.name in names}
    if any(e.http200 for e in provider.errors if e.name in names):
        out.add(200)
    for v in provider.variants:  # documented alternatives count (e.g. a second documented 401 body)
        if isinstance(v.value, dict) and "status" in v.value and any(n.startswith("auth") for n in names):
            out.add(v.value["status"])
    return out


def _is_error_body(provider: Provider, body: Any) -> tuple[bool, str]:
    found = schema_errors(body, provider.error_shape.schema)  # type: ignore[arg-type]
    return (not found), (found[0] if found else "")


def negative_data_rejection(ep: Endpoint, status: int, body: bytes, *, rule: str, source: Source | None = None,
                            names: tuple[str, ...] = ("invalid_request", "invalid_audio")) -> CheckResult:
    """A request breaking a documented rule is rejected with a documented status and error shape."""
    provider = ep.provider
    allowed = _error_statuses(provider, names)
    data = _json(body)
    measured = {"status": status}
    expected = {"status": sorted(allowed), "error_shape": provider.error_shape.description}
    src = str(source) if source else None
    if status not in allowed:
        return _fail("negative_data_rejection", f"request breaking {rule} got status {status}", measured=measured,
                     expected=expected, rule=rule, source=src)
    if data is None:
        return _fail("negative_data_rejection", "error body is not JSON", measured=measured, expected=expected,
                     rule=rule, source=src)
    if status == 200 and not (isinstance(data, dict) and data.get("status") in ("error", "failed")):
        return _fail("negative_data_rejection", "HTTP 200 without an error body: the request was accepted",
                     measured={**measured, "body_status": data.get("status") if isinstance(data, dict) else None},
                     expected=expected, rule=rule, source=src)
    ok, why = _is_error_body(provider, data)
    if not ok:
        return _fail("negative_data_rejection", f"error body is not in {provider.name}'s error shape: {why}",
                     measured=measured, expected=expected, rule=rule, source=src)
    return _ok("negative_data_rejection", f"rejected with {status}", measured=measured, expected=expected,
               rule=rule, source=src)


def ignored_auth(ep: Endpoint, status: int, body: bytes, *, case: str) -> CheckResult:
    """A missing or wrong key gets the documented auth error, not data."""
    provider = ep.provider
    allowed = _error_statuses(provider, ("auth", "auth_missing"))
    data = _json(body)
    measured = {"status": status, "case": case}
    expected = {"status": sorted(allowed)}
    src = str(provider.auth.source)
    if status not in allowed:
        return _fail("ignored_auth", f"{case} key got status {status}", measured=measured, expected=expected,
                     rule=provider.auth.describe(), source=src)
    if status == 200 and not (isinstance(data, dict) and data.get("status") == "error"):
        return _fail("ignored_auth", f"{case} key was accepted (HTTP 200, no error)", measured=measured,
                     expected=expected, rule=provider.auth.describe(), source=src)
    ok, why = _is_error_body(provider, data) if data is not None else (False, "not JSON")
    if not ok:
        return _fail("ignored_auth", f"auth error body is not in the error shape: {why}", measured=measured,
                     expected=expected, rule=provider.auth.describe(), source=src)
    return _ok("ignored_auth", f"{case} key rejected with {status}", measured=measured, expected=expected,
               rule=provider.auth.describe(), source=src)


def positive_data_acceptance(ep: Endpoint, status: int, body: bytes, content_type: str) -> CheckResult:
    """A request that follows every documented rule is accepted."""
    data = _json(body) if "json" in content_type else None
    measured = {"status": status}
    if status != 200:
        detail = json.dumps(data)[:200] if data is not None else body[:120].decode("utf-8", "replace")
        return _fail("positive_data_acceptance", f"valid request got status {status}: {detail}", measured=measured,
                     expected={"status": 200})
    if isinstance(data, dict) and data.get("status") in ("error", "failed"):
        return _fail("positive_data_acceptance", f"valid request answered with an error body: {json.dumps(data)[:200]}",
                     measured={**measured, "body_status": data.get("status")}, expected={"status": 200})
    return _ok("positive_data_acceptance", "accepted", measured=measured, expected={"status": 200})


# ---------------------------------------------------------------------------------------------
# audio checks (the audio stack loads on first use)
# ---------------------------------------------------------------------------------------------


def output_format_conformance(audio: Any, fmt: Any, *, min_bandwidth_share: float = 0.5) -> CheckResult:
    """The bytes really are ``fmt``'s codec and sample rate, and carry the bandwidth that rate promises.

    The header must agree (containers); headerless formats are read at the promised rate. The
    effective bandwidth catches audio made at a lower rate and declared at a higher one; it is not
    asked of MP3 under 64 kbps, whose encoder low-passes by design.
    """
    from conformance.audio import analyze

    name = "output_format_conformance"
    expected = {"container": fmt.container, "sample_rate": fmt.sample_rate, "codec": fmt.codec}
    measured = {"container": getattr(audio, "format", None), "sample_rate": getattr(audio, "sample_rate", None),
                "codec": getattr(audio, "codec", None)}
    src = str(getattr(fmt, "source", None) or f"output variant {fmt.name}")
    if measured["container"] != fmt.container or measured["sample_rate"] != fmt.sample_rate:
        measured["format_honest"] = False
        return _fail(name, f"asked for {fmt.name}, got {measured}", measured=measured, expected=expected, source=src)
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


def duration_conformance(audio: Any, *, source_seconds: float | None, tolerance: float = 0.05,
                         min_seconds: float = 0.5, max_seconds: float = 600.0) -> CheckResult:
    """A voice changer keeps its input's length; any output is at least ``min_seconds`` of audio."""
    from conformance.audio import analyze

    name = "duration_conformance"
    d = analyze(audio).duration_s
    measured = {"duration_s": round(d, 3)}
    if source_seconds is not None:
        slack = source_seconds * tolerance + 0.1
        expected = {"duration_s": f"{source_seconds} ± {slack:.2f}"}
        if abs(d - source_seconds) > slack:
            return _fail(name, f"output lasts {d:.2f} s for {source_seconds:.2f} s of input", measured=measured,
                         expected=expected, rule="a voice changer keeps the input's timing",
                         source="seed 003: maintain full control over emotion, timing and delivery")
        return _ok(name, f"{d:.2f} s", measured=measured, expected=expected)
    expected = {"duration_s": f"{min_seconds}–{max_seconds}"}
    if not min_seconds <= d <= max_seconds:
        return _fail(name, f"output lasts {d:.2f} s", measured=measured, expected=expected)
    return _ok(name, f"{d:.2f} s", measured=measured, expected=expected)


def audio_not_silent(audio: Any, *, max_silence_ratio: float = 0.8) -> CheckResult:
    from conformance.audio import analyze

    r = analyze(audio)
    measured = {"silence_ratio": round(r.silence_ratio, 3), "peak_dbfs": round(r.peak_dbfs, 1)}
    expected = {"silence_ratio": f"<= {max_silence_ratio}"}
    if r.silence_ratio > max_silence_ratio:
        return _fail("audio_not_silent", f"{r.silence_ratio:.0%} of the output is silence", measured=measured,
                     expected=expected)
    return _ok("audio_not_silent", "speech present", measured=measured, expected=expected)


def speaker_verification(audio: Any, reference: Any, *, threshold: float | None = None) -> CheckResult:
    from conformance.audio import verify_speaker

    v = verify_speaker(audio, reference, threshold=threshold)
    measured = {"speaker_similarity": round(v.cosine, 3), "score": round(v.score, 2), "backend": v.backend}
    expected = {"score": f">= {v.threshold}"}
    if not v.same_speaker:
        return _fail("speaker_verification", f"the output is not the target voice (S-norm score {v.score:.2f} "
                                             f"< {v.threshold})", measured=measured, expected=expected)
    return _ok("speaker_verification", "same speaker", measured=measured, expected=expected)


def predicted_mos_floor(audio: Any, *, floor: float) -> CheckResult:
    from conformance.audio import predicted_mos

    m = predicted_mos(audio)
    measured = {"predicted_mos": round(m.ovrl, 2), "sig": round(m.sig, 2), "bak": round(m.bak, 2)}
    expected = {"predicted_mos": f">= {floor}"}
    if m.ovrl < floor:
        return _fail("predicted_mos_floor", f"DNSMOS OVRL {m.ovrl:.2f} under {floor}", measured=measured,
                     expected=expected)
    return _ok("predicted_mos_floor", f"OVRL {m.ovrl:.2f}", measured=measured, expected=expected)


def intelligibility(audio: Any, text: str, *, wer_ceiling: float) -> CheckResult:
    from conformance.audio import intelligibility as measure

    r = measure(audio, text)
    measured = {"wer": round(r.wer, 3), "transcript": r.transcript}
    expected = {"wer": f"<= {wer_ceiling}", "text": r.reference}
    if r.wer > wer_ceiling:
        return _fail("intelligibility", f"WER {r.wer:.2f} over {wer_ceiling}", measured=measured, expected=expected)
    return _ok("intelligibility", f"WER {r.wer:.2f}", measured=measured, expected=expected)


def timing_preservation(source: Any, audio: Any, *, slope_tolerance: float = 0.15,
                        ratio_tolerance: float = 0.05) -> CheckResult:
    from conformance.audio import timing_preservation as measure

    t = measure(source, audio)
    measured = {"duration_ratio": round(t.duration_ratio, 3), "dtw_slope": round(t.dtw_slope, 3),
                "f0_correlation": None if t.f0_correlation is None else round(t.f0_correlation, 3)}
    expected = {"duration_ratio": f"1 ± {ratio_tolerance}", "dtw_slope": f"1 ± {slope_tolerance}"}
    if abs(t.duration_ratio - 1) > ratio_tolerance + 0.1 / max(t.source_duration_s, 0.1) or \
            abs(t.dtw_slope - 1) > slope_tolerance:
        return _fail("timing_preservation", "the conversion does not keep the input's timing", measured=measured,
                     expected=expected, source="seed 003: maintain full control over emotion, timing and delivery")
    return _ok("timing_preservation", "timing kept", measured=measured, expected=expected)
