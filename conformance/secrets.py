"""What is secret: the names come from the spec's auth entries (every provider's key header, body
field and environment variable), plus the generic credential names any gateway may use, plus the
values a run registers (``VOICE_CONFORMANCE_SECRETS``, ``--cassette-secret``, ``secrets_env``).

Cassette scrubbing, report masking, the console and ``compare`` all read their names here, so a
provider added to the registry is masked everywhere without another file changing.

    >>> "xi-api-key" in secret_headers() and "key" in secret_fields()
    True
    >>> all(name.endswith("_API_KEY") for name in key_env_vars())
    True

Importing this module is light; the spec is read on first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Any

#: more values to mask, comma- or newline-separated (kept off command lines and out of reports)
SECRETS_ENV = "VOICE_CONFORMANCE_SECRETS"
#: credential headers any API or gateway may use, besides the providers' own (lower case)
GENERIC_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "api-key", "x-auth-token")
#: credential fields (JSON bodies at any depth, query parameters), besides the providers' own
GENERIC_FIELDS = ("key", "api_key", "apikey", "apiKey", "token", "access_token", "secret")
#: values shorter than this are not masked as text (they would mask ordinary words)
MIN_SECRET = 4


@cache
def _auths() -> tuple[object, ...]:
    from conformance.spec import providers

    return tuple(p.auth for p in providers().values())


@cache
def secret_headers() -> frozenset[str]:
    """Request and response headers whose whole value is a credential (lower case)."""
    return frozenset({*GENERIC_HEADERS, *(a.name.lower() for a in _auths() if a.scheme != "json_body")})


@cache
def secret_fields() -> frozenset[str]:
    """JSON body fields and query parameters that hold a credential: every provider's key field, its
    key headers written as fields (``"xi-api-key": ...`` in a dict), and the generic names."""
    named = [a.name for a in _auths() if a.scheme != "bearer"]  # a bearer header is not written as a field
    return frozenset({*GENERIC_FIELDS, *named, *(n.lower() for n in named)})


@cache
def key_env_vars() -> tuple[str, ...]:
    """The environment variables that hold the providers' API keys, in registry order."""
    return tuple(dict.fromkeys(a.env_var for a in _auths()))


def registered(environ: Mapping[str, str] | None = None) -> list[str]:
    """The extra values listed in ``VOICE_CONFORMANCE_SECRETS``."""
    env = os.environ if environ is None else environ
    return [v.strip() for v in re.split(r"[,\n]", env.get(SECRETS_ENV, "")) if v.strip()]


def env_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Credentials present in the environment: the providers' key variables, any other ``*_API_KEY``
    or ``*_TOKEN`` variable, and the values of ``VOICE_CONFORMANCE_SECRETS``.

    Every mask reads this, 25,000 times a suite run: the process environment is scanned again only
    when it has changed (its raw items are the cache key; reading ``os.environ`` item by item
    decodes every name and value, about 0.5 s of CPU a suite run before)."""
    if environ is None:
        raw = getattr(os.environ, "_data", None)
        if isinstance(raw, dict):
            return list(_process_env_secrets(tuple(raw.items())))
        environ = os.environ
    return _env_secrets(environ)


@lru_cache(maxsize=8)
def _process_env_secrets(items: tuple[tuple[Any, Any], ...]) -> tuple[str, ...]:
    decode_key, decode_value = os.environ.decodekey, os.environ.decodevalue  # type: ignore[attr-defined]
    return tuple(_env_secrets({decode_key(k): decode_value(v) for k, v in items}))


def _env_secrets(env: Mapping[str, str]) -> list[str]:
    try:
        names = set(key_env_vars())
    except Exception:  # a provider package that cannot load: the name patterns still hold
        names = set()
    values = [v for k, v in env.items() if (k in names or k.upper().endswith(("_API_KEY", "_TOKEN")))]
    return [v for v in dict.fromkeys([*values, *registered(env)]) if len(v) >= MIN_SECRET]


# ---------------------------------------------------------------------------------------------
# the one masking pass: every secret the process knows, in every form it may travel in
# ---------------------------------------------------------------------------------------------

#: what a masked secret reads as in reports, the console and exceptions
MASK = "***"
#: encoded forms shorter than this are not masked (a 5-character base64 fragment matches ordinary text)
MIN_FORM = 8

_runtime: dict[str, None] = {}  # values registered by this process, in order (dict: ordered, deduplicated)


#: a value registered without being named a secret by the user (a client's key) is masked from this
#: length: real keys are long, and a test's ``api_key="test"`` must not mask the word everywhere
MIN_LEARNED = 8


def register(*values: str | None, min_length: int = MIN_SECRET) -> None:
    """Mask these values (and their encoded forms) in everything the kit writes or prints from now on:
    a client's key, credentials found in a target URL, ``--cassette-secret`` and ``secrets_env`` values.
    Values shorter than ``min_length`` are ignored."""
    for v in values:
        if isinstance(v, str) and len(v.strip()) >= max(min_length, MIN_SECRET):
            _runtime[v.strip()] = None


def known(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every secret to mask now: the environment's keys (:func:`env_secrets`), the registered values and
    ``extra``; each at least :data:`MIN_SECRET` characters."""
    values = [*env_secrets(), *_runtime, *(e for e in extra if isinstance(e, str))]
    return tuple(v for v in dict.fromkeys(values) if len(v) >= MIN_SECRET)


@cache
def forms(secret: str) -> tuple[str, ...]:
    """The forms ``secret`` may travel in, longest first: as is, base64 (standard and URL-safe, alone or
    inside a longer encoded value such as a Basic credential, at each of the three byte alignments),
    percent-encoded (either hex case, ``+`` for spaces), JSON- and HTML-escaped, and hex.

    >>> "c2stbGl2ZS0xMjM0NQ" in forms("sk-live-12345")   # base64("sk-live-12345") without padding
    True
    """
    import base64
    import html
    import json
    from urllib.parse import quote, quote_plus

    raw = secret.encode()
    found = {secret}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode()
        found.update({whole, whole.rstrip("=")})
        for k in range(3):  # the characters fixed by the secret alone, whatever precedes or follows it
            enc = encode(b"\0" * k + raw).decode().rstrip("=")
            found.add(enc[-(-8 * k // 6):(8 * (k + len(raw))) // 6])
    for q in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        found.update({q, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), q)})
    found.update({json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
                  json.dumps(secret)[1:-1].replace("/", "\\/"), html.escape(secret), html.escape(secret, quote=False),
                  raw.hex(), raw.hex().upper()})
    return tuple(sorted((f for f in found if f == secret or len(f) >= MIN_FORM), key=len, reverse=True))


@lru_cache(maxsize=64)
def _all_forms(values: tuple[str, ...]) -> tuple[str, ...]:
    """Every form of every value, longest first (a longer form is replaced before a part of it)."""
    return tuple(sorted({f for v in values if len(v) >= MIN_SECRET for f in forms(v)}, key=len, reverse=True))


def mask(text: str, extra: Iterable[str] = (), *, placeholder: str = MASK, env: bool = True) -> str:
    """``text`` with every known secret (:func:`known`, plus ``extra``), in every form (:func:`forms`),
    replaced by ``placeholder``. ``env=False`` masks only the registered values and ``extra``.

    >>> mask("key=c2stbGl2ZS0xMjM0NQ== and sk%2Dlive", ["sk-live-12345"])
    'key=*** and sk%2Dlive'
    """
    values = known(extra) if env else tuple(dict.fromkeys([*_runtime, *extra]))
    if not text or not values:
        return text
    for form in _all_forms(values):
        if form in text:
            text = text.replace(form, placeholder)
    return text


def mask_bytes(data: bytes, extra: Iterable[str] = (), *, placeholder: bytes = MASK.encode(), env: bool = True) -> bytes:
    """:func:`mask` for bytes (every form, UTF-8 encoded)."""
    values = known(extra) if env else tuple(dict.fromkeys([*_runtime, *extra]))
    if not data or not values:
        return data
    for form in _all_forms(values):
        enc = form.encode()
        if enc in data:
            data = data.replace(enc, placeholder)
    return data


def mask_data(value: Any, extra: Iterable[str] = (), *, placeholder: str = MASK) -> Any:
    """``value`` with :func:`mask` applied to every string inside it (dict keys and values, lists, tuples)."""
    values = known(extra)
    if not values:
        return value

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return mask(v, values, placeholder=placeholder, env=False)
        if isinstance(v, dict):
            return {walk(k): walk(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return type(v)(walk(x) for x in v) if isinstance(v, list) else tuple(walk(x) for x in v)
        return v

    return walk(value)


class MaskingStream:
    """A text stream that masks every known secret in what is written through it, then passes it on
    (``sys.stdout``/``sys.stderr`` while a command runs: click's echo, pytest's terminal, warnings)."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class masked_output:
    """While active, ``sys.stdout`` and ``sys.stderr`` mask every known secret (:class:`MaskingStream`)."""

    def __enter__(self) -> masked_output:
        import sys

        self._saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = MaskingStream(sys.stdout), MaskingStream(sys.stderr)  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        import sys

        sys.stdout, sys.stderr = self._saved
