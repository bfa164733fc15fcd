"""Ogg/Opus at an exact bitrate: the reference libopus encoder through ctypes, and a small Ogg muxer.

libsndfile can write Ogg/Opus too, but it picks the encoder's complexity itself and runs at about
30–60× real time; libopus at complexity 3 runs several hundred times faster than real time, which
keeps the simulators quick. ``available()`` says whether the shared library (Debian ``libopus0``)
is there; :func:`conformance.simulators.audio.encode_opus` falls back to libsndfile when it is not.

The container follows RFC 7845: an ``OpusHead`` page, an ``OpusTags`` page, then audio pages whose
granule positions count 48 kHz samples including the encoder's pre-skip; the last page's granule
position trims the padding of the final frame.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
import zlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

RATE = 48000
FRAME = 960  # 20 ms at 48 kHz
_APPLICATION_AUDIO = 2049
_SET_BITRATE = 4002
_SET_VBR = 4006
_SET_COMPLEXITY = 4010
_GET_LOOKAHEAD = 4027
COMPLEXITY = 3
VENDOR = b"voice-conformance simulator (libopus)"


@cache
def _lib() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("opus")
    for candidate in (name, "libopus.so.0"):
        if not candidate:
            continue
        try:
            lib = ctypes.CDLL(candidate)
        except OSError:
            continue
        lib.opus_encoder_create.restype = ctypes.c_void_p
        lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_int)]
        lib.opus_encode.restype = ctypes.c_int32
        lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                    ctypes.c_int32]
        lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_encoder_ctl.restype = ctypes.c_int
        return lib
    return None


def available() -> bool:
    """True when libopus can be loaded."""
    return _lib() is not None


# -- Ogg CRC (polynomial 0x04C11DB7, not reflected, init 0, no final xor) computed with zlib ----

_REVERSED_BITS = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _reverse32(x: int) -> int:
    return int(f"{x:032b}"[::-1], 2)


def ogg_crc(data: bytes) -> int:
    """The Ogg page checksum of ``data``.

    zlib's CRC-32 is the same polynomial bit-reflected; reflecting every input byte and the result
    turns it into Ogg's, with zlib's pre/post inversion undone through the start value.
    """
    reflected = zlib.crc32(data.translate(_REVERSED_BITS), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return _reverse32(reflected)


def ogg_crc_reference(data: bytes) -> int:
    """Bit-by-bit Ogg CRC (slow; for tests of :func:`ogg_crc`)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def _page(packets: list[bytes], *, granule: int, serial: int, seq: int, flags: int) -> bytes:
    lacing = bytearray()
    for p in packets:
        lacing += b"\xff" * (len(p) // 255) + bytes([len(p) % 255])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, seq, 0, len(lacing)) + bytes(lacing)
    page = header + b"".join(packets)
    return page[:22] + struct.pack("<I", ogg_crc(page)) + page[26:]


def encode_ogg_opus(pcm: np.ndarray, bitrate: int, *, serial: int = 0x5EED0001, input_rate: int = RATE) -> bytes:
    """Mono int16 ``pcm`` at 48 kHz as an Ogg/Opus file, constant bitrate ``bitrate`` bit/s."""
    import numpy as np

    lib = _lib()
    if lib is None:
        raise RuntimeError("libopus is not available (install the libopus0 package)")
    err = ctypes.c_int(0)
    enc = lib.opus_encoder_create(RATE, 1, _APPLICATION_AUDIO, ctypes.byref(err))
    if err.value != 0 or not enc:
        raise RuntimeError(f"opus_encoder_create failed ({err.value})")
    try:
        for request, value in ((_SET_BITRATE, bitrate), (_SET_VBR, 0), (_SET_COMPLEXITY, COMPLEXITY)):
            if lib.opus_encoder_ctl(ctypes.c_void_p(enc), ctypes.c_int(request), ctypes.c_int32(value)) != 0:
                raise RuntimeError(f"opus_encoder_ctl({request}, {value}) failed")
        lookahead = ctypes.c_int32(0)
        lib.opus_encoder_ctl(ctypes.c_void_p(enc), ctypes.c_int(_GET_LOOKAHEAD), ctypes.byref(lookahead))
        preskip = int(lookahead.value)
        total = len(pcm)
        frames = max(1, -(-(total + preskip) // FRAME))
        padded = np.zeros(frames * FRAME, dtype="<i2")
        padded[:total] = pcm
        out = ctypes.create_string_buffer(4000)
        base = padded.ctypes.data
        packets = []
        for i in range(frames):
            n = lib.opus_encode(enc, base + i * FRAME * 2, FRAME, out, 4000)
            if n < 0:
                raise RuntimeError(f"opus_encode failed ({n})")
            packets.append(out.raw[:n])
    finally:
        lib.opus_encoder_destroy(enc)

    head = struct.pack("<8sBBHIhB", b"OpusHead", 1, 1, preskip, input_rate, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", len(VENDOR)) + VENDOR + struct.pack("<I", 0)
    pages = [_page([head], granule=0, serial=serial, seq=0, flags=0x02),
             _page([tags], granule=0, serial=serial, seq=1, flags=0)]
    seq, i, end_granule = 2, 0, preskip + total
    while i < len(packets):
        chunk: list[bytes] = []
        lacing = 0
        while i < len(packets) and len(chunk) < 50:
            need = len(packets[i]) // 255 + 1
            if lacing + need > 255:
                break
            chunk.append(packets[i])
            lacing += need
            i += 1
        last = i == len(packets)
        granule = end_granule if last else i * FRAME
        pages.append(_page(chunk, granule=granule, serial=serial, seq=seq, flags=0x04 if last else 0))
        seq += 1
    return b"".join(pages)
