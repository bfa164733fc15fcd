"""Audio checks. Only the light header probe is imported eagerly; measurements load on first use."""

from conformance.audio.probe import AudioDecodeError, AudioInfo, probe, raw_info

__all__ = ["AudioDecodeError", "AudioInfo", "probe", "raw_info"]
