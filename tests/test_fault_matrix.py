"""The fault-honesty matrix: every fault the simulators can inject, on every endpoint it applies to,
fails a check it names (``Fault.trips``), and no check errors on it (a crash inside a check is a kit bug).

The matrix comes from the fault registry (:data:`conformance.simulators.faults.FAULTS`: each fault's
``trips`` and ``applies_to``) and the spec's endpoints, so a new fault or endpoint joins it by itself.
One suite run per fault, in this process (the audio models load once), with the fault injected on
each endpoint it applies to; each endpoint must fail one of the named checks, and nothing else may
error. That the same checks pass without the fault: the README's main command (tests/test_readme.py).
"""

from __future__ import annotations

import re

import pytest

from conformance import spec
from conformance.simulators.faults import FAULTS

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


@pytest.mark.parametrize("fault", MATRIX)
def test_each_fault_fails_a_check_it_names_on_every_endpoint_it_applies_to(pytester: pytest.Pytester,
                                                                            monkeypatch: pytest.MonkeyPatch,
                                                                            fault: str) -> None:
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "smoke")  # failures as found, not shrunk
    cls = FAULTS[fault]
    endpoints = applicable(cls.applies_to)
    args = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-q", "-rfE", "--conformance-report", "",
            "-k", " or ".join(cls.trips), "-p", "no:xdist"]
    for ep in endpoints:
        args += ["--conformance-inject", f"{fault}@{ep}"]
    result = pytester.runpytest_subprocess(*args, timeout=900)
    lines = result.outlines
    failed: dict[str, set[str]] = {ep: set() for ep in endpoints}
    errored = []
    for line in lines:
        m = re.match(r"(FAILED|ERROR) \S*::test_(\w+)\[([\w.]+)", line)
        if m:
            kind, check, ep = m.group(1), m.group(2), m.group(3).split("-")[0]
            if kind == "ERROR" or ("Error:" in line and "AssertionError" not in line and "Failed:" not in line):
                errored.append(line)
            failed.setdefault(ep, set()).add(check)
    log = "\n".join(lines[-60:])
    assert not errored, f"{fault}: a check crashed (a kit bug):\n" + "\n".join(errored)
    uncaught = [ep for ep in endpoints if not failed[ep] & set(cls.trips)]
    assert not uncaught, f"{fault} went unnoticed by {cls.trips} on {uncaught}\n{log}"
