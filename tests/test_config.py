"""The configuration file: where it is found, what it may say, and how flags and the environment beat it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conformance.config import Config, ConfigError, find_config, load_config, parse_threshold_flags
from conformance.thresholds import Thresholds
from tests.inprocess import PLAIN_ASSERT

pytest_plugins = ["pytester"]

FULL = """
providers = ["novita", "elevenlabs"]
target = "live"
seed = 7
workers = 3
report = "out/r.html"
hypothesis-profile = "thorough"
secrets_env = ["MY_GATEWAY_TOKEN"]

[thresholds]
speaker_score = 1.5
mos-floor = 2.5
wer_ceiling = 0.4
duration_tolerance = 0.1

[base_urls]
elevenlabs = "https://api.eu.residency.elevenlabs.io/"
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_every_key_is_read_from_voice_conformance_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "voice-conformance.toml", FULL)
    cfg = load_config(start=tmp_path)
    assert cfg.path == path
    assert cfg.providers == ("novita", "elevenlabs") and cfg.target == "live" and cfg.seed == 7
    assert cfg.workers == 3 and cfg.report == "out/r.html" and cfg.hypothesis_profile == "thorough"
    assert cfg.thresholds == {"speaker_score": 1.5, "mos_floor": 2.5, "wer_ceiling": 0.4, "duration_tolerance": 0.1}
    assert cfg.base_urls == {"elevenlabs": "https://api.eu.residency.elevenlabs.io"}
    assert cfg.secrets_env == ("MY_GATEWAY_TOKEN",)
    assert cfg.secret_values({"MY_GATEWAY_TOKEN": "tok-123456"}) == ["tok-123456"]
    assert cfg.secret_values({}) == []


def test_pyproject_table_found_from_a_subfolder_and_the_own_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n\n[tool.voice-conformance]\nproviders = "faseeh"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub) == tmp_path / "pyproject.toml"
    assert load_config(start=sub).providers == ("faseeh",)
    own = write(tmp_path / "a", "voice-conformance.toml", 'providers = ["novita"]\n')
    assert find_config(sub) == own and load_config(start=sub).providers == ("novita",)


def test_search_stops_at_the_repository_root_and_a_pyproject_without_the_table_is_no_config(tmp_path: Path) -> None:
    write(tmp_path, "voice-conformance.toml", 'providers = ["novita"]\n')  # above the repository: not ours
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, "pyproject.toml", '[tool.ruff]\nline-length = 100\n')
    assert find_config(repo) is None
    assert load_config(start=repo) == Config()


@pytest.mark.parametrize(("text", "key", "problem"), [
    ('providers = ["novita"]\ncolour = "blue"\n', "colour", "unknown key"),
    ('providers = ["acme"]\n', "providers", "unknown provider 'acme'"),
    ('providers = []\n', "providers", "is empty"),
    ('target = "staging"\n', "target", "unknown target 'staging'"),
    ('target = "url=ftp://x"\n', "target", "http(s) URL"),
    ('seed = -1\n', "seed", "whole number"),
    ('workers = "two"\n', "workers", "whole number"),
    ('hypothesis_profile = "fast"\n', "hypothesis_profile", "dev, ci, thorough"),
    ('[thresholds]\nmos_floor = "high"\n', "thresholds.mos_floor", "expected a number, got 'high'"),
    ('[thresholds]\nmos_floor = 7\n', "thresholds.mos_floor", "out of range [1.0, 5.0]"),
    ('[thresholds]\nloudness = 1\n', "thresholds.loudness", "unknown threshold"),
    ('[base_urls]\nacme = "https://x"\n', "base_urls.acme", "unknown provider"),
    ('[base_urls]\nnovita = "api.novita.ai"\n', "base_urls.novita", "http(s) base URL"),
    ('seed = 1\nSeed = 2\n', "Seed", "unknown key"),
    ('mos_floor = 1\n', "mos_floor", "unknown key"),
])
def test_a_bad_key_or_value_is_an_error_naming_the_file_and_key(tmp_path: Path, text: str, key: str,
                                                                  problem: str) -> None:
    path = write(tmp_path, "voice-conformance.toml", text)
    with pytest.raises(ConfigError) as exc:
        load_config(start=tmp_path)
    message = str(exc.value)
    assert message.startswith(f"{path}: ") and f" {key}: " in message and problem in message


def test_pyproject_errors_name_the_table(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", '[tool.voice-conformance]\nprovider = "novita"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.voice-conformance\] provider: unknown key"):
        load_config(path)


def test_a_secret_value_written_by_mistake_is_refused_without_being_shown(tmp_path: Path) -> None:
    leaked = "sk_live_5f9a-00aa/bb=="
    write(tmp_path, "voice-conformance.toml", f'secrets_env = ["OK_NAME", "{leaked}"]\n')
    with pytest.raises(ConfigError) as exc:
        load_config(start=tmp_path)
    assert "secrets_env[1]" in str(exc.value) and "NAMES" in str(exc.value)
    assert leaked not in str(exc.value) and "sk_live" not in str(exc.value)


def test_unreadable_files_are_errors_naming_them(tmp_path: Path) -> None:
    bad = write(tmp_path, "voice-conformance.toml", "providers = [\n")
    with pytest.raises(ConfigError, match="not valid TOML") as exc:
        load_config(start=tmp_path)
    assert str(bad) in str(exc.value)
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml")
    plain = write(tmp_path / "p", "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"has no \[tool.voice-conformance\] table"):
        load_config(plain)


def test_hostile_bytes_and_nesting_are_errors_naming_the_file(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1" / "voice-conformance.toml"
    latin1.parent.mkdir()
    latin1.write_bytes(b"seed = 1\n# r\xe9glages\n")
    with pytest.raises(ConfigError, match=r"latin1/voice-conformance.toml:2: not UTF-8 text \(byte 0xe9\)"):
        load_config(start=latin1.parent)
    deep = write(tmp_path / "deep", "voice-conformance.toml", "providers = " + "[" * 5000 + "\n")
    with pytest.raises(ConfigError, match="not valid TOML: nested too deeply") as exc:
        load_config(deep)
    assert str(deep) in str(exc.value)
    scalar = write(tmp_path / "s", "pyproject.toml", "[tool]\nvoice-conformance = \"simulator\"\n")
    with pytest.raises(ConfigError, match=r"tool.voice-conformance: expected a table"):
        load_config(start=scalar.parent)


def test_thresholds_defaults_then_file_then_environment_then_flags() -> None:
    assert Thresholds.resolve(environ={}).mos_floor == Thresholds().mos_floor
    assert Thresholds.resolve({"mos_floor": 2.0}, environ={}).mos_floor == 2.0
    env = {"VOICE_CONFORMANCE_MOS_FLOOR": "2.5", "VOICE_CONFORMANCE_WER_CEILING": "0.3"}
    t = Thresholds.resolve({"mos_floor": 2.0, "wer_ceiling": 0.5}, environ=env)
    assert (t.mos_floor, t.wer_ceiling) == (2.5, 0.3)
    t = Thresholds.resolve({"mos_floor": 2.0}, {"mos_floor": 3.0}, environ=env)
    assert t.mos_floor == 3.0
    with pytest.raises(ValueError, match="VOICE_CONFORMANCE_MOS_FLOOR='loud' is not a number"):
        Thresholds.resolve(environ={"VOICE_CONFORMANCE_MOS_FLOOR": "loud"})


def test_threshold_flags_are_checked() -> None:
    assert parse_threshold_flags(["mos-floor=2.5", "speaker_score=-1"]) == {"mos_floor": 2.5, "speaker_score": -1.0}
    for flag, problem in (("mos_floor", "NAME=VALUE"), ("volume=1", "unknown"), ("mos_floor=x", "not a number"),
                          ("max_silence_ratio=2", "out of range")):
        with pytest.raises(ValueError, match=problem):
            parse_threshold_flags([flag])


# ---------------------------------------------------------------------------------------------
# the plugin reads the file (subprocess runs: the plugin sets process-wide thresholds)
# ---------------------------------------------------------------------------------------------

PROBE = '''
import os
from conformance.thresholds import THRESHOLDS

def test_probe(conformance_target, conformance_client, cassette_scrubber, pytestconfig):
    client = conformance_client("elevenlabs")
    print("TARGET", conformance_target.kind, ",".join(conformance_target.providers), conformance_target.seed)
    print("BASE", client.base_url)
    print("THRESHOLDS", THRESHOLDS.mos_floor, THRESHOLDS.wer_ceiling)
    print("PROFILE", os.environ.get("HYPOTHESIS_PROFILE"))
    assert os.environ["MY_GATEWAY_TOKEN"] in cassette_scrubber.secrets
'''

PROJECT = """
[tool.voice-conformance]
providers = ["elevenlabs", "novita"]
target = "live"
seed = 5
hypothesis_profile = "thorough"
secrets_env = ["MY_GATEWAY_TOKEN"]
thresholds = { mos_floor = 2.5, wer_ceiling = 0.4 }
base_urls = { elevenlabs = "https://api.eu.residency.elevenlabs.io" }
"""

SECRET = "gw-token-3f1c0ffee9"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyprojecttoml(PROJECT)
    pytester.makepyfile(test_probe=PROBE)
    monkeypatch.setenv("MY_GATEWAY_TOKEN", SECRET)
    monkeypatch.setenv("ELEVENLABS_API_KEY", "el-key-not-used-on-the-network")
    monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
    monkeypatch.delenv("VOICE_CONFORMANCE_MOS_FLOOR", raising=False)
    monkeypatch.delenv("VOICE_CONFORMANCE_WER_CEILING", raising=False)
    return pytester


def test_the_plugin_takes_its_defaults_from_the_file(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-s", "-p", "no:cacheprovider", PLAIN_ASSERT, "--conformance-report=")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*voice-conformance configuration: *pyproject.toml*", "*TARGET live elevenlabs,novita 5",
                                 "BASE https://api.eu.residency.elevenlabs.io", "THRESHOLDS 2.5 0.4",
                                 "PROFILE thorough"])
    assert SECRET not in result.stdout.str() + result.stderr.str()


def test_flags_and_environment_beat_the_file(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_CONFORMANCE_WER_CEILING", "0.2")
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "dev")
    result = project.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", PLAIN_ASSERT, "--conformance-report=", "--conformance-providers=faseeh",
        "--conformance-target=url=http://127.0.0.1:9", "--conformance-seed=9", "--conformance-threshold=mos_floor=3")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*TARGET url faseeh 9", "BASE http://127.0.0.1:9", "THRESHOLDS 3.0 0.2",
                                 "PROFILE dev"])


def test_xdist_workers_read_the_controllers_file(project: pytest.Pytester) -> None:
    project.makepyfile(test_worker='''
from conformance.thresholds import THRESHOLDS

def test_worker(conformance_target, conformance_client):
    assert conformance_target.providers == ("elevenlabs", "novita")
    assert conformance_client("elevenlabs").base_url == "https://api.eu.residency.elevenlabs.io"
    assert THRESHOLDS.mos_floor == 2.5
''')
    result = project.runpytest_subprocess("-p", "no:cacheprovider", PLAIN_ASSERT, "--conformance-report=", "-n", "2",
                                          "test_worker.py", "test_probe.py")
    result.assert_outcomes(passed=2)


def test_a_bad_file_stops_pytest_with_the_key_and_file(pytester: pytest.Pytester) -> None:
    path = pytester.makefile(".toml", **{"voice-conformance": '[thresholds]\nmos_floor = "high"\n'})
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", PLAIN_ASSERT, "--conformance-report=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*configuration: {path}: thresholds.mos_floor: expected a number, got 'high'*"])
