"""Small audio builders for the kit's own tests: exact durations, rates and containers."""

from __future__ import annotations

import io
import wave


def wav(duration: float, sr: int = 16000, channels: int = 1, tone: float = 220.0) -> bytes:
    """A 16-bit PCM WAV of exactly ``duration`` seconds (a quiet tone, so it is not silence)."""
    frames = round(duration * sr)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sr)
        if tone and frames <= 2_000_000:
            import numpy as np

            # one second of the tone (truncated toward zero, as int() does), repeated to the length
            one = (3000 * np.sin(2 * np.pi * tone * np.arange(min(frames, sr)) / sr)).astype("<i2")
            samples = np.resize(one, frames) if one.size else one
            data = np.repeat(samples, channels).tobytes()
        else:
            data = b"\0" * (frames * 2 * channels)
        w.writeframes(data)
    return buf.getvalue()


def encoded(duration: float, fmt: str, sr: int = 16000, subtype: str | None = None) -> bytes:
    """``duration`` seconds of a tone in ``fmt`` (``MP3``, ``OGG``, ``FLAC``) through libsndfile."""
    import numpy as np
    import soundfile as sf

    t = np.arange(round(duration * sr)) / sr
    x = (0.1 * np.sin(2 * np.pi * 220 * t)).astype("float32")
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def raw_pcm(duration: float, sr: int = 16000) -> bytes:
    """Headerless 16-bit little-endian mono PCM."""
    data = wav(duration, sr)
    return data[44:]
