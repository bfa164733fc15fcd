"""Terminal output of the ``voice-conformance`` command: plain tables and the live progress of a run.

:class:`Progress` is a pytest plugin for the process that runs the session (the xdist controller too:
it only reads the test reports workers send back), counting outcomes per provider and endpoint.
Nothing here imports more than the standard library and pytest.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

OUTCOMES = ("passed", "failed", "errors", "skipped")
SYMBOLS = {"passed": "✓", "failed": "✗", "errors": "E", "skipped": "s"}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[int] = ()) -> str:
    """A plain-text table; columns in ``right`` (indexes) are right-aligned (numbers)."""
    cells = [[str(h) for h in headers]] + [["—" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
                         ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


@dataclass
class Group:
    """Outcomes of the tests of one provider and endpoint."""

    provider: str
    endpoint: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def label(self) -> str:
        return self.endpoint

    def short(self) -> str:
        return " ".join(f"{self.counts[o]}{SYMBOLS[o]}" for o in OUTCOMES if self.counts[o])


@dataclass
class Failure:
    nodeid: str
    group: str
    outcome: str
    message: str


def _skip_reason(report: Any) -> str:
    longrepr = getattr(report, "longrepr", None)
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return text.removeprefix("Skipped: ").strip() or "skipped"


class Progress:
    """Counts each test once (pass, fail, error or skip) under its provider and endpoint, and shows it.

    On a terminal one status line is rewritten after every test; in a log (CI) a line is printed each
    time another tenth of the run is done, naming the endpoints that moved. Failures are printed as
    they happen.
    """

    def __init__(self, echo: Callable[..., None], *, live: bool = True, tty: bool = False,
                 mask: Callable[[str], str] = str, clock: Callable[[], float] = time.monotonic):
        self.echo = echo  # echo(text, nl=True)
        self.mask = mask
        self.quiet_pytest = live  # pytest's own terminal output is replaced by ours
        self.live = live
        self.tty = tty
        self.clock = clock
        self.groups: dict[tuple[str, str], Group] = {}
        self.outcome: dict[str, tuple[str, tuple[str, str]]] = {}
        self.failures: list[Failure] = []
        self.skip_reasons: Counter[str] = Counter()
        self.total: int | None = None
        self.started = clock()
        self.finished: float | None = None
        self._next_mark = 0
        self._moved: dict[tuple[str, str], Counter[str]] = {}
        self._status_shown = False
        self.report: Path | None = None  # the HTML report the run wrote, if any

    # -- counting ----------------------------------------------------------------------------

    @property
    def done(self) -> int:
        return len(self.outcome)

    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for g in self.groups.values():
            total.update(g.counts)
        return total

    def _key(self, report: Any) -> tuple[str, str]:
        """(provider, endpoint) from the test's properties; a test without an endpoint goes by its name
        (with its parameters when it names a provider: ``test_flow[<provider>.<flow>]``)."""
        props = dict(getattr(report, "user_properties", None) or [])
        endpoint = props.get("endpoint")
        if endpoint:
            return str(props.get("provider") or str(endpoint).split(".")[0]), str(endpoint)
        name = str(report.nodeid).split("::")[-1]
        if not props.get("provider"):  # a provider's test (a suite flow) keeps its id: which flow it is
            name = name.split("[")[0]
        return str(props.get("provider") or "—"), name

    def _set(self, report: Any, outcome: str) -> None:
        nodeid = report.nodeid
        key = self._key(report)
        group = self.groups.setdefault(key, Group(*key))
        before = self.outcome.get(nodeid)
        if before is not None:
            if before[0] == outcome:
                return
            group.counts[before[0]] -= 1
            self._moved.setdefault(key, Counter())[before[0]] -= 1
        self.outcome[nodeid] = (outcome, key)
        group.counts[outcome] += 1
        self._moved.setdefault(key, Counter())[outcome] += 1
        if outcome == "skipped":
            self.skip_reasons[self.mask(_skip_reason(report))] += 1
        if outcome in ("failed", "errors"):
            self.failures.append(Failure(nodeid, group.label, outcome, self.mask(_message(report))))
            self._show_failure(self.failures[-1])
        self._show_progress(group)

    # -- pytest hooks --------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """Silence pytest's terminal reporter (its options, e.g. ``-ra`` in a project's addopts, stay valid)."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        writer = getattr(reporter, "_tw", None)
        if self.quiet_pytest and writer is not None:
            import io

            reporter._tw = type(writer)(file=io.StringIO())  # type: ignore[union-attr]

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        session = config.pluginmanager.get_plugin("conformance-report-session")
        written = getattr(session, "written", None)
        self.report = Path(written) if written else None

    def pytest_internalerror(self, excrepr: Any) -> None:
        self.echo(self.mask(f"INTERNAL ERROR: {excrepr}"))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        self.total = len(ids)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            f = Failure(report.nodeid or "(collection)", "collection", "errors", self.mask(_message(report)))
            self.failures.append(f)
            self.groups.setdefault(("—", "collection"), Group("—", "collection")).counts["errors"] += 1
            self._show_failure(f)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup":
            if report.failed:
                self._set(report, "errors")
            elif report.skipped:
                self._set(report, "skipped")
        elif report.when == "call":
            if report.failed:
                self._set(report, "failed")
            elif report.skipped:
                self._set(report, "skipped")
            else:
                self._set(report, "passed")
        elif report.when == "teardown" and report.failed:
            self._set(report, "errors")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.finished = self.clock()
        if self.live and self.tty and self._status_shown:
            self.echo("\r\x1b[2K" + self._status_line(None))
        elif self.live and not self.tty and self._moved:
            self._print_moved()

    # -- showing -------------------------------------------------------------------------------

    def _status_line(self, group: Group | None) -> str:
        c = self.counts()
        total = f"/{self.total}" if self.total is not None else ""
        head = f"[{self.done:>4}{total}] " + " ".join(f"{c[o]} {o}" for o in OUTCOMES if c[o])
        return head + (f" · {group.label}: {group.short()}" if group is not None else "")

    def _show_progress(self, group: Group) -> None:
        if not self.live:
            return
        if self.tty:
            self.echo("\r\x1b[2K" + self._status_line(group), nl=False)
            self._status_shown = True
            return
        step = max(1, (self.total or 200) // 10)
        if self.done >= self._next_mark:
            self._next_mark = (self.done // step + 1) * step
            self._print_moved()

    def _print_moved(self) -> None:
        total = f"/{self.total}" if self.total is not None else ""
        parts = []
        for key, delta in sorted(self._moved.items()):
            g = self.groups[key]
            if any(delta.values()):
                parts.append(f"{g.label} {g.short()}")
        self._moved = {}
        if parts:
            self.echo(f"[{self.done:>4}{total}] " + " · ".join(parts))

    def _show_failure(self, f: Failure) -> None:
        if not self.live:
            return
        prefix = "\r\x1b[2K" if self.tty and self._status_shown else ""
        self.echo(f"{prefix}{'FAIL' if f.outcome == 'failed' else 'ERROR'} {f.nodeid}: {f.message}")

    # -- the end --------------------------------------------------------------------------------

    def summary(self) -> str:
        rows = []
        for (provider, endpoint), g in sorted(self.groups.items()):
            rows.append([provider, endpoint, *(g.counts[o] for o in OUTCOMES)])
        c = self.counts()
        rows.append(["total", "", *(c[o] for o in OUTCOMES)])
        return table(["provider", "endpoint", *OUTCOMES], rows, right=(2, 3, 4, 5))

    def all_passed(self) -> bool:
        c = self.counts()
        return c["passed"] > 0 and not c["failed"] and not c["errors"]


def cause_line(report: Any, limit: int = 300) -> str:
    """One line saying why a test failed or errored: the exception's message, with the line after it
    where the first ends in a colon (``SpecViolation: …: 1 rule violated:`` is followed by the rule)."""
    longrepr = getattr(report, "longrepr", None)
    crash = getattr(longrepr, "reprcrash", None)
    text = getattr(crash, "message", None) or getattr(report, "longreprtext", "") or str(longrepr or "")
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    line = lines[0] if lines else "failed"
    for more in lines[1:3]:
        if not line.endswith(":"):
            break
        line = f"{line} {more.lstrip('- ')}"
    return line if len(line) <= limit else line[: limit - 3] + "..."


_message = cause_line
