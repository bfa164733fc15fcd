"""The declarative spec of every provider endpoint: the one place each documented rule is written.

>>> from conformance import spec
>>> spec.get("<provider>.<endpoint>").path       # doctest: +SKIP
'/v1/speech-to-speech/{voice_id}'
"""

from conformance.spec.model import (
    CONSTRAINTS,
    MISSING,
    RULES,
    AudioInput,
    Constraint,
    Endpoint,
    ErrorCase,
    Fact,
    Param,
    Provider,
    ResponseContract,
    Rule,
    Source,
    SpecViolation,
    SpecWarning,
    Variant,
    Violation,
    mask_value,
)
from conformance.spec.registry import endpoints, get, provider, providers

__all__ = [
    "CONSTRAINTS",
    "MISSING",
    "RULES",
    "AudioInput",
    "Constraint",
    "Endpoint",
    "ErrorCase",
    "Fact",
    "Param",
    "Provider",
    "ResponseContract",
    "Rule",
    "Source",
    "SpecViolation",
    "SpecWarning",
    "Variant",
    "Violation",
    "endpoints",
    "get",
    "mask_value",
    "provider",
    "providers",
]
