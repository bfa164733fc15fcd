"""Waveform and spectrogram pictures of a clip, as PNG bytes, drawn with numpy alone.

They are made once, when a record is written (see :func:`conformance.report.records.encode_audio`),
so rendering a report only pastes them in. ``png(rgb)`` is a minimal PNG encoder (zlib, no filter).
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

WAVE_SIZE = (480, 72)  # width, height in pixels
SPEC_SIZE = (400, 100)
LEVELS = 16  # colours of a spectrogram: few enough to compress well, enough to read
# A perceptual dark-to-bright ramp (viridis-like), interpolated into a 256-entry lookup table.
_STOPS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=float)
_PALETTE = np.stack([np.interp(np.linspace(0, 4, LEVELS), np.arange(5), _STOPS[:, c]) for c in range(3)],
                    1).astype(np.uint8)


def png(pixels: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    """Encode pixels as PNG bytes: ``(h, w, 3)`` uint8 RGB, or ``(h, w)`` uint8 indices into
    ``palette`` (``(n, 3)`` uint8, n ≤ 256): ``png(np.zeros((2, 2, 3), np.uint8))``."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = pixels.shape[:2]
    depth = 1 if palette is not None else 3
    raw = np.empty((h, w * depth + 1), dtype=np.uint8)
    raw[:, 0] = 0  # filter type 0 on every scanline
    raw[:, 1:] = pixels.reshape(h, w * depth)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 3 if palette is not None else 2, 0, 0, 0)
    plte = chunk(b"PLTE", np.ascontiguousarray(palette, dtype=np.uint8).tobytes()) if palette is not None else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + plte
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) + chunk(b"IEND", b""))


def waveform(samples: np.ndarray, size: tuple[int, int] = WAVE_SIZE) -> bytes:
    """Min/max envelope of mono ``samples`` (floats in [-1, 1]) per pixel column, as PNG bytes."""
    w, h = size
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    img = np.zeros((h, w), dtype=np.uint8)
    img[h // 2, :] = 1
    if x.size:
        edges = np.linspace(0, x.size, w + 1).astype(int)
        edges = np.maximum(edges, np.arange(w + 1))  # strictly increasing, one sample at least
        pad = np.concatenate([x, np.zeros(max(0, int(edges[-1]) - x.size), np.float32)])
        lo = np.minimum.reduceat(pad, edges[:-1])
        hi = np.maximum.reduceat(pad, edges[:-1])
        top = np.clip(((1 - np.clip(hi, -1, 1)) / 2 * (h - 1)).round().astype(int), 0, h - 1)
        bot = np.clip(((1 - np.clip(lo, -1, 1)) / 2 * (h - 1)).round().astype(int), 0, h - 1)
        rows = np.arange(h)[:, None]
        mask = (rows >= top[None, :]) & (rows <= bot[None, :])
        img[mask] = 2
    return png(img, np.array([[250, 250, 250], [200, 200, 210], [40, 90, 170]], dtype=np.uint8))


def spectrogram(samples: np.ndarray, sample_rate: int, size: tuple[int, int] = SPEC_SIZE,
                n_fft: int = 512) -> bytes:
    """Log-magnitude STFT (Hann window, 80 dB range, 0 Hz at the bottom) as PNG bytes."""
    w, h = size
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if x.size < n_fft:
        x = np.concatenate([x, np.zeros(n_fft - x.size, np.float32)])
    hop = max(n_fft // 4, (x.size - n_fft) // max(1, 2 * w - 1))
    frames = 1 + (x.size - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    mag = np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft).astype(np.float32), axis=1))
    db = 20 * np.log10(mag + 1e-9)
    # 80 dB below the loudest bin, but never above a fixed level (magnitude 1, about -42 dBFS for a
    # sine): silence and near-silence draw dark instead of stretched to full brightness
    top = max(float(db.max()), 0.0)
    db = np.clip((db - (top - 80.0)) / 80.0, 0, 1)  # (frames, bins)
    cols = np.linspace(0, frames, w + 1).astype(int)
    cols = np.maximum(cols, np.arange(w + 1))
    db = np.concatenate([db, np.repeat(db[-1:], max(0, int(cols[-1]) - frames), axis=0)])
    db = np.add.reduceat(db, cols[:-1], axis=0) / np.diff(cols)[:, None]  # mean of the frames of a column
    rows = np.linspace(0, db.shape[1] - 1, h).round().astype(int)
    grid = db[:, rows].T[::-1]  # (h, w), low frequencies at the bottom
    return png((grid * (LEVELS - 1)).round().astype(np.uint8), _PALETTE)


def stats(samples: np.ndarray, sample_rate: int) -> dict[str, Any]:
    """Duration (s), sample rate (Hz), peak and RMS level (dBFS) of a clip."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    rms = float(np.sqrt(np.mean(x * x))) if x.size else 0.0
    return {"duration": round(x.size / sample_rate, 3) if sample_rate else 0.0, "sample_rate": int(sample_rate),
            "peak_dbfs": round(20 * np.log10(peak), 2) if peak > 0 else None,
            "rms_dbfs": round(20 * np.log10(rms), 2) if rms > 0 else None}
