"""Acme Speak, a made-up text-to-speech API, as a voice-conformance provider package."""
