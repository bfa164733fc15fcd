"""Audio files hosted by the kit itself, for parameters that take a URL (Novita, ModelsLab).

Strategies and tests put bytes here and get a URL on a reserved host; the simulators serve those
URLs (and probe them for the duration and format rules). Nothing here touches the network.
"""

from __future__ import annotations

import hashlib

HOST = "https://audio.voice-conformance.test"

_files: dict[str, bytes] = {}


def host(data: bytes, ext: str = "wav") -> str:
    """A stable URL for ``data`` (named by its SHA-256), served by the simulators."""
    url = f"{HOST}/{hashlib.sha256(data).hexdigest()[:24]}.{ext.lstrip('.')}"
    _files[url] = data
    return url


def lookup(url: str) -> bytes | None:
    """The bytes behind a hosted URL, or ``None``."""
    return _files.get(url)


def clear() -> None:
    _files.clear()
