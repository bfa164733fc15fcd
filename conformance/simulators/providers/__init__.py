"""One simulator module per provider; each registers its :class:`ProviderSimulator` subclass on import.

Adding a provider means adding its module here (next to its spec module and its client): it is
found and imported by :func:`load_all`, no other file changes.
"""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module


@cache
def load_all() -> tuple[str, ...]:
    """Import every provider simulator module; returns their names."""
    names = tuple(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    for name in names:
        import_module(f"{__name__}.{name}")
    return names
