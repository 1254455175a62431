"""[MS-OVBA] §2.4.1 CompressedContainer: the run-length/LZ compression VBA uses for the
``dir`` stream and for the source code in every module stream.

Written from the specification (no third-party code):

* a container is the signature byte ``0x01`` followed by chunks;
* each chunk encodes at most 4096 decompressed bytes and starts with a 16-bit header:
  bits 0-11 = chunk size - 3, bits 12-14 = ``0b011``, bit 15 = 1 if compressed;
* a compressed chunk is a series of token sequences: a flag byte, then up to eight tokens,
  bit *i* of the flag (least significant first) telling whether token *i* is a literal byte
  (0) or a two-byte copy token (1);
* a copy token packs (offset - 1) in the high bits and (length - 3) in the low bits; the
  split depends on how far into the chunk the token sits (§2.4.1.3.19.1 "CopyToken Help");
* a chunk whose encoding would exceed 4096 bytes is stored raw (flag 0, exactly 4096
  bytes, zero-padded at the end of the data, as §2.4.1.3.10 prescribes).
"""

from __future__ import annotations

CHUNK_SIZE = 4096
_SIGNATURE = 0x01
_MIN_MATCH = 3
_MAX_CANDIDATES = 64  # match-search effort per position; any value is valid output


class CompressionError(ValueError):
    """A CompressedContainer that does not follow [MS-OVBA] §2.4.1."""


def _copy_token_help(difference: int) -> tuple[int, int, int]:
    """(length_mask, offset_mask, bit_count) for a token ``difference`` bytes into a chunk."""
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    return length_mask, (~length_mask) & 0xFFFF, bit_count


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Encode ``data[start:end]`` (at most 4096 bytes) as one CompressedChunk."""
    out = bytearray(b"\x00\x00")  # header placeholder
    current = start
    # Positions of every 3-byte prefix seen so far in this chunk, newest last.
    seen: dict[bytes, list[int]] = {}
    indexed = start
    while current < end:
        flag_pos = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if current >= end:
                break
            # Index prefixes up to (not including) the current position.
            while indexed < current:
                if indexed + _MIN_MATCH <= end:
                    seen.setdefault(data[indexed : indexed + _MIN_MATCH], []).append(indexed)
                indexed += 1
            length_mask, _, bit_count = _copy_token_help(current - start)
            max_length = length_mask + 3
            best_len = 0
            best_pos = 0
            if current + _MIN_MATCH <= end:
                candidates = seen.get(data[current : current + _MIN_MATCH])
                if candidates:
                    limit = min(max_length, end - current)
                    # nearest first (ties keep the nearest); bounded for repetitive input
                    for cand in reversed(candidates[-_MAX_CANDIDATES:]):
                        length = _MIN_MATCH
                        while length < limit and data[cand + length] == data[current + length]:
                            length += 1
                        if length > best_len:
                            best_len = length
                            best_pos = cand
                            if length == limit:
                                break
            if best_len >= _MIN_MATCH:
                offset = current - best_pos
                token = ((offset - 1) << (16 - bit_count)) | (best_len - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                current += best_len
            else:
                out.append(data[current])
                current += 1
        out[flag_pos] = flags
    size = len(out)
    if size - 2 > CHUNK_SIZE:
        raw = data[start:end] + bytes(CHUNK_SIZE - (end - start))
        return (0x3000 | (CHUNK_SIZE + 2 - 3)).to_bytes(2, "little") + raw
    header = 0x8000 | 0x3000 | (size - 3)
    out[0:2] = header.to_bytes(2, "little")
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an [MS-OVBA] CompressedContainer (deterministic)."""
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        out += _compress_chunk(data, start, min(start + CHUNK_SIZE, len(data)))
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an [MS-OVBA] CompressedContainer; raises CompressionError if malformed."""
    if not container or container[0] != _SIGNATURE:
        raise CompressionError("missing CompressedContainer signature byte 0x01")
    out = bytearray()
    pos = 1
    n = len(container)
    while pos < n:
        if pos + 2 > n:
            raise CompressionError("truncated chunk header")
        header = int.from_bytes(container[pos : pos + 2], "little")
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise CompressionError(f"bad chunk signature at byte {pos}")
        compressed = bool(header & 0x8000)
        chunk_end = min(pos + size, n)
        pos += 2
        chunk_start = len(out)
        if not compressed:
            if size != CHUNK_SIZE + 2:
                raise CompressionError("raw chunk must hold 4096 bytes")
            out += container[pos:chunk_end]
            pos = chunk_end
            continue
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(container[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise CompressionError("truncated copy token")
                token = int.from_bytes(container[pos : pos + 2], "little")
                pos += 2
                length_mask, offset_mask, bit_count = _copy_token_help(len(out) - chunk_start)
                length = (token & length_mask) + 3
                offset = ((token & offset_mask) >> (16 - bit_count)) + 1
                src = len(out) - offset
                if src < chunk_start:
                    raise CompressionError("copy token points before the chunk start")
                for i in range(length):  # byte by byte: copies may overlap themselves
                    out.append(out[src + i])
    return bytes(out)
