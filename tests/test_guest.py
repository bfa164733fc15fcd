"""The kit as a guest in a user's project: it writes only what it is asked to write, resolves paths
against pytest's rootdir, leaves the user's hypothesis settings alone, raises no warning, and names
the extra to install when a part is missing. (The same, from a freshly built wheel in an empty venv:
``scripts/check-wheel``, which CI runs.)
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance import extras

pytest_plugins = ["pytester"]

USER_TEST = '''
import httpx

from conformance.strategies import audio_bytes


def convert(recording):
    r = httpx.post("https://api.elevenlabs.io/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb",
                   params={"output_format": "mp3_44100_128"}, headers={"xi-api-key": "my-key"},
                   files={"audio": ("in.wav", recording, "audio/wav")}, timeout=30)
    r.raise_for_status()
    return r.content


def test_my_voice_changer(elevenlabs_simulator, expect_audio):
    out = convert(audio_bytes(3.0, "wav", 16000))
    expect_audio(out).has_format("mp3", sample_rate=44100).duration_about(3.0, tolerance=0.3)
'''


def _files(root: Path) -> set[str]:
    """Every file below ``root``, but pytest's own cache and bytecode, and pytester's own files."""
    def ours(parts: tuple[str, ...]) -> bool:
        return parts[0] in ("stdout", "stderr") or parts[0].startswith("runpytest-") or \
            any(part in (".pytest_cache", "__pycache__") for part in parts)

    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not ours(p.relative_to(root).parts)}


def _project(pytester: pytest.Pytester, **config: str) -> None:
    """A user's project: their pytest settings (warnings are errors), their test, maybe our configuration."""
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n')
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / "tests" / "test_voice.py").write_text(USER_TEST)
    if config:
        body = "".join(f"{k} = {json.dumps(v)}\n" for k, v in config.items())
        (pytester.path / "voice-conformance.toml").write_text(body)


def _run(pytester: pytest.Pytester, *args: str, cwd: Path | None = None) -> pytest.RunResult:
    os.chdir(cwd or pytester.path)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", *args)


def test_a_plain_pytest_run_writes_nothing(pytester: pytest.Pytester) -> None:
    _project(pytester)
    before = _files(pytester.path)
    result = _run(pytester)
    result.assert_outcomes(passed=1)
    assert _files(pytester.path) == before
    assert "conformance report" not in result.stdout.str()


def test_the_report_option_writes_below_the_rootdir_from_any_folder(pytester: pytest.Pytester) -> None:
    _project(pytester)
    before = _files(pytester.path)
    result = _run(pytester, "--conformance-report=out/r.html", cwd=pytester.path / "tests")
    result.assert_outcomes(passed=1)
    assert _files(pytester.path) - before == {"out/r.html", "out/r.jsonl"}


@pytest.mark.long
def test_the_configuration_asks_for_a_report_and_an_empty_path_turns_it_off(pytester: pytest.Pytester) -> None:
    _project(pytester, report="reports/c.html")
    _run(pytester).assert_outcomes(passed=1)
    assert (pytester.path / "reports" / "c.html").is_file()
    _project(pytester, report="")
    before = _files(pytester.path)
    _run(pytester).assert_outcomes(passed=1)
    assert _files(pytester.path) == before
    _run(pytester, "--conformance-report=o/x.html").assert_outcomes(passed=1)  # the option beats the file
    assert (pytester.path / "o" / "x.html").is_file()


def test_a_users_record_names_the_endpoint_it_reached_and_shows_the_audio_it_checked(
        pytester: pytest.Pytester) -> None:
    _project(pytester)
    _run(pytester, "--conformance-report=out/r.html").assert_outcomes(passed=1)
    lines = [json.loads(x) for x in (pytester.path / "out" / "r.jsonl").read_text().splitlines()]
    (rec,) = [x for x in lines if x["kind"] == "result"]
    assert (rec["provider"], rec["endpoint"]) == ("elevenlabs", "elevenlabs.speech_to_speech")
    assert rec["check"] == "test_voice::test_my_voice_changer"  # one column per test module, not per test
    assert rec["audio"]["output"]["duration"] == pytest.approx(3.0, abs=0.3)
    assert rec["measured"]["format"] == "mp3" and rec["measured"]["sample_rate"] == 44100
    assert rec["expected"]["sample_rate"] == "44100 Hz"
    html = (pytester.path / "out" / "r.html").read_text()
    assert "Audio (1)" in html and "elevenlabs.speech_to_speech" in html


def test_a_failing_expectation_still_shows_its_audio(pytester: pytest.Pytester) -> None:
    _project(pytester)
    test = pytester.path / "tests" / "test_voice.py"
    test.write_text(test.read_text().replace("tolerance=0.3", "tolerance=0.01").replace("(3.0, tol", "(9.0, tol"))
    _run(pytester, "--conformance-report=out/r.html").assert_outcomes(failed=1)
    lines = [json.loads(x) for x in (pytester.path / "out" / "r.jsonl").read_text().splitlines()]
    (rec,) = [x for x in lines if x["kind"] == "result"]
    assert rec["outcome"] == "fail" and "output" in rec["audio"] and rec["expected"]["duration"]


def test_the_users_hypothesis_settings_stay_theirs_under_ci(pytester: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's ``ci`` profile (10 examples) is never loaded for a user's own tests."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
    pytester.makepyfile(test_prop='''
        from hypothesis import given, settings, strategies as st

        def test_default_profile():
            assert settings().max_examples == 100  # hypothesis' own (default and ci), not the suite's 10

        @given(st.integers())
        def test_prop(x):
            assert isinstance(x, int)
    ''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_plugin_modules_are_not_rewritten_so_an_early_import_raises_no_warning() -> None:
    """``voice-conformance run`` imports the package before pytest starts; pytest would warn (an error
    under ``-W error``) that it cannot rewrite an installed plugin's modules."""
    import importlib

    for name in ("conformance", "conformance.plugin", "conformance.report.plugin", "conformance.cassettes.plugin",
                 "conformance.simulators.fixtures"):
        assert "PYTEST_DONT_REWRITE" in (importlib.import_module(name).__doc__ or ""), name


# --- optional extras ---------------------------------------------------------------------------


def _extra_requirements() -> dict[str, set[str]]:
    """extra -> distribution names it asks for (from the installed metadata)."""
    out: dict[str, set[str]] = {}
    for req in md.requires("voice-conformance") or []:
        m = re.search(r"""extra\s*==\s*["']([^"']+)["']""", req)
        if m:
            name = re.split(r"[\s<>=!\[;~]", req, maxsplit=1)[0].lower().replace("_", "-")
            out.setdefault(m.group(1), set()).add(name)
    return out


# import name -> distribution name, where they differ
DISTS = {"vcr": "vcrpy", "yaml": "pyyaml", "xdist": "pytest-xdist", "webrtcvad": "webrtcvad-wheels"}


def test_every_module_of_the_extras_table_belongs_to_the_extra_it_names() -> None:
    declared = _extra_requirements()
    for module, (extra, purpose) in extras.MODULES.items():
        assert DISTS.get(module, module) in declared.get(extra, set()), (module, extra)
        assert purpose
    covered = {DISTS.get(m, m) for m in extras.MODULES}
    for extra, dists in declared.items():
        missing = {d for d in dists if not d.startswith("voice-conformance")} - covered
        if extra not in ("test", "all"):
            assert not missing, (extra, missing)


def test_a_missing_module_is_explained_in_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("lameenc", "vcr") else real(name, *a))
    line = extras.explain(ModuleNotFoundError("No module named 'lameenc'", name="lameenc"))
    assert line == ("the simulators' audio needs the 'simulator' extra (module lameenc is missing): "
                    "pip install 'voice-conformance[simulator]'")
    assert extras.explain(ModuleNotFoundError("No module named 'vcr'", name="vcr")).endswith(
        "pip install 'voice-conformance[cassettes]'")
    # not a missing extra: an unknown module, a broken package's submodule, a module that is installed
    assert extras.explain(ModuleNotFoundError("No module named 'nope'", name="nope")) is None
    assert extras.explain(ModuleNotFoundError("No module named 'vcr.stubs'", name="vcr.stubs")) is None
    assert extras.explain(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
    assert extras.explain(ValueError("x")) is None


def test_a_test_that_hits_a_missing_extra_fails_with_that_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x='''
        from conformance import extras

        extras.MODULES["voice_conformance_absent_module"] = ("speaker", "speaker verification")

        def test_needs_speaker():
            extras.require("voice_conformance_absent_module")  # as the kit's audio code does

        def test_users_own_import():
            import voice_conformance_absent_module  # the user's own code: its traceback stays
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "speaker verification needs the 'speaker' extra" in out
    assert "pip install 'voice-conformance[speaker]'" in out
    assert "extras.require(" not in out  # no traceback for the kit's one line
    assert "import voice_conformance_absent_module  # the user's own code" in out  # the user's is kept


def test_the_kits_fixtures_keep_what_the_test_recorded_itself(pytester: pytest.Pytester) -> None:
    _project(pytester)
    test = pytester.path / "tests" / "test_voice.py"
    test.write_text(test.read_text().replace(
        "def test_my_voice_changer(elevenlabs_simulator, expect_audio):",
        "import pytest\n\n\n@pytest.mark.endpoint(\"mine.changer\")\n"
        "def test_my_voice_changer(elevenlabs_simulator, expect_audio, conformance_record):\n"
        "    conformance_record(audio={\"output\": audio_bytes(1.0, \"wav\", 16000)}, measured={\"format\": \"mine\"})"))
    _run(pytester, "--conformance-report=out/r.html").assert_outcomes(passed=1)
    lines = [json.loads(x) for x in (pytester.path / "out" / "r.jsonl").read_text().splitlines()]
    (rec,) = [x for x in lines if x["kind"] == "result"]
    assert rec["endpoint"] == "mine.changer" and rec["provider"] == "elevenlabs"
    assert rec["measured"]["format"] == "mine" and rec["measured"]["sample_rate"] == 44100
    assert rec["audio"]["output"]["duration"] == pytest.approx(1.0, abs=0.05)
    assert rec["audio"]["output 2"]["duration"] == pytest.approx(3.0, abs=0.3)


def test_run_without_the_simulator_extra_says_which_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from conformance.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "lameenc" else real(name, *a))
    result = CliRunner().invoke(main, ["run", "--providers", "faseeh", "--report", ""])
    assert result.exit_code == 2
    assert "pip install 'voice-conformance[simulator]'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_run_from_an_empty_folder_writes_only_its_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICE_CONFORMANCE_", "PYTEST_"))}
    done = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--providers", "faseeh", "-k",
                           "ignored_auth or negative_data_rejection", "--", "-W", "error"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    assert (tmp_path / "reports" / "conformance.html").is_file()
    assert "report: reports/conformance.html" in done.stdout


def test_a_relative_cassette_folder_is_taken_from_the_rootdir() -> None:
    from types import SimpleNamespace

    from conformance.cassettes.plugin import cassette_root

    def config(given: str | None) -> SimpleNamespace:
        return SimpleNamespace(getoption=lambda name, default=None: given, rootpath=Path("/proj"))

    assert cassette_root(config("cs/mine")) == Path("/proj/cs/mine")  # type: ignore[arg-type]
    assert cassette_root(config(None)) == Path("/proj/cassettes/suite")  # type: ignore[arg-type]
    assert cassette_root(config("/elsewhere/cs")) == Path("/elsewhere/cs")  # type: ignore[arg-type]
