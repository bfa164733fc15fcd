"""pytest fixtures for the simulators (the plugin registers them; a conftest can import them too).

Override ``simulator_options`` to pass :class:`Simulator` options (seed, keys, job_polls, …)::

    @pytest.fixture
    def simulator_options():
        return {"seed": 7, "job_polls": 0}

PYTEST_DONT_REWRITE: wiring only, no assertions to rewrite (it may be imported before pytest starts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from conformance.registry import names_or_builtin

if TYPE_CHECKING:  # pragma: no cover
    from conformance.simulators import Simulator


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Options for every simulator fixture (override it to change them)."""
    return {}


def record_calls(sim: Simulator, record: Callable[..., None]) -> None:
    """Tell the test's report record which provider and endpoint the test's calls reached."""
    endpoints = list(dict.fromkeys(c.endpoint_id for c in sim.calls if c.endpoint_id))
    if endpoints:  # what the test (or its markers) said itself is kept
        record.defaults(provider=endpoints[0].split(".", 1)[0], endpoint=endpoints[0],  # type: ignore[attr-defined]
                        extra={"endpoints": endpoints, "calls": len(sim.calls)})


@pytest.fixture
def simulator(simulator_options: dict[str, Any], conformance_record: Callable[..., None]) -> Iterator[Simulator]:
    """Every provider simulated in-process: httpx requests to the real hosts reach the simulator."""
    from conformance.simulators import simulate

    with simulate(**simulator_options) as sim:
        yield sim
        record_calls(sim, conformance_record)


def _provider_fixture(provider_id: str) -> Callable[..., Iterator[Simulator]]:
    def fixture(simulator_options: dict[str, Any], conformance_record: Callable[..., None]) -> Iterator[Simulator]:
        from conformance.simulators import simulate

        with simulate(provider_id, **simulator_options) as sim:
            yield sim
            record_calls(sim, conformance_record)

    fixture.__doc__ = f"{provider_id} alone, simulated in-process."
    fixture.__name__ = f"{provider_id}_simulator"
    return pytest.fixture(name=f"{provider_id}_simulator")(fixture)


# one simulator fixture per provider: <provider>_simulator
for _provider_id in names_or_builtin():
    globals()[f"{_provider_id}_simulator"] = _provider_fixture(_provider_id)


@pytest.fixture
def simulator_server(simulator_options: dict[str, Any]) -> Iterator[Any]:
    """Every provider on a loopback HTTP port (``.base_url``, ``.sim``), stopped after the test."""
    from conformance.simulators import Simulator
    from conformance.simulators.server import serve_in_thread

    with serve_in_thread(Simulator(**simulator_options)) as server:
        yield server


__all__ = ["simulator", "simulator_options", "simulator_server", *(f"{p}_simulator" for p in names_or_builtin())]
