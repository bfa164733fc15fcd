"""voice-conformance: conformance and test-harness kit for voice-cloning APIs."""

__version__ = "0.1.0"
