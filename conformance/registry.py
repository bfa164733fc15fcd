"""Every provider the kit knows: one package each, built in (``conformance/providers/<name>/``) or installed
from another distribution.

A provider package holds everything about one provider, in modules of fixed names:

=================  ===========================================================================
``spec.py``        ``PROVIDER``: its :class:`conformance.spec.Provider` (endpoints, auth, errors)
``client.py``      ``CLIENT`` and ``ASYNC_CLIENT``: its reference clients
``simulator.py``   ``SIMULATOR``: its :class:`conformance.simulators.core.ProviderSimulator`
``scenarios.py``   ``SCENARIOS``: its :class:`conformance.scenarios.Scenarios` (the suite's requests)
``examples.py``    optional: ``EXAMPLES`` and ``NO_EXAMPLE``, its published request/response examples
``sdks.py``        optional: ``SDKS`` and ``NO_ENDPOINT``, its official SDKs for the SDK matrix
=================  ===========================================================================

Another distribution adds a provider by declaring its package under the entry-point group
``voice_conformance.providers`` (the entry point's name is the provider id)::

    [project.entry-points."voice_conformance.providers"]
    acme = "acme_conformance"

The built-in providers are the packages found in ``conformance/providers/``, by name. Only the names
are read when the pytest plugin loads; a package is imported when first used.
"""

from __future__ import annotations

import pkgutil
import re
from functools import cache
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

BUILTIN_PACKAGE = "conformance.providers"
GROUP = "voice_conformance.providers"
PARTS = ("spec", "client", "simulator", "scenarios", "examples", "sdks")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class ProviderLoadError(RuntimeError):
    """A provider package cannot be used (the message names the package and what is wrong)."""


@cache
def builtin() -> tuple[str, ...]:
    """The providers the kit ships: the packages in ``conformance/providers/``, sorted by name."""
    folder = Path(__file__).resolve().parent / "providers"
    return tuple(sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.ispkg and _NAME.fullmatch(m.name)))


@cache
def packages() -> dict[str, str]:
    """Provider id → the package that holds it: the built-in ones first, then installed ones by name."""
    from importlib.metadata import entry_points

    out = {name: f"{BUILTIN_PACKAGE}.{name}" for name in builtin()}
    for ep in entry_points(group=GROUP):
        name, package = ep.name, ep.value.strip()
        if not _NAME.fullmatch(name):
            raise ProviderLoadError(f"entry point {GROUP}: provider id {name!r} must be lower-case letters, digits "
                                    f"and underscores, starting with a letter")
        if ":" in package:
            raise ProviderLoadError(f"entry point {GROUP}: {name} = {package!r} must name a package, not an object")
        if name in out and out[name] != package:
            raise ProviderLoadError(f"provider {name!r} is declared twice: by {out[name]} and by {package}")
        out[name] = package
    return out


def names() -> tuple[str, ...]:
    """Every provider id, in a stable order (built-in first)."""
    return tuple(packages())


def names_or_builtin() -> tuple[str, ...]:
    """:func:`names`, or the built-in ones when an installed declaration is broken: for what is built when
    a module loads (fixture names, help text), so that a broken package does not break every pytest run;
    the error is raised where the providers are used."""
    try:
        return names()
    except ProviderLoadError:
        return builtin()


def package(provider_id: str) -> str:
    try:
        return packages()[provider_id]
    except KeyError:
        raise KeyError(f"unknown provider {provider_id!r}; known: {', '.join(names())}") from None


def module(provider_id: str, part: str, *, optional: bool = False) -> ModuleType | None:
    """The provider's module ``part`` (one of :data:`PARTS`), imported on first use."""
    if part not in PARTS:  # pragma: no cover - a kit bug
        raise ValueError(f"unknown provider part {part!r}")
    name = f"{package(provider_id)}.{part}"
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name and optional:
            return None
        if exc.name in (name, package(provider_id)):
            raise ProviderLoadError(f"provider {provider_id!r}: its package has no module {name}") from None
        raise


def part(provider_id: str, part_name: str, attr: str) -> Any:
    """The attribute ``attr`` of the provider's module ``part_name``; a clear error when it is missing."""
    mod = module(provider_id, part_name)
    try:
        return getattr(mod, attr)
    except AttributeError:
        raise ProviderLoadError(f"provider {provider_id!r}: {mod.__name__} defines no {attr}") from None


__all__ = ["BUILTIN_PACKAGE", "GROUP", "PARTS", "ProviderLoadError", "builtin", "module", "names", "names_or_builtin", "package", "packages", "part"]
