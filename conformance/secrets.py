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
from collections.abc import Mapping
from functools import cache

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
    or ``*_TOKEN`` variable, and the values of ``VOICE_CONFORMANCE_SECRETS``."""
    env = os.environ if environ is None else environ
    names = set(key_env_vars())
    values = [v for k, v in env.items() if (k in names or k.upper().endswith(("_API_KEY", "_TOKEN")))]
    return [v for v in dict.fromkeys([*values, *registered(env)]) if len(v) >= MIN_SECRET]
