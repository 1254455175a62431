"""A minimal [MS-CFB] compound-file writer (version 3, 512-byte sectors).

Enough for a ``vbaProject.bin``: storages and streams, a mini stream for streams under
4096 bytes (64-byte mini sectors), FAT, miniFAT and directory sectors, and the header
DIFAT (up to 109 FAT sectors, i.e. files of about 6.8 MB). Written from the specification:

* the header is sector -1; sector *n* starts at byte ``(n + 1) * 512``;
* FAT entries: next sector of the chain, ``ENDOFCHAIN``, ``FATSECT`` for FAT sectors,
  ``FREESECT`` for unused entries;
* directory entries are 128 bytes; a storage's starting sector is 0 (only streams and
  the root, which holds the mini stream, own sectors); siblings in one storage form a
  binary search tree ordered by name length, then by the upper-cased UTF-16 names.
  Every node is written black and the tree is balanced, which satisfies the red-black
  rules (§2.6.4).

The output depends only on the tree given (no timestamps, no random CLSIDs), so the same
input always gives the same bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_HEADER_DIFAT = 109
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

_TYPE_STORAGE = 1
_TYPE_STREAM = 2
_TYPE_ROOT = 5
_BLACK = 1


@dataclass
class Storage:
    """A storage (folder) in the compound file: name -> Storage or stream bytes."""

    name: str = "Root Entry"
    children: dict[str, Storage | bytes] = field(default_factory=dict)

    def add_stream(self, name: str, data: bytes) -> None:
        _check_name(name)
        self.children[name] = bytes(data)

    def add_storage(self, name: str) -> Storage:
        _check_name(name)
        storage = Storage(name)
        self.children[name] = storage
        return storage


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError(f"invalid compound-file entry name: {name!r}")


def _sort_key(name: str) -> tuple[int, str]:
    # [MS-CFB] §2.6.4: shorter names are smaller; equal lengths compare upper-cased.
    return (len(name), name.upper())


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN
    size: int = 0


def _flatten(root: Storage) -> list[_Entry]:
    entries = [_Entry(root.name, _TYPE_ROOT)]

    def add_children(storage: Storage, parent_index: int) -> None:
        names = sorted(storage.children, key=_sort_key)
        indices: dict[str, int] = {}
        for name in names:
            item = storage.children[name]
            indices[name] = len(entries)
            if isinstance(item, Storage):
                entries.append(_Entry(name, _TYPE_STORAGE))
            else:
                entries.append(_Entry(name, _TYPE_STREAM, data=item, size=len(item)))

        def balanced(lo: int, hi: int) -> int:
            if lo >= hi:
                return NOSTREAM
            mid = (lo + hi) // 2
            node = entries[indices[names[mid]]]
            node.left = balanced(lo, mid)
            node.right = balanced(mid + 1, hi)
            return indices[names[mid]]

        entries[parent_index].child = balanced(0, len(names))
        for name in names:
            item = storage.children[name]
            if isinstance(item, Storage):
                add_children(item, indices[name])

    add_children(root, 0)
    return entries


def _pad(data: bytes, size: int) -> bytes:
    rest = len(data) % size
    return data if rest == 0 else data + bytes(size - rest)


def _dir_entry(entry: _Entry) -> bytes:
    encoded = entry.name.encode("utf-16-le")
    name_field = encoded + b"\x00\x00"
    if entry.kind == 0:
        name_field = b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name_field,
        len(name_field),
        entry.kind,
        _BLACK if entry.kind else 0,
        entry.left,
        entry.right,
        entry.child,
        bytes(16),  # CLSID
        0,  # state bits
        0,  # creation time
        0,  # modified time
        entry.start if entry.kind in (_TYPE_STREAM, _TYPE_ROOT) else 0,  # storages: 0 (§2.6.3)
        entry.size,
    )


def write_compound_file(root: Storage) -> bytes:
    """Serialize ``root`` as a version-3 compound file."""
    entries = _flatten(root)

    # 1. Small streams go to the mini stream, in directory order.
    mini_stream = bytearray()
    mini_fat: list[int] = []
    for entry in entries:
        if entry.kind == _TYPE_STREAM and 0 < entry.size < MINI_CUTOFF:
            first = len(mini_fat)
            count = -(-entry.size // MINI_SECTOR)
            mini_fat.extend(range(first + 1, first + count))
            mini_fat.append(ENDOFCHAIN)
            entry.start = first
            mini_stream += _pad(entry.data, MINI_SECTOR)

    # 2. Regular sectors: big streams, the mini stream, miniFAT, directory, then FAT.
    sectors = bytearray()
    fat: list[int] = []

    def allocate(data: bytes) -> int:
        if not data:
            return ENDOFCHAIN
        first = len(fat)
        count = -(-len(data) // SECTOR)
        fat.extend(range(first + 1, first + count))
        fat.append(ENDOFCHAIN)
        sectors.extend(_pad(data, SECTOR))
        return first

    for entry in entries:
        if entry.kind == _TYPE_STREAM and entry.size >= MINI_CUTOFF:
            entry.start = allocate(entry.data)
    entries[0].start = allocate(bytes(mini_stream))
    entries[0].size = len(mini_stream)
    # miniFAT sectors: the chain entries, padded with FREESECT to whole sectors.
    mini_fat_words = mini_fat + [FREESECT] * (-len(mini_fat) % (SECTOR // 4))
    mini_fat_bytes = b"".join(struct.pack("<I", n) for n in mini_fat_words)
    mini_fat_start = allocate(mini_fat_bytes)
    mini_fat_count = len(mini_fat_bytes) // SECTOR

    # Directory: 4 entries per sector; unused slots are empty entries.
    dir_entries = list(entries)
    while len(dir_entries) % (SECTOR // 128):
        dir_entries.append(_Entry("", 0))
    dir_start = allocate(b"".join(_dir_entry(e) for e in dir_entries))

    # FAT sectors describe every sector, themselves included.
    per_fat = SECTOR // 4
    fat_count = 0
    while fat_count * per_fat < len(fat) + fat_count:
        fat_count += 1
    if fat_count > _HEADER_DIFAT:
        raise ValueError("compound file too large for a header-only DIFAT")
    fat_start = len(fat)
    fat.extend([FATSECT] * fat_count)
    fat.extend([FREESECT] * (fat_count * per_fat - len(fat)))
    sectors.extend(b"".join(struct.pack("<I", n) for n in fat))

    difat = [fat_start + i for i in range(fat_count)]
    difat.extend([FREESECT] * (_HEADER_DIFAT - fat_count))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        _SIGNATURE,
        bytes(16),
        0x003E,  # minor version
        0x0003,  # major version 3
        0xFFFE,  # byte order
        9,  # sector shift: 512
        6,  # mini sector shift: 64
        bytes(6),
        0,  # directory sectors (0 in version 3)
        fat_count,
        dir_start,
        0,  # transaction signature
        MINI_CUTOFF,
        mini_fat_start if mini_fat_count else ENDOFCHAIN,
        mini_fat_count,
        ENDOFCHAIN,  # first DIFAT sector
        0,  # DIFAT sectors
    )
    header += b"".join(struct.pack("<I", n) for n in difat)
    assert len(header) == SECTOR
    return header + bytes(sectors)
