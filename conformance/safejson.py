"""Reading structured data that may be hostile: JSON (and parsed YAML) nested deeper than a limit is refused.

A provider, a gateway, a cassette or a results file can hold ``[[[[…`` a hundred thousand levels deep:
Python's parsers then raise ``RecursionError`` (not a ``ValueError``), and a document just under the
interpreter's limit breaks the next recursive step instead (a schema check, a copy, ``json.dumps``).
Every reader of such data in the kit parses it here, so the answer is always the same
:class:`TooDeep` (a ``ValueError``, caught wherever malformed JSON already is):

    >>> loads(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> loads(b"[" * 100_000)
    Traceback (most recent call last):
    ...
    conformance.safejson.TooDeep: JSON nested more than 100 levels deep

:data:`MAX_DEPTH` (100 levels, like Ruby's ``JSON.parse`` default) is far above any provider's documented
body. :func:`check_depth` applies the same limit to data parsed elsewhere (YAML), and also refuses
data that contains itself (YAML aliases can build such a loop).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 100

__all__ = ["MAX_DEPTH", "TooDeep", "check_depth", "loads", "nesting_depth"]


class TooDeep(ValueError):
    """Structured data nested deeper than the limit (or containing itself)."""


def _children(value: Any) -> Any:
    if isinstance(value, dict):
        return value.values()
    if isinstance(value, list | tuple):
        return value
    return None


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How many containers deep ``value`` is (a scalar 0, ``[]`` 1, ``{"a": [1]}`` 2); :class:`TooDeep`
    as soon as it is more than ``limit``, or when it contains itself. Iterative: any depth is safe to ask,
    and shared parts (YAML aliases) are measured once."""
    if _children(value) is None:
        return 0
    heights: dict[int, int] = {}  # id -> height of a finished container
    on_path: set[int] = {id(value)}
    # each frame: [container, iterator over its children, the tallest child so far]
    stack: list[list[Any]] = [[value, iter(_children(value)), 0]]
    while stack:
        frame = stack[-1]
        pushed = False
        for child in frame[1]:
            kids = _children(child)
            if kids is None:
                continue
            cid = id(child)
            if cid in heights:
                if len(stack) + heights[cid] > limit:
                    raise TooDeep(f"nested more than {limit} levels deep")
                frame[2] = max(frame[2], heights[cid])
                continue
            if cid in on_path:
                raise TooDeep("contains itself (a loop of references)")
            if len(stack) + 1 > limit:
                raise TooDeep(f"nested more than {limit} levels deep")
            on_path.add(cid)
            stack.append([child, iter(kids), 0])
            pushed = True
            break
        if pushed:
            continue
        stack.pop()
        on_path.discard(id(frame[0]))
        height = frame[2] + 1
        heights[id(frame[0])] = height
        if not stack:
            return height
        stack[-1][2] = max(stack[-1][2], height)
    return 0  # pragma: no cover - the loop returns


def check_depth(value: Any, limit: int = MAX_DEPTH) -> Any:
    """``value`` itself, or :class:`TooDeep` (see :func:`nesting_depth`)."""
    nesting_depth(value, limit)
    return value


def loads(data: str | bytes | bytearray, *, limit: int = MAX_DEPTH) -> Any:
    """``json.loads(data)``, refusing documents nested more than ``limit`` levels (:class:`TooDeep`).

    Malformed JSON raises ``json.JSONDecodeError`` as usual; both are ``ValueError``.
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise TooDeep(f"JSON nested more than {limit} levels deep") from None
    try:
        return check_depth(value, limit)
    except TooDeep as exc:
        raise TooDeep(f"JSON {exc}") from None
