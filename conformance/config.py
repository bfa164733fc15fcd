"""Project configuration: ``[tool.voice-conformance]`` in ``pyproject.toml``, or ``voice-conformance.toml``.

The file is looked for in the starting folder (the working directory, or pytest's rootdir) and its
parents, up to the first folder that holds ``.git``; in each folder ``voice-conformance.toml`` wins
over ``pyproject.toml``. Command-line flags override the file; environment variables that the kit
already reads (``VOICE_CONFORMANCE_MOS_FLOOR``…, ``HYPOTHESIS_PROFILE``) override it too.

.. code-block:: toml

    [tool.voice-conformance]
    providers = ["<provider>", "<provider>"]  # ids as `voice-conformance spec` lists them; default: all
    target = "simulator"                    # simulator | cassette | live | url=BASE
    seed = 0
    workers = 2                             # `voice-conformance run -n`
    report = "reports/conformance.html"     # the HTML report (run, and plain pytest); "" for none
    hypothesis_profile = "ci"               # dev | ci | thorough | smoke
    secrets_env = ["MY_GATEWAY_TOKEN"]      # NAMES of variables whose values are scrubbed

    [tool.voice-conformance.thresholds]
    speaker_score = 0.5
    mos_floor = 2.0
    wer_ceiling = 0.5
    duration_tolerance = 0.05

    [tool.voice-conformance.base_urls]      # where the live target sends each provider
    <provider> = "https://eu.api.example"   # e.g. a regional host

In ``voice-conformance.toml`` the same keys sit at the top level (or under ``[tool.voice-conformance]``).
Keys may be spelled with ``-`` or ``_``. An unknown key or a bad value is a :class:`ConfigError`
naming the key and the file. Secret *values* never belong in the file: ``secrets_env`` lists the
names of environment variables that hold them.

Reading the file uses only the standard library (``tomllib``); importing this module is cheap.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "voice-conformance.toml"
PYPROJECT = "pyproject.toml"
TABLE = "voice-conformance"
HYPOTHESIS_PROFILES = ("dev", "ci", "thorough", "smoke")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TOP_KEYS = ("providers", "target", "seed", "workers", "report", "hypothesis_profile", "secrets_env",
            "thresholds", "base_urls")


class ConfigError(ValueError):
    """A configuration file could not be used; the message names the file and the key."""


@dataclass
class Config:
    """What a configuration file says; ``None`` (or empty) where it says nothing."""

    path: Path | None = None
    providers: tuple[str, ...] | None = None
    target: str | None = None
    seed: int | None = None
    workers: int | None = None
    report: str | None = None
    hypothesis_profile: str | None = None
    secrets_env: tuple[str, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)
    base_urls: dict[str, str] = field(default_factory=dict)

    def secret_values(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The values of the ``secrets_env`` variables that are set (to be scrubbed; never printed)."""
        env = os.environ if environ is None else environ
        return [env[name] for name in self.secrets_env if env.get(name)]

    def describe(self) -> str:
        return str(self.path) if self.path else "no configuration file"


# ---------------------------------------------------------------------------------------------
# finding and reading
# ---------------------------------------------------------------------------------------------


def _table(path: Path) -> dict[str, Any] | None:
    """The kit's table of ``path`` (``None`` when a pyproject.toml has none)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); TOML files are UTF-8") \
            from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # arrays or inline tables nested thousands deep
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    key = TABLE if TABLE in tool else TABLE.replace("-", "_")
    table = tool.get(key)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.{key}: expected a table ([tool.{TABLE}]), got {_show(table)}")
    if path.name == PYPROJECT:
        return table
    if table is not None:  # voice-conformance.toml with a [tool.voice-conformance] table
        rest = {k: v for k, v in data.items() if k != "tool"}
        if rest:
            raise ConfigError(f"{path}: keys both at the top level ({', '.join(sorted(rest))}) and under "
                              f"[tool.{TABLE}]; use one place")
        return table
    return data


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The configuration file that applies to ``start`` (default: the working directory), or ``None``."""
    folder = Path(start or Path.cwd()).resolve()
    for d in (folder, *folder.parents):
        own = d / FILE_NAME
        if own.is_file():
            return own
        pyproject = d / PYPROJECT
        if pyproject.is_file() and _table(pyproject) is not None:
            return pyproject
        if (d / ".git").exists():
            break
    return None


def load_config(path: str | os.PathLike[str] | None = None, *, start: str | os.PathLike[str] | None = None
                ) -> Config:
    """Read and check the configuration: ``path`` when given, else the file :func:`find_config` finds."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such configuration file")
        table = _table(p)
        if table is None:
            raise ConfigError(f"{p}: has no [tool.{TABLE}] table")
    else:
        found = find_config(start)
        if found is None:
            return Config()
        p, table = found, _table(found) or {}
    return parse(table, p)


# ---------------------------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------------------------


def _normalise(table: Mapping[str, Any], where: str, path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        norm = str(key).replace("-", "_")
        if norm in out:
            raise ConfigError(f"{path}: {where}{key}: given twice (as {norm!r} and {key!r})")
        out[norm] = value
    return out


def parse(table: Mapping[str, Any], path: Path | None = None) -> Config:
    """A :class:`Config` from a TOML table, every key and value checked."""
    from conformance.thresholds import THRESHOLD_RANGES

    where = f"[tool.{TABLE}] " if path is not None and path.name == PYPROJECT else ""
    p = path or Path("<config>")

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{p}: {where}{key}: {problem}")

    data = _normalise(table, where, p)
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise fail(unknown[0], f"unknown key; known keys: {', '.join(TOP_KEYS)}")
    cfg = Config(path=path)

    if "providers" in data:
        cfg.providers = _providers(data["providers"], fail)
    if "target" in data:
        value = data["target"]
        if not isinstance(value, str):
            raise fail("target", f"expected a string such as \"simulator\", got {_show(value)}")
        from conformance.target import parse_target

        try:
            parse_target(value)
        except ValueError as exc:
            raise fail("target", str(exc).removeprefix("--conformance-target: ")) from None
        cfg.target = value
    for key in ("seed", "workers"):
        if key in data:
            value = data[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise fail(key, f"expected a whole number ≥ 0, got {_show(value)}")
            setattr(cfg, key, value)
    if "report" in data:
        if not isinstance(data["report"], str):
            raise fail("report", f"expected a path (string), got {_show(data['report'])}")
        cfg.report = data["report"]
    if "hypothesis_profile" in data:
        value = data["hypothesis_profile"]
        if value not in HYPOTHESIS_PROFILES:
            raise fail("hypothesis_profile", f"expected one of {', '.join(HYPOTHESIS_PROFILES)}, got {_show(value)}")
        cfg.hypothesis_profile = value
    if "secrets_env" in data:
        cfg.secrets_env = _secrets_env(data["secrets_env"], fail)
    if "thresholds" in data:
        value = data["thresholds"]
        if not isinstance(value, dict):
            raise fail("thresholds", "expected a table of name = number")
        for name, number in _normalise(value, where + "thresholds.", p).items():
            key = f"thresholds.{name}"
            if name not in THRESHOLD_RANGES:
                raise fail(key, f"unknown threshold; known: {', '.join(THRESHOLD_RANGES)}")
            if not isinstance(number, int | float) or isinstance(number, bool) or not math.isfinite(number):
                raise fail(key, f"expected a number, got {_show(number)}")
            lo, hi = THRESHOLD_RANGES[name]
            if not lo <= number <= hi:
                raise fail(key, f"{number} is out of range [{lo}, {hi}]")
            cfg.thresholds[name] = float(number)
    if "base_urls" in data:
        value = data["base_urls"]
        if not isinstance(value, dict):
            raise fail("base_urls", "expected a table of provider = \"https://…\"")
        from conformance.registry import names as provider_names

        for provider, url in _normalise(value, where + "base_urls.", p).items():
            key = f"base_urls.{provider}"
            if provider not in provider_names():
                raise fail(key, f"unknown provider; known: {', '.join(provider_names())}")
            if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
                raise fail(key, f"expected an http(s) base URL, got {_show(url)}")
            cfg.base_urls[provider] = url.rstrip("/")
    return cfg


def _providers(value: Any, fail: Any) -> tuple[str, ...]:
    from conformance.registry import names as provider_names

    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise fail("providers", f"expected a list of provider ids, got {_show(value)}")
    items = [v for v in items if v]
    if not items:
        raise fail("providers", "is empty; leave the key out to check every provider")
    unknown = [v for v in items if v not in provider_names()]
    if unknown:
        raise fail("providers", f"unknown provider {unknown[0]!r}; known: {', '.join(provider_names())}")
    return tuple(dict.fromkeys(items))


def _secrets_env(value: Any, fail: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise fail("secrets_env", "expected a list of environment variable names")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            # the entry itself is not shown: it may be a secret written here by mistake
            raise fail(f"secrets_env[{i}]", "is not an environment variable name (value not shown: it may be a "
                                            "secret). List the NAMES of variables that hold secrets, never values")
    return tuple(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_threshold_flags(flags: Any) -> dict[str, float]:
    """``["mos_floor=2.5", ...]`` (``--conformance-threshold``) as a checked mapping; ValueError names the flag."""
    from conformance.thresholds import THRESHOLD_RANGES

    out: dict[str, float] = {}
    for flag in flags or ():
        name, sep, raw = str(flag).partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise ValueError(f"threshold {flag!r}: use NAME=VALUE, e.g. mos_floor=2.5")
        if name not in THRESHOLD_RANGES:
            raise ValueError(f"threshold {name!r}: unknown; known: {', '.join(THRESHOLD_RANGES)}")
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(f"threshold {name}: {raw!r} is not a number") from None
        lo, hi = THRESHOLD_RANGES[name]
        if not (math.isfinite(number) and lo <= number <= hi):
            raise ValueError(f"threshold {name}: {raw} is out of range [{lo}, {hi}]")
        out[name] = number
    return out


__all__ = ["Config", "ConfigError", "find_config", "load_config", "parse", "parse_threshold_flags"]
