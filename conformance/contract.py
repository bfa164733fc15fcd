"""The response contract: what an answer must look like, judged once from the spec.

The reference clients raise :class:`conformance.clients.ProtocolError` with a :class:`Broken`'s
message; the suite's checks record it with its measured and expected values. Both read these
functions, so a client and the suite never disagree about what the provider promised.

    >>> from conformance.contract import complete
    >>> complete("10", 8).message
    'truncated body: received 8 of 10 bytes announced by Content-Length'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance import safejson
from conformance.spec.model import Endpoint, ResponseContract, content_type_ok, schema_errors

ERROR_STATES = ("error", "failed")  # documented states of a 200 JSON body that is not data


@dataclass(frozen=True)
class Broken:
    """One broken promise of the response contract: why, what was measured and expected, and the source."""

    message: str
    measured: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    source: str | None = None


def complete(declared: str | None, received: int) -> Broken | None:
    """The body is as long as its ``Content-Length`` announced."""
    if declared and declared.isdigit() and int(declared) != received:
        return Broken(f"truncated body: received {received} of {declared} bytes announced by Content-Length",
                      {"bytes": received}, {"bytes": int(declared)})
    return None


def parse_json(body: bytes, content_type: str) -> tuple[Any, Broken | None]:
    """The JSON body, or why it is not one: an HTML page, malformed JSON, or JSON under another content type."""
    head = body.lstrip()[:15].lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        return None, Broken("HTML page instead of JSON", {"content_type": content_type})
    try:
        data = safejson.loads(body)
    except safejson.TooDeep as exc:  # any depth: never a RecursionError
        return None, Broken(f"malformed JSON body: {exc}", {"content_type": content_type},
                            {"max_depth": safejson.MAX_DEPTH})
    except ValueError:
        return None, Broken("malformed JSON body", {"content_type": content_type})
    if "json" not in content_type.lower():
        return data, Broken(f"wrong content type {content_type or '(none)'!r} for a JSON body",
                            {"content_type": content_type}, {"content_type": "application/json"})
    return data, None


def content_type(ep: Endpoint, status: int, ctype: str, *, kind: str | None = None) -> Broken | None:
    """The content type is one the endpoint documents for ``status`` (of answers of ``kind``: json, audio)."""
    contracts = [r for r in ep.responses_for(status) if kind is None or r.kind == kind]
    if not contracts:
        return None
    if any(r.accepts_content_type(ctype) for r in contracts):
        return None
    allowed = sorted({c for r in contracts for c in r.content_types})
    what = "audio" if kind == "audio" else str(status)
    return Broken(f"wrong content type {ctype or '(none)'!r} for {what}; documented: {', '.join(allowed)}",
                  {"content_type": ctype}, {"content_type": allowed}, str(contracts[0].source))


def audio_content_type_ok(ep: Endpoint, ctype: str) -> bool:
    """``ctype`` fits the endpoint's documented audio answers (any, when it documents none)."""
    allowed = [c for r in ep.responses_for(200) if r.kind == "audio" for c in r.content_types]
    return not allowed or content_type_ok(ctype, allowed)


def json_contracts(ep: Endpoint, status: int, state: str | None = None) -> list[ResponseContract]:
    """The documented JSON bodies of ``status`` (of one ``state``, or of any)."""
    return [r for r in ep.responses_for(status)
            if r.kind == "json" and r.schema is not None and (state is None or r.state == state)]


def matching_state(ep: Endpoint, status: int, data: Any, *, state: str | None = None) -> tuple[str | None, Broken | None]:
    """The documented state whose schema ``data`` matches (``state`` alone, or any), or why none does.

    ``(None, None)`` when the endpoint documents no JSON body for ``status`` (and ``state``)."""
    contracts = json_contracts(ep, status, state)
    if not contracts:
        return None, None
    errors = []
    for r in contracts:
        found = schema_errors(data, r.schema)  # type: ignore[arg-type]
        if not found:
            return r.state, None
        errors.append(f"{r.state}: {found[0]}" if state is None else "; ".join(found[:3]))
    what = f"{state} body" if state else "body"
    return None, Broken(f"{what} breaks the documented schema ({contracts[0].source}): " + "; ".join(errors),
                        {"status": status}, {"schema": [r.state for r in contracts]}, str(contracts[0].source))


def is_error_answer(ep: Endpoint, status: int, data: Any, states: tuple[str, ...] = ERROR_STATES) -> bool:
    """A 2xx JSON body that is one of the endpoint's documented error states (errors sent with HTTP 200)."""
    return any(not schema_errors(data, r.schema) for r in json_contracts(ep, status)  # type: ignore[arg-type]
               if r.state in states)


def documented_status(ep: Endpoint, status: int) -> Broken | None:
    """The endpoint documents an answer with this status."""
    if ep.responses_for(status):
        return None
    return Broken(f"status {status} is not documented for {ep.id}", {"status": status},
                  {"status": sorted({r.status for r in ep.responses})})


__all__ = ["ERROR_STATES", "Broken", "audio_content_type_ok", "complete", "content_type", "documented_status",
           "is_error_answer", "json_contracts", "matching_state", "parse_json"]
