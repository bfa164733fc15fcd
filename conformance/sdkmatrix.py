"""The SDK compatibility matrix: providers' official SDKs, each pinned version in its own directory,
driven against the kit's simulators.

Every provider package may hold ``sdks.py`` with ``SDKS`` (a tuple of :class:`SdkVersion`) and
``NO_ENDPOINT`` (a tuple of :class:`NoEndpoint`: SDKs that have no endpoint the kit simulates, shown
as notes). For each version the matrix

1. installs ``<package>==<version>`` (and its ``extra_requirements``) with
   ``pip install --target`` into its own directory of the SDK cache (reused once complete: a marker
   file is written after a successful install). The cache is ``$VOICE_CONFORMANCE_SDK_DIR``, else the
   user cache directory (``$XDG_CACHE_HOME/voice-conformance/sdks``, ``~/.cache/voice-conformance/sdks``).
   Nothing is written anywhere else, and only when the matrix runs. A failed install is a ``fails``
   row with pip's last lines;
2. runs the version's driver (a function of the provider's ``sdks.py``) in a **subprocess** whose
   ``sys.path`` starts with the SDK's directory, so that the SDK and its pinned dependencies win over
   the kit's own environment. The driver runs once per transport:

   - ``in-process``: the provider's simulator in the subprocess, on the provider's real hosts (respx
     for httpx-based SDKs; requests-based SDKs go through an in-process ``requests`` adapter that
     answers the same hosts). The SDK keeps its default base URL;
   - ``serve``: the simulator on a loopback HTTP server in the parent (the ASGI app of
     ``voice-conformance serve``); the driver points the SDK at it the way the SDK allows, and drives
     faults through the server's control API.

   In both, the key ``wrong-key`` is rejected with the provider's auth error, and any request to a
   host that is not simulated fails (proxies point nowhere): nothing reaches a real provider;
3. collects one :class:`Row` per (endpoint, transport, case): ``works`` or ``fails``, and why.

A case ``works`` when the SDK does what it documents: a happy path returns decodable audio (or the
ids the SDK returns), an error case raises the SDK's own error type with the fields it parses present
and right. Every case must reach the simulator.

>>> rows = run_matrix()                                          # doctest: +SKIP
>>> print(format_table(rows))                                    # doctest: +SKIP

``python -m conformance.sdkmatrix`` prints the table and exits 1 when a row fails.

This module imports only the standard library at load time: the subprocess puts the SDK's
directory first on ``sys.path`` before anything else is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import functools
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TRANSPORTS = ("in-process", "serve")
WORKS, FAILS, NOTE = "works", "fails", "n/a"
SDK_DIR_ENV = "VOICE_CONFORMANCE_SDK_DIR"
MARKER = ".voice-conformance-installed.json"
WRONG_KEY = "wrong-key"
KEY = "sdk-matrix-key"
SEED = 0
NOWHERE_PROXY = "http://127.0.0.1:9"  # the discard port: a request to a host nobody simulates fails at once
LOOPBACK = "127.0.0.1,localhost,::1"
INSTALL_TIMEOUT = 900.0
DRIVE_TIMEOUT = 600.0
ROW_MARK = "@@voice-conformance-sdkmatrix-row@@ "  # a row on the driver's stdout (anything else there is the SDK's)


# --------------------------------------------------------------------------------------------
# descriptors and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SdkVersion:
    """One pinned SDK release and the function that drives it.

    ``driver``: the dotted path of a function ``driver(h: Harness) -> None`` (in the provider's
    ``sdks.py``); it runs in the subprocess, once per transport. ``import_name``: the module the SDK
    installs (checked to come from the SDK's own directory). ``extra_requirements``: what the SDK
    needs and does not declare.
    """

    package: str
    version: str
    import_name: str
    driver: str
    extra_requirements: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def requirements(self) -> tuple[str, ...]:
        return (self.requirement, *self.extra_requirements)


@dataclass(frozen=True)
class NoEndpoint:
    """An SDK release without any endpoint the kit simulates (shown as a note, not driven)."""

    package: str
    version: str
    why: str


@dataclass(frozen=True)
class Row:
    """One cell of the matrix. ``outcome``: ``works``, ``fails``, or ``n/a`` for a note."""

    provider: str
    sdk: str
    version: str
    endpoint: str
    transport: str
    case: str
    outcome: str
    why: str = ""

    @property
    def works(self) -> bool:
        return self.outcome == WORKS

    @property
    def failed(self) -> bool:
        return self.outcome == FAILS

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.sdk, self.version, self.endpoint, self.transport, self.case)


@dataclass(frozen=True)
class Entry:
    """A provider's SDK release the matrix knows (a driven version or a note)."""

    provider: str
    sdk: SdkVersion | NoEndpoint

    @property
    def package(self) -> str:
        return self.sdk.package

    @property
    def version(self) -> str:
        return self.sdk.version


FaultSpec = tuple[str, str, Mapping[str, Any]]  # (case selector "endpoint/case" glob, fault, options)


# --------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------


def sdks_module(provider_id: str) -> Any:
    """The provider package's ``sdks`` module, or ``None`` when it has none."""
    from conformance import registry

    return registry.module(provider_id, "sdks", optional=True)


def entries(providers: Iterable[str] | None = None) -> list[Entry]:
    """Every SDK release the providers declare (driven versions, then notes), provider by provider."""
    from conformance import registry

    out: list[Entry] = []
    for pid in providers or registry.names():
        mod = sdks_module(pid)
        if mod is None:
            continue
        for sdk in (*getattr(mod, "SDKS", ()), *getattr(mod, "NO_ENDPOINT", ())):
            if not isinstance(sdk, SdkVersion | NoEndpoint):
                raise TypeError(f"{mod.__name__}: {sdk!r} is neither an SdkVersion nor a NoEndpoint")
            out.append(Entry(pid, sdk))
    return out


def _selected(entry: Entry, versions: Iterable[str] | None) -> bool:
    """``versions``: ``package`` (every version of it) or ``package==version`` selectors."""
    if versions is None:
        return True
    for v in versions:
        package, _, version = v.partition("==")
        if _canonical(package) == _canonical(entry.package) and version in ("", entry.version):
            return True
    return False


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def unknown_selectors(versions: Iterable[str], providers: Iterable[str] | None = None) -> list[str]:
    """The ``package`` / ``package==version`` selectors that name no SDK release the providers list."""
    listed = [e.sdk for e in entries(providers)]
    return [v for v in versions if not any(_selected(Entry("", sdk), [v.strip()]) for sdk in listed)]


# --------------------------------------------------------------------------------------------
# installation
# --------------------------------------------------------------------------------------------


def default_sdk_dir() -> Path:
    """``$VOICE_CONFORMANCE_SDK_DIR``, else the platform's user cache directory ``…/voice-conformance/sdks``."""
    given = os.environ.get(SDK_DIR_ENV)
    if given:
        return Path(given).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "voice-conformance" / "sdks"


@dataclass(frozen=True)
class Installed:
    path: Path | None
    error: str | None = None
    reused: bool = False


_install_locks: dict[Path, threading.Lock] = {}
_install_locks_guard = threading.Lock()


def install_dir(sdk: SdkVersion, root: Path) -> Path:
    """The directory of one SDK version (per Python version: wheels of compiled dependencies differ)."""
    return root / f"{_canonical(sdk.package)}-{sdk.version}-py{sys.version_info[0]}{sys.version_info[1]}"


def install(sdk: SdkVersion, root: Path) -> Installed:
    """Install ``sdk`` (and its extra requirements) into its own directory under ``root``, or reuse it."""
    target = install_dir(sdk, root)
    marker = target / MARKER
    wanted = {"requirements": list(sdk.requirements), "python": sys.version.split()[0]}
    with _install_locks_guard:
        lock = _install_locks.setdefault(target, threading.Lock())
    with lock:
        if _complete(marker, wanted):
            return Installed(target, reused=True)
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
               "--target", str(tmp), *sdk.requirements]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            shutil.rmtree(tmp, ignore_errors=True)
            return Installed(None, f"pip install {' '.join(sdk.requirements)}: no answer in {INSTALL_TIMEOUT:.0f} s")
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            return Installed(None, f"pip install {' '.join(sdk.requirements)} failed: {_pip_tail(proc)}")
        (tmp / MARKER).write_text(json.dumps(wanted, indent=1), encoding="utf-8")
        if _complete(marker, wanted):  # another process (an xdist worker) finished it meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
            return Installed(target, reused=True)
        if target.exists():  # an incomplete or outdated install
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another process installed it meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
            if not _complete(marker, wanted):
                raise
        return Installed(target)


def _complete(marker: Path, wanted: Mapping[str, Any]) -> bool:
    try:
        return json.loads(marker.read_text(encoding="utf-8")) == wanted
    except (OSError, ValueError):
        return False


def _pip_tail(proc: subprocess.CompletedProcess[str], lines: int = 4) -> str:
    """pip's last meaningful lines (its errors first; index-location warnings left out)."""
    text = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    text = [ln for ln in text if not (ln.startswith("WARNING: Location") and "is ignored" in ln)]
    errors = [ln for ln in text if ln.startswith("ERROR")]
    return " | ".join((errors or text)[-lines:]) or f"exit status {proc.returncode}"


def install_all(providers: Iterable[str] | None = None, sdk_dir: str | os.PathLike[str] | None = None,
                versions: Iterable[str] | None = None, *, workers: int | None = None,
                log: Callable[[str], None] | None = None) -> list[tuple[Entry, Installed]]:
    """Install every selected SDK release into the cache without driving it (to provision a machine
    once, e.g. in a CI image or a test setup); a release already there is reused. Notes are skipped."""
    versions = None if versions is None else list(versions)
    chosen = [e for e in entries(providers) if _selected(e, versions) and isinstance(e.sdk, SdkVersion)]
    root = (Path(sdk_dir).expanduser() if sdk_dir is not None else default_sdk_dir()).resolve()
    say = log or (lambda _msg: None)

    def one(entry: Entry) -> tuple[Entry, Installed]:
        assert isinstance(entry.sdk, SdkVersion)
        inst = install(entry.sdk, root)
        say(f"{entry.sdk.requirement}: " + (inst.error or f"{'cached' if inst.reused else 'installed'} in {inst.path}"))
        return entry, inst

    with ThreadPoolExecutor(max_workers=max(1, workers or min(4, os.cpu_count() or 1))) as pool:
        return list(pool.map(one, chosen))


# --------------------------------------------------------------------------------------------
# running the matrix (parent process)
# --------------------------------------------------------------------------------------------


def run_matrix(providers: Iterable[str] | None = None, sdk_dir: str | os.PathLike[str] | None = None,
               transports: Sequence[str] = TRANSPORTS, versions: Iterable[str] | None = None, *,
               faults: Sequence[FaultSpec] = (), workers: int | None = None,
               log: Callable[[str], None] | None = None) -> list[Row]:
    """Install and drive every selected SDK version; one :class:`Row` per endpoint, transport and case.

    ``providers``: provider ids (default: all). ``versions``: ``package`` or ``package==version``
    selectors (default: all). ``transports``: ``in-process`` and/or ``serve``. ``faults``: simulator
    faults armed for the cases whose ``endpoint/case`` matches a glob, as ``(glob, fault, options)``
    (to see that a wrong answer makes a row fail). ``workers``: SDK versions handled at once.
    Notes (:class:`NoEndpoint`) are rows with outcome ``n/a``.
    """
    bad = [t for t in transports if t not in TRANSPORTS]
    if bad:
        raise ValueError(f"unknown transport(s) {', '.join(bad)}; known: {', '.join(TRANSPORTS)}")
    versions = None if versions is None else list(versions)
    chosen = [e for e in entries(providers) if _selected(e, versions)]
    root = (Path(sdk_dir).expanduser() if sdk_dir is not None else default_sdk_dir()).resolve()
    say = log or (lambda _msg: None)
    workers = workers or min(4, os.cpu_count() or 1)

    def one(entry: Entry) -> list[Row]:
        sdk = entry.sdk
        if isinstance(sdk, NoEndpoint):
            return [Row(entry.provider, sdk.package, sdk.version, "-", "-", "-", NOTE, sdk.why)]
        started = time.monotonic()
        inst = install(sdk, root)
        if inst.path is None:
            say(f"{sdk.requirement}: install failed")
            return [Row(entry.provider, sdk.package, sdk.version, "-", t, "install", FAILS, inst.error or "")
                    for t in transports]
        say(f"{sdk.requirement}: {'cached' if inst.reused else 'installed'} in {inst.path}")
        rows = drive(entry.provider, sdk, inst.path, transports, faults=faults)
        say(f"{sdk.requirement}: {sum(r.works for r in rows)}/{len(rows)} rows work "
            f"({time.monotonic() - started:.1f} s)")
        return rows

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, chosen))
    return _masked([row for rows in results for row in rows])


def _masked(rows: list[Row]) -> list[Row]:
    """The rows with every credential of the environment masked in what they say (an SDK's exception
    text or pip's output may quote one): they are printed and written to reports."""
    from dataclasses import replace

    from conformance.report.records import mask_excerpt
    from conformance.secrets import env_secrets

    secrets = env_secrets()
    return [replace(r, why=mask_excerpt(r.why, secrets)) for r in rows]


def drive(provider: str, sdk: SdkVersion, path: Path, transports: Sequence[str] = TRANSPORTS, *,
          faults: Sequence[FaultSpec] = ()) -> list[Row]:
    """Drive one installed SDK version in a subprocess (the loopback server runs here, in the parent).

    The subprocess gets its instructions as an argument and reports its rows on stdout (one line each,
    marked), so nothing is written outside the SDK's directory; it runs in that directory.
    """
    with contextlib.ExitStack() as stack:
        serve_url = None
        if "serve" in transports:
            from conformance.simulators.core import Simulator
            from conformance.simulators.server import serve_in_thread

            sim = Simulator(provider, seed=SEED)
            sim.reject_key(WRONG_KEY)
            serve_url = stack.enter_context(serve_in_thread(sim)).base_url
        spec = {"provider": provider, "sdk": asdict(sdk), "path": str(path), "transports": list(transports),
                "serve_url": serve_url, "faults": [[sel, name, dict(opts)] for sel, name, opts in faults]}
        cmd = [sys.executable, "-m", "conformance.sdkmatrix", "--drive", json.dumps(spec)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=DRIVE_TIMEOUT, env=_child_env(),
                                  stdin=subprocess.DEVNULL, cwd=path, encoding="utf-8", errors="replace")
            out, crash = proc.stdout, None
            if proc.returncode != 0:
                crash = f"driver exited {proc.returncode}: {_tail(proc.stderr)}"
        except subprocess.TimeoutExpired as exc:
            out = _text(exc.stdout)
            crash = f"driver gave no answer in {DRIVE_TIMEOUT:.0f} s: {_tail(_text(exc.stderr))}"
    rows = _read_rows(out)
    if crash is not None or not rows:
        rows.append(Row(provider, sdk.package, sdk.version, "*", ",".join(transports), "driver", FAILS,
                        crash or "the driver reported no rows"))
    return _ordered(rows, transports)


SECRET_NAMES = ("API_KEY", "_KEY", "_TOKEN", "_SECRET", "_SECRETS", "_PASSWORD")


def _child_env() -> dict[str, str]:
    """The subprocess's environment: the kit importable, no credential of any kind (the providers' key
    variables, ``*_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``, the registered secrets), no way out
    but loopback."""
    from conformance.secrets import env_secrets, key_env_vars

    secret_values = set(env_secrets())
    env = {k: v for k, v in os.environ.items()
           if k not in key_env_vars() and not k.upper().endswith(SECRET_NAMES) and v not in secret_values}
    kit_root = str(Path(__file__).resolve().parent.parent)
    if not _kit_found_by_default():  # a checkout used from its folder: make it importable from elsewhere
        env["PYTHONPATH"] = os.pathsep.join(p for p in (kit_root, env.get("PYTHONPATH", "")) if p)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = NOWHERE_PROXY
    env["NO_PROXY"] = env["no_proxy"] = LOOPBACK
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


@functools.cache
def _kit_found_by_default() -> bool:
    """Whether this interpreter finds the kit by itself (installed, or an editable install's finder),
    without ``PYTHONPATH`` and from another folder. Only a checkout used from its own folder needs its
    root put on ``PYTHONPATH``: a site-packages folder must never go there, as that puts all it holds
    ahead of the standard library (a ``typing.py`` backport there shadows ``typing``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('conformance') is None)"
    with tempfile.TemporaryDirectory() as elsewhere:
        done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=elsewhere, capture_output=True,
                              timeout=60, check=False)
    return done.returncode == 0


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _tail(text: str, lines: int = 3) -> str:
    got = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " | ".join(got[-lines:]) or "(no output)"


def _read_rows(out: str) -> list[Row]:
    return [Row(**json.loads(line[len(ROW_MARK):])) for line in out.split("\n") if line.startswith(ROW_MARK)]


def _ordered(rows: list[Row], transports: Sequence[str]) -> list[Row]:
    """Endpoint and case in the order the driver met them, the transports of a case side by side."""
    endpoints: dict[str, int] = {}
    cases: dict[tuple[str, str], int] = {}
    for r in rows:
        endpoints.setdefault(r.endpoint, len(endpoints))
        cases.setdefault((r.endpoint, r.case), len(cases))
    order = {t: i for i, t in enumerate(transports)}
    return sorted(rows, key=lambda r: (endpoints[r.endpoint], cases[(r.endpoint, r.case)],
                                       order.get(r.transport, len(order))))


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------

COLUMNS = (("SDK", "sdk"), ("version", "version"), ("endpoint", "endpoint"), ("transport", "transport"),
           ("case", "case"), ("result", "outcome"), ("why", "why"))


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table (SDK, version, endpoint, transport, case, result, why) and a summary line."""
    body = [[str(getattr(r, attr)) for _, attr in COLUMNS] for r in rows]
    head = [title for title, _ in COLUMNS]
    widths = [max([len(head[i]), *(len(b[i]) for b in body)]) for i in range(len(head) - 1)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join([*(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=True)), cells[-1]]).rstrip()

    out = [line(head), line(["-" * w for w in widths] + ["-" * 3])]
    out += [line(b) for b in body]
    works = sum(r.works for r in rows)
    fails = sum(r.failed for r in rows)
    notes = sum(r.outcome == NOTE for r in rows)
    versions = len({(r.sdk, r.version) for r in rows})
    out.append("")
    out.append(f"{len(rows) - notes} rows over {versions} SDK releases: {works} work, {fails} fail"
               + (f"; {notes} note{'s' if notes != 1 else ''}" if notes else ""))
    return "\n".join(out)


def rows_as_records(rows: Iterable[Row]) -> list[dict[str, str]]:
    """The rows as JSON-able dicts (provider, sdk, version, endpoint, transport, case, outcome, why)."""
    return [asdict(r) for r in rows]


def report_line(rows: Sequence[Row], run_id: str = "", *, error: str | None = None) -> dict[str, Any]:
    """The report's ``kind: sdk`` results line: the "SDK compatibility" section of the HTML report
    (``error``: why the matrix could not run; the section then says so)."""
    notes = sum(r.outcome == NOTE for r in rows)
    line: dict[str, Any] = {
        "kind": "sdk", "run_id": run_id, "title": "SDK compatibility",
        "summary": {"releases": len({(r.sdk, r.version) for r in rows if r.outcome != NOTE}),
                    "rows": len(rows) - notes, "works": sum(r.works for r in rows),
                    "fails": sum(r.failed for r in rows), "notes": notes},
        "rows": rows_as_records(rows)}
    if error is not None:
        line["error"] = error
    return line


# --------------------------------------------------------------------------------------------
# the subprocess: harnesses and cases
# --------------------------------------------------------------------------------------------


class CaseFailed(Exception):
    """Raised inside a case: the row fails with this message as its why."""


class Case:
    """One (endpoint, case) of a driver, on one transport: a context manager that records its row.

    Inside it, :meth:`check` records a failure and goes on, :meth:`require` stops the case,
    :meth:`note` adds to the why of a working row. Any other exception fails the row with its text.
    Faults the harness arms for the case are cleared when it ends; the calls the simulator answered
    during the case are added to the why, and a case that reached no simulator fails.
    """

    def __init__(self, harness: Harness, endpoint: str, case: str):
        self.h = harness
        self.endpoint = endpoint
        self.case = case
        self.failures: list[str] = []
        self.notes: list[str] = []
        self._before = 0

    def check(self, ok: Any, why: str) -> bool:
        if not ok:
            self.failures.append(why)
        return bool(ok)

    def require(self, ok: Any, why: str) -> None:
        if not ok:
            raise CaseFailed(why)

    def fail(self, why: str) -> None:
        raise CaseFailed(why)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def raises(self, types: type[BaseException] | tuple[type[BaseException], ...], fn: Callable[..., Any],
               *args: Any, **kwargs: Any) -> Any:
        """The exception ``fn(*args, **kwargs)`` raises, which must be one of ``types``."""
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        try:
            got = fn(*args, **kwargs)
        except types as exc:
            return exc
        except Exception as exc:
            raise CaseFailed(f"raised {_describe(exc)}, not {names}") from exc
        raise CaseFailed(f"no error raised (returned {_short(repr(got), 100)}), expected {names}")

    def audio(self, data: Any, **probe_options: Any) -> Any:
        """The :class:`conformance.audio.AudioInfo` of ``data``, which must be non-empty decodable audio."""
        from conformance.audio import AudioDecodeError, probe

        self.require(isinstance(data, bytes | bytearray), f"returned {type(data).__name__}, not audio bytes")
        self.require(len(data) > 0, "returned no audio bytes")
        try:
            info = probe(bytes(data), **probe_options)
        except AudioDecodeError as exc:
            raise CaseFailed(f"the {len(data)} bytes returned are not decodable audio: {exc}") from None
        self.require(info.duration is None or info.duration > 0, f"the audio is empty ({info.short()})")
        return info

    def __enter__(self) -> Case:
        self._before = len(self.h.calls())
        for selector, name, options in self.h.faults:
            if fnmatch.fnmatchcase(f"{self.endpoint}/{self.case}", selector):
                self.h.inject(name, None, None, **options)
        return self

    def __exit__(self, et: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is not None and not isinstance(exc, Exception):
            return False  # KeyboardInterrupt, SystemExit
        try:
            calls = self.h.calls()[self._before:]
        except Exception as e:  # pragma: no cover - the simulator is gone
            calls = []
            self.failures.append(f"the simulator's calls could not be read: {_describe(e)}")
        with contextlib.suppress(Exception):
            self.h.clear_faults()
        if isinstance(exc, CaseFailed):
            self.failures.insert(0, str(exc))
        elif exc is not None:
            self.failures.insert(0, f"raised {_describe(exc)}")
        if not calls and exc is None:
            self.failures.append("no request reached the simulator")
        seen = "; ".join(_call_text(c) for c in calls)
        why = "; ".join(self.failures or self.notes)
        if seen:
            why = f"{why} [{seen}]" if why else f"[{seen}]"
        self.h.emit(Row(self.h.provider, self.h.sdk.package, self.h.sdk.version, self.endpoint,
                        self.h.transport, self.case, FAILS if self.failures else WORKS, why))
        return True


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {_short(text[0], 240)}" if text else type(exc).__name__


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _call_text(call: Mapping[str, Any]) -> str:
    from urllib.parse import urlsplit

    return f"{call.get('method')} {urlsplit(str(call.get('url'))).path} {call.get('status')}"


@dataclass
class Harness:
    """What a driver gets: where the simulator is, how to arm it, and :meth:`case` to record rows.

    ``base_url`` is the loopback server's root (``http://127.0.0.1:<port>``) on the ``serve``
    transport, and ``None`` in-process (the SDK keeps its own default base URL). Use ``key`` for
    requests that should succeed and ``wrong_key`` for the auth error.
    """

    provider: str
    sdk: SdkVersion
    transport: str
    faults: Sequence[FaultSpec] = ()
    base_url: str | None = None
    key: str = KEY
    wrong_key: str = WRONG_KEY
    rows: list[Row] = field(default_factory=list)

    def case(self, endpoint: str, case: str) -> Case:
        return Case(self, endpoint, case)

    def emit(self, row: Row) -> None:
        self.rows.append(row)
        sys.stdout.write("\n" + ROW_MARK + json.dumps(asdict(row)) + "\n")
        sys.stdout.flush()

    # transport-specific
    def inject(self, fault: str, endpoint: str | None = None, times: int | None = 1, **options: Any) -> None:
        raise NotImplementedError

    def clear_faults(self) -> None:
        raise NotImplementedError

    def host_file(self, data: bytes, name: str, content_type: str = "application/octet-stream") -> str:
        """Serve ``data`` from the simulator; its URL (to give an SDK as an audio URL)."""
        raise NotImplementedError

    def calls(self) -> list[dict[str, Any]]:
        """Every request the simulator answered so far (method, url, endpoint_id, status)."""
        raise NotImplementedError

    def download(self, url: str) -> bytes:
        """GET ``url`` (an output the simulator serves)."""
        import httpx

        with httpx.Client(timeout=30.0) as client:
            r = client.get(url)
            r.raise_for_status()
            return r.content

    @staticmethod
    def speech(seconds: float, speaker: str = "en_kal", sample_rate: int = 16000) -> bytes:
        """``seconds`` of a fixture speaker's real speech, as a 16-bit WAV."""
        return _speech(seconds, speaker, sample_rate)


_SPEECH: dict[tuple[float, str, int], bytes] = {}


def _speech(seconds: float, speaker: str, sample_rate: int) -> bytes:
    key = (seconds, speaker, sample_rate)
    if key not in _SPEECH:
        from conformance.audio import corpus
        from conformance.audio.encoding import wav_bytes

        _SPEECH[key] = wav_bytes(corpus.make_clip(speaker, seconds, sample_rate), sample_rate)
    return _SPEECH[key]


@dataclass
class InProcessHarness(Harness):
    sim: Any = None

    def inject(self, fault: str, endpoint: str | None = None, times: int | None = 1, **options: Any) -> None:
        self.sim.inject(fault, endpoint, times, **options)

    def clear_faults(self) -> None:
        self.sim.clear_faults()

    def host_file(self, data: bytes, name: str, content_type: str = "application/octet-stream") -> str:
        return self.sim.host_file(data, name, content_type=content_type)

    def calls(self) -> list[dict[str, Any]]:
        return [asdict(c) for c in self.sim.calls]


@dataclass
class ServeHarness(Harness):
    _client: Any = field(default=None, repr=False)

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        # one client for the whole run: a new one reads the CA bundle again for each of its transports
        # (direct and one per proxy variable), 80 ms, and a case makes several control calls
        if self._client is None:
            import httpx

            # the loopback control channel: no proxy, no CA bundle from the environment
            self._client = httpx.Client(timeout=30.0, trust_env=False)
        r = self._client.request(method, f"{self.base_url}/_simulator/{path}", **kwargs)
        if r.status_code >= 400:
            raise RuntimeError(f"simulator control {method} /_simulator/{path}: {r.status_code} {r.text[:200]}")
        return r.json()

    def inject(self, fault: str, endpoint: str | None = None, times: int | None = 1, **options: Any) -> None:
        self._control("POST", "faults", json={"fault": fault, "endpoint": endpoint, "times": times, **options})

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    def host_file(self, data: bytes, name: str, content_type: str = "application/octet-stream") -> str:
        return str(self._control("PUT", f"files/{name}", content=data, headers={"content-type": content_type})["url"])

    def calls(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "calls"))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


@contextlib.contextmanager
def requests_in_process(sim: Any) -> Iterator[None]:
    """While active, ``requests`` (if installed) answers the simulator's hosts from ``sim`` in-process
    and refuses every other host; respx does the same for httpx."""
    try:
        import requests
        import requests.adapters
    except ImportError:
        yield
        return
    import io
    from http import HTTPStatus
    from urllib.parse import urlsplit

    import httpx
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    hosts = {urlsplit(u).hostname for u in [*sim.hosts(), sim.files_base]}
    original = requests.adapters.HTTPAdapter.send

    def send(adapter: Any, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> Any:
        host = urlsplit(request.url).hostname
        if host not in hosts:
            raise requests.exceptions.ConnectionError(
                f"in-process simulator: {host} is not simulated (nothing leaves this process)", request=request)
        body = request.body
        if body is None:
            content = b""
        elif isinstance(body, str):
            content = body.encode("utf-8")
        elif isinstance(body, bytes | bytearray):
            content = bytes(body)
        elif hasattr(body, "read"):
            content = body.read()
        else:
            content = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
        answer = sim.handle(httpx.Request(request.method, request.url, headers=list(request.headers.items()),
                                          content=content))
        read = timeout[1] if isinstance(timeout, tuple) else timeout
        if answer.timeout or (read is not None and answer.delay > read):
            time.sleep(min(answer.timeout_after if answer.timeout else answer.delay, read or answer.timeout_after))
            raise requests.exceptions.ReadTimeout("simulated timeout: the provider did not answer in time",
                                                  request=request)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.send_bytes is not None:
            raise requests.exceptions.ChunkedEncodingError(
                f"simulated truncated body: {answer.send_bytes} of {len(answer.body)} bytes", request=request)
        r = requests.Response()
        r.status_code = answer.status
        r.headers = CaseInsensitiveDict({**answer.headers, "content-length": str(len(answer.body))})
        r.raw = io.BytesIO(answer.body)
        r.url = request.url
        r.request = request
        r.connection = adapter
        try:
            r.reason = HTTPStatus(answer.status).phrase
        except ValueError:
            r.reason = ""
        r.encoding = get_encoding_from_headers(r.headers)
        return r

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]


def _import(dotted: str) -> Callable[[Harness], None]:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _drive_main(spec_json: str) -> int:
    """The subprocess: the SDK's directory first on ``sys.path``, then every transport in turn."""
    spec = json.loads(spec_json)
    sdk_path = spec["path"]
    sys.path.insert(0, sdk_path)
    importlib.invalidate_caches()
    sdk = SdkVersion(**{**spec["sdk"], "extra_requirements": tuple(spec["sdk"]["extra_requirements"])})
    provider = spec["provider"]
    faults = [(sel, name, opts) for sel, name, opts in spec["faults"]]

    def failed(transport: str, case: str, why: str) -> None:
        Harness(provider, sdk, transport).emit(
            Row(provider, sdk.package, sdk.version, "*", transport, case, FAILS, why))

    problem = _isolation_problem(sdk, sdk_path)
    if problem is not None:
        for t in spec["transports"]:
            failed(t, "isolation", problem)
        return 0
    driver = _import(sdk.driver)
    for transport in spec["transports"]:
        try:
            if transport == "in-process":
                from conformance.simulators import simulate

                with simulate(provider, seed=SEED) as sim, requests_in_process(sim):
                    sim.reject_key(WRONG_KEY)
                    driver(InProcessHarness(provider, sdk, transport, faults, sim=sim))
            else:
                harness = ServeHarness(provider, sdk, transport, faults, base_url=spec["serve_url"])
                try:
                    driver(harness)
                finally:
                    harness.close()
        except Exception as exc:  # a driver bug outside any case
            last = traceback.extract_tb(exc.__traceback__)[-1]
            failed(transport, "driver", f"{_describe(exc)} (at {Path(last.filename).name}:{last.lineno})")
    return 0


def _isolation_problem(sdk: SdkVersion, sdk_path: str) -> str | None:
    """Why the SDK would not come from its own directory at the pinned version, or ``None``."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        found = version(sdk.package)
    except PackageNotFoundError:
        return f"{sdk.package} is not installed in {sdk_path}"
    if found != sdk.version:
        return f"{sdk.package} {found} was found, not {sdk.version}"
    spec = find_spec(sdk.import_name)
    origin = (spec.origin or next(iter(spec.submodule_search_locations or []), "")) if spec else ""
    if not origin or not Path(origin).resolve().is_relative_to(Path(sdk_path).resolve()):
        return f"module {sdk.import_name} comes from {origin or 'nowhere'}, not from {sdk_path}"
    return None


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def _parse_fault(text: str) -> FaultSpec:
    name, _, selector = text.partition("@")
    return (selector or "*", name, {})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.sdkmatrix",
                                     description="Drive the providers' official SDKs against the simulators.")
    parser.add_argument("--drive", metavar="SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--providers", default=None, metavar="IDS", help="comma-separated provider ids")
    parser.add_argument("--sdk", dest="versions", action="append", metavar="PACKAGE[==VERSION]",
                        help="only these SDKs or versions (repeat)")
    parser.add_argument("--transport", dest="transports", action="append", choices=TRANSPORTS,
                        help="only this transport (repeat; default: both)")
    parser.add_argument("--sdk-dir", default=None, metavar="DIR",
                        help=f"where SDKs are installed (default: ${SDK_DIR_ENV}, else the user cache directory)")
    parser.add_argument("--inject", dest="faults", action="append", default=[], metavar="FAULT[@ENDPOINT/CASE]",
                        help="arm a simulator fault for the cases matching the glob (repeat)")
    parser.add_argument("--workers", type=int, default=None, metavar="N", help="SDK versions handled at once")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the rows as JSON records")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.drive:
        return _drive_main(args.drive)
    providers = [p.strip() for p in args.providers.split(",") if p.strip()] if args.providers else None
    rows = run_matrix(providers, args.sdk_dir, tuple(args.transports or TRANSPORTS), args.versions,
                      faults=[_parse_fault(f) for f in args.faults], workers=args.workers,
                      log=None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True)))
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows_as_records(rows), indent=1), encoding="utf-8")
    return 1 if any(r.failed for r in rows) else 0


__all__ = [
    "FAILS", "NOTE", "SDK_DIR_ENV", "TRANSPORTS", "WORKS", "WRONG_KEY",
    "Case", "CaseFailed", "Entry", "Harness", "NoEndpoint", "Row", "SdkVersion",
    "default_sdk_dir", "drive", "entries", "format_table", "install", "install_dir", "main",
    "install_all", "report_line", "requests_in_process", "unknown_selectors", "rows_as_records", "run_matrix", "sdks_module",
]


if __name__ == "__main__":
    # run the module's canonical copy (drivers import conformance.sdkmatrix, not __main__)
    from conformance.sdkmatrix import main as _main

    sys.exit(_main())
