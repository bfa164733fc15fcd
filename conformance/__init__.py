"""voice-conformance: conformance and test-harness kit for voice-cloning APIs.

PYTEST_DONT_REWRITE: the kit's modules need no assertion rewriting, and ``voice-conformance run``
imports the package before pytest starts (pytest would warn that it cannot rewrite it).
"""

__version__ = "0.1.0"
