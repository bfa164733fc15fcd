"""The SDK compatibility matrix: every listed version of the providers' official SDKs, really installed
with pip (each in its own directory of a reused cache) and driven against the simulators, in-process
and over the loopback server, for its happy paths and its own error handling.

One coarse test per SDK package (its versions run together), so that pytest-xdist can spread them.
The cache is ``$VOICE_CONFORMANCE_SDK_DIR``, else ``<repo>/.cache/sdks``; a warm pip cache installs a
version in seconds, and an installed version is reused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conformance import sdkmatrix
from conformance.sdkmatrix import (
    FAILS,
    NOTE,
    WORKS,
    Entry,
    NoEndpoint,
    Row,
    SdkVersion,
    format_table,
    rows_as_records,
    run_matrix,
)

REPO = Path(__file__).resolve().parents[1]
SDK_DIR = Path(os.environ.get(sdkmatrix.SDK_DIR_ENV) or REPO / ".cache" / "sdks")
TRANSPORTS = ("in-process", "serve")
ERRORS = ("wrong_key", "invalid", "rate_limit", "server_error")

Key = tuple[str, str, str, str, str]  # sdk, version, endpoint, transport, case


def _keys(sdk: str, versions: dict[str, dict[str, tuple[str, ...]]]) -> set[Key]:
    return {(sdk, v, endpoint, t, case) for v, endpoints in versions.items()
            for endpoint, cases in endpoints.items() for case in cases for t in TRANSPORTS}


def _elevenlabs(stream: str) -> dict[str, tuple[str, ...]]:
    cases = ("ok", "wrong_key", "not_found", "invalid", "rate_limit", "server_error")
    return {"speech_to_speech.convert": cases, f"speech_to_speech.{stream}": cases}


# every row each SDK package must produce, and must produce as "works"
EXPECTED: dict[str, set[Key]] = {
    "elevenlabs": _keys("elevenlabs", {
        "1.59.0": _elevenlabs("convert_as_stream"),
        "2.0.0": _elevenlabs("stream"),
        "2.59.0": _elevenlabs("stream"),
        "2.78.0": _elevenlabs("stream"),
    }),
    "modelslab-py": _keys("modelslab-py", {"0.2.3": {
        "voice2voice": ("ok", *ERRORS),
        "text_to_audio": ("ok", "wrong_key", "not_found", "invalid", "rate_limit", "server_error"),
        "fetch": ("ok", "wrong_key", "not_found", "rate_limit", "server_error"),
    }}),
    "novita": _keys("novita", {"0.1.0": {"voice_clone": ("ok", *ERRORS)}}),
}
# SDK releases shown as notes (no endpoint the kit simulates), by the package they sit beside
NOTES: dict[str, set[tuple[str, str]]] = {"novita": {("novita-client", "0.7.1")}}
LISTED = {"elevenlabs": {"1.59.0", "2.0.0", "2.59.0", "2.78.0"}, "modelslab-py": {"0.2.3"}, "novita": {"0.1.0"}}

# Rows that fail because the simulator answers wrongly where the SDK is right (key -> the simulator
# bug). They must fail (so that fixing the simulator flips them here); none are known.
KNOWN_SIMULATOR_BUGS: dict[Key, str] = {}


def test_the_providers_declare_the_listed_sdk_versions() -> None:
    found = sdkmatrix.entries()
    driven = {(e.package, e.version) for e in found if isinstance(e.sdk, SdkVersion)}
    notes = {(e.package, e.version) for e in found if isinstance(e.sdk, NoEndpoint)}
    assert driven == {(p, v) for p, vs in LISTED.items() for v in vs}
    assert notes == set().union(*NOTES.values())
    for e in found:
        if isinstance(e.sdk, SdkVersion):  # every driver resolves to a function of the provider's sdks.py
            module, _, name = e.sdk.driver.rpartition(".")
            assert module == f"conformance.providers.{e.provider}.sdks"
            assert callable(getattr(sdkmatrix.sdks_module(e.provider), name))
        else:
            assert e.sdk.why.startswith("no endpoint in this SDK")


@pytest.mark.long
@pytest.mark.parametrize("package", sorted(EXPECTED))
def test_every_listed_version_of_the_sdk_works(package: str) -> None:
    notes = NOTES.get(package, set())
    rows = run_matrix(sdk_dir=SDK_DIR, versions=[package, *(f"{p}=={v}" for p, v in notes)])
    driven = [r for r in rows if r.outcome != NOTE]
    keys = [r.key for r in driven]
    assert len(keys) == len(set(keys)), "a row is reported twice"
    missing = sorted(EXPECTED[package] - set(keys))
    extra = sorted(set(keys) - EXPECTED[package])
    assert not missing and not extra, (missing, extra, format_table([r for r in driven if r.key in extra]))
    failing = {r.key: r.why for r in driven if r.outcome != WORKS and r.key not in KNOWN_SIMULATOR_BUGS}
    assert not failing, format_table([r for r in driven if r.key in failing])
    flipped = [k for k in KNOWN_SIMULATOR_BUGS if k in set(keys) and
               next(r for r in driven if r.key == k).outcome == WORKS]
    assert not flipped, f"fixed in the simulator: remove from KNOWN_SIMULATOR_BUGS: {flipped}"
    assert all(r.why for r in driven)  # a working row says what it saw (and the calls the simulator answered)
    assert {(r.sdk, r.version) for r in rows if r.outcome == NOTE} == notes

    table = format_table(rows).splitlines()
    for version in LISTED[package]:
        assert any(line.split()[:2] == [package, version] for line in table), version
    for sdk, version in notes:
        assert any(line.split()[:2] == [sdk, version] and "no endpoint in this SDK" in line for line in table)
    assert table[-1].startswith(f"{len(driven)} rows over {len(LISTED[package]) + len(notes)} SDK releases: "
                                f"{len(driven)} work, 0 fail")


@pytest.mark.parametrize(("version", "selector", "fault", "expect"), [
    # the 404 body loses its {"detail": {...}} shape: the SDK still raises ApiError, without the fields
    ("elevenlabs==2.78.0", "speech_to_speech.convert/not_found", "wrong_error_shape", "no detail.status"),
    # the clone answer is cut mid-JSON: the requests-based SDK cannot parse it (in-process adapter too)
    ("novita==0.1.0", "voice_clone/ok", "malformed_json", "JSONDecodeError"),
])
def test_a_wrong_simulator_answer_makes_its_row_fail(version: str, selector: str, fault: str, expect: str) -> None:
    rows = run_matrix(sdk_dir=SDK_DIR, versions=[version], faults=[(selector, fault, {})])
    endpoint, case = selector.split("/")
    broken = [r for r in rows if (r.endpoint, r.case) == (endpoint, case)]
    assert [r.transport for r in broken] == list(TRANSPORTS)
    for r in broken:
        assert r.outcome == FAILS and expect in r.why, r
    assert all(r.works for r in rows if r not in broken), format_table([r for r in rows if not r.works])


def test_a_failed_install_is_a_failing_row_with_pips_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an invalid requirement: pip refuses it without asking an index
    bogus = SdkVersion("no-such-sdk", "1.0", "no_such_sdk", "nowhere.drive", extra_requirements=("not a requirement!",))
    monkeypatch.setattr(sdkmatrix, "entries", lambda providers=None: [Entry("acme", bogus)])
    rows = run_matrix(sdk_dir=tmp_path)
    assert [(r.sdk, r.transport, r.case, r.outcome) for r in rows] == [
        ("no-such-sdk", t, "install", FAILS) for t in TRANSPORTS]
    assert all("pip install" in r.why and "not a requirement!" in r.why for r in rows), rows[0].why
    assert list(tmp_path.iterdir()) == []  # no half-made directory left behind


def test_the_table_and_records() -> None:
    rows = [
        Row("p", "sdk-a", "1.0", "convert", "in-process", "ok", WORKS, "mp3 [POST /v1/x 200]"),
        Row("p", "sdk-a", "1.0", "convert", "serve", "ok", FAILS, "raised ValueError: bad"),
        Row("p", "sdk-b", "0.1", "-", "-", "-", NOTE, "no endpoint in this SDK: images only"),
    ]
    table = format_table(rows).splitlines()
    assert table[0].split() == ["SDK", "version", "endpoint", "transport", "case", "result", "why"]
    assert table[2].split()[:7] == ["sdk-a", "1.0", "convert", "in-process", "ok", "works", "mp3"]
    assert table[3].endswith("fails   raised ValueError: bad")
    assert "no endpoint in this SDK: images only" in table[4]
    assert table[-1] == "2 rows over 2 SDK releases: 1 work, 1 fail; 1 note"
    records = rows_as_records(rows)
    assert json.loads(json.dumps(records)) == records
    assert records[0] == {"provider": "p", "sdk": "sdk-a", "version": "1.0", "endpoint": "convert",
                          "transport": "in-process", "case": "ok", "outcome": "works", "why": "mp3 [POST /v1/x 200]"}


def test_the_sdk_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(sdkmatrix.SDK_DIR_ENV, str(tmp_path / "mine"))
    assert sdkmatrix.default_sdk_dir() == tmp_path / "mine"
    monkeypatch.delenv(sdkmatrix.SDK_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.name == "posix" and os.uname().sysname == "Linux":
        assert sdkmatrix.default_sdk_dir() == tmp_path / "xdg" / "voice-conformance" / "sdks"


def test_the_matrix_module_is_light_and_not_loaded_by_the_plugin() -> None:
    """The driver subprocess puts the SDK's directory first on sys.path before anything third-party is
    imported: importing the module must load nothing but the standard library (and the plugin never
    imports it)."""
    import ast
    import subprocess
    import sys

    code = ("import sys; before = set(sys.modules); import conformance.sdkmatrix; "
            "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in "
            "{'httpx', 'requests', 'pydantic', 'numpy', 'respx', 'jsonschema', 'click', 'uvicorn'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
    tree = ast.parse((REPO / "conformance" / "plugin.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "conformance.sdkmatrix" not in imported


# -- in the report and on the command line ----------------------------------------------------


def _section(rows: list[Row]) -> dict:
    return sdkmatrix.report_line(rows, "run-1")


def test_the_report_gets_an_sdk_compatibility_table_failing_rows_first() -> None:
    from conformance.report.records import sdk_sections, split_lines
    from conformance.report.render import render_html

    rows = [Row("p", "acme-sdk", "1.0", "speak", "serve", "ok", WORKS, "audio, 1.0 s"),
            Row("p", "acme-sdk", "1.0", "speak", "serve", "wrong_key", FAILS, "no AuthError: got 200"),
            Row("p", "acme-old", "0.1", "-", "-", "-", NOTE, "no endpoint in this SDK")]
    line = _section(rows)
    assert line["summary"] == {"releases": 1, "rows": 2, "works": 1, "fails": 1, "notes": 1}
    lines = [line, line]  # merged shards may repeat it: shown once
    assert split_lines(lines) == ([], []) and len(sdk_sections(lines)) == 1
    html = render_html([], sdk=sdk_sections(lines))
    assert 'href="#sdk">SDK compatibility (1 failing)' in html
    table = html.split('<section id="sdk">', 1)[1]
    assert table.index("no AuthError: got 200") < table.index("audio, 1.0 s") < table.index("no endpoint in this SDK")
    assert '<tr data-outcome="fails">' in table and "<td>acme-sdk</td><td>1.0</td>" in table
    assert 'id="sdk"' not in render_html([])  # no matrix run, no section


def test_the_cli_prints_the_table_writes_its_report_and_exits_by_outcome(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    for selector in ("no-such-sdk", "elevenlabs==9.9.9"):
        bad = CliRunner().invoke(main, ["sdk-matrix", "--sdk", selector])
        assert bad.exit_code == 2 and f"{selector}: not an SDK release the kit lists" in bad.output
        assert "elevenlabs==2.78.0" in bad.output  # what it does list
    assert sdkmatrix.unknown_selectors(["modelslab_py", "Modelslab-Py==0.2.3", "elevenlabs"]) == []
    args = ["sdk-matrix", "--providers", "novita", "--transport", "serve", "--sdk-dir", str(SDK_DIR),
            "--report", str(tmp_path / "sdk.html")]
    ok = CliRunner().invoke(main, args)
    assert ok.exit_code == 0, ok.output
    assert "voice_clone" in ok.output and "0 fail" in ok.output and "novita-client" in ok.output
    html = (tmp_path / "sdk.html").read_text()
    assert "SDK compatibility (0 failing)" in html and "<td>voice_clone</td>" in html


def test_run_with_sdk_matrix_puts_the_table_in_the_suites_report(tmp_path: Path) -> None:
    import subprocess
    import sys

    report = tmp_path / "r" / "conformance.html"
    env = {**os.environ, sdkmatrix.SDK_DIR_ENV: str(SDK_DIR)}
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--providers", "novita", "-k",
                           "ignored_auth", "--report", str(report), "--sdk-matrix"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    html = report.read_text()
    assert 'id="sdk"' in html and "<td>novita</td><td>0.1.0</td><td>voice_clone</td>" in html
    lines = [json.loads(x) for x in report.with_suffix(".jsonl").read_text().splitlines()]
    assert [x["summary"]["fails"] for x in lines if x.get("kind") == "sdk"] == [0]


def test_a_matrix_that_cannot_run_still_leaves_the_runs_report(tmp_path: Path) -> None:
    import subprocess
    import sys

    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the SDK cache should be")
    report = tmp_path / "r" / "conformance.html"
    env = {**os.environ, sdkmatrix.SDK_DIR_ENV: str(blocked / "sdks")}
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--providers", "novita", "-k",
                           "ignored_auth", "--report", str(report), "--sdk-matrix"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert report.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    html = report.read_text()
    assert "The SDK matrix did not run:" in html and "Traceback" not in proc.stdout + proc.stderr
    assert not (report.parent / ".conformance-shards").exists() or not any((report.parent / ".conformance-shards").iterdir())


def test_the_matrix_flag_without_a_report_is_a_usage_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    result = CliRunner().invoke(main, ["run", "--providers", "novita", "--report", "", "--sdk-matrix"])
    assert result.exit_code == 2 and "give --report PATH" in result.output


def test_no_credential_reaches_the_sdk_process_or_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_live_1234567890")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_abcdefghijkl")
    monkeypatch.setenv("ACME_SECRET", "acme-secret-value")
    monkeypatch.setenv("VOICE_CONFORMANCE_SECRETS", "registered-secret-1")
    monkeypatch.setenv("SOME_SETTING", "registered-secret-1")  # a registered value, under any name
    env = sdkmatrix._child_env()
    for name in ("ELEVENLABS_API_KEY", "GITHUB_TOKEN", "ACME_SECRET", "VOICE_CONFORMANCE_SECRETS", "SOME_SETTING"):
        assert name not in env
    rows = sdkmatrix._masked([Row("p", "s", "1", "e", "serve", "ok", FAILS,
                                  "ApiError: key sk_live_1234567890 and ghp_abcdefghijkl rejected")])
    assert "sk_live_1234567890" not in rows[0].why and "ghp_abcdefghijkl" not in rows[0].why


def test_an_installed_kit_is_not_put_on_pythonpath() -> None:
    # the kit here is found by the interpreter itself (an install or an editable finder): PYTHONPATH
    # would put site-packages ahead of the standard library
    assert sdkmatrix._kit_found_by_default()
    assert sdkmatrix._child_env().get("PYTHONPATH") == os.environ.get("PYTHONPATH")  # left as it was


def test_install_only_provisions_the_cache_and_drives_nothing() -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    result = CliRunner().invoke(main, ["sdk-matrix", "--install-only", "--sdk", "novita", "--sdk-dir", str(SDK_DIR)])
    assert result.exit_code == 0, result.output
    target = sdkmatrix.install_dir(next(e.sdk for e in sdkmatrix.entries(["novita"])
                                        if isinstance(e.sdk, SdkVersion)), SDK_DIR.resolve())
    assert (target / sdkmatrix.MARKER).is_file()
    assert "novita==0.1.0:" in result.output and "1 of 1 SDK releases installed" in result.output
    assert "works" not in result.output  # nothing driven, no table


def test_install_only_into_a_directory_it_cannot_make_is_a_usage_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the SDK cache should be")
    result = CliRunner().invoke(main, ["sdk-matrix", "--install-only", "--sdk", "novita", "--sdk-dir",
                                       str(blocked / "sdks")])
    assert result.exit_code == 2 and "--sdk-dir" in result.output and "Not a directory" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["sdk-matrix", "--install-only", "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "writes no report" in result.output


def test_install_only_names_a_release_pip_could_not_install_and_exits_1(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    monkeypatch.setattr(sdkmatrix, "install", lambda sdk, root: sdkmatrix.Installed(None, "pip install x failed: no"))
    result = CliRunner().invoke(main, ["sdk-matrix", "--install-only", "--sdk", "novita", "--sdk-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "novita==0.1.0: pip install x failed: no" in result.output
    assert "0 of 1 SDK releases installed; failed: novita==0.1.0" in result.output


def test_the_serve_harness_talks_to_the_simulator_through_one_client_it_closes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A case arms, reads and clears the simulator (several control calls): one client does them all,
    outside any proxy, and is closed with the harness (a client each read the CA bundle each time)."""
    import httpx

    from conformance.simulators import Simulator
    from conformance.simulators.server import serve_in_thread

    made: list[httpx.Client] = []
    real = httpx.Client

    def counting(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(httpx, "Client", counting)
    monkeypatch.setenv("HTTP_PROXY", sdkmatrix.NOWHERE_PROXY)  # the driver's environment has these
    monkeypatch.setenv("NO_PROXY", "")
    sim = Simulator("elevenlabs", seed=1)
    with serve_in_thread(sim) as server:
        h = sdkmatrix.ServeHarness("elevenlabs", SdkVersion("elevenlabs", "0", "x", "y"), "serve",
                                   base_url=server.base_url)
        for _ in range(3):
            h.inject("server_error")
            assert h.calls() == []
            h.clear_faults()
        assert len(made) == 1 and not made[0].is_closed
        h.close()
    assert made[0].is_closed
