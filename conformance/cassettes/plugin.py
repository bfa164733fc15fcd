"""Cassette options and fixtures (loaded by the conformance plugin; imports nothing heavy).

``--record-mode`` (pytest-recording's names, default ``none``: CI never reaches the network),
``--block-network``, ``--cassette-dir``, ``--cassette-secret``, ``--cassette-max-age``,
``--drift-against-spec``. The ``cassette`` target replays; ``live`` and ``url=BASE`` record when a
mode other than ``none`` is given. A run that uses cassettes (or asks for it) ends with the drift of
its cassette folder against the spec as a section of the HTML report.

PYTEST_DONT_REWRITE: wiring only, no assertions to rewrite (it may be imported before pytest starts).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.cassettes.recorder import RECORD_MODES

ORIGIN_ENV = "VOICE_CONFORMANCE_CASSETTE_ORIGIN"
REWRITE_ENV = "VOICE_CONFORMANCE_REWRITE_HOSTS"  # loopback bases whose URLs become the providers' own


class StaleCassetteWarning(UserWarning):
    """A cassette is older than ``--cassette-max-age``."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cassettes", "voice-conformance cassettes")
    group.addoption("--record-mode", default="none", choices=RECORD_MODES,
                    help="vcrpy record mode (default none: replay only, never reach the network)")
    group.addoption("--block-network", action="store_true", default=False,
                    help="refuse connections to any host but --allowed-hosts (loopback by default)")
    group.addoption("--allowed-hosts", default="127.0.0.1,localhost,::1", metavar="HOSTS",
                    help="hosts --block-network lets through, comma-separated")
    group.addoption("--cassette-dir", default=None, metavar="DIR",
                    help="where cassettes live (default: <rootdir>/cassettes/suite)")
    group.addoption("--cassette-secret", action="append", default=[], metavar="VALUE",
                    help="a value never to write into a cassette (repeatable; prefer the VOICE_CONFORMANCE_SECRETS "
                         "variable, which no report records); provider keys from the environment are always scrubbed")
    group.addoption("--cassette-request-bodies", default="full", choices=("full", "digest"),
                    help="keep request bodies (full) or only their fingerprints (digest)")
    group.addoption("--cassette-match", default="fingerprint", choices=("fingerprint", "sequence"),
                    help="how new recordings match on replay: by body fingerprint (default) or in recorded "
                         "order per endpoint (for generated traffic); replay follows each cassette's own setting")
    group.addoption("--cassette-max-age", default=None, metavar="AGE",
                    help="cassettes recorded longer ago than AGE (e.g. 30d, 12h) are stale")
    group.addoption("--cassette-stale", default="warn", choices=("warn", "fail"),
                    help="what a stale cassette does (default warn)")
    group.addoption("--drift-against-spec", action="store_true", default=False,
                    help="add the API drift of --cassette-dir against the spec to the HTML report (done by "
                         "default when the run replays or records cassettes)")


def _target_kind(config: pytest.Config) -> str:
    target = str(config.getoption("--conformance-target", "simulator") or "")
    return "url" if target.startswith("url=") else target


def _load_profiles() -> None:
    if "hypothesis" in sys.modules:
        from conformance.profiles import register_hypothesis_profiles

        register_hypothesis_profiles()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tests collected after configuration (a user's own, with cassettes) get the derandomized profile
    too: hypothesis is usually first imported by them."""
    if cassettes_active(session.config, _target_kind(session.config)):
        _load_profiles()


def parse_age(value: str) -> float:
    """``"30d"`` → seconds (units s, m, h, d, w)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", value or "")
    if not m:
        raise ValueError(f"--cassette-max-age: cannot read {value!r}; use e.g. 30d, 12h, 90m")
    return float(m.group(1)) * {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]


def recording(config: pytest.Config) -> bool:
    return config.getoption("--record-mode", "none") != "none"


def cassettes_active(config: pytest.Config, target: Any) -> bool:
    """The per-test cassette is in use: replay on the ``cassette`` target, or recording requested."""
    kind = getattr(target, "kind", target)
    return kind == "cassette" or (recording(config) and kind in ("live", "url"))


#: the cassette the last configuration of this process refused (see :func:`check_cassettes`), for the
#: ``voice-conformance`` command: its message is the one line it shows (exit code 2)
refused: list[str] = []


def check_cassettes(config: pytest.Config) -> None:
    """A run that reads recorded cassettes (replay, or ``once``/``new_episodes`` recording) first checks
    every cassette of its folder (format and sidecar references; bodies are verified when replayed):
    one that cannot be used is a usage error naming it, before any test runs (not a crash in each test).
    xdist workers leave it to the controller."""
    if hasattr(config, "workerinput") or not cassettes_active(config, _target_kind(config)):
        return
    if config.getoption("--record-mode", "none") not in ("none", "once", "new_episodes"):
        return  # every cassette is written afresh
    root = cassette_root(config)
    if not root.is_dir():
        return  # each test says its cassette is missing
    from conformance.cassettes.store import CassetteError, check_folder

    try:
        check_folder(root)
    except CassetteError as exc:
        refused.append(str(exc))
        raise pytest.UsageError(str(exc)) from None


def pytest_configure(config: pytest.Config) -> None:
    _LIBRARIES.clear()  # a session in the same process (voice-conformance record) may have rewritten them
    refused.clear()
    age = config.getoption("--cassette-max-age", None)
    if age:
        try:
            parse_age(age)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    check_cassettes(config)
    if cassettes_active(config, _target_kind(config)):
        # recording and replay must draw the same requests: derandomized hypothesis
        os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
        _load_profiles()
        restore = pin_hypothesis_constants()
        if restore is not None:
            config.add_cleanup(restore)
    if config.getoption("--block-network", False):
        from conformance.cassettes.recorder import block_network

        hosts = [h.strip() for h in config.getoption("--allowed-hosts").split(",") if h.strip()]
        cm = block_network(hosts)
        cm.__enter__()
        config.add_cleanup(lambda: cm.__exit__(None, None, None))


def pin_hypothesis_constants() -> Any:
    """Make derandomized hypothesis draw the same examples whatever modules are loaded.

    Hypothesis now and then draws a constant found in the source of the project's *loaded* modules
    (``hypothesis.internal.conjecture.providers._get_local_constants``). Which modules are loaded
    depends on the order tests run in, on whether the run records (the loopback simulator is
    imported) or replays, and on how the kit is installed, so the same test could send other
    requests on replay than it recorded. While cassettes are in use that pool is pinned empty
    (hypothesis' built-in constants still apply). Returns a function undoing it, or ``None`` when
    this hypothesis has no such pool.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - hypothesis is a dependency
        return None
    original = getattr(providers, "_get_local_constants", None)
    constants = getattr(providers, "Constants", None)
    if original is None or constants is None:
        return None
    empty = constants()
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)

    def pinned() -> Any:
        return empty

    def restore() -> None:
        providers._get_local_constants = original
        if cache is not None:
            cache.clear()

    providers._get_local_constants = pinned
    if cache is not None:
        cache.clear()  # allowed constants computed from the unpinned pool
    return restore


def cassette_root(config: pytest.Config) -> Path:
    """``--cassette-dir`` (a relative path is taken from the rootdir, like the report's), else
    ``<rootdir>/cassettes/suite``."""
    given = config.getoption("--cassette-dir", None)
    root = Path(given).expanduser() if given else Path("cassettes") / "suite"
    return root if root.is_absolute() else Path(config.rootpath) / root


def cassette_path(root: Path, node: pytest.Item) -> Path:
    """``<root>/<module>/<test name>.yaml``, the name made file-safe."""
    module = node.module.__name__.rsplit(".", 1)[-1] if getattr(node, "module", None) else "tests"
    name = re.sub(r"[^A-Za-z0-9_.=-]+", "_", node.name).strip("_")
    if len(name) > 150:
        import hashlib

        name = name[:130] + "-" + hashlib.sha256(node.name.encode()).hexdigest()[:12]
    return root / module / f"{name}.yaml"


@pytest.fixture(scope="session")
def cassette_scrubber(pytestconfig: pytest.Config) -> Any:
    """The run's :class:`~conformance.cassettes.Scrubber` (provider keys and ``--cassette-secret`` values)."""
    from conformance.cassettes.scrub import Scrubber
    from conformance.secrets import registered
    from conformance.target import SIM_KEY, WRONG_KEY

    from_env = registered()
    return Scrubber([*pytestconfig.getoption("--cassette-secret"), *from_env, SIM_KEY, WRONG_KEY])


@pytest.fixture(scope="session")
def conformance_vcr(pytestconfig: pytest.Config, cassette_scrubber: Any) -> Any:
    """The run's ``vcr.VCR`` objects by match (``fingerprint``, ``sequence``, ``default``): record mode,
    scrubbing, sidecar bodies."""
    from conformance.cassettes.recorder import make_vcr

    rewrite = [b for b in os.environ.get(REWRITE_ENV, "").split(",") if b]
    target = str(pytestconfig.getoption("--conformance-target"))
    if target.startswith("url=") and recording(pytestconfig):
        base = target[4:].rstrip("/")
        if base.split("://", 1)[-1].split(":")[0].split("/")[0] in ("127.0.0.1", "localhost", "[::1]"):
            rewrite.append(base)  # a loopback simulator: record the providers' own URLs
    origin = os.environ.get(ORIGIN_ENV) or ("live" if target == "live" else
                                            "simulator-loopback" if rewrite else "unknown")
    kw = dict(record_mode=pytestconfig.getoption("--record-mode"), scrubber=cassette_scrubber,
              origin=origin, request_bodies=pytestconfig.getoption("--cassette-request-bodies"),
              bodies_dir=cassette_root(pytestconfig) / "bodies", rewrite_hosts=rewrite)
    chosen = pytestconfig.getoption("--cassette-match")
    vcrs = {m: make_vcr(match=m, **kw) for m in ("fingerprint", "sequence")}
    vcrs["default"] = vcrs[chosen]
    return vcrs


def _stored_match(path: Path) -> str | None:
    """The ``match`` a cassette was recorded with (read from its metadata block, without the interactions)."""
    if not path.exists():
        return None
    with path.open() as f:
        for line in f:
            if line.startswith("interactions:"):
                break
            if line.strip().startswith("match:"):
                return line.split(":", 1)[1].strip().strip("'\"")
    return None


def check_age(path: Path, metadata: dict[str, Any], config: pytest.Config) -> str | None:
    """A message when the cassette is older than ``--cassette-max-age`` (warned, or failed by option)."""
    import datetime as dt

    from conformance.cassettes.store import parse_date

    age = config.getoption("--cassette-max-age", None)
    if not age:
        return None
    recorded = parse_date(metadata.get("recorded_at"))
    limit = parse_age(age)
    if recorded is None:
        msg = f"cassette {path} has no recorded_at date (treated as stale; --cassette-max-age {age})"
    else:
        seconds = (dt.datetime.now(dt.UTC) - recorded).total_seconds()
        if seconds <= limit:
            return None
        msg = (f"cassette {path} was recorded {seconds / 86400:.1f} days ago ({metadata.get('recorded_at')}), "
               f"older than --cassette-max-age {age}: re-record it (voice-conformance record)")
    if config.getoption("--cassette-stale") == "fail":
        pytest.fail(msg, pytrace=False)
    warnings.warn(StaleCassetteWarning(msg), stacklevel=2)
    return msg


#: the fingerprint-matched interactions of each cassette folder, loaded once per process
_LIBRARIES: dict[Path, list[tuple[Path, Any, Any]]] = {}


def module_library(folder: Path, persister: Any) -> list[tuple[Path, Any, Any]]:
    """``(cassette, request, response)`` of every fingerprint-matched cassette in ``folder``.

    A test of the folder's module may replay these when its own cassette lacks a request:
    session-scoped results (the audio checks' one request per endpoint) are made by whichever
    test asks first, which depends on how tests are spread over processes. A fingerprint says
    what a request means, so the same request gets the answer recorded for it, by any test.
    """
    folder = folder.resolve()
    if folder not in _LIBRARIES:
        found: list[tuple[Path, Any, Any]] = []
        for path in sorted(folder.glob("*.yaml")):
            if _stored_match(path) != "fingerprint":
                continue
            requests, responses, _ = persister.load_cassette(path)
            found += [(path, rq, rs) for rq, rs in zip(requests, responses, strict=True)]
        _LIBRARIES[folder] = found
    return _LIBRARIES[folder]


def write_no_request_cassette(path: Path, vcr_obj: Any) -> None:
    """Record that a test made no request of its own (its answers came from session-scoped results)."""
    from conformance.cassettes.store import now_iso, write_yaml

    persister = getattr(vcr_obj, "persister", None)
    meta: dict[str, Any] = {"recorded_at": now_iso(), "origin": getattr(persister, "origin", "unknown"),
                            **dict(getattr(persister, "extra_metadata", {}) or {}), "tool": "voice-conformance",
                            "note": "no request of its own when recorded: it used results another test of its "
                                    "module asked for first; on replay it may send those requests, answered from "
                                    "the module's other cassettes"}
    write_yaml(path, {"version": 1, "metadata": meta, "interactions": []})


@pytest.fixture
def conformance_cassette(request: pytest.FixtureRequest, conformance_vcr: Any) -> Iterator[Any]:
    """This test's cassette (``<cassette-dir>/<module>/<test>.yaml``), replaying or recording.

    On replay a fingerprint-matched cassette also answers from its module's other cassettes
    (:func:`module_library`); a recording test that sends nothing leaves a cassette saying so.
    """
    from conformance.cassettes.recorder import use_cassette
    from conformance.cassettes.store import CassetteError

    config = request.config
    path = cassette_path(cassette_root(config), request.node)
    mode = config.getoption("--record-mode")
    if mode == "none" and not path.exists():
        pytest.fail(f"no cassette for this test: {path} (record it: voice-conformance record, "
                    f"or --record-mode once against a live or url= target)", pytrace=False)
    vcr_obj = conformance_vcr["default"]
    stored = _stored_match(path)
    if mode in ("none", "once", "new_episodes") and stored in conformance_vcr:
        vcr_obj = conformance_vcr[stored]
    with contextlib.ExitStack() as stack:
        problem = None
        try:  # a cassette that cannot be used (a body that does not match its hash…) fails the test in one line
            cassette = stack.enter_context(use_cassette(path, record_mode=mode, vcr_obj=vcr_obj))
            if mode == "none" or (mode in ("once", "new_episodes") and len(cassette.data)):
                check_age(path, dict(getattr(cassette, "_metadata", {}) or {}), config)
            if mode == "none" and stored == "fingerprint":
                own = path.resolve()
                extra = [(rq, rs) for p, rq, rs in module_library(path.parent, vcr_obj.persister) if p != own]
                cassette.data.extend(extra)  # after its own, which answer first; each plays once per test
        except CassetteError as exc:
            problem = str(exc)
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        yield cassette
    if mode != "none" and not path.exists() and not request.node.stash.get(_KEYLESS, False):
        write_no_request_cassette(path, vcr_obj)  # a test skipped for want of a key records nothing


_KEYLESS = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Note a setup or call skipped because the target has no key, so that its cassette fixture,
    tearing down after it, writes nothing (an empty cassette would stand in for a recording)."""
    from conformance.target import missing_key_skip

    yield
    if call.when in ("setup", "call") and call.excinfo is not None and call.excinfo.errisinstance(missing_key_skip()):
        item.stash[_KEYLESS] = True


# -- API drift in the report ------------------------------------------------------------------

_DRIFT = pytest.StashKey[dict[str, Any]]()
REPORT_SESSION = "conformance-report-session"  # the name the report plugin registers its session under


def drift_wanted(config: pytest.Config) -> bool:
    """The run replays or records cassettes, or ``--drift-against-spec`` asks for drift."""
    if config.getoption("--drift-against-spec", False):
        return True
    target = str(config.getoption("--conformance-target", "simulator") or "")
    return cassettes_active(config, "url" if target.startswith("url=") else target)


def drift_line(root: Path, run_id: str) -> dict[str, Any]:
    """The ``kind: drift`` results line of ``root`` against the spec (an ``error`` when it cannot be had)."""
    from conformance.cassettes.drift import drift_spec
    from conformance.cassettes.store import cassette_files

    empty = {"title": "API drift", "summary": {"old": "spec", "new": str(root), "changes": 0, "breaking": 0},
             "columns": [], "rows": []}
    if not root.exists() or not cassette_files(root):
        return {"kind": "drift", "run_id": run_id, **empty, "error": f"no cassettes under {root}"}
    try:
        section = drift_spec(root).report_section()
    except Exception as exc:  # a broken cassette is reported, not a crash at the end of the run
        return {"kind": "drift", "run_id": run_id, **empty,
                "error": f"drift of {root} against the spec failed: {type(exc).__name__}: {exc}"}
    return {"kind": "drift", "run_id": run_id, **section}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Before the report is merged and rendered (its own hook runs last): the drift line, once per run."""
    config = session.config
    if hasattr(config, "workerinput") or not drift_wanted(config):
        return
    report = config.pluginmanager.get_plugin(REPORT_SESSION)
    if report is None:  # no report this run (--conformance-report '')
        return
    from conformance.report.records import RecordWriter

    line = drift_line(cassette_root(config), report.run_id)
    RecordWriter(report.shards / "drift.jsonl").write(line)
    config.stash[_DRIFT] = line


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    line = config.stash.get(_DRIFT, None)
    if line is None:
        return
    s = line["summary"]
    text = line.get("error") or f"{s['changes']} change(s), {s['breaking']} breaking"
    terminalreporter.write_sep("-", f"API drift of {s['new']} against the spec: {text} (in the report)")
