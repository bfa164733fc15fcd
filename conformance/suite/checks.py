"""The suite's checks, as plain functions over what was sent and what came back.

Each returns a :class:`CheckResult` with what it measured and what it expected, so a failure
message (and the report) shows the numbers, the rule and its source. Names follow schemathesis
where the meaning is the same (``not_a_server_error``, ``positive_data_acceptance``, …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conformance.spec.model import Endpoint, Provider, Source


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
    import jsonschema

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
        try:
            jsonschema.validate(data, r.schema)  # type: ignore[arg-type]
            return _ok("response_schema_conformance", f"matches the documented {r.state} body",
                       measured={"state": r.state}, source=str(r.source))
        except jsonschema.ValidationError as exc:
            errors.append(f"{r.state}: {'/'.join(map(str, exc.absolute_path)) or '(root)'}: {exc.message}")
    return _fail("response_schema_conformance", "; ".join(errors)[:400], measured={"status": status},
                 expected={"schema": [r.state for r in contracts]}, source=str(contracts[0].source))


def _error_statuses(provider: Provider, names: tuple[str, ...]) -> set[int]:
    out = {e.status for e in provider.errors if e.name in names}
    if any(e.http200 for e in provider.errors if e.name in names):
        out.add(200)
    for v in provider.variants:  # documented alternatives count (e.g. Novita's 401)
        if isinstance(v.value, dict) and "status" in v.value and any(n.startswith("auth") for n in names):
            out.add(v.value["status"])
    return out


def _is_error_body(provider: Provider, body: Any) -> tuple[bool, str]:
    import jsonschema

    try:
        jsonschema.validate(body, provider.error_shape.schema)  # type: ignore[arg-type]
        return True, ""
    except jsonschema.ValidationError as exc:
        return False, exc.message


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
