"""[MS-OVBA] §2.4.1 compression: spec examples, round trips, and oletools' decompressor."""

from __future__ import annotations

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from perfsheet.excel.vba import CompressionError, Storage, compress, decompress
from perfsheet.excel.vba.cfb import write_compound_file
from perfsheet.excel.vba.project import decrypt, encrypt

# [MS-OVBA] §3.2.1 and §3.2.2: the specification's own examples.
SPEC_PLAIN = b"abcdefghijklmnopqrstuv."
SPEC_PLAIN_C = bytes.fromhex(
    "0119B000616263646566676800696A6B6C6D6E6F7000717273747576 2E".replace(" ", "")
)
SPEC_NORMAL = b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa"
SPEC_NORMAL_C = bytes.fromhex(
    "012FB000236161616263646582660070616768696A01380861"
    "6B6C00206D6E6F700671027004007273747576107778797A002C"
)


def oletools_decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


def test_spec_examples_compress_to_the_published_bytes() -> None:
    assert compress(SPEC_PLAIN) == SPEC_PLAIN_C
    assert compress(SPEC_NORMAL) == SPEC_NORMAL_C
    assert decompress(SPEC_NORMAL_C) == SPEC_NORMAL


def test_empty_input_is_just_the_signature() -> None:
    assert compress(b"") == b"\x01"
    assert decompress(b"\x01") == b""


def test_long_runs_and_multiple_chunks() -> None:
    data = (b'Attribute VB_Name = "x"\r\n' + b" " * 5000 + b"End Sub\r\n") * 7
    packed = compress(data)
    assert len(packed) < len(data) // 10
    assert decompress(packed) == data
    assert oletools_decompress(packed) == data


def test_incompressible_full_chunks_are_stored_raw() -> None:
    import random

    rnd = random.Random(7)
    data = bytes(rnd.randrange(256) for _ in range(4096 * 2 + 100))
    packed = compress(data)
    # first two chunks raw: header 0x3FFF (flag 0, size 4095), then 4096 bytes as is
    assert packed[1:3] == b"\xff\x3f"
    assert packed[3 : 3 + 4096] == data[:4096]
    assert decompress(packed) == data
    assert oletools_decompress(packed) == data


def test_malformed_containers_raise() -> None:
    with pytest.raises(CompressionError):
        decompress(b"\x02\x00\x00")
    with pytest.raises(CompressionError):
        decompress(b"\x01\x00\x00")  # chunk signature bits 0b000
    with pytest.raises(CompressionError):
        decompress(bytes.fromhex("0103B001FFFF"))  # copy token before chunk start


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=9000))
def test_round_trip_bytes(data: bytes) -> None:
    packed = compress(data)
    out = decompress(packed)
    # A raw chunk is always 4096 bytes ([MS-OVBA] §2.4.1.3.10): a final raw chunk can
    # only add zero padding, never change the data.
    assert out[: len(data)] == data
    assert out[len(data) :] == bytes(len(out) - len(data))
    assert oletools_decompress(packed) == out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Sub ",
                "End Sub",
                "Dim x As Long",
                "    ",
                "\r\n",
                "RunPython ",
                '"',
                "ChrW(&H6307)",
                "'",
            ]
        )
        | st.text(alphabet="abcdefgXYZ0123 _.()=&", max_size=12),
        max_size=1500,
    )
)
def test_round_trip_vba_like_text_exactly(parts: list[str]) -> None:
    data = "".join(parts).encode("cp1252")
    packed = compress(data)
    assert decompress(packed) == data
    assert oletools_decompress(packed) == data


def test_compound_file_streams_read_back_with_olefile(tmp_path) -> None:
    root = Storage()
    root.add_stream("small", b"x" * 100)
    root.add_stream("edge", b"e" * 4095)
    root.add_stream("big", bytes(range(256)) * 40)  # 10240 bytes: regular sectors
    sub = root.add_storage("VBA")
    for i in range(9):  # enough siblings for a multi-level directory tree
        sub.add_stream(f"m{i:02d}", f"module {i}".encode() * (i * 50 + 1))
    sub.add_stream("empty", b"")
    data = write_compound_file(root)
    assert len(data) % 512 == 0
    path = tmp_path / "t.bin"
    path.write_bytes(data)
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.openstream("small").read() == b"x" * 100
        assert ole.openstream("edge").read() == b"e" * 4095
        assert ole.openstream("big").read() == bytes(range(256)) * 40
        for i in range(9):
            assert ole.openstream(f"VBA/m{i:02d}").read() == f"module {i}".encode() * (i * 50 + 1)
        assert ole.get_size("VBA/empty") == 0
        names = {"/".join(e) for e in ole.listdir()}
        assert "VBA/m08" in names and "big" in names
    assert write_compound_file(root) == data  # deterministic


def test_data_encryption_round_trip_and_known_value() -> None:
    # A value written by Excel in xlwings' own template (PROJECT stream, CMG field).
    assert decrypt("5D5F8AADDAA8DEA8DEA8DEA8DE", "{318BEE36-5BE1-492A-826D-473DB19B0F30}") == bytes(
        4
    )
    pid = "{FA2BF418-33B1-5AC5-9E1E-B50D3577C073}"
    for seed in (0x00, 0x07, 0x5D, 0xFF):
        text = encrypt(b"\xff", pid, seed, b"\x12\x34\x56")
        assert decrypt(text, pid) == b"\xff"


def test_storage_entries_start_at_sector_zero() -> None:
    """[MS-CFB] §2.6.3: a storage's starting sector is 0 (Excel writes it so); streams and
    the root entry (the mini stream) keep theirs."""
    import struct

    root = Storage()
    root.add_stream("PROJECT", b"p" * 10)
    vba = root.add_storage("VBA")
    vba.add_stream("dir", b"d" * 5000)
    data = write_compound_file(root)
    dir_start = struct.unpack_from("<I", data, 48)[0]
    entries = data[(dir_start + 1) * 512 : (dir_start + 2) * 512]
    by_name = {}
    for i in range(4):
        entry = entries[i * 128 : (i + 1) * 128]
        length = struct.unpack_from("<H", entry, 64)[0]
        name = entry[: max(length - 2, 0)].decode("utf-16-le")
        by_name[name] = (entry[66], struct.unpack_from("<I", entry, 116)[0])
    assert by_name["VBA"] == (1, 0)  # storage
    assert by_name["Root Entry"][1] != 0xFFFFFFFE  # holds the mini stream
    assert by_name["dir"] == (2, 0)  # the first regular sector
