"""What is secret comes from the spec's auth entries: every provider's key header, body field and
variable is masked by cassettes and reports alike, with no list kept anywhere else."""

from __future__ import annotations

import pytest

from conformance import secrets, spec
from conformance.cassettes.scrub import PLACEHOLDER, Scrubber
from conformance.report.records import MASK, mask_excerpt

AUTHS = [p.auth for p in spec.providers().values()]


@pytest.mark.parametrize("auth", AUTHS, ids=[a.env_var for a in AUTHS])
def test_every_providers_key_is_secret_where_it_travels(auth, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"sentinel-{auth.env_var.lower()}"
    assert auth.env_var in secrets.key_env_vars()
    if auth.scheme == "json_body":
        assert auth.name in secrets.secret_fields()
        body = f'{{"{auth.name}": "{key}", "text": "hi"}}'
        assert key not in mask_excerpt(body)
        assert Scrubber(from_env=False).json_value({auth.name: key, "text": "hi"}) == {auth.name: PLACEHOLDER, "text": "hi"}
    else:
        assert auth.name.lower() in secrets.secret_headers()
        value = f"Bearer {key}" if auth.scheme == "bearer" else key
        assert key not in mask_excerpt(f"{auth.name}: {value}")
        scrubber = Scrubber(from_env=False)
        assert key not in scrubber.header(auth.name, value)
        assert scrubber.text(f"echo {key}") == f"echo {PLACEHOLDER}"  # learned, so an echo is scrubbed too
    # the variable's value is found in the environment and masked wherever it appears
    monkeypatch.setenv(auth.env_var, key)
    assert key in secrets.env_secrets()
    assert mask_excerpt(f"oops {key}", secrets.env_secrets()) == f"oops {MASK}"
    assert Scrubber().text(f"oops {key}") == f"oops {PLACEHOLDER}"


def test_the_process_environment_is_read_again_whenever_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """env_secrets() keeps its last scan while the environment is unchanged; any change (a value
    added, changed or removed, VOICE_CONFORMANCE_SECRETS edited) is seen by the next call."""
    import os

    monkeypatch.delenv(secrets.SECRETS_ENV, raising=False)
    monkeypatch.setenv("ACME_API_KEY", "acme-first-value")
    assert "acme-first-value" in secrets.env_secrets()
    assert secrets.env_secrets() == secrets._env_secrets(dict(os.environ))
    monkeypatch.setenv("ACME_API_KEY", "acme-second-value")
    monkeypatch.setenv("GATEWAY_TOKEN", "gateway-token-1")
    found = secrets.env_secrets()
    assert "acme-second-value" in found and "gateway-token-1" in found and "acme-first-value" not in found
    monkeypatch.setenv(secrets.SECRETS_ENV, "listed-secret-1")
    assert "listed-secret-1" in secrets.env_secrets()
    assert mask_excerpt("a listed-secret-1 b") == f"a {MASK} b"
    monkeypatch.delenv("ACME_API_KEY")
    monkeypatch.delenv(secrets.SECRETS_ENV)
    assert not {"acme-second-value", "listed-secret-1"} & set(secrets.env_secrets())
    assert secrets.env_secrets() == secrets._env_secrets(dict(os.environ))


def test_registered_values_and_short_values() -> None:
    env = {secrets.SECRETS_ENV: "alpha-secret,\nbeta-secret , ab", "OTHER_TOKEN": "tok-1234", "PATH": "/bin"}
    assert secrets.registered(env) == ["alpha-secret", "beta-secret", "ab"]
    found = secrets.env_secrets(env)
    assert set(found) == {"alpha-secret", "beta-secret", "tok-1234"}  # "ab" is too short to mask as text
