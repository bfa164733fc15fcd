"""The credentials each provider documents, typed here from the providers' documents (not derived from
the spec), held against what the kit treats as secret and against what scrubbing and masking do.

A credential dropped from the spec, or a scrubber that stops learning a value, makes these fail.
"""

from __future__ import annotations

import json

import pytest

from conformance import secrets, spec
from conformance.cassettes.scrub import PLACEHOLDER, Scrubber
from conformance.report.records import mask_excerpt

#: provider -> (how the key travels, its name, the environment variable, where the document says so)
DOCUMENTED = {
    "elevenlabs": ("header", "xi-api-key", "ELEVENLABS_API_KEY",
                   "elevenlabs.io/docs voice changer, OpenAPI: securitySchemes ApiKeyAuth, in: header, name: xi-api-key"),
    "faseeh": ("header", "x-api-key", "FASEEH_API_KEY",
               "docs.faseeh.ai api-reference/voice-clone: authentication through the x-api-key header"),
    "novita": ("bearer", "authorization", "NOVITA_API_KEY",
               "novita.ai/docs minimax voice cloning: -H \"Authorization: Bearer $your_api_key\""),
    "modelslab": ("json_body", "key", "MODELSLAB_API_KEY",
                  "docs.modelslab.com voice cloning: request body \"key\": your API key"),
}


def test_the_table_covers_every_provider() -> None:
    assert set(DOCUMENTED) == set(spec.providers())


@pytest.mark.parametrize("provider_id", sorted(DOCUMENTED))
def test_each_documented_credential_is_secret(provider_id: str) -> None:
    how, name, env_var, _ = DOCUMENTED[provider_id]
    auth = spec.provider(provider_id).auth
    assert auth.env_var == env_var and env_var in secrets.key_env_vars()
    assert auth.name.lower() == name
    if how == "json_body":
        assert name in secrets.secret_fields()
    else:
        assert name in secrets.secret_headers()


@pytest.mark.parametrize("provider_id", sorted(DOCUMENTED))
def test_each_documented_credential_is_scrubbed_and_every_echo_of_it(provider_id: str) -> None:
    how, name, _, _ = DOCUMENTED[provider_id]
    key = f"sk-{provider_id}-0123456789abcdef"
    scrubber = Scrubber(from_env=False)
    if how == "json_body":
        body = json.dumps({name: key, "prompt": "hi"}).encode()
        sent = scrubber.body(body, "application/json")
        assert key.encode() not in sent and PLACEHOLDER.encode() in sent
        assert key not in mask_excerpt(body.decode())
    else:
        value = f"Bearer {key}" if how == "bearer" else key
        assert key not in scrubber.header(name, value) and key not in mask_excerpt(f"{name}: {value}")
    # learned from the request: an answer echoing it (in a body, a header, a URL) is scrubbed too
    echo = {"status": {"code": 401}, "headers": {"x-echo": [key], "content-type": ["application/json"]},
            "body": {"string": json.dumps({"detail": f"invalid key {key}"}).encode()}}
    out = scrubber.response(echo)
    assert key not in json.dumps(out["headers"]) and key.encode() not in out["body"]["string"]
    assert key not in scrubber.url(f"https://x/y?next=https://z/{key}")
