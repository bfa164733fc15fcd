"""The provider registry: built-in packages by folder, installed ones by entry point, clear errors for bad ones."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from conformance import registry

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch):
    """Declare entry points for the registry to read (its cache is cleared before and after)."""

    def declare(*pairs: tuple[str, str]) -> None:
        eps = [EntryPoint(name, value, registry.GROUP) for name, value in pairs]
        monkeypatch.setattr("importlib.metadata.entry_points",
                            lambda group=None: [e for e in eps if group in (None, e.group)])
        registry.packages.cache_clear()

    yield declare
    registry.packages.cache_clear()


def test_the_built_in_providers_are_the_folders_under_providers() -> None:
    folders = sorted(p.name for p in (REPO / "conformance" / "providers").iterdir()
                     if (p / "__init__.py").is_file())
    assert registry.builtin() == tuple(folders)
    for name in folders:
        assert registry.package(name) == f"conformance.providers.{name}"
        for part in ("spec", "client", "simulator", "scenarios"):
            assert registry.module(name, part) is not None


def test_an_installed_provider_comes_after_the_built_in_ones(declared) -> None:
    declared(("zeta", "zeta_pkg"), ("acme", "acme_pkg"))
    assert registry.names() == (*registry.builtin(), "zeta", "acme")
    assert registry.package("acme") == "acme_pkg"


@pytest.mark.parametrize(("pair", "message"), [
    (("Bad-Name", "pkg"), "provider id 'Bad-Name' must be lower-case"),
    (("good", "pkg:OBJECT"), "must name a package, not an object"),
])
def test_a_bad_declaration_is_a_clear_error(declared, pair: tuple[str, str], message: str) -> None:
    declared(pair)
    with pytest.raises(registry.ProviderLoadError, match=message):
        registry.names()
    assert registry.names_or_builtin() == registry.builtin()


def test_a_provider_declared_twice_is_a_clear_error(declared) -> None:
    builtin = registry.builtin()[0]
    declared((builtin, "someone_elses_package"))
    with pytest.raises(registry.ProviderLoadError, match=f"provider '{builtin}' is declared twice"):
        registry.names()


def test_a_package_without_a_module_or_attribute_is_a_clear_error(declared) -> None:
    declared(("ghost", "no_such_provider_package"))
    with pytest.raises(registry.ProviderLoadError, match="no module no_such_provider_package.spec"):
        registry.part("ghost", "spec", "PROVIDER")
    with pytest.raises(registry.ProviderLoadError, match="no module no_such_provider_package.examples"):
        registry.module("ghost", "examples", optional=True)  # optional parts of a package that is not there
    declared(("thin", "conformance.providers"))  # a package that exists but is no provider
    assert registry.module("thin", "examples", optional=True) is None
    with pytest.raises(registry.ProviderLoadError, match="no module conformance.providers.spec"):
        registry.part("thin", "spec", "PROVIDER")
    with pytest.raises(KeyError, match="unknown provider 'nobody'"):
        registry.package("nobody")


def test_loading_the_plugin_imports_no_provider_package() -> None:
    code = ("import sys, conformance.plugin; "
            "print(sorted(m for m in sys.modules if m.startswith('conformance.providers.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
