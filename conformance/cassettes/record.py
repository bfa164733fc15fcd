"""Regenerate the suite's shipped cassettes: the suite recorded from the loopback simulator over real
HTTP. (The cassettes of the providers' published examples are built by :mod:`conformance.cassettes.examples`.)

``voice-conformance record`` (or ``python -m conformance.cassettes.record``) calls :func:`record_suite`.
Each suite module is recorded with the matching its replay needs (:data:`MODULES`): the protocol
checks' generated traffic in recorded order per endpoint (``sequence``), the audio checks and the
stateful flows by request fingerprint (their requests are the same every run: derandomized
hypothesis, deterministic audio), so any test of a module can replay a request another test of it
recorded (session-scoped results are made by whichever test asks first).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SENTINEL_KEY = "vc-recording-key-0000"  # the key the loopback recording uses (scrubbed like any key)
#: the suite's modules and how their recordings match on replay
MODULES: dict[str, str] = {
    "conformance.suite.test_protocol": "sequence",
    "conformance.suite.test_audio": "fingerprint",
    "conformance.suite.test_flows": "fingerprint",
}


def recording_voices() -> dict[tuple[str, str], str]:
    """Voices of the recording account: the premade id the suite converts into on non-simulator targets,
    speaking like the reference speech it is checked against (each provider's spec ``VoiceSetup``)."""
    from conformance.spec import providers

    return {(p.id, p.voice.premade_voice_id): p.voice.speaker for p in providers().values()
            if p.voice.premade_voice_id}


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
    from conformance.simulators import Simulator
    from conformance.simulators.server import serve_in_thread
    from conformance.target import WRONG_KEY

    sim = Simulator(seed=seed, job_polls=0)
    sim.reject_key(WRONG_KEY)
    sim.urls = _HostedUrls(sim.urls)
    from conformance.scenarios import scenarios

    for pid in sim.providers:
        if scenarios(pid).recording_knows_every_voice:
            sim.voices[pid] = _EveryVoice(sim, pid, sim.voices.get(pid, {}))
    for (provider, voice_id), speaker in recording_voices().items():
        sim.add_voice(provider, voice_id, speaker=speaker)
    with serve_in_thread(sim) as server:
        yield server


def record_suite(out: Path, *, key: str = SENTINEL_KEY, pytest_args: Sequence[str] = (), seed: int = 0,
                 request_bodies: str = "digest", mode: str = "rewrite",
                 modules: Sequence[str] | None = None) -> int:
    """Record the shipped suite (or ``modules`` of it) into ``out`` from the loopback simulator.

    Returns pytest's exit code (the worst over the modules). Each module runs in its own pytest
    session with the matching :data:`MODULES` gives it.
    """
    import pytest

    chosen = list(modules) if modules else list(MODULES)
    unknown = [m for m in chosen if m not in MODULES]
    if unknown:
        raise ValueError(f"record_suite: unknown suite module(s) {', '.join(unknown)}; known: {', '.join(MODULES)}")
    out = Path(out).absolute()  # a path from here: pytest would take a relative one from the rootdir
    from conformance import hosted
    from conformance.secrets import key_env_vars

    saved = {v: os.environ.get(v) for v in (*key_env_vars(), "HYPOTHESIS_PROFILE", hosted.PUBLIC_BASE_ENV)}
    codes: list[int] = []
    try:
        for v in key_env_vars():
            os.environ[v] = key  # scrubbed from the environment: never on a command line a report records
        os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
        # the loopback simulator runs in this process and reads the kit's hosted audio directly
        # (_HostedUrls): audio URLs stay on the reserved host, as they are on replay
        os.environ[hosted.PUBLIC_BASE_ENV] = hosted.HOST
        with loopback_simulator(seed) as server:
            for module in chosen:
                args = ["--pyargs", module, "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist",
                        "--assert=plain",  # as `run`: the suite's assertions carry their messages
                        f"--conformance-target=url={server.base_url}", f"--record-mode={mode}",
                        f"--cassette-dir={out}", f"--cassette-request-bodies={request_bodies}",
                        "--block-network", f"--cassette-match={MODULES[module]}",
                        "--conformance-report=",  # cassettes only: no session overwrites a report
                        *pytest_args]
                code = int(pytest.main(args))
                codes.append(0 if code == 5 and pytest_args else code)  # -k may select nothing in a module
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old
    if out.is_dir():
        from conformance.cassettes.store import prune_sidecars

        prune_sidecars(out)  # bodies of the cassettes this recording replaced
    return max(codes, default=0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(record_suite(Path(sys.argv[1] if len(sys.argv) > 1 else "cassettes/suite"), pytest_args=sys.argv[2:]))
