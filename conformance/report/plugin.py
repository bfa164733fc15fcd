"""pytest hooks of the report: one result record per test, merged at session end into JSON Lines
and rendered into one HTML file, when asked: ``--conformance-report PATH`` or the configuration's
``report`` (``voice-conformance run`` asks for ``reports/conformance.html`` by default). A plain
pytest run writes nothing. Relative paths are resolved against pytest's rootdir.

Each process (the controller, or every pytest-xdist worker) appends its records to its own shard;
the controller merges the shards into ``conformance.jsonl`` beside the HTML when the session ends.
Importing this module stays light: Jinja2 and the audio stack load when a report is written.

PYTEST_DONT_REWRITE: wiring only, no assertions to rewrite (it may be imported before pytest starts).
"""

from __future__ import annotations

import contextlib
import platform
import secrets as _secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SHARD_DIR = ".conformance-shards"
SIDECAR_DIR = "conformance-audio"
_FIELDS = pytest.StashKey[dict[str, Any]]()
_PHASES = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance-report", "voice-conformance report")
    group.addoption("--conformance-report", default=None, metavar="PATH",
                    help="write the HTML conformance report here, with its JSON Lines results beside it "
                         "(relative to the rootdir; default: the configuration's `report`, else none; '' "
                         "for none)")
    group.addoption("--conformance-sdk-matrix", action="store_true", default=False,
                    help="add the SDK compatibility matrix to the report: the providers' official SDKs, each "
                         "release installed in its own directory of the SDK cache, driven against the simulators")
    group.addoption("--conformance-report-audio", default="inline", choices=("inline", "sidecar"),
                    help="audio in the report: inline (base64 Ogg/Opus, one self-contained file; default) or "
                         f"sidecar (files in {SIDECAR_DIR}/ beside the report)")


def _option(config: pytest.Config, name: str, default: Any = None) -> Any:
    try:
        return config.getoption(name, default)
    except ValueError:
        return default


def report_path(config: pytest.Config) -> Path | None:
    """Where this run writes its report: the option's path, else the configuration's, else nowhere;
    a relative path is taken from the rootdir."""
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        given = worker_input.get("conformance_report")
        return Path(given) if given else None
    path = _option(config, "--conformance-report", None)
    if path is None:
        from conformance.plugin import run_config  # resolved by the plugin's (tryfirst) pytest_configure

        path = run_config(config).report
    if not path:
        return None
    html = Path(path).expanduser()
    return html if html.is_absolute() else config.rootpath / html


def pytest_configure(config: pytest.Config) -> None:
    # the markers it reads (provider, endpoint, check) are registered by conformance.plugin
    html = report_path(config)
    if html is None:
        if _option(config, "--conformance-sdk-matrix", False) and not hasattr(config, "workerinput"):
            raise pytest.UsageError("--conformance-sdk-matrix puts its table in the report: give "
                                    "--conformance-report PATH")
        return
    worker_input = getattr(config, "workerinput", None)
    run_id = (worker_input or {}).get("conformance_run_id") or \
        time.strftime("%Y%m%dT%H%M%S") + "-" + _secrets.token_hex(3)
    session = ReportSession(config, html, run_id, worker=(worker_input or {}).get("workerid", "main"))
    config.stash[_SESSION] = session
    config.pluginmanager.register(session, "conformance-report-session")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(session), "conformance-report-xdist")


class _XdistHooks:
    def __init__(self, session: ReportSession):
        self.session = session

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["conformance_run_id"] = self.session.run_id
        node.workerinput["conformance_report"] = str(self.session.html)


class ReportSession:
    """The report's state in one process: where records go and how they are finished."""

    def __init__(self, config: pytest.Config, html: Path, run_id: str, worker: str):
        self.config = config
        self.html = html
        self.jsonl = html.with_suffix(".jsonl")
        self.run_id = run_id
        self.worker = worker
        self.is_worker = hasattr(config, "workerinput")
        self.shards = html.parent / SHARD_DIR / run_id
        self.sidecar = html.parent / SIDECAR_DIR if _option(config, "--conformance-report-audio") == "sidecar" \
            else None
        self.started = time.time()
        self.target = str(_option(config, "--conformance-target", None) or "") or None
        self._writer: Any = None
        self.written: Path | None = None
        self.sdk_summary: str | None = None

    @property
    def writer(self) -> Any:
        if self._writer is None:
            from conformance.report.records import RecordWriter

            self._writer = RecordWriter(self.shards / f"{self.worker}.jsonl")
        return self._writer

    # -- one record per test ---------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        phases = item.stash.setdefault(_PHASES, {})
        phases[report.when] = report
        if report.when == "teardown":
            try:
                self.write_item(item, phases)
            finally:
                item.stash[_PHASES] = {}

    def write_item(self, item: pytest.Item, phases: dict[str, pytest.TestReport]) -> None:
        from conformance.report.records import build_record
        from conformance.secrets import env_secrets

        outcome, failure = _outcome(phases)
        fields = item.stash.get(_FIELDS, {})
        if outcome in ("fail", "error") and not fields.get("cause"):
            from conformance.console import cause_line

            failed = next(r for r in (phases.get("setup"), phases.get("call"), phases.get("teardown"))
                          if r is not None and r.failed)
            fields = {**fields, "cause": cause_line(failed)}

        def marker(name: str) -> str | None:
            m = item.get_closest_marker(name)
            return str(m.args[0]) if m is not None and m.args else None

        # provider keys, plus every value the run was told to scrub (config secrets_env, --cassette-secret)
        extra = [v for v in (item.config.getoption("cassette_secret", None) or []) if isinstance(v, str)]
        record = build_record(
            fields, secrets=[*env_secrets(), *extra], sidecar_dir=self.sidecar,
            nodeid=item.nodeid, outcome=outcome, run_id=self.run_id, provider=marker("provider"),
            endpoint=marker("endpoint"), check=marker("check") or _check_name(item),
            target=self.target, duration=round(sum(r.duration for r in phases.values()), 6), failure=failure,
            worker=self.worker)
        self.writer.write(record)

    # -- the end of the session --------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        from conformance.report.records import RecordWriter, merge_files
        from conformance.report.render import write_report

        RecordWriter(self.shards / "run.jsonl").write(self.describe_run())
        if _option(self.config, "--conformance-sdk-matrix", False):
            from conformance import sdkmatrix
            from conformance.target import selected_providers

            try:
                rows = sdkmatrix.run_matrix(selected_providers(_option(self.config, "--conformance-providers", None)))
            except Exception as exc:  # the run's report is written all the same, saying why the table is not
                line = sdkmatrix.report_line([], self.run_id, error=f"{type(exc).__name__}: {exc}")
                self.sdk_summary = f"not run: {line['error']}"
            else:
                line = sdkmatrix.report_line(rows, self.run_id)
                self.sdk_summary = sdkmatrix.format_table(rows).rsplit("\n", 1)[-1]
            RecordWriter(self.shards / "sdk.jsonl").write(line)
        shards = sorted(self.shards.glob("*.jsonl"))
        merge_files(shards, self.jsonl)
        shutil.rmtree(self.shards, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.shards.parent.rmdir()
        self.written = write_report([self.jsonl], self.html)

    def describe_run(self) -> dict[str, Any]:
        import importlib.metadata as md

        versions = {"python": platform.python_version(), "pytest": pytest.__version__}
        for dist in ("voice-conformance", "pytest-xdist"):
            with contextlib.suppress(md.PackageNotFoundError):
                versions[dist] = md.version(dist)
        seed = _option(self.config, "--conformance-seed", None)
        return {"kind": "run", "run_id": self.run_id, "target": self.target,
                "seed": seed if isinstance(seed, int) else None, "started": self.started,
                "duration": round(time.time() - self.started, 3), "versions": versions,
                "platform": platform.platform(), "args": _safe_args(self.config.invocation_params.args)}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.sdk_summary:
            terminalreporter.write_sep("-", f"SDK compatibility: {self.sdk_summary} (in the report)")
        if self.written is not None:
            terminalreporter.write_sep("-", f"conformance report: {self.written} (results: {self.jsonl})")


def _check_name(item: pytest.Item) -> str:
    """A test without a ``check`` marker (a user's own) is named ``<module>::<test>``: the report's
    matrix gives each module one column, not each test."""
    name = getattr(item, "originalname", item.name)
    path = getattr(item, "path", None)
    return f"{Path(path).stem}::{name}" if path is not None else name


def _safe_args(args: Any) -> list[str]:
    """The command line, with the value of every secret-bearing option masked."""
    out: list[str] = []
    hide_next = False
    for a in map(str, args):
        if hide_next:
            out.append("***")
            hide_next = False
        elif a in _SECRET_OPTIONS:
            out.append(a)
            hide_next = True
        elif a.split("=", 1)[0] in _SECRET_OPTIONS and "=" in a:
            out.append(a.split("=", 1)[0] + "=***")
        else:
            out.append(a)
    return out


_SECRET_OPTIONS = ("--cassette-secret",)
_SESSION = pytest.StashKey[ReportSession]()


def _outcome(phases: dict[str, pytest.TestReport]) -> tuple[str, str | None]:
    """pass | fail | skip | error, and the failure or skip text, from the setup/call/teardown reports."""
    setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
    if setup is not None and setup.failed:
        return "error", setup.longreprtext
    if setup is not None and setup.skipped:
        return "skip", _skip_reason(setup)
    if call is not None and call.failed:
        return "fail", call.longreprtext
    if call is not None and call.skipped:
        return "skip", _skip_reason(call)
    if teardown is not None and teardown.failed:
        return "error", teardown.longreprtext
    return "pass", None


def _skip_reason(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail}"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return report.longreprtext


@pytest.fixture
def conformance_record(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``record(measured=..., expected=..., rule=..., audio={"output": wav_bytes}, ...)`` adds to this test's record."""
    fields: dict[str, Any] = request.node.stash.setdefault(_FIELDS, {})

    def record(**values: Any) -> None:
        for key, value in values.items():
            if key in ("measured", "expected", "latency", "audio", "extra") and isinstance(value, dict):
                fields.setdefault(key, {}).update(value)
            else:
                fields[key] = value

    def defaults(**values: Any) -> None:
        """Like ``record``, but never replaces what the test or its markers gave (the kit's fixtures use
        it); an audio role already taken gets a numbered name."""
        for key, value in values.items():
            if key in ("provider", "endpoint", "check") and request.node.get_closest_marker(key) is not None:
                continue
            if key == "audio" and isinstance(value, dict):
                clips = fields.setdefault("audio", {})
                for role, clip in value.items():
                    name, n = role, 2
                    while name in clips:
                        name, n = f"{role} {n}", n + 1
                    clips[name] = clip
            elif key in ("measured", "expected", "latency", "extra") and isinstance(value, dict):
                known = fields.setdefault(key, {})
                for k, v in value.items():
                    known.setdefault(k, v)
            else:
                fields.setdefault(key, value)

    record.defaults = defaults  # type: ignore[attr-defined]
    return record


__all__ = ["ReportSession", "conformance_record"]
