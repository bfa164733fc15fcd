"""Protocol checks of every endpoint: what is accepted, what is rejected and how, what comes back.

Requests come from the spec through hypothesis (:mod:`conformance.strategies`); the number of
examples follows the hypothesis profile (``dev``, ``ci`` under ``CI``, ``thorough``).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from conformance import strategies
from conformance.spec import Endpoint
from conformance.suite.conftest import Outcome, Suite

_FEW = settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))


def prepare(suite: Suite, ep: Endpoint, params: dict[str, Any], *, keep: str | None = None) -> dict[str, Any]:
    """Fill in what only the target knows (the provider's scenarios say what: voices, jobs to fetch)."""
    from conformance.scenarios import scenarios

    return scenarios(ep.provider_id).prepare(suite, ep.name, dict(params), keep)


def common_checks(suite: Suite, ep: Endpoint, out: Outcome) -> None:
    """Checks every answer must pass, whatever was sent (no answer at all fails the first)."""
    case = out.case(ep)
    suite.run_check("not_a_server_error", case)
    suite.run_check("content_type_conformance", case)
    if "json" in out.content_type or out.status != 200:
        suite.run_check("response_schema_conformance", case)


def test_positive_data_acceptance(suite: Suite, endpoint: Endpoint) -> None:
    """Requests that follow every documented rule are accepted, with documented bodies."""

    @given(strategies.valid_requests(endpoint))
    def run(params: dict[str, Any]) -> None:
        out = suite.send(endpoint, prepare(suite, endpoint, params), validate=True)
        common_checks(suite, endpoint, out)
        suite.run_check("positive_data_acceptance", out.case(endpoint))
        assert out.error is None, out.describe()

    run()


def _negative_labels(ep: Endpoint) -> list[str]:
    # Undocumented params are not an error the providers document (they ignore them): the clients
    # flag them as likely typos, the suite does not expect a rejection.
    return [lbl for lbl in strategies.rule_labels(ep) if not lbl.endswith(":unknown_parameter")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_label" in metafunc.fixturenames:
        from conformance.suite.conftest import selected_endpoints

        pairs = [(e, lbl) for e in selected_endpoints(metafunc.config) for lbl in _negative_labels(e)]
        metafunc.parametrize(("endpoint", "rule_label"), pairs, ids=[f"{e.id}-{lbl}" for e, lbl in pairs])


def test_negative_data_rejection(suite: Suite, endpoint: Endpoint, rule_label: str) -> None:
    """A request that breaks one documented rule is rejected with the documented status and error shape."""

    @_FEW
    @given(strategies.invalid_requests(endpoint, rule_label))
    def run(ex: strategies.InvalidRequest) -> None:
        params = prepare(suite, endpoint, ex.params, keep=ex.param)
        out = suite.send(endpoint, params, validate=False)
        common_checks(suite, endpoint, out)
        names: tuple[str, ...] = ("invalid_request", "invalid_audio")
        param = endpoint.param(ex.param.split(".")[0]) if ex.param and endpoint.has_param(
            ex.param.split(".")[0]) else None
        if param is not None and param.location == "path":
            names += ("not_found",)  # a blank path segment is another URL
        source = None
        if param is not None:
            source = next((c.source for c in param.constraints if c.key == ex.rule), param.source)
        suite.run_check("negative_data_rejection", out.case(endpoint, rule=ex.label, rule_source=source,
                                                            error_names=names))

    run()


@pytest.mark.parametrize("case", ["missing", "wrong"])
def test_ignored_auth(suite: Suite, endpoint: Endpoint, case: str) -> None:
    """Without a key, or with a wrong one, the provider answers its documented auth error."""
    if suite.target.kind == "live":
        suite.target.skip_without_key(endpoint.provider_id)  # the valid request below still needs a real voice
    params = prepare(suite, endpoint, valid_example(endpoint))
    out = suite.send(endpoint, params, validate=False, key=None if case == "missing" else suite.wrong_key())
    common_checks(suite, endpoint, out)
    suite.run_check("ignored_auth", out.case(endpoint, auth_case=case))


def valid_example(ep: Endpoint) -> dict[str, Any]:
    """One valid request, the same every run (hypothesis' first, derandomized)."""
    found: list[dict[str, Any]] = []

    @settings(max_examples=1, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategies.valid_requests(ep))
    def pick(params: dict[str, Any]) -> None:
        found.append(params)

    pick()
    return found[0]
