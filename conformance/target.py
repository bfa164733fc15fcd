"""Where a run's requests go, which providers it checks, and which share of the tests it runs.

A library module: the CLI, the configuration, ``compare``, cassette recording and the suite use it;
the pytest plugin only wires it to options. Importing it is light (no pytest, no spec until used).

    >>> parse_target("url=http://127.0.0.1:8765/").describe()
    'url=http://127.0.0.1:8765'
    >>> parse_shard("2/3")
    (2, 3)
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field

from conformance.registry import names as provider_names

TARGET_KINDS = ("simulator", "cassette", "live", "url=BASE")
SIM_KEY = "conformance-simulator-key"
WRONG_KEY = "conformance-wrong-key"


def parse_shard(value: str | None) -> tuple[int, int] | None:
    """``"2/3"`` → ``(2, 3)``; ``None`` or ``""`` → ``None``; anything else is a ValueError saying why."""
    if not value:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(value))
    if not m:
        raise ValueError(f"--shard: cannot read {value!r}; use I/N, e.g. 1/4 (shard 1 of 4)")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"--shard {value}: I must be between 1 and N (N ≥ 1), e.g. 1/{max(n, 2)}")
    return i, n


def shard_of(nodeids: list[str], i: int, n: int) -> list[str]:
    """The node ids shard ``i`` of ``n`` runs: sorted by SHA-256 of the node id, then dealt round-robin.

    Every process that collects the same tests (another CI job, an xdist worker) picks the same ids;
    the shards are disjoint, together they are the whole run, and their sizes differ by at most one.
    """
    order = sorted(nodeids, key=lambda nid: (hashlib.sha256(nid.encode("utf-8")).hexdigest(), nid))
    return order[i - 1::n]


@dataclass
class Target:
    """Where the requests of a run go."""

    kind: str  # simulator | cassette | live | url
    base_url: str | None = None
    providers: tuple[str, ...] = field(default_factory=provider_names)
    seed: int = 0
    faults: list[str] = field(default_factory=list)
    base_urls: dict[str, str] = field(default_factory=dict)  # live: per-provider hosts (configuration file)

    @property
    def offline(self) -> bool:
        return self.kind in ("simulator", "cassette")

    def api_key(self, provider_id: str) -> str | None:
        """The key to use: the simulator's, or the provider's env var for live and gateway targets."""
        from conformance.spec import provider

        if self.kind in ("simulator", "cassette"):
            return SIM_KEY
        return os.environ.get(provider(provider_id).auth.env_var)

    def skip_without_key(self, provider_id: str) -> None:
        """Skip, naming the variable to set, when a live or gateway target has no key for the provider:
        without one, every check would measure the missing-key error instead of the endpoint."""
        from conformance.spec import provider

        if self.kind in ("live", "url") and not self.api_key(provider_id):
            var = provider(provider_id).auth.env_var
            if self.kind == "live":
                raise missing_key_skip()(f"live {provider_id}: set {var} to run against the provider")
            raise missing_key_skip()(f"url {provider_id}: set {var} to the key {self.base_url} expects for "
                                     f"{provider_id} (any value, if it needs none)")

    def base_url_for(self, provider_id: str) -> str | None:
        """Where this provider's requests go: ``url=BASE``'s base, a configured live host, or ``None``
        (the provider's own host, which the in-process simulator and cassettes answer for)."""
        if self.kind == "url":
            return self.base_url
        if self.kind == "live":
            return self.base_urls.get(provider_id)
        return None

    def describe(self) -> str:
        if self.kind == "url":
            from conformance.secrets import mask

            return f"url={mask(self.base_url or '')}"
        hosts = [f"{p}={u}" for p, u in sorted(self.base_urls.items()) if self.kind == "live" and p in self.providers]
        return f"{self.kind} ({', '.join(hosts)})" if hosts else self.kind


_MISSING_KEY: type | None = None


def missing_key_skip() -> type:
    """The skip a test raises when its live or gateway target has no key (pytest's skip, told apart so
    that a recording run writes no cassette for it)."""
    global _MISSING_KEY
    if _MISSING_KEY is None:
        import pytest

        _MISSING_KEY = type("MissingKey", (pytest.skip.Exception,), {"__module__": __name__})
    return _MISSING_KEY


def parse_target(value: str) -> Target:
    """``simulator`` | ``cassette`` | ``live`` | ``url=BASE``; anything else is a clear error."""
    if value in ("simulator", "cassette", "live"):
        return Target(value)
    if value.startswith("url="):
        base = value[4:].rstrip("/")
        if not base.startswith(("http://", "https://")):
            from conformance.secrets import mask

            register_url_credentials(base)
            raise ValueError(f"--conformance-target url=BASE needs an http(s) URL, got {mask(base)!r}")
        register_url_credentials(base)
        return Target("url", base)
    raise ValueError(f"--conformance-target: unknown target {value!r}; use one of {', '.join(TARGET_KINDS)}")


#: query parameters of a target URL whose values are credentials (a gateway's ``?token=``, ``?sig=``…)
_CREDENTIAL_PARAM = re.compile(r"(?i)key|token|secret|auth|pass|sig|credential|session")


def register_url_credentials(url: str) -> None:
    """Mask the credentials a URL carries (its password, or a user name standing alone as a token, and
    credential query parameters) in everything the kit writes or prints."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    from conformance.secrets import register, secret_fields

    try:
        parts = urlsplit(url)
    except ValueError:
        return
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        user, _, password = userinfo.partition(":")
        register(*(unquote(v) for v in ((password,) if password else (user,))), *((password,) if password else (user,)))
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in secret_fields() or _CREDENTIAL_PARAM.search(name):
            register(value)


def selected_providers(value: str | None) -> tuple[str, ...]:
    known = provider_names()
    if not value:
        return known
    chosen = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = [p for p in chosen if p not in known]
    if unknown:
        raise ValueError(f"--conformance-providers: unknown provider(s) {', '.join(unknown)}; "
                         f"known: {', '.join(known)}")
    return chosen
