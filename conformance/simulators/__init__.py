"""Provider simulators: fake providers that answer like the real ones (each provider package's simulator).

>>> from conformance.simulators import simulate
>>> with simulate("<provider>", seed=0) as sim:                 # doctest: +SKIP
...     r = httpx.post("https://<the provider's host>/<endpoint path>", ...)
...     sim.inject("rate_limit", retry_after=0)

In-process they are respx routes on the providers' real hosts; ``voice-conformance serve`` puts the
same handlers on a loopback HTTP server. Everything they check and answer is read from
:mod:`conformance.spec`. Importing this package is light: audio libraries load on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from conformance.simulators import faults
    from conformance.simulators.core import Call, SimResponse, Simulator, StoredFile, Voice, WebhookDelivery
    from conformance.simulators.faults import FAULTS, Fault

# Loaded on first use, so that the pytest plugin can offer the simulator fixtures for free.
_LAZY = {"Call": "core", "SimResponse": "core", "Simulator": "core", "StoredFile": "core", "Voice": "core",
         "WebhookDelivery": "core", "FAULTS": "faults", "Fault": "faults"}


def __getattr__(name: str) -> Any:
    if name == "faults":
        return importlib.import_module("conformance.simulators.faults")
    if name in _LAZY:
        return getattr(importlib.import_module(f"conformance.simulators.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'conformance.simulators' has no attribute {name!r}")


@contextmanager
def simulate(*providers: str, seed: int = 0, **options: Any) -> Iterator[Simulator]:
    """Simulate ``providers`` (default: all) in-process for the ``with`` block; yields the :class:`Simulator`.

    Options are :class:`Simulator`'s (``keys``, ``http200_errors``, ``job_polls``, ``job_seconds``,
    ``unknown_urls``, ``webhook_client``). Any httpx-based code reaches the simulator unchanged.
    """
    from conformance.simulators.core import Simulator

    sim = Simulator(*providers, seed=seed, **options)
    with sim:
        yield sim


__all__ = [
    "FAULTS",
    "Call",
    "Fault",
    "SimResponse",
    "Simulator",
    "StoredFile",
    "Voice",
    "WebhookDelivery",
    "faults",
    "simulate",
]
