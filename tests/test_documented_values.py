"""Spec data held against the providers' documents: each value typed here from the document (the line
it comes from beside it), not derived from the spec. A value dropped from an enum, a changed default,
status or error mapping in the spec makes these fail."""

from __future__ import annotations

import pytest

from conformance import spec
from conformance.clients import errors
from conformance.clients.base import _EXCEPTION_FOR
from conformance.spec.model import OneOf

# docs.modelslab.com, voice cloning / text to audio: <ParamField query="language" type="string"
# enum="[english, arabic, ...]" default="english">
MODELSLAB_LANGUAGES = ["english", "arabic", "chinese", "spanish", "german", "czech", "dutch", "french", "hindi",
                       "hungarian", "italian", "japanese", "korean", "polish", "russian", "turkish"]
# novita.ai docs, MiniMax voice cloning, model: "Options: `speech-02-hd`, `speech-02-turbo`, ..."
NOVITA_MODELS = ["speech-02-hd", "speech-02-turbo", "speech-2.5-hd-preview", "speech-2.5-turbo-preview",
                 "speech-2.6-hd", "speech-2.6-turbo", "speech-2.8-hd", "speech-2.8-turbo"]
# elevenlabs.io OpenAPI, voice changer: output_format "default: mp3_44100_128"; model_id
# "default: eleven_english_sts_v2"
ELEVENLABS_DEFAULTS = {"output_format": "mp3_44100_128", "model_id": "eleven_english_sts_v2"}
# Novita's answer to a wrong key, live (re-verified 2026-09-18): 403 {"reason": "INVALID_API_KEY",
# "message": "invalid api-key"}; no key: 400 MISSING_API_KEY
NOVITA_AUTH = {"auth": (403, "INVALID_API_KEY"), "auth_missing": (400, "MISSING_API_KEY")}
# platform.minimax.io error codes: 1002 rate limit, 1004 not authorized, 1008 balance, 1043 ASR
# similarity check failed, 2013 invalid params, 2037 voice duration, 2039 voice_id duplicate,
# 2048 prompt audio too long, 2049 invalid api key
MINIMAX_CODES = {1002: errors.RateLimited, 1004: errors.AuthError, 1043: errors.ProviderValidationError,
                 2013: errors.ProviderValidationError, 2037: errors.ProviderValidationError,
                 2039: errors.ProviderValidationError, 2048: errors.ProviderValidationError,
                 2049: errors.AuthError}


def _one_of(endpoint_id: str, name: str) -> list[str]:
    param = spec.get(endpoint_id).param(name)
    return list(next(c for c in param.constraints if isinstance(c, OneOf)).values)


def test_modelslab_languages_are_the_documented_enum() -> None:
    assert _one_of("modelslab.text_to_audio", "language") == MODELSLAB_LANGUAGES
    assert spec.get("modelslab.text_to_audio").param("language").default == "english"


def test_novita_models_are_the_documented_options() -> None:
    assert _one_of("novita.minimax_voice_cloning", "model") == NOVITA_MODELS


@pytest.mark.parametrize(("name", "value"), sorted(ELEVENLABS_DEFAULTS.items()))
def test_elevenlabs_defaults_are_the_documented_ones(name: str, value: str) -> None:
    assert spec.get("elevenlabs.speech_to_speech").param(name).default == value


@pytest.mark.parametrize(("meaning", "expected"), sorted(NOVITA_AUTH.items()))
def test_novitas_auth_errors_have_the_observed_status_and_reason(meaning: str, expected: tuple) -> None:
    case = next(e for e in spec.provider("novita").errors if e.name == meaning)
    assert (case.status, case.code) == expected


@pytest.mark.parametrize(("code", "cls"), sorted(MINIMAX_CODES.items()))
def test_minimax_codes_raise_the_documented_class(code: int, cls: type) -> None:
    from conformance.providers.novita.spec import MINIMAX_BASE_RESP_CODES

    assert _EXCEPTION_FOR[MINIMAX_BASE_RESP_CODES[code]] is cls
