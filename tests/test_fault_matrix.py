"""The fault-honesty matrix: every fault the simulators can inject, on every endpoint it applies to,
fails a check it names (``Fault.trips``), and no check errors on it (a crash inside a check is a kit bug).

The matrix comes from the fault registry (:data:`conformance.simulators.faults.FAULTS`: each fault's
``trips`` and ``applies_to``) and the spec's endpoints, so a new fault or endpoint joins it by itself.
One suite run per fault, in this process (the audio models load once), with the fault injected on
each endpoint it applies to; each endpoint must fail one of the named checks, and nothing else may
error. That the same checks pass without the fault: the README's main command (tests/test_readme.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import spec
from conformance.simulators.faults import FAULTS
from tests.inprocess import run_suite

pytest_plugins = ["pytester"]


def applicable(kind: str) -> list[str]:
    """The endpoints a fault of ``applies_to == kind`` can change."""
    from conformance.suite.conftest import of_kind

    eps = spec.endpoints()
    if kind == "any":
        return [e.id for e in eps]
    if kind == "audio":
        return [e.id for e in eps if of_kind(e, "audio")]
    if kind == "formats":
        from conformance.scenarios import scenarios

        return [e.id for e in eps if scenarios(e.provider_id).variants.get(e.name)]
    if kind == "job":
        return [e.id for e in eps if e.async_job]
    raise ValueError(kind)


def test_every_fault_names_what_it_trips_and_where_it_applies() -> None:
    from conformance.checks import CHECKS

    for key, cls in FAULTS.items():
        assert cls.applies_to in ("any", "audio", "formats", "job"), key
        assert applicable(cls.applies_to), key
        assert cls.trips or cls.untripped, f"{key} trips no check and does not say why"
        assert set(cls.trips) <= set(CHECKS), (key, set(cls.trips) - set(CHECKS))


MATRIX = sorted(k for k, cls in FAULTS.items() if cls.trips)

# the suite's tests that run each check: the protocol checks every answer gets run inside each protocol
# test (conformance/suite/test_protocol.py: common_checks; the two that send valid requests suffice, one
# answered with success, one with an error), any other check in its own test
COMMON = ("not_a_server_error", "content_type_conformance", "response_schema_conformance")
PROTOCOL_TESTS = ("positive_data_acceptance", "ignored_auth")


def _tests_running(checks: tuple[str, ...]) -> set[str]:
    return {t for c in checks for t in (PROTOCOL_TESTS if c in COMMON else (c,))}


def failed_checks(jsonl: Path) -> tuple[dict[str, set[str]], set[str], list[str]]:
    """What a run's records say, per endpoint: the checks that failed inside its tests (by the check's
    own name, from each record's ``extra.checks``); the endpoints a test could not reach because a call
    it needed first failed (``pytest.fail`` before any check: the fault also hit the endpoint it leans
    on, as ModelsLab's fetch leans on a submitted job); and the tests that crashed (a kit bug)."""
    failed: dict[str, set[str]] = {}
    blocked: set[str] = set()
    crashed = []
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("kind") != "result" or rec["outcome"] not in ("fail", "error"):
            continue
        checks = {c["check"] for c in (rec.get("extra") or {}).get("checks", []) if not c["passed"]}
        last = ((rec.get("failure") or "").strip().splitlines() or [""])[-1]
        failed.setdefault(rec["endpoint"], set()).update(checks)
        if rec["outcome"] == "error" or not last.endswith((": AssertionError", ": Failed")):
            crashed.append(f"{rec['nodeid']}: {last}")
        elif not checks and last.endswith(": Failed"):
            blocked.add(rec["endpoint"])
    return failed, blocked, crashed


def _run(pytester: pytest.Pytester, fault: str, endpoints: list[str], select: str, tag: str) -> Path:
    """The suite's selected tests with ``fault`` injected, in this process (tests/inprocess.py), under the
    ``smoke`` profile: failures as found, not shrunk."""
    report = pytester.path / tag / "conformance.html"
    args = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-q", "-rfE", "--conformance-report",
            str(report), "-k", select, "-p", "no:xdist"]
    for ep in endpoints:
        args += ["--conformance-inject", f"{fault}@{ep}"]
    run_suite(pytester, *args, profile="smoke")
    return report.with_suffix(".jsonl")


@pytest.mark.long
@pytest.mark.parametrize("fault", MATRIX)
def test_each_fault_fails_a_check_it_names_on_every_endpoint_it_applies_to(pytester: pytest.Pytester,
                                                                            fault: str) -> None:
    """The check that fails must be one the fault names, by the check's own name inside the failing test
    (a test runs several checks: the first that fails ends it, and hides the others). An endpoint whose
    tests could not reach it (the fault broke the call they make first) runs again with the fault on it
    alone."""
    cls = FAULTS[fault]
    endpoints = applicable(cls.applies_to)
    tests = " or ".join(sorted(_tests_running(cls.trips)))
    failed, blocked, crashed = failed_checks(_run(pytester, fault, endpoints, tests, "all"))
    for ep in sorted(blocked):
        if failed.get(ep, set()) & set(cls.trips):
            continue
        again, still, more = failed_checks(_run(pytester, fault, [ep], f"({tests}) and {ep}", ep))
        failed[ep] = again.get(ep, set())
        crashed += more
        assert ep not in still, f"{fault}@{ep}: its tests cannot reach it even with the fault on it alone"
    assert not crashed, f"{fault}: a test crashed (a kit bug):\n" + "\n".join(crashed)
    uncaught = {ep: sorted(failed.get(ep, ())) for ep in endpoints if not failed.get(ep, set()) & set(cls.trips)}
    assert not uncaught, f"{fault} went unnoticed by {cls.trips} on (endpoint: the checks that did fail) {uncaught}"
    # and every check the fault names fails somewhere: a named check that never fails is not a trip
    idle = [c for c in cls.trips if not any(c in checks for checks in failed.values())]
    assert not idle, f"{fault} names {idle} among its trips, but they failed on no endpoint: {failed}"
