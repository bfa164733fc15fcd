"""Regenerate the shipped cassettes: the suite recorded from the loopback simulator over real HTTP,
plus the providers' published examples (:mod:`conformance.cassettes.examples`).

``voice-conformance record`` (or ``python -m conformance.cassettes.record``) calls :func:`record_suite`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SENTINEL_KEY = "vc-recording-key-0000"  # the key the loopback recording uses (scrubbed like any key)
KEY_VARS = ("ELEVENLABS_API_KEY", "MODELSLAB_API_KEY", "NOVITA_API_KEY", "FASEEH_API_KEY")


class _HostedUrls(dict):  # type: ignore[type-arg]
    """The simulator's registered URLs, falling back to audio the kit hosts (:mod:`conformance.hosted`).

    The suite registers URL audio only with an in-process simulator; the recording process shares
    :mod:`conformance.hosted` with the loopback server, so the server reads the same audio.
    """

    def __contains__(self, url: object) -> bool:
        from conformance import hosted

        return super().__contains__(url) or (isinstance(url, str) and hosted.lookup(url) is not None)

    def __getitem__(self, url: str) -> bytes:
        from conformance import hosted

        if super().__contains__(url):
            return super().__getitem__(url)
        data = hosted.lookup(url)
        if data is None:
            raise KeyError(url)
        return data


class _EveryVoice(dict):  # type: ignore[type-arg]
    """A recording account where every voice id exists (the suite picks ids the simulator never saw);
    unknown ids speak like a fixture speaker chosen by the id."""

    def __init__(self, sim: Any, provider: str, known: dict[str, Any]):
        super().__init__(known)
        self.sim, self.provider = sim, provider

    def get(self, voice_id: Any, default: Any = None) -> Any:
        from conformance.simulators.core import Voice

        if super().__contains__(voice_id):
            return super().__getitem__(voice_id)
        if not isinstance(voice_id, str) or not voice_id:
            return default
        return Voice(self.provider, voice_id, speaker=self.sim.stand_in_speaker(voice_id), reference=None,
                     meta={}, created=True)


@contextmanager
def loopback_simulator(seed: int = 0) -> Iterator[Any]:
    """The simulators served on a free loopback port in a thread, as the suite's url= target expects."""
    from conformance.plugin import WRONG_KEY
    from conformance.simulators import Simulator
    from conformance.simulators.server import serve_in_thread

    sim = Simulator(seed=seed, job_polls=0)
    sim.reject_key(WRONG_KEY)
    sim.urls = _HostedUrls(sim.urls)
    sim.voices["modelslab"] = _EveryVoice(sim, "modelslab", sim.voices.get("modelslab", {}))
    with serve_in_thread(sim) as server:
        yield server


def record_suite(out: Path, *, key: str = SENTINEL_KEY, pytest_args: Sequence[str] = (), seed: int = 0,
                 request_bodies: str = "digest", mode: str = "rewrite") -> int:
    """Record the shipped suite into ``out`` from the loopback simulator; pytest's exit code."""
    import pytest

    out = Path(out)
    saved = {v: os.environ.get(v) for v in (*KEY_VARS, "HYPOTHESIS_PROFILE")}
    try:
        for v in KEY_VARS:
            os.environ[v] = key  # scrubbed from the environment: never on a command line a report records
        os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
        with loopback_simulator(seed) as server:
            args = ["--pyargs", "conformance.suite.test_protocol", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                    f"--conformance-target=url={server.base_url}", f"--record-mode={mode}",
                    f"--cassette-dir={out}", f"--cassette-request-bodies={request_bodies}",
                    "--block-network", "--cassette-match=sequence", *pytest_args]
            return int(pytest.main(args))
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


if __name__ == "__main__":  # pragma: no cover
    sys.exit(record_suite(Path(sys.argv[1] if len(sys.argv) > 1 else "cassettes/suite"), pytest_args=sys.argv[2:]))
