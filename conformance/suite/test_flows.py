"""Stateful flows as hypothesis state machines: each provider's documented sequences (its scenarios' flows).

Each machine drives one provider through its documented sequence in an order hypothesis chooses,
and checks after every step that what the provider says is consistent with what came before.
"""

from __future__ import annotations

import pytest

from conformance.scenarios import Flow
from conformance.suite.conftest import Suite


def test_flow(suite: Suite, provider_id: str, flow: Flow) -> None:
    """The provider's documented sequence holds in any order (the flow's own docstring says which)."""
    suite.target.skip_without_key(provider_id)  # live needs the key
    flow.run(suite)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "flow" in metafunc.fixturenames:
        from conformance.scenarios import scenarios
        from conformance.suite.conftest import selected_endpoints

        chosen = dict.fromkeys(e.provider_id for e in selected_endpoints(metafunc.config))
        pairs = [(pid, f) for pid in chosen for f in scenarios(pid).flows]
        metafunc.parametrize(("provider_id", "flow"), pairs, ids=[f"{pid}.{f.name}" for pid, f in pairs])
