"""Zip-level plumbing of the summary workbook: a zip writer that copies members of another zip
as their compressed bytes, and small helpers to find parts in an .xlsx package.

Why: the default ``perfsheet summary`` output is the user's package with the standard sheets
added (:mod:`perfsheet.io.source_copy`). Most of the user's parts, and the big standard sheets,
must go into the output without being decompressed and compressed again: :meth:`ZipOut.add_raw`
copies a member's compressed bytes, :meth:`ZipOut.open` streams a new member, deflating it as
it is written (the spliced rows of a standard sheet are hundreds of megabytes of XML).
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from types import TracebackType
from typing import BinaryIO

_REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_COPY_CHUNK = 1 << 20


class MergeError(RuntimeError):
    """An internal inconsistency between packages (a bug, not a user error)."""


# --------------------------------------------------------------------------------------------
# A small zip writer that can copy compressed members as they are
# --------------------------------------------------------------------------------------------

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_ZIP64 = 45


def _gf2_times(matrix: Sequence[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: Sequence[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


@functools.cache
def _zero_bytes(k: int) -> tuple[int, ...]:
    """The operator that carries a CRC-32 through 2**k zero bytes."""
    if k == 0:
        one_bit = [0xEDB88320] + [1 << n for n in range(31)]
        return tuple(_gf2_square(_gf2_square(_gf2_square(one_bit))))  # 8 bits
    return tuple(_gf2_square(list(_zero_bytes(k - 1))))


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc32(a)``, ``crc32(b)`` and ``len(b)`` (zlib has this
    function, Python's zlib module does not expose it): ``crc1`` is carried through ``len2``
    zero bytes by the operators for the powers of two in ``len2`` (made once, cached)."""
    k = 0
    while len2 > 0:
        if len2 & 1:
            crc1 = _gf2_times(_zero_bytes(k), crc1)
        len2 >>= 1
        k += 1
    return (crc1 ^ crc2) & 0xFFFFFFFF


class _Member:
    """A member being written: deflated as it comes, its local header patched on close."""

    def __init__(self, out: ZipOut, bname: bytes, flags: int, level: int) -> None:
        self.out = out
        self.bname, self.flags = bname, flags
        self.level = level
        self.comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        self.crc = 0
        self.usize = self.csize = 0
        # sizes unknown yet: a Zip64 local header (as zipfile's force_zip64), patched on close
        self.offset = out._local_header(bname, flags, 8, 0, 0xFFFFFFFF, 0xFFFFFFFF, zip64=True)

    def write(self, data: bytes) -> int:
        self.crc = zlib.crc32(data, self.crc)
        self.usize += len(data)
        c = self.comp.compress(data)
        if c:
            self.out.fp.write(c)
            self.csize += len(c)
        return len(data)

    def write_deflated(self, path: str | os.PathLike[str], crc: int, size: int) -> None:
        """Append a file of raw deflate data that ends on a byte boundary (a sync flush, not
        a final block) and holds ``size`` bytes whose CRC-32 is ``crc``: its blocks follow
        ours as they are, so big spooled rows are never deflated twice."""
        c = self.comp.flush(zlib.Z_SYNC_FLUSH)  # end our blocks on a byte boundary
        self.out.fp.write(c)
        self.csize += len(c)
        with open(path, "rb") as fh:
            while chunk := fh.read(_COPY_CHUNK):
                self.out.fp.write(chunk)
                self.csize += len(chunk)
        self.crc = crc32_combine(self.crc, crc, size)
        self.usize += size
        # a new stream: nothing after the piece refers back into it or before it
        self.comp = zlib.compressobj(self.level, zlib.DEFLATED, -15)

    def close(self) -> None:
        if self.comp is None:
            return
        c = self.comp.flush()
        self.comp = None  # type: ignore[assignment]
        self.out.fp.write(c)
        self.csize += len(c)
        fp = self.out.fp
        end = fp.tell()
        crc = self.crc & 0xFFFFFFFF
        fp.seek(self.offset + 14)
        fp.write(struct.pack("<I", crc))
        n = len(self.bname)
        fp.seek(self.offset + 30 + n + 4)
        fp.write(struct.pack("<QQ", self.usize, self.csize))
        fp.seek(end)
        self.out.entries.append(
            (self.bname, self.flags, 8, crc, self.csize, self.usize, self.offset, _ZIP64)
        )
        self.out._open = None

    def __enter__(self) -> _Member:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()


class ZipOut:
    """Write a zip file member by member; members are new bytes (deflated here), streams
    (:meth:`open`) or raw copies of another zip's compressed data. Zip64 records are written
    when needed. ``fp`` must be seekable (a streamed member's header is patched)."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp
        self.entries: list[tuple[bytes, int, int, int, int, int, int, int]] = []
        self.names: set[str] = set()
        self._open: _Member | None = None

    def _local_header(
        self,
        name: bytes,
        flags: int,
        method: int,
        crc: int,
        csize: int,
        usize: int,
        *,
        zip64: bool = False,
    ) -> int:
        if self._open is not None:
            raise MergeError("a streamed member is still open")
        offset = self.fp.tell()
        zip64 = zip64 or csize >= 0xFFFFFFFF or usize >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 0x0001, 16, usize, csize) if zip64 else b""
        self.fp.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                _ZIP64 if zip64 else 20,
                flags,
                method,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                0xFFFFFFFF if zip64 else csize,
                0xFFFFFFFF if zip64 else usize,
                len(name),
                len(extra),
            )
        )
        self.fp.write(name)
        self.fp.write(extra)
        return offset

    def _register(self, name: str) -> tuple[bytes, int]:
        if name in self.names:
            raise MergeError(f"duplicate zip member {name}")
        self.names.add(name)
        try:
            return name.encode("ascii"), 0
        except UnicodeEncodeError:
            return name.encode("utf-8"), 0x800

    def add_bytes(self, name: str, data: bytes, level: int = 6) -> None:
        bname, flags = self._register(name)
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        cdata = comp.compress(data) + comp.flush()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = self._local_header(bname, flags, 8, crc, len(cdata), len(data))
        self.fp.write(cdata)
        version = _ZIP64 if len(cdata) >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF else 20
        self.entries.append((bname, flags, 8, crc, len(cdata), len(data), offset, version))

    def open(self, name: str, mode: str = "w", *, force_zip64: bool = True) -> _Member:
        """A new member written as a stream (``zipfile.ZipFile.open(name, "w")``'s interface,
        so :mod:`perfsheet.io.xlsx_splice` can write into it); close it before the next one."""
        if mode != "w":
            raise ValueError("members can only be written")
        bname, flags = self._register(name)
        member = _Member(self, bname, flags, 6)
        self._open = member
        return member

    def add_raw(self, name: str, src: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Copy ``info``'s compressed bytes from ``src`` without decompressing them."""
        bname, flags = self._register(name)
        fp = src.fp
        if fp is None:
            raise MergeError("source zip is closed")
        fp.seek(info.header_offset)
        head = fp.read(30)
        if head[:4] != b"PK\x03\x04":
            raise MergeError(f"bad local header for {info.filename}")
        n, m = struct.unpack("<HH", head[26:30])
        fp.seek(info.header_offset + 30 + n + m)
        offset = self._local_header(
            bname, flags, info.compress_type, info.CRC, info.compress_size, info.file_size
        )
        left = info.compress_size
        while left:
            chunk = fp.read(min(left, _COPY_CHUNK))
            if not chunk:
                raise MergeError(f"truncated member {info.filename}")
            self.fp.write(chunk)
            left -= len(chunk)
        big = info.compress_size >= 0xFFFFFFFF or info.file_size >= 0xFFFFFFFF
        self.entries.append(
            (
                bname,
                flags,
                info.compress_type,
                info.CRC,
                info.compress_size,
                info.file_size,
                offset,
                _ZIP64 if big else 20,
            )
        )

    def close(self) -> None:
        if self._open is not None:
            raise MergeError("a streamed member is still open")
        cd_start = self.fp.tell()
        for bname, flags, method, crc, csize, usize, offset, version in self.entries:
            big = csize >= 0xFFFFFFFF or usize >= 0xFFFFFFFF or offset >= 0xFFFFFFFF
            extra = b""
            if big:
                fields = struct.pack("<QQQ", usize, csize, offset)
                extra = struct.pack("<HH", 0x0001, len(fields)) + fields
            need = _ZIP64 if big else version
            self.fp.write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    need,
                    need,
                    flags,
                    method,
                    _DOS_TIME,
                    _DOS_DATE,
                    crc,
                    0xFFFFFFFF if big else csize,
                    0xFFFFFFFF if big else usize,
                    len(bname),
                    len(extra),
                    0,
                    0,
                    0,
                    0,
                    0xFFFFFFFF if big else offset,
                )
            )
            self.fp.write(bname)
            self.fp.write(extra)
        cd_end = self.fp.tell()
        count = len(self.entries)
        cd_size = cd_end - cd_start
        if count >= 0xFFFF or cd_start >= 0xFFFFFFFF or cd_size >= 0xFFFFFFFF:
            self.fp.write(
                struct.pack(
                    "<IQHHIIQQQQ",
                    0x06064B50,
                    44,
                    _ZIP64,
                    _ZIP64,
                    0,
                    0,
                    count,
                    count,
                    cd_size,
                    cd_start,
                )
            )
            self.fp.write(struct.pack("<IIQI", 0x07064B50, 0, cd_end, 1))
        self.fp.write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                min(count, 0xFFFF),
                min(count, 0xFFFF),
                min(cd_size, 0xFFFFFFFF),
                min(cd_start, 0xFFFFFFFF),
                0,
            )
        )


_ZipOut = ZipOut  # the name tests and older callers use


# --------------------------------------------------------------------------------------------
# Parts of a package
# --------------------------------------------------------------------------------------------


def worksheet_parts(rels_xml: str) -> dict[str, str]:
    """Relationship id -> worksheet part, from xl/_rels/workbook.xml.rels."""
    out = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels_xml):
        tag = m.group(0)
        if f'Type="{_REL_WORKSHEET}"' not in tag:
            continue
        rid = re.search(r'Id="([^"]*)"', tag)
        target = re.search(r'Target="([^"]*)"', tag)
        if rid and target:
            out[rid.group(1)] = part_name(target.group(1), "xl")
    return out


def rels_name(part: str) -> str:
    """The relationships part of ``part`` (``xl/_rels/workbook.xml.rels``; ``_rels/.rels`` for
    the package itself, ``part`` = "")."""
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def part_name(target: str, owner_dir: str) -> str:
    """A relationship target -> the part name it points to (``xl/worksheets/sheet1.xml``)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(owner_dir, target))


def xml_unescape(s: str) -> str:
    """XML character and entity references of an attribute value or text, resolved."""
    if "&" not in s:
        return s
    return _ENTITY.sub(_entity, s)


_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|quot|apos|amp);")
_NAMED = {"lt": "<", "gt": ">", "quot": '"', "apos": "'", "amp": "&"}


def _entity(m: re.Match[str]) -> str:
    e = m.group(1)
    if e[0] != "#":
        return _NAMED[e]
    try:
        return chr(int(e[2:], 16) if e[1] in "xX" else int(e[1:]))
    except (ValueError, OverflowError):
        return m.group(0)
