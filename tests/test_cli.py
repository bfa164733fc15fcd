"""The ``voice-conformance`` command: every --help has an example that parses, ``run`` (progress, summary,
exit codes, configuration), ``bench``, bad input, and the example CI workflow's commands."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest
from click.testing import CliRunner

from conformance.cli import RECORD_MODES, main
from conformance.console import Progress

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "conformance.cli"]


# ---------------------------------------------------------------------------------------------
# parsing command lines without running them
# ---------------------------------------------------------------------------------------------


def parse_command_line(argv: list[str]) -> click.Context:
    """Resolve ``argv`` (after ``voice-conformance``) to its command and parse every option, as click would,
    without running anything. Raises click's usage errors for unknown commands, options and values."""
    cmd: click.Command = main
    name, args, parent = "voice-conformance", list(argv), None
    while True:
        ctx = cmd.make_context(name, args, parent=parent)
        if not isinstance(cmd, click.Group):
            return ctx
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            raise click.UsageError(f"{name}: a sub-command is missing")
        sub_name, sub, args = cmd.resolve_command(ctx, rest)
        assert sub is not None and sub_name is not None
        cmd, name, parent = sub, sub_name, ctx


@pytest.fixture
def paths_need_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    """Example commands name files of someone else's project: parse them without checking the files exist."""
    monkeypatch.setattr(click.Path, "convert", lambda self, value, param, ctx: value)


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


def examples(help_text: str) -> list[str]:
    """The ``voice-conformance …`` lines of a help text's Example(s) block (continuations joined)."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:"))
    out: list[str] = []
    for line in lines[start + 1:]:
        text = line.strip()
        if not text:
            break
        if out and out[-1].endswith("\\"):
            out[-1] = out[-1][:-1] + " " + text
        elif text.startswith("voice-conformance"):
            out.append(text)
    return [line.split("  #")[0].strip() for line in out]


def test_every_command_has_help_with_an_example_that_parses(paths_need_not_exist: None) -> None:
    seen = 0
    for path in commands():
        result = CliRunner().invoke(main, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (path, result.output)
        found = examples(result.output)
        assert found, f"voice-conformance {' '.join(path)} --help shows no example"
        for line in found:
            parse_command_line(shlex.split(line)[1:])
            seen += 1
    assert {"run", "compare", "bench", "serve", "record", "drift", "spec"} <= set(main.commands)
    assert seen >= 15


def test_the_parser_helper_rejects_what_click_rejects(paths_need_not_exist: None) -> None:
    for argv in (["runn"], ["run", "--colour"], ["run", "-n", "-1"], ["report"], ["drift", "--format", "xml", "a"],
                 ["run", "--record-mode", "sometimes"]):
        with pytest.raises(click.UsageError):
            parse_command_line(argv)


def test_record_modes_match_the_cassette_plugin() -> None:
    from conformance.cassettes.plugin import RECORD_MODES as PLUGIN_MODES

    assert RECORD_MODES == PLUGIN_MODES


# ---------------------------------------------------------------------------------------------
# bad input is refused before anything runs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--providers", "acme"], "unknown provider 'acme'"),
    (["run", "--target", "staging"], "unknown target 'staging'"),
    (["run", "--target", "url=ftp://x"], "needs an http(s) URL"),
    (["run", "--shard", "4/3"], "I must be between 1 and N"),
    (["run", "--shard", "half"], "use I/N"),
    (["run", "--threshold", "mos_floor=loud"], "'loud' is not a number"),
    (["run", "--threshold", "volume=1"], "threshold 'volume': unknown"),
    (["run", "--inject", "gremlins"], "unknown fault 'gremlins'"),
    (["run", "--inject", "server_error@acme.tts"], "unknown endpoint 'acme.tts'"),
    (["run", "--target", "live", "--inject", "server_error"], "faults are injected into the simulators"),
    (["run", "--record-mode", "rewrite"], "recording needs a live or url=BASE target"),
    (["compare", "--target", "cassette"], "compare needs fresh answers"),
    (["compare", "--endpoint", "modelslab.fetch"], "cannot compare 'modelslab.fetch'"),
    (["compare", "--voice", "elevenlabs"], "use PROVIDER=VOICE_ID"),
    (["compare", "--reference-url", "file:///x.wav"], "not an http(s) URL"),
    (["compare", "--text", "Hi there"], "at least three words"),
    (["bench", "--dir", "."], "holds no bench_*.py"),
])
def test_bad_input_is_a_usage_error_naming_the_option(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_bad_configuration_file_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "vc.toml"
    cfg.write_text('providers = ["novita"]\n[thresholds]\nmos_floor = 9\n')
    for command in (["run"], ["compare"]):
        result = CliRunner().invoke(main, ["--config", str(cfg), *command])
        assert result.exit_code == 2
        assert f"configuration: {cfg}: thresholds.mos_floor: 9 is out of range" in result.output
    missing = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "run"])
    assert missing.exit_code == 2 and "no such configuration file" in missing.output


# ---------------------------------------------------------------------------------------------
# run: progress per provider and endpoint, summary table, exit codes (real suite runs, few tests)
# ---------------------------------------------------------------------------------------------


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def _summary(stdout: str) -> dict[str, list[str]]:
    """Rows of the summary table by endpoint: [provider, endpoint, passed, failed, errors, skipped]."""
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:2] == ["provider", "endpoint"])
    rows = {}
    for line in lines[head + 2:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0] if cells[0] == "total" else cells[1]] = cells
    return rows


def test_run_takes_the_configuration_shows_progress_and_passes(tmp_path: Path) -> None:
    (tmp_path / "voice-conformance.toml").write_text(textwrap.dedent("""
        providers = ["faseeh"]
        workers = 2
        report = "out/suite.html"
    """))
    # the project's own pytest settings hold terminal options: they must stay valid under `run`
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-ra --strict-markers"\n')
    proc = _run(tmp_path, "run", "-k", "ignored_auth or positive_data_acceptance")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == ("voice-conformance run: simulator · providers faseeh · 2 workers · "
                                   f"config {tmp_path / 'voice-conformance.toml'}")
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert progress and progress[-1].startswith("[   6/6]") and "faseeh.voice_preview" in out
    rows = _summary(out)
    assert rows["faseeh.voice_preview"][2:] == ["3", "0", "0", "0"]
    assert rows["faseeh.voice_clone"][2:] == ["3", "0", "0", "0"]
    assert rows["total"][1:] == ["6", "0", "0", "0"]
    assert "all 6 checks passed" in out
    assert (tmp_path / "out/suite.html").is_file() and (tmp_path / "out/suite.jsonl").is_file()


def test_run_fails_naming_the_failing_check_and_endpoint(tmp_path: Path) -> None:
    proc = _run(tmp_path, "run", "--providers", "faseeh", "-k", "ignored_auth", "--report", "",
                "--inject", "html_error_page@faseeh.voice_clone")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = _summary(proc.stdout)
    assert rows["faseeh.voice_clone"][2:] == ["0", "2", "0", "0"]
    assert rows["faseeh.voice_preview"][2:] == ["2", "0", "0", "0"]
    assert ("FAIL test_protocol.py::test_ignored_auth[faseeh.voice_clone-wrong]: AssertionError: "
            "not_a_server_error: FAILED: server error 502") in proc.stdout
    assert "2 failed or errored:" in proc.stdout and "checks passed" not in proc.stdout
    assert not list(tmp_path.rglob("*.html"))  # --report '' writes none


def test_run_exits_non_zero_when_everything_was_skipped(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = subprocess.run([*CLI, "run", "--target", "live", "--providers", "novita", "-k", "ignored_auth",
                           "--report", ""], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _summary(proc.stdout)["total"][1:] == ["0", "0", "0", "2"]
    assert "nothing passed: every selected check was skipped" in proc.stderr


def test_run_keeps_its_documented_exit_codes(tmp_path: Path) -> None:
    nothing = _run(tmp_path, "run", "--providers", "faseeh", "-k", "no_such_check_anywhere", "--report", "")
    assert nothing.returncode == 1 and "no checks selected" in nothing.stderr  # pytest's 5: nothing ran
    bad = _run(tmp_path, "run", "--providers", "faseeh", "--report", "", "--", "--no-such-pytest-flag")
    assert bad.returncode == 2, bad.stdout + bad.stderr  # pytest's 4: bad input
    assert "--no-such-pytest-flag" in bad.stdout + bad.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--providers", "faseeh", "--inject", "silent_audio@novita.minimax_voice_cloning"],
     "novita.minimax_voice_cloning is an endpoint of novita, which this run leaves out"),
    (["--providers", "faseeh", "--cassette-max-age", "soon"], "cannot read 'soon'"),
])
def test_run_refuses_options_that_cannot_apply(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["run", *args, "--report", ""])
    assert result.exit_code == 2 and message in result.output, result.output


def test_run_and_record_run_pytest_without_assertion_rewriting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's assertions carry their own messages. Rewriting would recompile every module of every
    plugin's package (hypothesis, anyio, respx) in each process, on every run where bytecode is not
    kept: 1.5 s a process."""
    from conformance.cassettes.record import record_suite

    seen: list[list[str]] = []
    monkeypatch.setattr(pytest, "main", lambda args, **_: seen.append(list(args)) or 0)
    result = CliRunner().invoke(main, ["run", "--providers", "faseeh", "--report", ""])
    assert "nothing passed" in result.output, result.output  # pytest ran nothing here
    assert record_suite(tmp_path / "c", modules=["conformance.suite.test_protocol"]) == 0
    assert len(seen) == 2 and all("--assert=plain" in args for args in seen), seen


@pytest.mark.long
def test_run_takes_the_cassette_options_the_readme_shows_next_to_it(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "cassettes" / "suite", tmp_path / "cassettes" / "suite")
    proc = _run(tmp_path, "run", "--target", "cassette", "--providers", "faseeh", "-k", "ignored_auth",
                "--cassette-max-age", "100000d", "--cassette-stale", "fail", "--drift-against-spec",
                "--report", "out/r.html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'id="drift"' in (tmp_path / "out" / "r.html").read_text()
    stale = _run(tmp_path, "run", "--target", "cassette", "--providers", "faseeh", "-k", "ignored_auth",
                 "--cassette-max-age", "1s", "--cassette-stale", "fail", "--report", "")
    assert stale.returncode == 1 and "older than --cassette-max-age 1s" in stale.stdout  # stale: failed


# ---------------------------------------------------------------------------------------------
# the progress plugin on its own
# ---------------------------------------------------------------------------------------------


def report(nodeid: str, when: str, outcome: str, endpoint: str | None = None, message: str = "") -> Any:
    props = [("provider", endpoint.split(".")[0]), ("endpoint", endpoint)] if endpoint else []
    crash = SimpleNamespace(message=message)
    return SimpleNamespace(nodeid=nodeid, when=when, outcome=outcome, failed=outcome == "failed",
                           skipped=outcome == "skipped", passed=outcome == "passed", user_properties=props,
                           longrepr=SimpleNamespace(reprcrash=crash), longreprtext=message)


def feed(progress: Progress, events: list[Any]) -> None:
    for ev in events:
        progress.pytest_runtest_logreport(ev)


def test_progress_counts_each_test_once_per_endpoint_and_masks_failures() -> None:
    printed: list[str] = []
    progress = Progress(lambda text, nl=True: printed.append(text), tty=False,
                        mask=lambda text: text.replace("sk-123456", "***"))
    progress.total = 5
    feed(progress, [
        report("t::a", "setup", "passed", "novita.clone"), report("t::a", "call", "passed", "novita.clone"),
        report("t::a", "teardown", "passed", "novita.clone"),
        report("t::b", "setup", "passed", "novita.clone"),
        report("t::b", "call", "failed", "novita.clone", "AssertionError: key sk-123456 echoed\nmore"),
        report("t::c", "setup", "skipped", "faseeh.voice_clone"),
        report("t::d", "setup", "failed", "faseeh.voice_clone", "fixture broke"),
        report("t::e", "setup", "passed"), report("t::e", "call", "passed"),
        report("t::e", "teardown", "failed", None, "teardown broke"),
    ])
    assert dict(progress.groups[("novita", "novita.clone")].counts) == {"passed": 1, "failed": 1}
    assert dict(progress.groups[("faseeh", "faseeh.voice_clone")].counts) == {"skipped": 1, "errors": 1}
    assert +progress.groups[("—", "e")].counts == {"errors": 1}  # a teardown error turns a pass into an error
    assert progress.done == 5 and not progress.all_passed()
    assert [(f.nodeid, f.outcome) for f in progress.failures] == [("t::b", "failed"), ("t::d", "errors"),
                                                                   ("t::e", "errors")]
    assert "FAIL t::b: AssertionError: key *** echoed" in printed
    assert not any("sk-123456" in line for line in printed)
    assert any(line.startswith("[   5/5]") for line in printed)
    summary = progress.summary().splitlines()
    assert summary[0].split() == ["provider", "endpoint", "passed", "failed", "errors", "skipped"]
    assert summary[-1].split() == ["total", "1", "1", "2", "1"]


def test_a_providers_test_without_an_endpoint_keeps_its_parameter_id_and_a_users_test_does_not() -> None:
    progress = Progress(lambda text, nl=True: None, tty=False)
    flow = report("t.py::test_flow[acme.job]", "call", "passed")
    flow.user_properties = [("provider", "acme")]
    users = report("t.py::test_mine[3]", "call", "passed")
    feed(progress, [flow, users])
    assert set(progress.groups) == {("acme", "test_flow[acme.job]"), ("—", "test_mine")}


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    printed: list[tuple[str, bool]] = []
    progress = Progress(lambda text, nl=True: printed.append((text, nl)), tty=True)
    progress.total = 2
    feed(progress, [report("t::a", "call", "passed", "novita.clone"), report("t::b", "call", "passed", "novita.clone")])
    progress.pytest_sessionfinish(None)  # type: ignore[arg-type]
    assert [nl for _, nl in printed[:2]] == [False, False] and printed[-1][1] is True
    assert printed[1][0] == "\r\x1b[2K[   2/2] 2 passed · novita.clone: 2✓"
    assert progress.all_passed()


# ---------------------------------------------------------------------------------------------
# bench
# ---------------------------------------------------------------------------------------------

FAST = '''"""A quick one: prints a ratio."""
import sys
print("setting up")
print("thing: 2.50x against the baseline (target <= 3x)", sys.argv[1:])
'''
BROKEN = '''"""Fails."""
raise SystemExit(3)
'''


def test_bench_runs_the_chosen_benchmarks_and_gathers_their_ratios(tmp_path: Path) -> None:
    d = tmp_path / "benchmarks"
    d.mkdir()
    (d / "bench_fast.py").write_text(FAST)
    (d / "bench_broken.py").write_text(BROKEN)
    listed = CliRunner().invoke(main, ["bench", "--dir", str(d), "--list"])
    assert listed.exit_code == 0 and listed.output.splitlines() == ["broken       Fails.",
                                                                    "fast         A quick one: prints a ratio."]
    one = CliRunner().invoke(main, ["bench", "--dir", str(d), "fast", "--args=--quick --rounds 2"])
    assert one.exit_code == 0, one.output
    tail = one.output.split("fast:\n", 1)[1]
    assert "thing: 2.50x against the baseline (target <= 3x) ['--quick', '--rounds', '2']" in tail
    assert "setting up" not in tail  # only the ratio lines are gathered
    both = CliRunner().invoke(main, ["bench", "--dir", str(d)])
    assert both.exit_code == 1 and "broken: FAILED (exit code 3)" in both.output
    unknown = CliRunner().invoke(main, ["bench", "--dir", str(d), "fats"])
    assert unknown.exit_code == 2 and "unknown benchmark 'fats'; known: broken, fast" in unknown.output


def test_bench_finds_the_checkouts_benchmarks() -> None:
    listed = CliRunner().invoke(main, ["bench", "--list"])
    assert listed.exit_code == 0, listed.output
    assert {line.split()[0] for line in listed.output.splitlines()} == {
        p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py")}


# ---------------------------------------------------------------------------------------------
# the examples: the CI workflow's commands are real, the example configuration is valid
# ---------------------------------------------------------------------------------------------

WORKFLOW = ROOT / "examples" / "github-actions.yml"


def _workflow() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _commands(job: dict[str, Any]) -> list[str]:
    """The ``voice-conformance …`` lines of a job's ``run:`` steps (continuation lines joined)."""
    out = []
    for step in job.get("steps", []):
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            for part in line.split("&&"):
                if part.strip().startswith("voice-conformance"):
                    out.append(part.strip())
    return out


def test_the_workflows_commands_are_real_commands_and_options(paths_need_not_exist: None) -> None:
    import fnmatch

    jobs = _workflow()["jobs"]
    shards = jobs["suite"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) > 1
    parsed: dict[str, list[click.Context]] = {}
    for name, job in jobs.items():
        for line in _commands(job):
            for value in shards if "${{ matrix.shard }}" in line else [None]:
                text = line.replace("${{ matrix.shard }}", str(value))
                assert "${{" not in text, f"unexpanded expression in {line!r}"
                parsed.setdefault(name, []).append(parse_command_line(shlex.split(text)[1:]))
    # every shard of the matrix runs, each shard i of N exactly once
    runs = parsed["suite"]
    assert sorted(ctx.params["shard"] for ctx in runs) == [f"{i}/{len(shards)}" for i in shards]
    # each shard uploads the results written beside its report; the merge job reads exactly those
    suite_steps = jobs["suite"]["steps"]
    upload = next(s for s in suite_steps if s.get("uses", "").startswith("actions/upload-artifact"))
    download = next(s for s in jobs["report"]["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    merge = parsed["report"][0]
    assert merge.info_name == "merge" and merge.params["output"].endswith(".html")
    for ctx, i in zip(runs, shards, strict=True):
        results = str(Path(ctx.params["report"]).with_suffix(".jsonl"))
        assert results == upload["with"]["path"].replace("${{ matrix.shard }}", str(i))
        artifact = upload["with"]["name"].replace("${{ matrix.shard }}", str(i))
        assert fnmatch.fnmatch(artifact, download["with"]["pattern"])
        downloaded = f"{download['with']['path']}/{artifact}/{Path(results).name}"
        assert any(fnmatch.fnmatch(downloaded, pattern) for pattern in merge.params["shards"])
    # the nightly comparison reads last night's measurements as its baseline and keeps tonight's for tomorrow
    (quality,) = parsed["live-quality"]
    assert quality.info_name == "compare" and quality.params["target"] == "live"
    kept = str(Path(quality.params["output"]).with_suffix(".measurements.jsonl"))
    steps = "\n".join(step.get("run", "") for step in jobs["live-quality"]["steps"])
    assert f"cp {kept} {Path(quality.params['baseline']).parent}/" in steps
    # the nightly job re-records live and checks drift against the spec and the committed recordings
    live = parsed["live-drift"]
    record = live[0]
    assert (record.params["target"], record.params["record_mode"]) == ("live", "rewrite")
    new = record.params["cassette_dir"]
    assert [(c.info_name, c.params.get("spec_mode"), c.params.get("old"), c.params.get("new")) for c in live[1:]] == [
        ("drift", True, new, None), ("drift", False, "cassettes/live", new)]
    on = _workflow().get("on") or _workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert "schedule" in on and jobs["live-drift"]["if"].count("schedule")
    for key, value in jobs["live-drift"]["env"].items():
        if key.endswith("_API_KEY"):
            assert value == "${{ secrets." + key + " }}"  # keys come from secrets, never from the file


def test_the_example_configuration_is_valid_and_shows_every_key() -> None:
    from conformance.config import TOP_KEYS, load_config

    path = ROOT / "examples" / "voice-conformance.toml"
    cfg = load_config(path)
    assert cfg.path == path and cfg.target == "simulator" and cfg.workers == 2
    text = path.read_text(encoding="utf-8")
    for key in TOP_KEYS:
        assert re.search(rf"^(\[{key}\]|{key} =)", text, re.M), f"the example does not show {key}"
    for name in ("speaker_score", "mos_floor", "wer_ceiling", "duration_tolerance"):
        assert name in text


@pytest.mark.parametrize(("flag", "want"), [([], None), (["--unknown-urls", "speaker"], "speaker"),
                                            (["--unknown-urls", "error"], "error")])
def test_serve_passes_how_unknown_audio_urls_are_answered(monkeypatch: pytest.MonkeyPatch, flag, want) -> None:
    import importlib

    # the module the command will import: an in-process pytester run earlier in this worker may have
    # dropped it from sys.modules, leaving its package's attribute on an old copy the command would not use
    server = importlib.import_module("conformance.simulators.server")
    seen = {}
    monkeypatch.setattr(server, "run", lambda sim, *a, **k: seen.setdefault("sim", sim))
    result = CliRunner().invoke(main, ["serve", "--providers", "modelslab", *flag])
    assert result.exit_code == 0, result.output
    assert seen["sim"].unknown_urls == want


def test_record_writes_cassettes_and_no_report(tmp_path: Path) -> None:
    (tmp_path / "voice-conformance.toml").write_text('report = "out/suite.html"\n')
    proc = _run(tmp_path, "record", "--out", "rec", "-k", "ignored_auth and faseeh")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list((tmp_path / "rec").rglob("*.yaml"))
    assert not (tmp_path / "out").exists()  # no session overwrote (or wrote) the configured report


def test_a_gateway_without_its_key_skips_like_live_and_records_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = subprocess.run([*CLI, "run", "--target", "url=http://127.0.0.1:9", "--providers", "novita", "-k",
                           "ignored_auth or negative_data_rejection", "--record-mode", "once", "--cassette-dir",
                           "rec", "--report", ""], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 1, proc.stdout + proc.stderr  # nothing passed: every check was skipped
    total = _summary(proc.stdout)["total"][1:]
    assert total[:3] == ["0", "0", "0"] and int(total[3]) > 2
    assert "set NOVITA_API_KEY to the key http://127.0.0.1:9 expects" in proc.stdout
    assert not [p for p in (tmp_path / "rec").rglob("*") if p.is_file()]  # no empty cassette to trip on later


def test_the_console_failure_line_carries_the_cause_past_a_trailing_colon() -> None:
    from conformance.console import cause_line

    crash = SimpleNamespace(message="conformance.clients.errors.SpecViolation: novita.minimax_voice_cloning: "
                                    "1 rule violated:\n  - accuracy=5: must be in [0, 1] [range; source: docs]")
    line = cause_line(SimpleNamespace(longrepr=SimpleNamespace(reprcrash=crash)))
    assert line.endswith("1 rule violated: accuracy=5: must be in [0, 1] [range; source: docs]")
    plain = SimpleNamespace(message="AssertionError: speaker_verification: FAILED: not the target voice\n  score 1")
    assert cause_line(SimpleNamespace(longrepr=SimpleNamespace(reprcrash=plain))) == \
        "AssertionError: speaker_verification: FAILED: not the target voice"
